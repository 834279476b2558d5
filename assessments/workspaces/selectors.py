"""Reads of the workspace tree for pages: one assessment with what every page shows of it,
and the systems and assessments shared with client staff."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from assessments.workspaces import access
from assessments.workspaces.models import (
    Assessment,
    Invitation,
    Membership,
    Role,
    System,
    Workspace,
    invitation_token_hash,
    roles_up_to,
)
from config.fragments import row_values


def assessment_for(user, assessment_id: int, action: str = access.VIEW) -> Assessment:
    """The assessment if ``user`` may do ``action`` on it (404/403 otherwise), with its system,
    workspace and bank version joined in: every assessment page shows them."""
    return access.get_for_user(user, ASSESSMENT_READ, action, pk=assessment_id)


def has_consultant() -> Exists:
    """Whether the assessment's workspace has a consultant: consultant notes are shown to its
    owners then (read with the assessment, which every page that shows them reads anyway)."""
    consultants = Membership.objects.filter(
        workspace=OuterRef("system__workspace"), role=Role.CONSULTANT
    )
    return Exists(consultants)


ASSESSMENT_READ = access.MemberRead(
    lambda: Assessment.objects.select_related("system__workspace", "bank_version").annotate(
        workspace_has_consultant=has_consultant()
    )
)


def assessment_rows(assessment: Assessment) -> tuple:
    """The assessment as ``assessment_for`` read it -- its row, the reader's role and scope,
    its system's and workspace's rows, its bank version -- as plain values: the start of
    every kept page's inputs (config/fragments.py). No query."""
    system = assessment.system
    return (
        row_values(assessment),
        (assessment.member_role, assessment.member_client_id, assessment.member_assessment_id),
        row_values(system),
        row_values(system.workspace),
        (assessment.bank_version_id, assessment.bank_version.content_hash),
    )


def shared_with(user) -> tuple[QuerySet, QuerySet]:
    """The assessments and systems ``user`` sees through memberships limited to a client or an
    assessment (client staff), in the order their home page lists them."""
    assessments = access.limited(
        access.scoped(
            Assessment.objects.select_related("system__client", "system__workspace"), user
        )
    ).order_by("system__workspace__name", "system__name", "-created_at", "pk")
    systems = access.limited(
        access.scoped(System.objects.select_related("client", "workspace"), user)
    ).order_by("workspace__name", "name", "pk")
    return assessments, systems


def workspace_systems(workspace: Workspace) -> QuerySet:
    """The workspace page's systems: grouped by client, with how many base URLs each has."""
    return (
        workspace.systems.select_related("client")
        .annotate(target_count=Count("targets"))
        .order_by("client__name", "name", "pk")
    )


def system_assessments(system: System) -> QuerySet:
    """A system's assessments, newest first, with how many questions each has answered."""
    return system.assessments.select_related("bank_version").annotate(answered=Count("answers"))


def members_of(workspace: Workspace) -> QuerySet:
    return workspace.memberships.select_related("user", "client", "assessment")


def members_who_can_see(assessment: Assessment) -> QuerySet:
    """The workspace's members who can open ``assessment`` (client staff limited to another
    client or assessment are left out), with their users, ordered by e-mail."""
    in_scope = (
        Q(client__isnull=True, assessment__isnull=True)
        | Q(assessment=assessment)
        | Q(client__isnull=False, client=assessment.system.client_id)
    )
    return (
        Membership.objects.filter(in_scope, workspace_id=assessment.system.workspace_id)
        .select_related("user")
        .order_by("user__email")
    )


def pending_invitations(workspace: Workspace, viewer_role: str) -> QuerySet:
    """Invitations neither accepted nor revoked (expired ones too: they say so on the page),
    for a role no higher than ``viewer_role``: nobody sees invitations above their own role."""
    return workspace.invitations.select_related("created_by", "client", "assessment").filter(
        accepted_at__isnull=True, revoked_at__isnull=True, role__in=roles_up_to(viewer_role)
    )


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link names, with what its page shows; None for an unknown link.
    Looked up by the token's hash: the table never holds the token itself."""
    invitations = Invitation.objects.select_related(
        "workspace", "created_by", "client", "assessment"
    )
    return invitations.filter(token_hash=invitation_token_hash(token)).first()


def invitation_scope_sentence(invitation: Invitation) -> str:
    """What the invited person will see, in words, for the invitation e-mail and page."""
    if invitation.assessment_id:
        assessment = invitation.assessment
        sentence = (
            f"You will work on the assessment “{assessment.title}” of the system "
            f"“{assessment.system.name}”"
        )
        if invitation.areas:
            titles = assessment.bank_version.area_titles()
            named = [
                titles.get(area, area.replace("_", " ").capitalize()) for area in invitation.areas
            ]
            sentence += f", answering these areas: {', '.join(named)}"
        return sentence + "."
    if invitation.client_id:
        return f"You will see the systems and assessments of the client “{invitation.client.name}”."
    return "You will see every system and assessment of the workspace."
