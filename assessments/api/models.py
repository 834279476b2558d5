"""Workspace API tokens, and the probe run a team accepted as the baseline of its CI gate."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.workspaces.models import Role, Workspace


class ApiToken(models.Model):
    """A credential for the API, scoped to one workspace and a role.

    Only the SHA-256 of the secret is stored; the secret is shown once, when it is made. The
    token acts for the owner who made it, with the lower of its role and theirs: a maker who
    leaves the workspace or loses their role takes the token's rights with them.
    """

    workspace_path = "workspace"
    client_path = None  # limited members never manage tokens
    assessment_path = None

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What uses it, e.g. “GitHub Actions”.")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False)  # shown to tell tokens apart
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.name

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and timezone.now() >= self.expires_at

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class AcceptedRun(models.Model):
    """The probe run of a system its team accepted: the CI gate reports regressions against
    it. One per system; accepting another run replaces it."""

    workspace_path = "system__workspace"
    client_path = "system__client"
    assessment_path = None

    system = models.OneToOneField(
        "workspaces.System", on_delete=models.CASCADE, related_name="accepted_run"
    )
    run = models.ForeignKey("checks.ProbeRun", on_delete=models.CASCADE, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Accepted run of {self.system}"


class BacklogExport(models.Model):
    """The last export of one roadmap item to a tracker format, by its stable finding id
    (system + recommendation), so every assessment of the system shares it."""

    workspace_path = "system__workspace"
    client_path = "system__client"
    assessment_path = None

    system = models.ForeignKey(
        "workspaces.System", on_delete=models.CASCADE, related_name="backlog_exports"
    )
    key = models.CharField(max_length=140)  # the recommendation id (or custom item key)
    finding_id = models.CharField(max_length=200)
    format = models.CharField(max_length=20)  # jira_csv / github_json
    content_hash = models.CharField(max_length=64)
    first_exported_at = models.DateTimeField(auto_now_add=True)
    exported_at = models.DateTimeField()
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["system", "key", "format"], name="one_export_per_item_and_format"
            )
        ]

    def __str__(self):
        return self.finding_id
