"""Questionnaire operations: start, answer (with optimistic versions), submit, import/export.

Views call these functions and turn their exceptions into messages; nothing here renders.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from assessments import access
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

EXPORT_FORMAT = "scaleready.answers"
EXPORT_FORMAT_VERSION = 1
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
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
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
    if not isinstance(document, dict):
        raise AnswersImportError(
            ["The file must contain a JSON object, as exported by ScaleReady."]
        )
    if document.get("format") != EXPORT_FORMAT:
        raise AnswersImportError(
            ["This is not a ScaleReady answers export (its `format` is missing or different)."]
        )
    if document.get("format_version") != EXPORT_FORMAT_VERSION:
        found = document.get("format_version")
        raise AnswersImportError(
            [f"Unsupported format_version {found!r}; expected {EXPORT_FORMAT_VERSION}."]
        )
    bank_version = assessment.bank_version.version
    if document.get("bank_version") != bank_version:
        raise AnswersImportError(
            [
                f"The file was exported from question bank {document.get('bank_version')!r}, "
                f"but this assessment uses {bank_version!r}. Upgrade the older assessment "
                "so both use the same bank, then export again."
            ]
        )
    rows = document.get("answers")
    if not isinstance(rows, list):
        raise AnswersImportError(["`answers` must be a list."])
    questions = {q.key: q for q in Question.objects.for_assessment(assessment)}
    problems: list[str] = []
    parsed: dict[str, AnswerInput] = {}
    for index, row in enumerate(rows, start=1):
        where = f"Answer {index}"
        if not isinstance(row, dict):
            problems.append(f"{where}: must be an object.")
            continue
        key = row.get("question")
        if key not in questions:
            problems.append(f"{where}: unknown question id {key!r}.")
            continue
        if key in parsed:
            problems.append(f"{where}: question {key!r} appears twice.")
            continue
        try:
            parsed[key] = answer_input_from_row(row, questions[key])
        except ValueError as exc:
            problems.append(f"{where} ({key}): {exc}")
    if problems:
        raise AnswersImportError(problems)
    return parsed


def answer_input_from_row(row: dict, question: Question) -> AnswerInput:
    unknown = set(row) - {"question", "state", "level", "na_reason", "notes", "evidence_links"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}.")
    state = row.get("state")
    if state not in AnswerState.values:
        raise ValueError(f"state must be one of {AnswerState.values}, not {state!r}.")
    level = row.get("level")
    if state == AnswerState.LEVEL and (
        type(level) is not int or level not in question.option_levels()
    ):
        raise ValueError(f"level must be one of {sorted(question.option_levels())}, not {level!r}.")
    if state != AnswerState.LEVEL and level is not None:
        raise ValueError("level must be null unless state is 'level'.")
    texts = {name: row.get(name, "") for name in ("na_reason", "notes")}
    if not all(isinstance(value, str) for value in texts.values()):
        raise ValueError("na_reason and notes must be text.")
    if state == AnswerState.NOT_APPLICABLE and not texts["na_reason"].strip():
        raise ValueError("a 'not applicable' answer needs na_reason.")
    links = row.get("evidence_links", [])
    if not isinstance(links, list) or not all(isinstance(link, str) for link in links):
        raise ValueError("evidence_links must be a list of URLs.")
    return AnswerInput(
        state=state,
        level=level,
        na_reason=texts["na_reason"],
        notes=texts["notes"],
        evidence_links=tuple(links),
    )


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
