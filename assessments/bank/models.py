"""The question bank as stored rows: a bank version is loaded once and never changes, so an
assessment keeps the exact questions it was started with. A workspace's own custom
questions are rows here too, scored like the rest.
"""

from django.db import models

from assessments.bank.domain.bank import BAND_TITLES, BANDS, critical_at
from assessments.bank.domain.bank import Option as BankOption
from assessments.bank.domain.bank import Question as BankQuestion
from assessments.bank.domain.bank import Recommendation as BankRecommendation


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
        return self.in_bank_or_workspace(assessment.bank_version_id, assessment.system.workspace_id)

    def in_bank_or_workspace(self, bank_version_id: int, workspace_id: int) -> "QuestionQuerySet":
        """``for_assessment`` by ids (a compiled read is built from ids)."""
        return self.filter(
            models.Q(bank_version=bank_version_id) | models.Q(workspace=workspace_id)
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
        "workspaces.Workspace",
        on_delete=models.CASCADE,
        related_name="custom_questions",
        null=True,
        blank=True,
    )
    key = models.CharField(max_length=100, help_text="The stable id, e.g. database.backups.")
    area = models.CharField(max_length=40)
    position = models.PositiveIntegerField()
    topic = models.CharField(
        max_length=60, blank=True, help_text="The practice in a few words, as findings name it."
    )
    text = models.TextField()
    help = models.TextField()
    weight = models.PositiveSmallIntegerField()
    critical_from = models.CharField(
        max_length=8,
        blank=True,
        choices=[(band, title) for band, title in BAND_TITLES.items()],
        help_text="The smallest target band at which a gap caps the verdict; blank: never.",
    )
    checks = models.JSONField(default=list)
    check_caps = models.JSONField(
        default=dict, blank=True, help_text="Check id -> status -> highest level it allows."
    )
    required = models.JSONField(help_text="Required maturity level per target band.")
    find_out = models.JSONField(
        default=list, blank=True, help_text="Steps that establish the true answer."
    )
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

    @property
    def critical(self) -> bool:
        """Critical at some target band (see ``is_critical_at``)."""
        return bool(self.critical_from)

    @critical.setter
    def critical(self, value: bool) -> None:
        """The boolean form rows were created with before bands: True means every band."""
        self.critical_from = BANDS[0] if value else ""

    def is_critical_at(self, band: str) -> bool:
        return critical_at(self.critical_from or None, band)

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
            topic=self.topic,
            find_out=tuple(self.find_out),
            critical_from=self.critical_from or None,
            check_caps={check: dict(caps) for check, caps in self.check_caps.items()},
        )
