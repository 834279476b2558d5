from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse

from assessments import access
from assessments.forms import ROLE_DESCRIPTIONS, InvitationForm, MembershipRoleForm, WorkspaceForm
from assessments.models import Assessment, Invitation, Membership, Role, System, Workspace
from assessments.workspaces import (
    InvitationUnusable,
    LastOwnerError,
    LimitedRoleError,
    invitation_accept,
    invitation_create,
    invitation_problem,
    invitation_revoke,
    membership_remove,
    membership_set_role,
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
    shared_assessments = access.limited(
        access.scoped(
            Assessment.objects.select_related("system__client", "system__workspace"), request.user
        )
    ).order_by("system__workspace__name", "system__name", "-created_at", "pk")
    shared_systems = access.limited(
        access.scoped(System.objects.select_related("client", "workspace"), request.user)
    ).order_by("workspace__name", "name", "pk")
    workspaces = access.scoped(Workspace, request.user)
    if shared_assessments or shared_systems:
        context = {
            "shared_assessments": shared_assessments,
            "shared_systems": shared_systems,
            "workspaces": workspaces,
        }
        return render(request, "assessments/home.html", context)
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
    return render(request, "assessments/workspace_form.html", {"form": form})


@login_required
def workspace_detail(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, pk=workspace_id)
    remember_workspace(request, workspace)
    systems = (
        workspace.systems.select_related("client")
        .annotate(target_count=Count("targets"))
        .order_by("client__name", "name", "pk")
    )
    page = Paginator(systems, SYSTEMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "workspace": workspace,
        "systems": page,
        "client_count": workspace.clients.count(),
        "can_edit": access.role_allows(workspace.member_role, access.EDIT),
        "can_consult": access.role_allows(workspace.member_role, access.CONSULT),
    }
    return render(request, "assessments/workspace_detail.html", context)


@login_required
def workspace_settings(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, access.MANAGE_MEMBERS, pk=workspace_id)
    form = WorkspaceForm(request.POST or None, instance=workspace)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Workspace renamed.")
        return redirect(workspace)
    return render(
        request, "assessments/workspace_form.html", {"form": form, "workspace": workspace}
    )


@login_required
def members(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, pk=workspace_id)
    can_manage = access.role_allows(workspace.member_role, access.MANAGE_MEMBERS)
    can_invite = access.role_allows(workspace.member_role, access.INVITE_CLIENT_STAFF)
    # "Invite client staff" on an assessment's page comes here with that assessment chosen.
    initial = {"assessment": request.GET.get("assessment")} if request.GET.get("assessment") else {}
    form = InvitationForm(
        request.POST or None, workspace=workspace, allow_unlimited=can_manage, initial=initial
    )
    if request.method == "POST":
        if not can_invite:
            raise PermissionDenied("Only owners and consultants can invite people.")
        if form.is_valid():
            invitation = invitation_create(
                workspace=workspace, created_by=request.user, **form.cleaned_data
            )
            link = request.build_absolute_uri(invitation.get_absolute_url())
            if invitation.email:
                send_invitation_email(request, invitation, link)
            messages.success(request, f"Invitation created. Share this link: {link}")
            return redirect("members", workspace.pk)
    context = {
        "workspace": workspace,
        "memberships": workspace.memberships.select_related("user", "client", "assessment"),
        "invitations": workspace.invitations.select_related(
            "created_by", "client", "assessment"
        ).filter(accepted_at__isnull=True, revoked_at__isnull=True),
        "form": form,
        "can_manage": can_manage,
        "can_invite": can_invite,
        "limited_roles": [role for role in Role if role in access.LIMITED_ROLES],
        "role_descriptions": ROLE_DESCRIPTIONS,
        "role_form": MembershipRoleForm(),
    }
    return render(request, "assessments/members.html", context)


def send_invitation_email(request, invitation: Invitation, link: str) -> None:
    send_mail(
        subject=f"You are invited to {invitation.workspace.name} on ScaleReady",
        message=(
            f"{request.user.get_full_name() or request.user.email} invited you to join "
            f"“{invitation.workspace.name}” as {invitation.get_role_display()}.\n\n"
            f"Accept here (the link works once, until {invitation.expires_at:%d %b %Y}):\n{link}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@login_required
def membership_role(request, membership_id):
    membership = access.get_for_user(
        request.user,
        Membership.objects.select_related("workspace", "user"),
        access.MANAGE_MEMBERS,
        pk=membership_id,
    )
    if request.method != "POST":
        return redirect("members", membership.workspace_id)
    form = MembershipRoleForm(request.POST, instance=Membership(role=membership.role))
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
    else:
        try:
            membership_set_role(membership, form.cleaned_data["role"])
            messages.success(
                request, f"{membership.user.email} is now {membership.get_role_display()}."
            )
        except (LastOwnerError, LimitedRoleError) as exc:
            messages.error(request, str(exc))
    return redirect("members", membership.workspace_id)


@login_required
def membership_delete(request, membership_id):
    membership = access.get_for_user(
        request.user,
        Membership.objects.select_related("user"),
        access.MANAGE_MEMBERS,
        pk=membership_id,
    )
    if request.method != "POST":
        return redirect("members", membership.workspace_id)
    try:
        membership_remove(membership)
        messages.success(request, f"{membership.user.email} no longer has access.")
    except LastOwnerError as exc:
        messages.error(request, str(exc))
    return redirect("members", membership.workspace_id)


@login_required
def invitation_revoke_view(request, invitation_id):
    invitation = access.get_for_user(
        request.user, Invitation, access.MANAGE_MEMBERS, pk=invitation_id
    )
    if request.method != "POST":
        return redirect("members", invitation.workspace_id)
    invitation_revoke(invitation)
    messages.success(request, "Invitation revoked; its link no longer works.")
    return redirect("members", invitation.workspace_id)


def invitation_accept_view(request, token):
    """Anyone holding the link may see what it offers; accepting needs an account."""
    invitation = (
        Invitation.objects.select_related("workspace", "created_by", "client", "assessment")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        return render(
            request,
            "assessments/invitation.html",
            {"problem": "This invitation link is not valid. Check that you copied all of it."},
            status=404,
        )
    problem = invitation_problem(invitation)
    context = {"invitation": invitation, "problem": problem}
    if problem:
        return render(request, "assessments/invitation.html", context, status=410)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={invitation.get_absolute_url()}")
        try:
            membership = invitation_accept(token=token, user=request.user)
        except InvitationUnusable as exc:
            context["problem"] = str(exc)
            return render(request, "assessments/invitation.html", context, status=410)
        messages.success(request, f"You joined {membership.workspace.name}.")
        if membership.assessment_id:
            return redirect("assessment_overview", membership.assessment_id)
        if membership.client_id:
            return redirect("home")
        return redirect(membership.workspace)
    return render(request, "assessments/invitation.html", context)
