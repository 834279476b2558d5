"""Write operations on accounts, workspaces, members, invitations, clients and systems."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from assessments.workspaces.access import LIMITED_ROLES
from assessments.workspaces.models import (
    AreaAssignment,
    Invitation,
    Membership,
    Role,
    System,
    Workspace,
    invitation_token_hash,
    new_invitation_token,
    normalise_email,
)
from checks.models import Target


class InvitationUnusable(Exception):
    """An invitation link that can no longer be accepted; the message says why."""


class InvitationForSomeoneElse(InvitationUnusable):
    """The signed-in account's address is not the invited one."""


class InvitationNotAllowed(Exception):
    """The inviter's role may not invite to this role."""


class LastOwnerError(Exception):
    """A workspace must keep at least one owner."""


class LimitedRoleError(Exception):
    """Members limited to a client or an assessment are contributors or viewers only."""


@transaction.atomic
def user_signup(*, email: str, password: str, name: str = ""):
    """Create an active account and its personal workspace (the demo and the admin's way;
    people signing up go through ``signup_request`` and confirm their address)."""
    email = normalise_email(email)
    user = get_user_model().objects.create_user(
        username=email, email=email, password=password, first_name=name
    )
    personal_workspace_create(user)
    return user


def personal_workspace_create(user) -> Workspace:
    label = user.first_name or user.email.split("@")[0]
    return workspace_create(user=user, name=f"{label}'s workspace", is_personal=True)


class SignupTokenGenerator(PasswordResetTokenGenerator):
    """Links that confirm a sign-up: they die once the account is active, when another
    sign-up for the address sets a new password, and after ``PASSWORD_RESET_TIMEOUT``."""

    key_salt = "scaleready.signup-confirmation"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


signup_tokens = SignupTokenGenerator()


def signup_request(
    *, email: str, password: str, name: str, link_for: Callable[[str, str], str]
) -> None:
    """Answer a sign-up the same way whether the address has an account or not.

    A new address gets an inactive account and an e-mail with a link that confirms it
    (``link_for(uidb64, token)``). An address with an account gets an e-mail telling its owner
    that someone tried to sign up with it; nothing changes. An address that signed up but never
    confirmed takes the new password (an earlier sign-up by someone else cannot keep it) and a
    fresh link. Both branches hash a password, so they take about as long.
    """
    email = normalise_email(email)
    users = get_user_model().objects
    user = users.filter(username=email).first()
    if user is not None and user.is_active:
        make_password(password)  # the time the other branch spends hashing
        _signup_mail(email, "registration/signup_exists_email.txt", {"email": email})
        return
    if user is None:
        user = users.create_user(
            username=email, email=email, password=password, first_name=name, is_active=False
        )
    else:
        user.set_password(password)
        user.first_name = name
        user.save(update_fields=["password", "first_name"])
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    link = link_for(uidb64, signup_tokens.make_token(user))
    _signup_mail(email, "registration/signup_confirm_email.txt", {"email": email, "link": link})


def _signup_mail(email: str, template: str, context: dict) -> None:
    send_mail(
        subject="Your ScaleReady account",
        message=render_to_string(template, context),
        from_email=None,
        recipient_list=[email],
    )


def signup_user_for_link(uidb64: str, token: str):
    """The inactive account a confirmation link names, or None when the link is not valid."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=False).first()
    if user is None or not signup_tokens.check_token(user, token):
        return None
    return user


@transaction.atomic
def signup_confirm(user):
    """Activate a confirmed account and give it its personal workspace."""
    user.is_active = True
    user.save(update_fields=["is_active"])
    personal_workspace_create(user)
    return user


def password_reset_allowed(email: str, ip_address: str) -> bool:
    """Count a password-reset request; False once the address or the client address has
    asked ``PASSWORD_RESET_LIMIT_PER_*`` times in ``PASSWORD_RESET_WINDOW_SECONDS``.

    Counters live in the shared cache, so every web process sees the same counts.
    """
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    counters = (
        (
            f"password-reset:address:{normalise_email(email)}",
            settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
        ),
        (f"password-reset:ip:{ip_address}", settings.PASSWORD_RESET_LIMIT_PER_IP),
    )
    allowed = True
    for key, limit in counters:
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: a fresh window
            cache.set(key, 1, timeout=window)
            count = 1
        allowed = allowed and count <= limit
    return allowed


@transaction.atomic
def workspace_create(*, user, name: str, is_personal: bool = False) -> Workspace:
    workspace = Workspace.objects.create(name=name, is_personal=is_personal)
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    return workspace


@transaction.atomic
def invitation_create(
    *,
    workspace: Workspace,
    created_by,
    inviter_role: str,
    role: str,
    email: str,
    client=None,
    assessment=None,
    areas: list[str] | None = None,
) -> tuple[Invitation, str, int]:
    """An invitation for ``email``; ``client``/``assessment`` limit what the new member sees.

    Returns the invitation, its token (the only time it exists in plain text: the table keeps
    its hash) and how many earlier pending invitations to the same address it replaced: one
    address has one working link, so inviting again is how a lost link is re-sent. Owners
    invite anyone; consultants invite client staff only (contributors or viewers limited to a
    client or an assessment), and replace only invitations they could have made.
    """
    if inviter_role != Role.OWNER and not (
        inviter_role == Role.CONSULTANT and role in LIMITED_ROLES and (client or assessment)
    ):
        raise InvitationNotAllowed(
            "Only owners invite people to the whole workspace or as owners and consultants; "
            "consultants invite client staff (contributors or viewers) to a client or an "
            "assessment."
        )
    email = normalise_email(email)
    superseded = Invitation.objects.filter(
        workspace=workspace,
        email=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        role__in=Role.values if inviter_role == Role.OWNER else LIMITED_ROLES,
    ).update(revoked_at=timezone.now())
    token = new_invitation_token()
    invitation = Invitation.objects.create(
        workspace=workspace,
        created_by=created_by,
        role=role,
        email=email,
        token_hash=invitation_token_hash(token),
        client=client,
        assessment=assessment,
        areas=list(areas or []) if assessment else [],
    )
    return invitation, token, superseded


def invitation_revoke(invitation: Invitation) -> None:
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def invitation_problem(invitation: Invitation) -> str | None:
    """Why this invitation cannot be accepted, in words for the person holding the link."""
    if not invitation.email:
        return (
            "This invitation names no e-mail address, so nobody can accept it. "
            "Ask the workspace owner for a new link."
        )
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

    Only the account whose address the invitation names may accept it. The membership takes
    the invitation's scope (client or assessment), and the areas it lists are assigned to the
    new member (taking them over from any current assignee). Someone already in the workspace
    keeps their membership as it is and the link stays unused: one membership per person and
    workspace.
    """
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("workspace")
        .get(token_hash=invitation_token_hash(token))
    )
    problem = invitation_problem(invitation)
    if problem:
        raise InvitationUnusable(problem)
    if not invitation.is_for(user):
        raise InvitationForSomeoneElse(invitation_someone_else_message(invitation, user))
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


def invitation_someone_else_message(invitation: Invitation, user) -> str:
    return (
        f"This invitation is for {invitation.email}, and you are signed in as {user.email}. "
        f"Log out, then log in (or create an account) as {invitation.email} and open the "
        "link again. If that is not your address, ask the person who invited you for a link "
        "to your own."
    )


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
