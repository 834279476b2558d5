"""The home page, and creating, opening and renaming workspaces."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from assessments.workspaces import access
from assessments.workspaces.forms import (
    WorkspaceForm,
)
from assessments.workspaces.models import (
    Workspace,
)
from assessments.workspaces.selectors import (
    shared_with,
    workspace_systems,
)
from assessments.workspaces.services import (
    workspace_create,
)

CURRENT_WORKSPACE_KEY = "workspace_id"
SYSTEMS_PER_PAGE = 50


def remember_workspace(request, workspace: Workspace) -> None:
    if request.session.get(CURRENT_WORKSPACE_KEY) != workspace.pk:  # avoid a session write
        request.session[CURRENT_WORKSPACE_KEY] = workspace.pk


@login_required
def home(request):
    """Send the user to the workspace they used last, or their first one.

    Client staff (memberships limited to a client or an assessment) cannot open workspace
    pages, so they land on a list of the systems and assessments they were given.
    """
    shared_assessments, shared_systems = shared_with(request.user)
    workspaces = access.scoped(Workspace, request.user)
    if shared_assessments or shared_systems:
        context = {
            "shared_assessments": shared_assessments,
            "shared_systems": shared_systems,
            "workspaces": workspaces,
        }
        return render(request, "workspaces/home.html", context)
    last = workspaces.filter(pk=request.session.get(CURRENT_WORKSPACE_KEY)).first()
    workspace = last or workspaces.first()
    if workspace is None:
        return redirect("workspace_create")
    return redirect(workspace)


@login_required
def workspace_create_view(request):
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = workspace_create(user=request.user, name=form.cleaned_data["name"])
        messages.success(request, f"Workspace “{workspace.name}” created.")
        return redirect(workspace)
    return render(request, "workspaces/workspace_form.html", {"form": form})


@login_required
def workspace_detail(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, pk=workspace_id)
    remember_workspace(request, workspace)
    page = Paginator(workspace_systems(workspace), SYSTEMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "workspace": workspace,
        "systems": page,
        "client_count": workspace.clients.count(),
        "can_edit": access.role_allows(workspace.member_role, access.EDIT),
        "can_consult": access.role_allows(workspace.member_role, access.CONSULT),
    }
    return render(request, "workspaces/workspace_detail.html", context)


@login_required
def workspace_settings(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, access.MANAGE_MEMBERS, pk=workspace_id)
    form = WorkspaceForm(request.POST or None, instance=workspace)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Workspace renamed.")
        return redirect(workspace)
    return render(request, "workspaces/workspace_form.html", {"form": form, "workspace": workspace})
