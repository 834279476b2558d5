"""Questionnaire operations: start, answer (with optimistic versions), submit, import/export.

Views call these functions and turn their exceptions into messages; nothing here renders.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from assessments import access, answers_format, audit
from assessments.answers_format import AnswersFileInvalid, parse_answers_file
from assessments.bank import BANDS
from assessments.bank.diff import BankDiff, diff_questions
from assessments.models import (
    Answer,
    AnswerState,
    AreaAssignment,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    BankVersion,
    Question,
    Role,
)
from assessments.models.questionnaire import ANSWER_SNAPSHOT_FIELDS, AUDITED_ANSWER_FIELDS

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
    to_confirm: int = 0  # answers carried over from the previous assessment, not confirmed yet

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
    status_event(assessment, user, "Submitted", AssessmentStatus.IN_PROGRESS)


def assessment_reopen(assessment: Assessment, user=None) -> None:
    assessment.status = AssessmentStatus.IN_PROGRESS
    assessment.save(update_fields=["status", "updated_at"])
    status_event(assessment, user, "Reopened", AssessmentStatus.SUBMITTED)


def status_event(assessment: Assessment, user, summary: str, previous: str) -> None:
    audit.record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ASSESSMENT,
        subject=assessment.title,
        summary=summary,
        before={"status": previous},
        after={"status": assessment.status},
    )


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
        "carried_over": False,  # saving an answer confirms it (see assessments.milestones)
    }


def answer_save(
    *, assessment: Assessment, question: Question, user, data: AnswerInput, base_version: int
) -> Answer:
    """Save an answer only if nobody changed it since ``base_version`` (0: not answered yet).

    A question fetched ``with_current_answer`` brings the answer being replaced along, which
    saves a read; otherwise it is read here."""
    fields = answer_fields(data, user)
    lookup = {"assessment": assessment, "question": question}
    if base_version == 0:
        try:
            with transaction.atomic():
                answer = Answer.objects.create(**lookup, version=1, **fields)
        except IntegrityError:
            raise AnswerConflict(current_answer(assessment, question)) from None
        answer_event(assessment, question, user, None, fields)
        return answer
    # Read before the conditional update: when the update succeeds, nobody wrote in between
    # (the version still matched), so this is exactly what the save replaced.
    # The snapshot is exact when its version is the one the update requires: versions only
    # grow, so if the update succeeds nobody wrote between the read and the update.
    before = getattr(question, "current_answer", None)
    if before is None or before.get("version") != base_version:
        before = Answer.objects.filter(**lookup).values(*ANSWER_SNAPSHOT_FIELDS).first()
    updated = Answer.objects.filter(**lookup, version=base_version).update(
        version=F("version") + 1, **fields
    )
    if not updated:
        raise AnswerConflict(current_answer(assessment, question))
    audited = {name: before[name] for name in AUDITED_ANSWER_FIELDS} if before else None
    answer_event(assessment, question, user, audited, fields)
    return Answer(**lookup, version=base_version + 1, **fields)


def answer_summary(state: str | None, level: int | None) -> str:
    if state == AnswerState.LEVEL:
        return f"level {level}"
    return {AnswerState.NOT_APPLICABLE: "not applicable", AnswerState.UNKNOWN: "don't know"}.get(
        state, "unanswered"
    )


def answer_event(assessment, question, user, before: dict | None, fields: dict) -> None:
    after = {name: fields[name] for name in AUDITED_ANSWER_FIELDS}
    old = answer_summary(before["state"], before["level"]) if before else "unanswered"
    new = answer_summary(after["state"], after["level"])
    audit.record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ANSWER,
        subject=question.key,
        summary=f"Answer saved: {old} → {new}" if old != new else f"Answer saved: {new}",
        before=before,
        after=after,
    )


def answer_consultant_notes_save(answer: Answer, notes: str, user) -> bool:
    """Change an answer's consultant-only notes; False when they did not change.

    Notes are a consultant's, not the client's answer, so this neither bumps the answer's
    ``version`` (the client's next save is not a conflict) nor takes part in it: the last
    notes saved win, and the audit log keeps the previous text.
    """
    before = answer.consultant_notes
    if notes == before:
        return False
    Answer.objects.filter(pk=answer.pk).update(consultant_notes=notes)
    answer.consultant_notes = notes
    audit.record(
        assessment=answer.assessment,
        actor=user,
        kind=AuditEvent.Kind.ANSWER,
        subject=answer.question.key,
        summary="Consultant notes changed",
        before={"consultant_notes": before},
        after={"consultant_notes": notes},
    )
    return True


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
    counts = list(
        assessment.answers.values_list("question__area").annotate(
            n=Count("id"), carried=Count("id", filter=Q(carried_over=True))
        )
    )
    answered = {area: n for area, n, _ in counts}
    to_confirm = {area: carried for area, _, carried in counts}
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
                to_confirm=to_confirm.get(area["id"], 0),
                assignee=assignment.user.get_full_name() or assignment.user.email
                if assignment
                else None,
                assigned_to_me=bool(assignment and assignment.user_id == user.pk),
            )
        )
    return progress


@dataclass(frozen=True)
class AssignedArea:
    area: AreaProgress
    last_answered_at: datetime | None  # the latest answer saved in this area, by anyone


@dataclass(frozen=True)
class ContributorProgress:
    """One assignee's areas of an assessment: what the consultant follows up on."""

    name: str
    email: str
    areas: tuple[AssignedArea, ...]
    last_activity: datetime | None  # the latest answer this person saved in the assessment

    @property
    def answered(self) -> int:
        return sum(item.area.answered for item in self.areas)

    @property
    def total(self) -> int:
        return sum(item.area.total for item in self.areas)


def contributor_progress(
    assessment: Assessment, areas: list[AreaProgress]
) -> list[ContributorProgress]:
    """Per assignee, their areas' answered/total (from ``area_progress``) and last activity.

    Two queries whatever the number of people and areas: the assignments, and the latest
    answer time grouped by (area, person).
    """
    assignments = list(assessment.assignments.select_related("user"))
    latest = assessment.answers.values_list("question__area", "answered_by").annotate(
        last=Max("answered_at")
    )
    by_area: dict[str, datetime] = {}
    by_person: dict[int, datetime] = {}
    for area_id, user_id, last in latest:
        if last is None:
            continue
        by_area[area_id] = max(last, by_area.get(area_id, last))
        if user_id is not None:
            by_person[user_id] = max(last, by_person.get(user_id, last))
    progress_by_area = {area.id: area for area in areas}
    people: dict[int, list[AssignedArea]] = {}
    users = {}
    for assignment in assignments:
        area = progress_by_area.get(assignment.area)
        if area is None:  # an area the bank no longer has
            continue
        users[assignment.user_id] = assignment.user
        people.setdefault(assignment.user_id, []).append(
            AssignedArea(area=area, last_answered_at=by_area.get(area.id))
        )
    order = {area["id"]: index for index, area in enumerate(assessment.bank_version.areas)}
    result = [
        ContributorProgress(
            name=users[user_id].get_full_name() or users[user_id].email,
            email=users[user_id].email,
            areas=tuple(sorted(items, key=lambda item: order[item.area.id])),
            last_activity=by_person.get(user_id),
        )
        for user_id, items in people.items()
    ]
    return sorted(result, key=lambda person: person.email)


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


def answers_export(assessment: Assessment, *, consultant_notes: bool = False) -> dict:
    """The answers file; consultant-only notes only when ``consultant_notes`` (CONSULT roles)."""
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
                **({"consultant_notes": a.consultant_notes} if consultant_notes else {}),
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
def answers_import(
    assessment: Assessment, document, user, *, consultant_notes: bool = False
) -> int:
    """Replace all answers with the file's; on any problem nothing is changed.

    Consultant-only notes are taken from the file only when ``consultant_notes`` (the importer
    may CONSULT) and the row has them; otherwise each question keeps the notes it had.
    """
    parsed = parse_answers_document(document, assessment)
    questions = {
        q.key: q for q in Question.objects.for_assessment(assessment).filter(key__in=parsed)
    }
    previous = {
        key: (state, level, notes)
        for key, state, level, notes in Answer.objects.select_for_update()
        .filter(assessment=assessment)
        .values_list("question__key", "state", "level", "consultant_notes")
    }
    notes = {key: row[2] for key, row in previous.items()}
    if consultant_notes:
        notes |= imported_consultant_notes(document)
    Answer.objects.filter(assessment=assessment).delete()
    Answer.objects.bulk_create(
        Answer(
            assessment=assessment,
            question=questions[key],
            version=1,
            consultant_notes=notes.get(key, ""),
            **answer_fields(data, user),
        )
        for key, data in parsed.items()
    )
    import_event(assessment, user, previous, parsed)
    return len(parsed)


def imported_consultant_notes(document) -> dict[str, str]:
    """The rows' consultant notes (already validated as text by ``parse_answers_file``)."""
    return {
        row["question"]: row["consultant_notes"]
        for row in document["answers"]
        if "consultant_notes" in row
    }


def import_event(assessment, user, previous: dict, parsed: dict[str, AnswerInput]) -> None:
    """One event per import, naming the questions whose answer changed (not one per answer)."""
    changed = sorted(
        key
        for key in previous.keys() | parsed.keys()
        if key not in parsed
        or key not in previous
        or previous[key][:2] != (parsed[key].state, parsed[key].level)
    )
    audit.record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ANSWER,
        subject="import",
        summary=f"Imported {len(parsed)} answers (replacing {len(previous)}); "
        f"{len(changed)} changed",
        before={"answers": len(previous)},
        after={"answers": len(parsed), "changed": changed},
    )


# --- Moving to a newer bank ----------------------------------------------------------------------


def bank_upgrade_diff(assessment: Assessment, target: BankVersion) -> BankDiff:
    old = {
        q.key: q.as_bank_question()
        for q in Question.objects.filter(bank_version=assessment.bank_version_id)
    }
    new = {q.key: q.as_bank_question() for q in Question.objects.filter(bank_version=target)}
    return diff_questions(old, new)


@transaction.atomic
def assessment_upgrade(assessment: Assessment, target: BankVersion, user=None) -> BankDiff:
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
    previous = assessment.bank_version.version
    assessment.bank_version = target
    assessment.save(update_fields=["bank_version", "updated_at"])
    audit.record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ASSESSMENT,
        subject=assessment.title,
        summary=f"Moved to question bank {target.version}",
        before={"bank_version": previous},
        after={"bank_version": target.version},
    )
    return diff
