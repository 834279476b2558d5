"""Answers to an assessment's questions, one row per question, versioned against lost edits."""

from django.conf import settings
from django.db import models

from assessments.bank.models import Question
from assessments.workspaces.models import Assessment

# What the audit log records of an answer before and after a save ...
AUDITED_ANSWER_FIELDS = ("state", "level", "na_reason", "notes", "evidence_links")
# ... and what a save reads of the answer it replaces.
ANSWER_SNAPSHOT_FIELDS = (*AUDITED_ANSWER_FIELDS, "version", "carried_over")


class AnswerState(models.TextChoices):
    LEVEL = "level", "Answered"
    NOT_APPLICABLE = "na", "Not applicable"
    UNKNOWN = "unknown", "Don't know"


class Answer(models.Model):
    """The current answer to one question; ``version`` guards against lost concurrent edits."""

    workspace_path = "assessment__system__workspace"
    client_path = "assessment__system__client"
    assessment_path = "assessment"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    state = models.CharField(max_length=10, choices=AnswerState.choices)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    na_reason = models.TextField(blank=True, max_length=1000)
    notes = models.TextField(blank=True, max_length=5000)
    evidence_links = models.JSONField(default=list, blank=True)
    consultant_notes = models.TextField(
        blank=True, max_length=5000, help_text="Seen by owners and consultants only."
    )
    carried_over = models.BooleanField(
        default=False, help_text="Copied from the previous assessment and not confirmed yet."
    )
    version = models.PositiveIntegerField(default=1)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="one_answer_per_question"
            ),
            models.CheckConstraint(
                condition=models.Q(state="level", level__isnull=False)
                | ~models.Q(state="level") & models.Q(level__isnull=True),
                name="level_only_when_answered",
            ),
        ]

    def __str__(self):
        return f"{self.question_id}: {self.state} {self.level}"
