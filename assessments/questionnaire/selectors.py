"""Questionnaire reads: who may answer, progress per area and per contributor, where to
resume, the answers file, what a bank upgrade changes.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Count,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.bank.domain.diff import BankDiff, diff_questions
from assessments.bank.models import BankVersion, Question
from assessments.bank.selectors import custom_question_rows
from assessments.questionnaire.domain import answers_file as answers_format
from assessments.questionnaire.models import (
    ANSWER_SNAPSHOT_FIELDS,
    Answer,
    AnswerState,
)
from assessments.workspaces import access
from assessments.workspaces.models import (
    AreaAssignment,
    Assessment,
    Membership,
    Role,
    person_name,
)
from assessments.workspaces.selectors import assessment_rows, members_who_can_see
from config.compiled import CompiledObjects, CompiledRows
from config.fragments import fields_and_people


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
    unknown: int = 0  # answered "don't know": to find out, not a gap
    first_open: str = ""  # key of the first question without an answer, "" when none

    @property
    def open(self) -> int:
        return self.total - self.answered

    @property
    def started(self) -> bool:
        return self.answered > 0

    @property
    def first_open_url(self) -> str:
        """The area page, at its first open question when there is one."""
        return f"#{Question(key=self.first_open).dom_id}" if self.first_open else ""

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 100


def answer_refusal(
    assessment: Assessment,
    user,
    area: str,
    assignments: Mapping[str, AreaAssignment] | None = None,
) -> str | None:
    """Why ``user`` may not answer questions of ``area`` now, or None when they may.

    The one rule for showing the area page's forms, every save, and confirming carried-over
    answers. ``assessment`` comes from ``assessment_for`` (it carries the user's role); the
    area assignments are read only for contributors, unless the caller has them already.
    """
    role = assessment.member_role
    if assessment.is_submitted:
        return (
            "This assessment was submitted, so answers are read-only. "
            "An owner or consultant can reopen it."
        )
    if not access.role_allows(role, access.ANSWER):
        return "Viewers can read answers but not change them."
    if role == Role.CONTRIBUTOR:
        assignment = (area_assignees(assessment) if assignments is None else assignments).get(area)
        if assignment is None or assignment.user_id != user.pk:
            return "This area is not assigned to you. Ask an owner or consultant to assign it."
    return None


def consultant_notes_shown(assessment: Assessment) -> bool:
    """Whether the person sees "Consultant notes" boxes: consultants do, and owners of a
    workspace that has a consultant; a self-service team (no consultant) is not shown boxes
    meant for someone it does not have. Remembered on the object."""
    cached = getattr(assessment, "_consultant_notes_shown", None)
    if cached is not None:
        return cached
    role = getattr(assessment, "member_role", None)
    shown = access.role_allows(role, access.CONSULT) and (
        role == Role.CONSULTANT or workspace_has_consultant(assessment)
    )
    assessment._consultant_notes_shown = shown
    return shown


def workspace_has_consultant(assessment: Assessment) -> bool:
    """Read with the assessment by ``assessment_for`` (``has_consultant``), else asked here."""
    known = getattr(assessment, "workspace_has_consultant", None)
    if known is not None:
        return bool(known)
    return bool(consultant_rows(assessment.system.workspace_id))


consultant_rows = CompiledRows(
    lambda workspace_id: (
        Membership.objects.filter(workspace=workspace_id, role=Role.CONSULTANT)
        .order_by()
        .values_list("pk")[:1]
    )
)

SEARCH_LIMIT = 30  # questions listed for a search; the person narrows the words beyond that


def question_search(assessment: Assessment, words: str) -> list[Question]:
    """The assessment's questions whose text or topic holds every word typed (one query)."""
    found = Question.objects.for_assessment(assessment)
    for word in words.split()[:8]:
        found = found.filter(Q(text__icontains=word) | Q(topic__icontains=word))
    return list(found.only("key", "area", "text", "topic")[:SEARCH_LIMIT])


def with_area_counts(
    questions: QuerySet, bank_version_id: int, workspace_id: int, assessment_id: int
) -> QuerySet:
    """Annotate ``area_total`` and ``area_answered``: how many questions the question's area
    has and how many of them are answered, read with the question itself, so the live counters
    a first answer changes cost no query of their own."""
    in_area = Question.objects.in_bank_or_workspace(bank_version_id, workspace_id).filter(
        area=OuterRef("area")
    )
    answered = Answer.objects.filter(assessment=assessment_id, question__area=OuterRef("area"))
    return questions.annotate(
        area_total=Subquery(in_area.order_by().values("area").annotate(n=Count("pk")).values("n")),
        area_answered=Coalesce(
            Subquery(answered.order_by().values("assessment").annotate(n=Count("pk")).values("n")),
            0,
        ),
    )


def question_to_save_query(
    bank_version_id: int, workspace_id: int, assessment_id: int, key: str, *, area_counts: bool
) -> QuerySet:
    questions = Question.objects.in_bank_or_workspace(bank_version_id, workspace_id)
    questions = questions_with_current_answer(questions.filter(key=key), assessment_id)
    if area_counts:
        return with_area_counts(questions, bank_version_id, workspace_id, assessment_id)
    return questions


# Every save reads its question this way: compiled once, with and without the area counters.
QUESTION_TO_SAVE = {
    area_counts: CompiledObjects(
        lambda *ids, area_counts=area_counts: question_to_save_query(*ids, area_counts=area_counts)
    )
    for area_counts in (False, True)
}


def question_to_save(assessment: Assessment, key: str, *, area_counts: bool) -> Question | None:
    """The assessment's question ``key`` with the answer a save replaces (``answer_snapshot``)
    and, with ``area_counts``, its area's counters (``with_area_counts``); None if it has no
    such question. One query, compiled once per process: every autosave makes it."""
    ids = (assessment.bank_version_id, assessment.system.workspace_id, assessment.pk, key)
    return QUESTION_TO_SAVE[area_counts].first(*ids)


def area_page_inputs(assessment: Assessment, area: str, user) -> tuple:
    """Everything an area page is built from, as plain values read in three queries beside
    the access check: the assessment, its system and workspace, the reader and their
    membership scope, whether the workspace has a consultant; the bank version and the
    workspace's custom questions; every answer in full with who gave it (this area's cards,
    and the progress beside them); the area assignments with their people. A digest of these
    names the rendered page in the cache (config/fragments.py), so a change to any of them
    renders it afresh."""
    return (
        *assessment_rows(assessment),
        user.pk,
        area,
        custom_question_rows(assessment.system.workspace_id),
        answer_rows_with_people(assessment.pk),
        assignment_rows(assessment.pk),
        consultant_notes_shown(assessment),
    )


answer_rows_with_people = CompiledRows(
    lambda assessment_id: (
        Answer.objects.filter(assessment=assessment_id)
        .order_by("pk")
        .values_list(*fields_and_people(Answer, "answered_by"))
    )
)
assignment_rows = CompiledRows(
    lambda assessment_id: (
        AreaAssignment.objects.filter(assessment=assessment_id)
        .order_by("pk")
        .values_list(*fields_and_people(AreaAssignment, "user"))
    )
)


def area_assignees(assessment: Assessment) -> dict[str, AreaAssignment]:
    return {a.area: a for a in assessment.assignments.select_related("user")}


def current_answer(assessment: Assessment, question: Question) -> Answer | None:
    return (
        Answer.objects.select_related("answered_by")
        .filter(assessment=assessment, question=question)
        .first()
    )


def area_progress(assessment: Assessment, user) -> list[AreaProgress]:
    """Each area's answered/total/unknown counts, first open question and assignee, in bank
    order; five queries."""
    totals = dict(
        Question.objects.for_assessment(assessment).values_list("area").annotate(n=Count("id"))
    )
    counts = list(
        assessment.answers.values_list("question__area").annotate(
            n=Count("id"),
            carried=Count("id", filter=Q(carried_over=True)),
            unknown=Count("id", filter=Q(state=AnswerState.UNKNOWN)),
        )
    )
    answered = {area: n for area, n, _, _ in counts}
    to_confirm = {area: carried for area, _, carried, _ in counts}
    unknown = {area: n for area, _, _, n in counts}
    first_open = first_open_by_area(assessment)
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
                unknown=unknown.get(area["id"], 0),
                first_open=first_open.get(area["id"], ""),
                assignee=person_name(assignment.user) if assignment else None,
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
            name=person_name(users[user_id]),
            email=users[user_id].email,
            areas=tuple(sorted(items, key=lambda item: order[item.area.id])),
            last_activity=by_person.get(user_id),
        )
        for user_id, items in people.items()
    ]
    return sorted(result, key=lambda person: person.email)


def first_open_by_area(assessment: Assessment) -> dict[str, str]:
    """Per area, the key of its first question (in bank order) without an answer."""
    answered = set(assessment.answers.values_list("question_id", flat=True))
    questions = Question.objects.for_assessment(assessment).values_list("pk", "area", "key")
    firsts: dict[str, str] = {}
    for pk, area, key in questions:
        if pk not in answered:
            firsts.setdefault(area, key)
    return firsts


def first_unanswered(areas: list[AreaProgress]) -> tuple[str, str] | None:
    """The (area, question key) to resume at: the first open question of the first area
    (in the order given) that has one."""
    return next(((area.id, area.first_open) for area in areas if area.first_open), None)


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


def bank_upgrade_diff(assessment: Assessment, target: BankVersion) -> BankDiff:
    return diff_questions(*_bank_questions(assessment, target))


def _bank_questions(assessment: Assessment, target: BankVersion) -> tuple[dict, dict]:
    old = {
        q.key: q.as_bank_question()
        for q in Question.objects.filter(bank_version=assessment.bank_version_id)
    }
    new = {q.key: q.as_bank_question() for q in Question.objects.filter(bank_version=target)}
    return old, new


# What changed about a question, in words (``BankDiff`` names the fields).
CHANGED_FIELD_WORDS = {
    "text": "wording",
    "area": "area",
    "weight": "weight",
    "critical_from": "when it is critical",
    "required": "required levels",
    "options": "answer options",
    "checks": "linked probe checks",
    "check_caps": "what the probes may contradict",
}


def upgrade_preview(assessment: Assessment, target: BankVersion) -> dict:
    """What moving to ``target`` changes, in words: questions added, changed (and how) and
    removed, and the answers that would be dropped."""
    old, new = _bank_questions(assessment, target)
    diff = diff_questions(old, new)
    text = {**{k: q.text for k, q in old.items()}, **{k: q.text for k, q in new.items()}}
    return {
        "diff": diff,
        "added": [text[key] for key in diff.added],
        "changed": [
            {
                "text": text[change.question_id],
                "what": ", ".join(CHANGED_FIELD_WORDS.get(f, f) for f in change.fields),
                "dropped_levels": change.dropped_levels,
            }
            for change in diff.changed
        ],
        "removed": [text[key] for key in diff.removed],
        "lost_answers": [text[key] for key in answers_lost_in_upgrade(assessment, diff)],
    }


def carried_count(assessment) -> int:
    return assessment.answers.filter(carried_over=True).count()


def assignable_members(assessment):
    """Everyone who may answer and can open this assessment (contributors included).

    Client staff limited to another assessment or another client are left out: they could
    not reach the area they were given.
    """
    members = members_who_can_see(assessment).filter(role__in=access.PERMISSIONS[access.ANSWER])
    return [member.user for member in members]


def questions_with_current_answer(questions: QuerySet, assessment: Assessment | int) -> QuerySet:
    """Annotate the stored answer's audited fields and version (read back with
    ``answer_snapshot``), joined in the same query as the question so a save needs no extra
    read. One join rather than a subquery: the autosave runs this on every save, and a join of
    a few columns compiles in about half the time of a JSON subquery."""
    stored = FilteredRelation("answers", condition=Q(answers__assessment=assessment))
    fields = {
        f"current_answer_{name}": F(f"current_answer__{name}") for name in ANSWER_SNAPSHOT_FIELDS
    }
    return questions.annotate(current_answer=stored).annotate(**fields)


def answer_snapshot(question: Question) -> dict | None:
    """The answer a question was fetched with by ``questions_with_current_answer``, as a dict of
    ``ANSWER_SNAPSHOT_FIELDS``; None when it has none (or was fetched without it)."""
    if getattr(question, "current_answer_version", None) is None:
        return None
    return {name: getattr(question, f"current_answer_{name}") for name in ANSWER_SNAPSHOT_FIELDS}


def area_answers(assessment: Assessment, questions) -> dict[int, Answer]:
    """The answers to ``questions`` (one area's) by question id, with who answered them."""
    answers = Answer.objects.filter(assessment=assessment, question__in=questions)
    return {answer.question_id: answer for answer in answers.select_related("answered_by")}


def answers_lost_in_upgrade(assessment: Assessment, diff: BankDiff) -> list[str]:
    """Question keys whose answer a move to the bank of ``diff`` would drop: the question is
    gone, or the chosen level no longer exists."""
    answered = dict(assessment.answers.values_list("question__key", "level"))
    dropped = {change.question_id: change.dropped_levels for change in diff.changed}
    return sorted(
        key
        for key, level in answered.items()
        if key in diff.removed or (level is not None and level in dropped.get(key, ()))
    )


def custom_questions_of(workspace) -> QuerySet:
    """A workspace's own questions, with how many answers each has across its assessments."""
    return workspace.custom_questions.annotate(answer_count=Count("answers"))


def answer_count(question: Question) -> int:
    return Answer.objects.filter(question=question).count()
