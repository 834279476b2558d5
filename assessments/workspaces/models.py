"""Who owns what: workspaces, their members and invitations, clients, systems and the dated
assessments of a system, and who answers which area of an assessment.

Every workspace-owned model names the path from itself to its workspace in
``workspace_path`` (and to a client and an assessment in ``client_path`` and
``assessment_path``); ``assessments.workspaces.access`` uses them to scope every lookup.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from assessments.bank.domain.bank import BAND_TITLES, BANDS
from assessments.bank.models import BankVersion
from assessments.workspaces.domain.secrets import secret_hash

MAX_USERS = 10_000_000_000  # beyond every real product; larger numbers are typos
MAX_PEAK_RPS = 10_000_000
INVITATION_LIFETIME = timedelta(days=7)


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    CONSULTANT = "consultant", "Consultant"
    CONTRIBUTOR = "contributor", "Contributor"
    VIEWER = "viewer", "Viewer"


# Higher ranks can do more; nobody invites, or sees invitations for, a role above their own.
ROLE_RANK = {Role.VIEWER: 0, Role.CONTRIBUTOR: 1, Role.CONSULTANT: 2, Role.OWNER: 3}


def roles_up_to(role: str) -> list[str]:
    """``role`` and the roles below it."""
    return [other for other, rank in ROLE_RANK.items() if rank <= ROLE_RANK.get(role, -1)]


def person_name(user) -> str:
    """How pages, exports and the audit log name a person: their name, else their e-mail."""
    return user.get_full_name() or user.email


def normalise_email(email: str) -> str:
    """How addresses are compared: accounts and invitations store them this way."""
    return (email or "").strip().lower()


class Workspace(models.Model):
    """A team or a consultancy: the unit of ownership and access."""

    workspace_path = "pk"
    client_path = None  # limited members never see workspace pages
    assessment_path = None

    name = models.CharField(max_length=120)
    is_personal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("workspace_detail", args=[self.pk])


class Membership(models.Model):
    workspace_path = "workspace"
    client_path = None
    assessment_path = None

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    # A client's staff invited by a consultant see only one client or one assessment:
    # both empty means the whole workspace (see ``assessments.workspaces.access``).
    client = models.ForeignKey(
        "Client", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    assessment = models.ForeignKey(
        "Assessment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user"),
            models.CheckConstraint(
                condition=models.Q(client__isnull=True) | models.Q(assessment__isnull=True),
                name="membership_limited_to_one_scope",
            ),
        ]
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.user} in {self.workspace} ({self.role})"


def new_invitation_token() -> str:
    """The secret in an invitation link: shown once when created, stored only as its hash."""
    return secrets.token_urlsafe(32)


# The link's token is stored only as its hash, the same way as API tokens.
invitation_token_hash = secret_hash


def default_invitation_expiry():
    return timezone.now() + INVITATION_LIFETIME


class Invitation(models.Model):
    """A single-use link that adds the person it names (by e-mail address) to a workspace.

    Only the SHA-256 of the link's token is stored: the link itself is shown once, to the
    person who creates it, and e-mailed to the invited address.
    """

    workspace_path = "workspace"
    client_path = None
    assessment_path = None

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CONTRIBUTOR)
    # Scope and assigned areas handed to the membership the invitation creates.
    client = models.ForeignKey(
        "Client", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    assessment = models.ForeignKey(
        "Assessment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    areas = models.JSONField(
        default=list, blank=True, help_text="Area ids assigned on acceptance (with assessment)."
    )
    # Only an account with this address may accept (empty on invitations made before
    # addresses were required: those can no longer be accepted).
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=default_invitation_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Invitation to {self.workspace} as {self.role}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    def is_for(self, user) -> bool:
        """Whether ``user``'s address is the invited one (case and spaces aside)."""
        invited = normalise_email(self.email)
        return bool(invited) and invited == normalise_email(getattr(user, "email", ""))


class Client(models.Model):
    """An optional grouping of systems, e.g. a consultancy's customer."""

    workspace_path = "workspace"
    client_path = "pk"
    assessment_path = None

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(max_length=120)
    notes = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_client_name")
        ]

    def __str__(self):
        return self.name


class System(models.Model):
    """A product or service whose readiness to scale is assessed."""

    workspace_path = "workspace"
    client_path = "client"  # an assessment's scope shows the system's name, not its page
    assessment_path = None

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="systems")
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="systems"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    current_users = models.PositiveBigIntegerField(validators=[MaxValueValidator(MAX_USERS)])
    target_users = models.PositiveBigIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_USERS)]
    )
    peak_rps = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PEAK_RPS)],
        help_text="Peak requests per second today, if you know it.",
    )
    requests_per_user_per_minute = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(10_000)],
        help_text="Requests each online user makes per minute; blank uses the documented default.",
    )
    peak_factor = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="How much higher short spikes are than the busy hour; blank uses the default.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("system_detail", args=[self.pk])


BAND_CHOICES = [(band, BAND_TITLES[band]) for band in BANDS]


class AssessmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"


class Assessment(models.Model):
    workspace_path = "system__workspace"
    client_path = "system__client"
    assessment_path = "pk"

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="assessments")
    bank_version = models.ForeignKey(BankVersion, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    band = models.CharField(
        "target scale",
        max_length=8,
        choices=BAND_CHOICES,
        help_text="The scale readiness is judged against.",
    )
    status = models.CharField(
        max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.IN_PROGRESS
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    roadmap_seen = models.JSONField(
        null=True,
        blank=True,
        help_text="Roadmap item keys at the last review, to say what appeared or disappeared.",
    )
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_into",
        help_text="The earlier assessment whose answers this one started from (a milestone).",
    )
    include_consultant_notes = models.BooleanField(
        default=False, help_text="Print consultant-only notes in the PDF report."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("assessment_overview", args=[self.pk])

    @property
    def is_submitted(self) -> bool:
        return self.status == AssessmentStatus.SUBMITTED


class AreaAssignment(models.Model):
    """Who answers an area of an assessment (typically a contributor)."""

    workspace_path = "assessment__system__workspace"
    client_path = "assessment__system__client"
    assessment_path = "assessment"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="assignments")
    area = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "area"], name="one_assignee_per_area")
        ]

    def __str__(self):
        return f"{self.area} → {self.user}"
