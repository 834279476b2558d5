"""Answers to an assessment's questions, one row per question, versioned against lost edits.

The limits of ``domain/answer_limits.py`` hold here twice: as field validators (the model
boundary, for anything that validates a model) and as database constraints (for anything
that writes rows, bulk imports included).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from assessments.bank.models import Question
from assessments.questionnaire.domain.answer_limits import (
    MAX_CONSULTANT_NOTES,
    MAX_EVIDENCE_LINKS,
    MAX_NA_REASON,
    MAX_NOTES,
    evidence_link_problems,
)
from assessments.workspaces.models import Assessment

# What the audit log records of an answer before and after a save ...
AUDITED_ANSWER_FIELDS = ("state", "level", "na_reason", "notes", "evidence_links")
# ... and what a save reads of the answer it replaces.
ANSWER_SNAPSHOT_FIELDS = (*AUDITED_ANSWER_FIELDS, "version", "carried_over")


def validate_evidence_links(links) -> None:
    if problems := evidence_link_problems(links):
        raise ValidationError([f"{p[0].upper()}{p[1:]}." for p in problems])


class JSONArrayLength(models.Func):
    """The number of items of a JSON array column (SQLite and PostgreSQL spell it apart)."""

    function = "json_array_length"
    output_field = models.IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="jsonb_array_length", **extra_context)


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
    na_reason = models.TextField(blank=True, max_length=MAX_NA_REASON)
    notes = models.TextField(blank=True, max_length=MAX_NOTES)
    evidence_links = models.JSONField(
        default=list, blank=True, validators=[validate_evidence_links]
    )
    consultant_notes = models.TextField(
        blank=True,
        max_length=MAX_CONSULTANT_NOTES,
        help_text="Seen by owners and consultants only.",
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
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("na_reason"), MAX_NA_REASON),
                name="answer_na_reason_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("notes"), MAX_NOTES),
                name="answer_notes_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("consultant_notes"), MAX_CONSULTANT_NOTES),
                name="answer_consultant_notes_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(JSONArrayLength("evidence_links"), MAX_EVIDENCE_LINKS),
                name="answer_evidence_links_count",
            ),
        ]

    def __str__(self):
        return f"{self.question_id}: {self.state} {self.level}"
