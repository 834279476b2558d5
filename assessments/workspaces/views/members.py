"""The members page: roles, removals, invitation links and accepting them.

An invitation link is shown once, in the message after it is made (and e-mailed to the
invited address); the members page lists pending invitations without their links.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments.workspaces import access
from assessments.workspaces.forms import (
    ROLE_DESCRIPTIONS,
    InvitationForm,
    MembershipRoleForm,
)
from assessments.workspaces.models import (
    Invitation,
    Membership,
    Role,
    Workspace,
    person_name,
)
from assessments.workspaces.selectors import (
    invitation_by_token,
    invitation_scope_sentence,
    members_of,
    pending_invitations,
)
from assessments.workspaces.services import (
    InvitationForSomeoneElse,
    InvitationNotAllowed,
    InvitationUnusable,
    LastOwnerError,
    LimitedRoleError,
    invitation_accept,
    invitation_create,
    invitation_problem,
    invitation_revoke,
    membership_remove,
    membership_set_role,
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
            try:
                invitation, token, superseded = invitation_create(
                    workspace=workspace,
                    created_by=request.user,
                    inviter_role=workspace.member_role,
                    **form.cleaned_data,
                )
            except InvitationNotAllowed as exc:
                raise PermissionDenied(str(exc)) from None
            link = request.build_absolute_uri(reverse("invitation_accept", args=[token]))
            send_invitation_email(request, invitation, link)
            replaced = (
                f" The earlier link for {invitation.email} no longer works." if superseded else ""
            )
            messages.success(
                request,
                f"Invitation for {invitation.email} created and e-mailed. The link works only "
                f"for an account with that address, and is shown only now: {link}{replaced}",
            )
            return redirect("members", workspace.pk)
    context = {
        "workspace": workspace,
        "memberships": members_of(workspace),
        "invitations": pending_invitations(workspace, workspace.member_role),
        "form": form,
        "can_manage": can_manage,
        "can_invite": can_invite,
        "limited_roles": [role for role in Role if role in access.LIMITED_ROLES],
        "role_descriptions": ROLE_DESCRIPTIONS,
        "role_form": MembershipRoleForm(),
    }
    return render(request, "workspaces/members.html", context)


def send_invitation_email(request, invitation: Invitation, link: str) -> None:
    send_mail(
        subject=f"You are invited to {invitation.workspace.name} on ScaleReady",
        message=(
            f"{person_name(request.user)} invited you to join "
            f"“{invitation.workspace.name}” as {invitation.get_role_display()}. "
            f"{invitation_scope_sentence(invitation)}\n\n"
            f"Accept here (the link works once, until {invitation.expires_at:%d %b %Y}):\n{link}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


@login_required
@require_POST
def membership_role(request, membership_id):
    membership = access.get_for_user(
        request.user,
        Membership.objects.select_related("workspace", "user"),
        access.MANAGE_MEMBERS,
        pk=membership_id,
    )
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
@require_POST
def membership_delete(request, membership_id):
    membership = access.get_for_user(
        request.user,
        Membership.objects.select_related("user"),
        access.MANAGE_MEMBERS,
        pk=membership_id,
    )
    try:
        membership_remove(membership)
        messages.success(request, f"{membership.user.email} no longer has access.")
    except LastOwnerError as exc:
        messages.error(request, str(exc))
    return redirect("members", membership.workspace_id)


@login_required
@require_POST
def invitation_revoke_view(request, invitation_id):
    invitation = access.get_for_user(
        request.user, Invitation, access.MANAGE_MEMBERS, pk=invitation_id
    )
    invitation_revoke(invitation)
    messages.success(request, "Invitation revoked; its link no longer works.")
    return redirect("members", invitation.workspace_id)


def invitation_accept_view(request, token):
    """Anyone holding the link may see what it offers; accepting needs an account."""
    invitation = invitation_by_token(token)
    if invitation is None:
        return render(
            request,
            "workspaces/invitation.html",
            {"problem": "This invitation link is not valid. Check that you copied all of it."},
            status=404,
        )
    problem = invitation_problem(invitation)
    context = {"invitation": invitation, "problem": problem, "link": request.path}
    if problem:
        return render(request, "workspaces/invitation.html", context, status=410)
    signed_in = request.user.is_authenticated
    if signed_in and not invitation.is_for(request.user):
        # Said before anyone clicks: whom the link is for, and how to become that person.
        context["someone_else"] = True
        return render(request, "workspaces/invitation.html", context, status=403)
    if request.method == "POST":
        if not signed_in:
            return redirect(f"{reverse('login')}?next={request.path}")
        try:
            membership = invitation_accept(token=token, user=request.user)
        except InvitationForSomeoneElse:
            context["someone_else"] = True
            return render(request, "workspaces/invitation.html", context, status=403)
        except InvitationUnusable as exc:
            context["problem"] = str(exc)
            return render(request, "workspaces/invitation.html", context, status=410)
        messages.success(request, f"You joined {membership.workspace.name}.")
        if membership.assessment_id:
            return redirect("assessment_overview", membership.assessment_id)
        if membership.client_id:
            return redirect("home")
        return redirect(membership.workspace)
    return render(request, "workspaces/invitation.html", context)
