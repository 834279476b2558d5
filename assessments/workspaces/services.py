"""Write operations on accounts, workspaces, members, invitations, clients and systems."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from assessments.workspaces.access import LIMITED_ROLES
from assessments.workspaces.models import (
    AreaAssignment,
    Invitation,
    Membership,
    Role,
    System,
    Workspace,
)
from checks.models import Target


class InvitationUnusable(Exception):
    """An invitation link that can no longer be accepted; the message says why."""


class LastOwnerError(Exception):
    """A workspace must keep at least one owner."""


class LimitedRoleError(Exception):
    """Members limited to a client or an assessment are contributors or viewers only."""


@transaction.atomic
def user_signup(*, email: str, password: str, name: str = ""):
    """Create an account and its personal workspace, so a new user can start at once."""
    user = get_user_model().objects.create_user(
        username=email.lower(), email=email.lower(), password=password, first_name=name
    )
    label = name or email.split("@")[0]
    workspace_create(user=user, name=f"{label}'s workspace", is_personal=True)
    return user


@transaction.atomic
def workspace_create(*, user, name: str, is_personal: bool = False) -> Workspace:
    workspace = Workspace.objects.create(name=name, is_personal=is_personal)
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


def invitation_create(
    *,
    workspace: Workspace,
    created_by,
    role: str,
    email: str = "",
    client=None,
    assessment=None,
    areas: list[str] | None = None,
) -> Invitation:
    """An invitation link; ``client``/``assessment`` limit what the new member sees."""
    return Invitation.objects.create(
        workspace=workspace,
        created_by=created_by,
        role=role,
        email=email,
        client=client,
        assessment=assessment,
        areas=list(areas or []) if assessment else [],
    )


def invitation_revoke(invitation: Invitation) -> None:
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def invitation_problem(invitation: Invitation) -> str | None:
    """Why this invitation cannot be accepted, in words for the person holding the link."""
    if invitation.revoked_at:
        return "This invitation was revoked. Ask the workspace owner for a new link."
    if invitation.accepted_at:
        return "This invitation has already been used. Each link works once."
    if invitation.is_expired:
        when = timezone.localtime(invitation.expires_at).strftime("%d %b %Y %H:%M %Z")
        return f"This invitation expired on {when}. Ask the workspace owner for a new link."
    return None


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """Join the workspace; the row lock makes a link usable exactly once.

    The membership takes the invitation's scope (client or assessment), and the areas it
    lists are assigned to the new member (taking them over from any current assignee).
    Someone already in the workspace keeps their membership as it is and the link stays
    unused: one membership per person and workspace.
    """
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(token=token)
    problem = invitation_problem(invitation)
    if problem:
        raise InvitationUnusable(problem)
    membership, created = Membership.objects.get_or_create(
        workspace=invitation.workspace,
        user=user,
        defaults={
            "role": invitation.role,
            "client_id": invitation.client_id,
            "assessment_id": invitation.assessment_id,
        },
    )
    if not created:
        raise InvitationUnusable(f"You are already a member of {invitation.workspace}.")
    if invitation.assessment_id:
        for area in invitation.areas:
            AreaAssignment.objects.update_or_create(
                assessment_id=invitation.assessment_id, area=area, defaults={"user": user}
            )
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_by", "accepted_at"])
    return membership


@transaction.atomic
def membership_set_role(membership: Membership, role: str) -> None:
    if (membership.client_id or membership.assessment_id) and role not in LIMITED_ROLES:
        raise LimitedRoleError(
            f"{membership.user.email} is limited to a client or an assessment, so they can be "
            "a contributor or a viewer. Remove them and invite them again for another role."
        )
    if membership.role == Role.OWNER and role != Role.OWNER:
        ensure_another_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def membership_remove(membership: Membership) -> None:
    if membership.role == Role.OWNER:
        ensure_another_owner(membership)
    membership.delete()


def ensure_another_owner(membership: Membership) -> None:
    owners = Membership.objects.select_for_update().filter(
        workspace_id=membership.workspace_id, role=Role.OWNER
    )
    if not owners.exclude(pk=membership.pk).exists():
        raise LastOwnerError("A workspace needs at least one owner. Make someone else owner first.")


@transaction.atomic
def system_save(system: System, base_urls: list[str]) -> System:
    """Save a system and make its probe targets exactly ``base_urls`` (order kept)."""
    system.save()
    system.targets.exclude(url__in=base_urls).delete()
    existing = set(system.targets.values_list("url", flat=True))
    Target.objects.bulk_create(
        [Target(system=system, url=url) for url in base_urls if url not in existing]
    )
    return system
