from django.utils.functional import SimpleLazyObject

from assessments.workspaces import access
from assessments.workspaces.models import Workspace
from config.compiled import CompiledRows


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


# Every page with the layout reads these: compiled once (config/fragments.py).
nav_rows = CompiledRows(
    lambda user_id: access.scoped_for_member(Workspace.objects.all(), user_id).values_list(
        "pk", "name", "member_role"
    )
)


def workspaces_of(user) -> list[Workspace]:
    """The workspaces the switcher lists, each with the user's role in it."""
    if not user.is_authenticated:
        return []
    workspaces = []
    for pk, name, role in nav_rows(user.pk):
        workspace = Workspace(pk=pk, name=name)
        workspace.member_role = role
        workspaces.append(workspace)
    return workspaces
