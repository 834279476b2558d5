"""The question bank as stored rows, assessments and their answers.

A bank version is loaded once and never changes, so an assessment keeps the exact questions
it was started with; a newer version is applied to an assessment only on request.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from assessments.bank import BAND_TITLES, BANDS
from assessments.bank import Option as BankOption
from assessments.bank import Question as BankQuestion
from assessments.bank import Recommendation as BankRecommendation
from assessments.models.workspaces import System

BAND_CHOICES = [(band, BAND_TITLES[band]) for band in BANDS]


class BankVersion(models.Model):
    version = models.CharField(max_length=40, unique=True)
    content_hash = models.CharField(max_length=64)
    areas = models.JSONField(help_text="Areas in display order: id, title, description.")
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at", "-pk"]

    def __str__(self):
        return f"Bank {self.version}"

    def area_titles(self) -> dict[str, str]:
        return {area["id"]: area["title"] for area in self.areas}


class QuestionQuerySet(models.QuerySet):
    def for_assessment(self, assessment) -> "QuestionQuerySet":
        """The assessment's bank version questions plus its workspace's custom questions."""
        return self.filter(
            models.Q(bank_version=assessment.bank_version_id)
            | models.Q(workspace=assessment.system.workspace_id)
        )

    def with_current_answer(self, assessment) -> "QuestionQuerySet":
        """Annotate ``current_answer``: the stored answer's audited fields and version (or
        None), read in the same query as the question so a save needs no extra read."""
        from django.db.models.functions import JSONObject

        current = Answer.objects.filter(assessment=assessment, question=models.OuterRef("pk"))
        snapshot = JSONObject(**{name: name for name in ANSWER_SNAPSHOT_FIELDS})
        return self.annotate(
            current_answer=models.Subquery(
                current.values(snapshot=snapshot)[:1], output_field=models.JSONField()
            )
        )


class Question(models.Model):
    """One question of one bank version, or a workspace's own custom question.

    Both carry everything needed to score them, so custom questions are scored like the rest.
    """

    workspace_path = "workspace"  # bank questions have none, so access lookups never reach them
    client_path = None  # custom questions are managed on a workspace page
    assessment_path = None

    bank_version = models.ForeignKey(
        BankVersion, on_delete=models.CASCADE, related_name="questions", null=True, blank=True
    )
    workspace = models.ForeignKey(
        "assessments.Workspace",
        on_delete=models.CASCADE,
        related_name="custom_questions",
        null=True,
        blank=True,
    )
    key = models.CharField(max_length=100, help_text="The stable id, e.g. database.backups.")
    area = models.CharField(max_length=40)
    position = models.PositiveIntegerField()
    text = models.TextField()
    help = models.TextField()
    weight = models.PositiveSmallIntegerField()
    critical = models.BooleanField(default=False)
    checks = models.JSONField(default=list)
    required = models.JSONField(help_text="Required maturity level per target band.")
    options = models.JSONField(help_text="Options: level, label, description.")
    recommendations = models.JSONField(default=list)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bank_version", "key"], name="unique_question_key"),
            models.UniqueConstraint(
                fields=["workspace", "key"],
                condition=models.Q(workspace__isnull=False),
                name="unique_custom_question_key",
            ),
            models.CheckConstraint(
                condition=models.Q(bank_version__isnull=True) ^ models.Q(workspace__isnull=True),
                name="question_in_bank_or_workspace",
            ),
        ]
        indexes = [models.Index(fields=["bank_version", "area", "position"])]

    def __str__(self):
        return self.key

    @property
    def dom_id(self) -> str:
        """An HTML id (and CSS selector) for this question's card; keys contain dots."""
        return "q-" + self.key.replace(".", "--")

    def option_levels(self) -> set[int]:
        return {option["level"] for option in self.options}

    def option_label(self, level: int | None) -> str:
        return next((o["label"] for o in self.options if o["level"] == level), "")

    def as_bank_question(self) -> BankQuestion:
        """The pure value the scoring and roadmap modules work with."""
        return BankQuestion(
            id=self.key,
            area=self.area,
            text=self.text,
            help=self.help,
            weight=self.weight,
            critical=self.critical,
            checks=tuple(self.checks),
            required=dict(self.required),
            options=tuple(BankOption(**option) for option in self.options),
            recommendations=tuple(
                BankRecommendation(
                    **{
                        **rec,
                        "levels": tuple(rec["levels"]),
                        "how": tuple(rec["how"]),
                        "depends_on": tuple(rec["depends_on"]),
                    }
                )
                for rec in self.recommendations
            ),
        )


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
    owner = models.CharField(max_length=120, blank=True)
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


class AuditEvent(models.Model):
    """Who changed what and when: answers, severity overrides, roadmap items. Append-only."""

    workspace_path = "workspace"
    client_path = None  # the audit log is a workspace page for consultants
    assessment_path = None

    class Kind(models.TextChoices):
        ANSWER = "answer", "Answer"
        OVERRIDE = "override", "Severity override"
        ROADMAP = "roadmap", "Roadmap item"
        ASSESSMENT = "assessment", "Assessment"

    workspace = models.ForeignKey(
        "assessments.Workspace", on_delete=models.CASCADE, related_name="audit_events"
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
