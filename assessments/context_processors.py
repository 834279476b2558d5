from assessments import access
from assessments.models import Workspace


def workspace_nav(request):
    """The signed-in user's workspaces for the switcher; evaluated lazily, one query."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"nav_workspaces": access.scoped(Workspace, request.user).only("pk", "name")}
