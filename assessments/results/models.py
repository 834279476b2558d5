"""What consultants add to computed results: roadmap edits and reviews of findings."""

from django.conf import settings
from django.db import models

from assessments.workspaces.models import Assessment, Membership


class RoadmapStatus(models.TextChoices):
    TODO = "todo", "To do"
    DOING = "doing", "Doing"
    DONE = "done", "Done"


class RoadmapEntry(models.Model):
    """A consultant's edits to one roadmap item, or an item they added.

    Keyed by recommendation id, so edits survive re-scoring: the computed roadmap changes
    with answers and probes, the entry stays and is applied whenever the item is present.
    """

    workspace_path = "assessment__system__workspace"
    client_path = "assessment__system__client"
    assessment_path = "assessment"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="roadmap_entries"
    )
    key = models.CharField(max_length=140, help_text="Recommendation id, or custom-<n>.")
    position = models.PositiveIntegerField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=500, blank=True)
    # The owner is a member of the workspace; ``owner`` keeps their name as it was when they
    # were picked, so exports, the PDF and the audit log keep it after they leave (the link
    # is then cleared). Entries from before members were linked may hold a name only.
    owner = models.CharField(max_length=120, blank=True)
    owner_member = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=RoadmapStatus.choices, default=RoadmapStatus.TODO
    )
    # Custom items only:
    is_custom = models.BooleanField(default=False)
    title = models.CharField(max_length=200, blank=True)
    why = models.TextField(blank=True, max_length=2000)
    phase = models.PositiveSmallIntegerField(null=True, blank=True)
    effort = models.CharField(max_length=1, blank=True)
    impact = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "key"], name="one_entry_per_item")
        ]

    def __str__(self):
        return self.key

    @property
    def owner_value(self) -> str:
        """What the owner picker holds for this entry: the member's e-mail, or the name typed
        before owners were members (load ``owner_member__user`` with the entries)."""
        return self.owner_member.user.email if self.owner_member_id else self.owner


class FindingReview(models.Model):
    """A consultant's view of one finding (a gap on one question): an optional severity
    override with its reason, and notes clients never see."""

    workspace_path = "assessment__system__workspace"
    client_path = "assessment__system__client"
    assessment_path = "assessment"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="finding_reviews"
    )
    question_key = models.CharField(max_length=100)
    severity = models.CharField(
        max_length=10, blank=True, help_text="Overridden severity; empty keeps the computed one."
    )
    reason = models.TextField(blank=True, max_length=2000)
    consultant_notes = models.TextField(blank=True, max_length=5000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question_key"], name="one_review_per_finding"
            ),
            models.CheckConstraint(
                condition=models.Q(severity="") | ~models.Q(reason=""),
                name="severity_override_has_reason",
            ),
        ]

    def __str__(self):
        return f"Review of {self.question_key} in {self.assessment_id}"
