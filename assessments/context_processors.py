from assessments import access
from assessments.models import Workspace


def workspace_nav(request):
    """The signed-in user's workspaces for the switcher: one query, only if a page shows it.

    A callable, so fragments that never show the menu (htmx partials) build no queryset.
    """
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"nav_workspaces": lambda: access.scoped(Workspace, request.user).only("pk", "name")}
