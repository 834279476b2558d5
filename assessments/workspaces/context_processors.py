from django.utils.functional import SimpleLazyObject

from assessments.workspaces import access
from assessments.workspaces.models import Workspace


def workspace_nav(request):
    """The signed-in user's workspaces for the switcher: one query, only if a page shows it.

    Lazy, so fragments that never show the menu (htmx partials) run no query; evaluated once
    per page, so ``workspace in nav_workspaces`` (does the workspace nav lead anywhere for
    this user? not for client staff limited to a client or an assessment) costs nothing more.
    Nothing here reads the session or the user until a page asks, so the error pages still
    render when the database is down.
    """
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"nav_workspaces": SimpleLazyObject(lambda: workspaces_of(user))}


def workspaces_of(user) -> list[Workspace]:
    if not user.is_authenticated:
        return []
    return list(access.scoped(Workspace, user).only("pk", "name"))
