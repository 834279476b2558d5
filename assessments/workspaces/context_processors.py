from django.utils.functional import SimpleLazyObject

from assessments.workspaces import access
from assessments.workspaces.models import Workspace


def workspace_nav(request):
    """The signed-in user's workspaces for the switcher: one query, only if a page shows it.

    Lazy, so fragments that never show the menu (htmx partials) run no query; evaluated once
    per page, so ``workspace in nav_workspaces`` (does the workspace nav lead anywhere for
    this user? not for client staff limited to a client or an assessment) costs nothing more.
    """
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    user = request.user
    return {
        "nav_workspaces": SimpleLazyObject(
            lambda: list(access.scoped(Workspace, user).only("pk", "name"))
        )
    }
