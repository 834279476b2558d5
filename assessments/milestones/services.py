"""Starting an assessment from the previous one of the same system (a milestone).

A consultancy re-assesses a system every few months. Starting from the previous assessment
copies its answers, flagged "carried over" until someone confirms them, and its roadmap
edits, so the plan continues.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from assessments.audit.models import AuditEvent
from assessments.audit.services import audit_record
from assessments.bank.domain.bank import BANDS
from assessments.bank.models import Question
from assessments.questionnaire.models import Answer
from assessments.results.models import RoadmapEntry
from assessments.workspaces.models import Assessment

# The roadmap edit fields that carry over (everything but the row's identity and timestamps).
ROADMAP_ENTRY_FIELDS = (
    "key",
    "position",
    "hidden",
    "hidden_reason",
    "owner",
    "owner_member_id",
    "target_date",
    "status",
    "is_custom",
    "title",
    "why",
    "phase",
    "effort",
    "impact",
    "updated_by_id",
)


@dataclass(frozen=True)
class CarryOver:
    assessment: object  # the new Assessment
    copied: int  # answers copied, all flagged carried over
    dropped: int  # answers whose question (or chosen level) is not in the new bank version
    roadmap_entries: int


@transaction.atomic
def assessment_carry_over(*, source, user, bank_version, band: str, title: str) -> CarryOver:
    """Start a new assessment of ``source``'s system from ``source``'s answers and roadmap.

    Answers are matched by question key, so a source on an older bank version keeps what
    still exists (with a level the new question still offers); the rest is dropped and
    counted. A fixed number of queries whatever the number of answers or roadmap edits.
    """
    if band not in BANDS:
        raise ValueError(f"unknown band {band!r}")
    assessment = Assessment.objects.create(
        system_id=source.system_id,
        bank_version=bank_version,
        band=band,
        title=title,
        created_by=user,
        carried_from=source,
        roadmap_seen=source.roadmap_seen,
    )
    questions = {
        key: (pk, {option["level"] for option in options})
        for pk, key, options in Question.objects.for_assessment(assessment).values_list(
            "pk", "key", "options"
        )
    }
    answers = []
    dropped = 0
    for row in source.answers.values(
        "question__key",
        "state",
        "level",
        "na_reason",
        "notes",
        "evidence_links",
        "consultant_notes",
        "answered_by_id",
        "answered_at",
    ):
        target = questions.get(row.pop("question__key"))
        if target is None or (row["level"] is not None and row["level"] not in target[1]):
            dropped += 1
            continue
        answers.append(
            Answer(assessment=assessment, question_id=target[0], carried_over=True, **row)
        )
    Answer.objects.bulk_create(answers)
    entries = []
    for row in source.roadmap_entries.values(*ROADMAP_ENTRY_FIELDS, "owner_member__assessment_id"):
        # An owner who may see only the earlier assessment keeps their name, not the link.
        if row.pop("owner_member__assessment_id") is not None:
            row["owner_member_id"] = None
        entries.append(RoadmapEntry(assessment=assessment, **row))
    RoadmapEntry.objects.bulk_create(entries)
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ASSESSMENT,
        subject=title,
        summary=f"Started from “{source.title}”: {len(answers)} answers carried over"
        + (f", {dropped} not in this question bank" if dropped else ""),
        after={"carried_from": source.pk},
    )
    return CarryOver(assessment, len(answers), dropped, len(entries))
