"""The audit log's rows: who changed what and when. Append-only."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.workspaces.models import Assessment


class AuditEvent(models.Model):
    """Who changed what and when: answers, severity overrides, roadmap items, assessments,
    API tokens, system settings, probe runs asked for. Append-only."""

    workspace_path = "workspace"
    client_path = None  # the audit log is a workspace page for consultants
    assessment_path = None

    class Kind(models.TextChoices):
        ANSWER = "answer", "Answer"
        OVERRIDE = "override", "Severity override"
        ROADMAP = "roadmap", "Roadmap item"
        ASSESSMENT = "assessment", "Assessment"
        ACCESS = "access", "API token"
        SYSTEM = "system", "System settings"
        PROBE = "probe", "Probe run"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="audit_events"
    )
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    subject = models.CharField(max_length=200, help_text="Question key, roadmap key, …")
    summary = models.CharField(max_length=500)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["workspace", "-at"], name="audit_by_workspace_time")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.subject}"
