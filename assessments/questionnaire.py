"""Questionnaire operations: start, answer (with optimistic versions), submit, import/export.

Views call these functions and turn their exceptions into messages; nothing here renders.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from assessments import access, answers_format
from assessments.answers_format import AnswersFileInvalid, parse_answers_file
from assessments.bank import BANDS
from assessments.bank.diff import BankDiff, diff_questions
from assessments.models import (
    Answer,
    AnswerState,
    AreaAssignment,
    Assessment,
    AssessmentStatus,
    BankVersion,
    Question,
    Role,
)

MAX_EVIDENCE_LINKS = 10


@dataclass(frozen=True)
class AnswerInput:
    state: str
    level: int | None = None
    na_reason: str = ""
    notes: str = ""
    evidence_links: tuple[str, ...] = ()


class AnswerConflict(Exception):
    """Someone saved this answer after the version the edit was based on."""

    def __init__(self, current: Answer | None):
        self.current = current
        super().__init__("This answer was changed by someone else.")


class AnswersImportError(Exception):
    """An answers file that cannot be applied; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class AreaProgress:
    id: str
    title: str
    description: str
    total: int
    answered: int
    assignee: str | None
    assigned_to_me: bool

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100


# --- Starting and finishing ------------------------------------------------------------------


def assessment_start(
    *, system, user, bank_version: BankVersion, band: str, title: str
) -> Assessment:
    if band not in BANDS:
        raise ValueError(f"unknown band {band!r}")
    return Assessment.objects.create(
        system=system, bank_version=bank_version, band=band, title=title, created_by=user
    )


def assessment_submit(assessment: Assessment, user) -> None:
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.submitted_by = user
    assessment.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])


def assessment_reopen(assessment: Assessment) -> None:
    assessment.status = AssessmentStatus.IN_PROGRESS
    assessment.save(update_fields=["status", "updated_at"])


# --- Who may answer what ----------------------------------------------------------------------


def answer_refusal(assessment: Assessment, user, role: str, assignee_id: int | None) -> str | None:
    """Why ``user`` may not answer a question of this area, or None when they may."""
    if assessment.is_submitted:
        return (
            "This assessment was submitted, so answers are read-only. "
            "An owner or consultant can reopen it."
        )
    if not access.role_allows(role, access.ANSWER):
        return "Viewers can read answers but not change them."
    if role == Role.CONTRIBUTOR and assignee_id != user.pk:
        return "This area is not assigned to you. Ask an owner or consultant to assign it."
    return None


def area_assignees(assessment: Assessment) -> dict[str, AreaAssignment]:
    return {a.area: a for a in assessment.assignments.select_related("user")}


def assignment_set(assessment: Assessment, area: str, user) -> None:
    if user is None:
        AreaAssignment.objects.filter(assessment=assessment, area=area).delete()
        return
    AreaAssignment.objects.update_or_create(
        assessment=assessment, area=area, defaults={"user": user}
    )


# --- Saving answers -----------------------------------------------------------------------------


def answer_fields(data: AnswerInput, user) -> dict:
    return {
        "state": data.state,
        "level": data.level if data.state == AnswerState.LEVEL else None,
        "na_reason": data.na_reason if data.state == AnswerState.NOT_APPLICABLE else "",
        "notes": data.notes,
        "evidence_links": list(data.evidence_links),
        "answered_by": user,
        "answered_at": timezone.now(),
    }


def answer_save(
    *, assessment: Assessment, question: Question, user, data: AnswerInput, base_version: int
) -> Answer:
    """Save an answer only if nobody changed it since ``base_version`` (0: not answered yet)."""
    fields = answer_fields(data, user)
    lookup = {"assessment": assessment, "question": question}
    if base_version == 0:
        try:
            with transaction.atomic():
                return Answer.objects.create(**lookup, version=1, **fields)
        except IntegrityError:
            raise AnswerConflict(current_answer(assessment, question)) from None
    updated = Answer.objects.filter(**lookup, version=base_version).update(
        version=F("version") + 1, **fields
    )
    if not updated:
        raise AnswerConflict(current_answer(assessment, question))
    return Answer(**lookup, version=base_version + 1, **fields)


def current_answer(assessment: Assessment, question: Question) -> Answer | None:
    return (
        Answer.objects.select_related("answered_by")
        .filter(assessment=assessment, question=question)
        .first()
    )


# --- Reading progress -----------------------------------------------------------------------------


def area_progress(assessment: Assessment, user) -> list[AreaProgress]:
    """Each area's answered/total counts and assignee, in bank order; three queries."""
    totals = dict(
        Question.objects.for_assessment(assessment).values_list("area").annotate(n=Count("id"))
    )
    answered = dict(assessment.answers.values_list("question__area").annotate(n=Count("id")))
    assignees = area_assignees(assessment)
    progress = []
    for area in assessment.bank_version.areas:
        assignment = assignees.get(area["id"])
        progress.append(
            AreaProgress(
                id=area["id"],
                title=area["title"],
                description=area["description"],
                total=totals.get(area["id"], 0),
                answered=answered.get(area["id"], 0),
                assignee=assignment.user.get_full_name() or assignment.user.email
                if assignment
                else None,
                assigned_to_me=bool(assignment and assignment.user_id == user.pk),
            )
        )
    return progress


def first_unanswered(assessment: Assessment, area_order: list[str]) -> tuple[str, str] | None:
    """The (area, question key) to resume at: the first question without an answer."""
    answered = set(assessment.answers.values_list("question_id", flat=True))
    questions = Question.objects.for_assessment(assessment).values_list("pk", "area", "key")
    rank = {area: i for i, area in enumerate(area_order)}
    pending = [
        (rank.get(area, len(rank)), pk, area, key)
        for pk, area, key in questions
        if pk not in answered
    ]
    if not pending:
        return None
    _, _, area, key = min(pending)
    return area, key


# --- Export and import ----------------------------------------------------------------------------


def answers_export(assessment: Assessment) -> dict:
    answers = assessment.answers.select_related("question").order_by("question__key")
    return {
        "format": answers_format.FORMAT,
        "format_version": answers_format.FORMAT_VERSION,
        "bank_version": assessment.bank_version.version,
        "band": assessment.band,
        "system": assessment.system.name,
        "assessment": assessment.title,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "answers": [
            {
                "question": a.question.key,
                "state": a.state,
                "level": a.level,
                "na_reason": a.na_reason,
                "notes": a.notes,
                "evidence_links": list(a.evidence_links),
            }
            for a in answers
        ],
    }


def parse_answers_document(document, assessment: Assessment) -> dict[str, AnswerInput]:
    """Validate a whole answers file against the assessment; every problem is reported."""
    option_levels = {q.key: q.option_levels() for q in Question.objects.for_assessment(assessment)}
    try:
        rows = parse_answers_file(
            document, bank_version=assessment.bank_version.version, option_levels=option_levels
        )
    except AnswersFileInvalid as exc:
        raise AnswersImportError(exc.problems) from None
    return {
        key: AnswerInput(
            state=row.state,
            level=row.level,
            na_reason=row.na_reason,
            notes=row.notes,
            evidence_links=row.evidence_links,
        )
        for key, row in rows.items()
    }


@transaction.atomic
def answers_import(assessment: Assessment, document, user) -> int:
    """Replace all answers with the file's; on any problem nothing is changed."""
    parsed = parse_answers_document(document, assessment)
    questions = {
        q.key: q for q in Question.objects.for_assessment(assessment).filter(key__in=parsed)
    }
    Answer.objects.select_for_update().filter(assessment=assessment).delete()
    Answer.objects.bulk_create(
        Answer(
            assessment=assessment, question=questions[key], version=1, **answer_fields(data, user)
        )
        for key, data in parsed.items()
    )
    return len(parsed)


# --- Moving to a newer bank ----------------------------------------------------------------------


def bank_upgrade_diff(assessment: Assessment, target: BankVersion) -> BankDiff:
    old = {
        q.key: q.as_bank_question()
        for q in Question.objects.filter(bank_version=assessment.bank_version_id)
    }
    new = {q.key: q.as_bank_question() for q in Question.objects.filter(bank_version=target)}
    return diff_questions(old, new)


@transaction.atomic
def assessment_upgrade(assessment: Assessment, target: BankVersion) -> BankDiff:
    """Move answers to the same questions in ``target``; answers that no longer fit are dropped.

    Answers to the workspace's custom questions do not depend on the bank and stay as they are.
    """
    diff = bank_upgrade_diff(assessment, target)
    new_questions = {q.key: q for q in Question.objects.filter(bank_version=target)}
    bank_answers = assessment.answers.filter(question__bank_version__isnull=False)
    for answer in bank_answers.select_for_update().select_related("question"):
        replacement = new_questions.get(answer.question.key)
        fits = replacement is not None and (
            answer.state != AnswerState.LEVEL or answer.level in replacement.option_levels()
        )
        if not fits:
            answer.delete()
            continue
        answer.question = replacement
        answer.version = F("version") + 1
        answer.save(update_fields=["question", "version"])
    assessment.bank_version = target
    assessment.save(update_fields=["bank_version", "updated_at"])
    return diff
