"""Questionnaire operations: start, answer (with optimistic versions), submit and reopen,
import, move to a newer bank, confirm carried-over answers, custom questions, engagements.

Views call these functions and turn their exceptions into messages; nothing here renders.
A change and its audit event are written in one transaction: both or neither.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from assessments.audit.models import AuditEvent
from assessments.audit.services import audit_record
from assessments.bank.domain.bank import BANDS, band_for_users
from assessments.bank.domain.diff import BankDiff
from assessments.bank.models import BankVersion, Question
from assessments.bank.services import question_fields, shipped_bank_version
from assessments.questionnaire.domain.answer_limits import answer_problems
from assessments.questionnaire.domain.answers_file import AnswersFileInvalid, parse_answers_file
from assessments.questionnaire.domain.custom_questions import (
    CUSTOM_POSITION_START,
    custom_question_document,
    validate_custom_question,
)
from assessments.questionnaire.models import (
    ANSWER_SNAPSHOT_FIELDS,
    AUDITED_ANSWER_FIELDS,
    Answer,
    AnswerState,
)
from assessments.questionnaire.selectors import (
    answer_snapshot,
    bank_upgrade_diff,
    current_answer,
)
from assessments.workspaces.models import (
    AreaAssignment,
    Assessment,
    AssessmentStatus,
    Client,
    System,
    Workspace,
)
from assessments.workspaces.services import system_save
from config.compiled import update_rows


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


class AnswerInvalid(Exception):
    """An answer outside the limits of ``answer_limits``; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class AnswersImportError(Exception):
    """An answers file that cannot be applied; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def assessment_start(
    *, system, user, bank_version: BankVersion, band: str, title: str
) -> Assessment:
    if band not in BANDS:
        raise ValueError(f"unknown band {band!r}")
    return Assessment.objects.create(
        system=system, bank_version=bank_version, band=band, title=title, created_by=user
    )


@transaction.atomic
def assessment_submit(assessment: Assessment, user) -> None:
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.submitted_by = user
    assessment.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    status_event(assessment, user, "Submitted", AssessmentStatus.IN_PROGRESS)


@transaction.atomic
def assessment_reopen(assessment: Assessment, user=None) -> None:
    assessment.status = AssessmentStatus.IN_PROGRESS
    assessment.save(update_fields=["status", "updated_at"])
    status_event(assessment, user, "Reopened", AssessmentStatus.SUBMITTED)


def status_event(assessment: Assessment, user, summary: str, previous: str) -> None:
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ASSESSMENT,
        subject=assessment.title,
        summary=summary,
        before={"status": previous},
        after={"status": assessment.status},
    )


def assignment_set(assessment: Assessment, area: str, user) -> None:
    if user is None:
        AreaAssignment.objects.filter(assessment=assessment, area=area).delete()
        return
    AreaAssignment.objects.update_or_create(
        assessment=assessment, area=area, defaults={"user": user}
    )


def answer_fields(data: AnswerInput, user) -> dict:
    return {
        "state": data.state,
        "level": data.level if data.state == AnswerState.LEVEL else None,
        "na_reason": data.na_reason if data.state == AnswerState.NOT_APPLICABLE else "",
        "notes": data.notes,
        "evidence_links": list(data.evidence_links),
        "answered_by": user,
        "answered_at": timezone.now(),
        "carried_over": False,  # saving an answer confirms it (see assessments.milestones.services)
    }


@transaction.atomic
def answer_save(
    *, assessment: Assessment, question: Question, user, data: AnswerInput, base_version: int
) -> Answer:
    """Save an answer only if nobody changed it since ``base_version`` (0: not answered yet).

    The answer and its audit event commit together or not at all. A question fetched by
    ``questions_with_current_answer`` brings the answer being replaced along, which saves a
    read; otherwise it is read here. Raises ``AnswerInvalid`` beyond the answer limits."""
    problems = answer_problems(
        na_reason=data.na_reason, notes=data.notes, evidence_links=list(data.evidence_links)
    )
    if problems:
        raise AnswerInvalid(problems)
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
    before = answer_snapshot(question)
    if before is None or before.get("version") != base_version:
        before = Answer.objects.filter(**lookup).values(*ANSWER_SNAPSHOT_FIELDS).first()
    # Compiled once (config/compiled.py): every autosave runs it. The version it sets is the
    # one the condition requires plus one, as ``F("version") + 1`` would.
    updated = update_rows(
        Answer, {**lookup, "version": base_version}, {**fields, "version": base_version + 1}
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
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ANSWER,
        subject=question.key,
        summary=f"Answer saved: {old} → {new}" if old != new else f"Answer saved: {new}",
        before=before,
        after=after,
    )


@transaction.atomic
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
    audit_record(
        assessment=answer.assessment,
        actor=user,
        kind=AuditEvent.Kind.ANSWER,
        subject=answer.question.key,
        summary="Consultant notes changed",
        before={"consultant_notes": before},
        after={"consultant_notes": notes},
    )
    return True


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
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ANSWER,
        subject="import",
        summary=f"Imported {len(parsed)} answers (replacing {len(previous)}); "
        f"{len(changed)} changed",
        before={"answers": len(previous)},
        after={"answers": len(parsed), "changed": changed},
    )


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
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ASSESSMENT,
        subject=assessment.title,
        summary=f"Moved to question bank {target.version}",
        before={"bank_version": previous},
        after={"bank_version": target.version},
    )
    return diff


@transaction.atomic
def carried_confirm(assessment, user=None, *, question=None, area: str | None = None) -> int:
    """Clear the "please confirm" flag on one question's answer or on a whole area's, and log
    who confirmed which answers (one event per call)."""
    answers = assessment.answers.filter(carried_over=True)
    if question is not None:
        answers = answers.filter(question=question)
    if area is not None:
        answers = answers.filter(question__area=area)
    confirmed = list(answers.select_related("question").order_by("question__position"))
    if not confirmed:
        return 0
    count = answers.update(carried_over=False)
    if question is not None:
        subject = question.key
        summary = "Carried-over answer confirmed: " + answer_summary(
            confirmed[0].state, confirmed[0].level
        )
    else:
        subject = assessment.bank_version.area_titles().get(area, area) if area else "all areas"
        summary = f"{count} carried-over answer{'s' if count != 1 else ''} confirmed in {subject}"
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ANSWER if question is not None else AuditEvent.Kind.ASSESSMENT,
        subject=subject,
        summary=summary,
        after={"confirmed": [a.question.key for a in confirmed]} if question is None else None,
    )
    return count


def custom_question_create(workspace: Workspace, area: str, fields: dict) -> Question:
    parsed = validate_custom_question(area, custom_question_document(area, fields))
    position = CUSTOM_POSITION_START + workspace.custom_questions.count()
    return Question.objects.create(
        workspace=workspace, position=position, **question_fields(parsed)
    )


@transaction.atomic
def custom_question_delete(question: Question) -> int:
    """Delete a custom question and the answers given to it; returns how many answers."""
    removed, _ = Answer.objects.filter(question=question).delete()
    question.delete()
    return removed


@transaction.atomic
def engagement_start(
    *,
    workspace: Workspace,
    user,
    client: Client | None,
    client_name: str,
    system: System,
    base_urls: list[str],
    title: str = "",
) -> Assessment:
    """Create the client unless given, save ``system`` under it and start its assessment."""
    if client is None:
        client = Client.objects.create(workspace=workspace, name=client_name)
    system.workspace = workspace
    system.client = client
    system_save(system, base_urls)
    return assessment_start(
        system=system,
        user=user,
        bank_version=shipped_bank_version(),
        band=band_for_users(system.target_users),
        title=title or f"{system.name} — {timezone.localdate():%B %Y}",
    )
