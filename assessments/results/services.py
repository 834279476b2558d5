"""Edits to results: a consultant's review of a finding (severity override, reason, private
notes) and edits to the roadmap (status, owner, date, hiding, order, custom items).

Findings and roadmap items are keyed by question and recommendation ids, so edits outlive
re-scoring. Every change is recorded in the audit log.
"""

from django.db import transaction

from assessments.audit.models import AuditEvent
from assessments.audit.services import audit_record
from assessments.results.domain.edited_roadmap import EditedRoadmap
from assessments.results.domain.overrides import SeverityOverride
from assessments.results.models import FindingReview, RoadmapEntry
from assessments.workspaces.models import Assessment

REVIEWED_FIELDS = ("severity", "reason", "consultant_notes")


def review_summary(computed: str, before: dict, after: dict) -> str:
    parts = []
    if (before["severity"], before["reason"]) != (after["severity"], after["reason"]):
        if after["severity"]:
            parts.append(
                f"Severity overridden: {computed} → {after['severity']} ({after['reason']})"
            )
        else:
            parts.append(f"Severity override cleared: back to {computed}")
    if before["consultant_notes"] != after["consultant_notes"]:
        parts.append("Finding notes changed")
    return "; ".join(parts)


@transaction.atomic
def finding_review_save(
    assessment: Assessment,
    question_key: str,
    user,
    *,
    computed: str,
    severity: str,
    reason: str,
    consultant_notes: str,
) -> bool:
    """Set (or clear, with ``severity=""``) a finding's override and notes; False if unchanged.

    Raises ``InvalidOverride`` for an unknown severity or a missing reason. A cleared override
    drops its reason too, so a stale reason is never shown again.
    """
    if severity:
        SeverityOverride(question_key, severity, reason)  # validates
    else:
        reason = ""
    review = (
        FindingReview.objects.select_for_update()
        .filter(assessment=assessment, question_key=question_key)
        .first()
    )
    before = {name: getattr(review, name) if review else "" for name in REVIEWED_FIELDS}
    after = {"severity": severity, "reason": reason.strip(), "consultant_notes": consultant_notes}
    if before == after:
        return False
    if review is None:
        review = FindingReview(assessment=assessment, question_key=question_key)
    for name, value in after.items():
        setattr(review, name, value)
    review.updated_by = user
    review.save()
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.OVERRIDE,
        subject=question_key,
        summary=review_summary(computed, before, after),
        before={**before, "computed": computed},
        after={**after, "computed": computed},
    )
    return True


class RoadmapEditRefused(Exception):
    """An edit that would break the plan, e.g. an item moved above what it depends on."""


def entry_for(assessment: Assessment, key: str) -> RoadmapEntry:
    entry, _ = RoadmapEntry.objects.get_or_create(assessment=assessment, key=key)
    return entry


EDITED_FIELDS = ("status", "owner", "target_date", "hidden", "hidden_reason")


def entry_snapshot(entry: RoadmapEntry) -> dict:
    """The edited fields as JSON values (take it before a form changes the instance)."""
    values = {name: getattr(entry, name) for name in EDITED_FIELDS}
    values["target_date"] = values["target_date"].isoformat() if values["target_date"] else None
    return values


def roadmap_entry_save(assessment: Assessment, entry: RoadmapEntry, user, before: dict) -> None:
    """Save a consultant's edit of one item (status, owner, date, hidden) and log it."""
    entry.updated_by = user
    entry.save()
    after = entry_snapshot(entry)
    if after == before:
        return
    if after["hidden"] and not before["hidden"]:
        summary = f"Hidden from the plan: {after['hidden_reason']}"
    elif before["hidden"] and not after["hidden"]:
        summary = "Shown in the plan again"
    else:
        fields = ", ".join(
            name.replace("_", " ") for name in EDITED_FIELDS if after[name] != before[name]
        )
        summary = f"Edited: {fields}"
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ROADMAP,
        subject=entry.key,
        summary=summary,
        before=before,
        after=after,
    )


@transaction.atomic
def roadmap_move(
    assessment: Assessment, edited: EditedRoadmap, key: str, direction: int, user
) -> None:
    """Swap an item with its neighbour in its phase and pin the phase's order."""
    phase_rows = next(
        (rows for rows in edited.phases.values() if any(r.key == key for r in rows)), None
    )
    if phase_rows is None:
        raise RoadmapEditRefused("That item is not in the visible roadmap.")
    keys = [row.key for row in phase_rows]
    index = keys.index(key)
    other = index + direction
    if not 0 <= other < len(keys):
        raise RoadmapEditRefused("The item is already at the edge of its phase.")
    moving, neighbour = phase_rows[index], phase_rows[other]
    if direction < 0 and neighbour.key in moving.depends_on:
        raise RoadmapEditRefused(
            f"“{moving.title}” depends on “{neighbour.title}”, which must come first."
        )
    if direction > 0 and moving.key in neighbour.depends_on:
        raise RoadmapEditRefused(
            f"“{neighbour.title}” depends on “{moving.title}”, which must come first."
        )
    keys[index], keys[other] = keys[other], keys[index]
    base = min(
        (row.entry.position for row in phase_rows if row.entry and row.entry.position is not None),
        default=phase_rows[0].phase * 1000,
    )
    for offset, row_key in enumerate(keys):
        entry = entry_for(assessment, row_key)
        entry.position = base + offset
        entry.updated_by = user
        entry.save(update_fields=["position", "updated_by", "updated_at"])
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ROADMAP,
        subject=key,
        summary=f"Moved {'up' if direction < 0 else 'down'} in phase {moving.phase}, "
        f"{'above' if direction < 0 else 'below'} “{neighbour.title}”",
        before={"order": index + 1},
        after={"order": other + 1},
    )


def custom_item_create(
    assessment: Assessment, user, *, title: str, why: str, phase: int, effort: str, impact: int
) -> RoadmapEntry:
    number = assessment.roadmap_entries.filter(is_custom=True).count() + 1
    while assessment.roadmap_entries.filter(key=f"custom-{number}").exists():
        number += 1
    entry = RoadmapEntry.objects.create(
        assessment=assessment,
        key=f"custom-{number}",
        is_custom=True,
        title=title,
        why=why,
        phase=phase,
        effort=effort,
        impact=impact,
        updated_by=user,
    )
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ROADMAP,
        subject=entry.key,
        summary=f"Custom item added: {title}",
        after={"title": title, "phase": phase, "effort": effort, "impact": impact},
    )
    return entry


def roadmap_mark_reviewed(assessment: Assessment, edited: EditedRoadmap) -> None:
    keys = sorted({row.key for row in edited.all_rows()})
    assessment.roadmap_seen = keys
    assessment.save(update_fields=["roadmap_seen", "updated_at"])
