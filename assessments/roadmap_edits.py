"""The computed roadmap with a consultant's edits applied, and the edits themselves.

The roadmap is recomputed from answers and evidence; edits are stored per item key
(``RoadmapEntry``) and laid over it, so they survive re-scoring. An edit whose item is no
longer in the roadmap (its gap closed) is kept, unused, and comes back with the gap.
"""

from dataclasses import dataclass

from django.db import transaction

from assessments import audit
from assessments.bank import PHASES
from assessments.models import Assessment, AuditEvent, RoadmapEntry
from assessments.roadmap import Roadmap, RoadmapItem, is_quick_win

UNPLACED = 1_000_000  # items nobody has moved keep their computed order, after moved ones


class RoadmapEditRefused(Exception):
    """An edit that would break the plan, e.g. an item moved above what it depends on."""


@dataclass(frozen=True)
class RoadmapRow:
    key: str
    title: str
    why: str
    how: tuple[str, ...]
    effort: str
    impact: int
    phase: int
    severity: str
    priority: int | None
    quick_win: bool
    critical: bool
    question_ids: tuple[str, ...]
    depends_on: tuple[str, ...]
    is_custom: bool
    entry: RoadmapEntry | None
    is_new: bool

    @property
    def status(self) -> str:
        return self.entry.status if self.entry else "todo"

    @property
    def hidden(self) -> bool:
        return bool(self.entry and self.entry.hidden)


@dataclass(frozen=True)
class EditedRoadmap:
    phases: dict[int, list[RoadmapRow]]  # visible rows per phase, in display order
    hidden: list[RoadmapRow]
    appeared: list[str]  # keys new since the last review
    disappeared: list[str]  # keys gone since the last review (their gaps closed)

    def visible_rows(self) -> list[RoadmapRow]:
        return [row for phase in self.phases.values() for row in phase]


def item_row(item: RoadmapItem, entry: RoadmapEntry | None, is_new: bool) -> RoadmapRow:
    return RoadmapRow(
        key=item.recommendation_id,
        title=item.title,
        why=item.why,
        how=item.how,
        effort=item.effort,
        impact=item.impact,
        phase=item.phase,
        severity=item.severity,
        priority=item.priority,
        quick_win=item.quick_win,
        critical=item.critical,
        question_ids=item.question_ids,
        depends_on=item.depends_on,
        is_custom=False,
        entry=entry,
        is_new=is_new,
    )


def custom_row(entry: RoadmapEntry, is_new: bool) -> RoadmapRow:
    return RoadmapRow(
        key=entry.key,
        title=entry.title,
        why=entry.why,
        how=(),
        effort=entry.effort,
        impact=entry.impact or 1,
        phase=entry.phase or 1,
        severity="custom",
        priority=None,
        quick_win=is_quick_win(entry.impact or 1, entry.effort),
        critical=False,
        question_ids=(),
        depends_on=(),
        is_custom=True,
        entry=entry,
        is_new=is_new,
    )


def apply_edits(
    roadmap: Roadmap, entries: list[RoadmapEntry], seen: list[str] | None
) -> EditedRoadmap:
    by_key = {entry.key: entry for entry in entries}
    seen_keys = set(seen) if seen is not None else None
    rows: list[tuple[int, RoadmapRow]] = []
    for index, item in enumerate(roadmap.items):
        is_new = seen_keys is not None and item.recommendation_id not in seen_keys
        rows.append((index, item_row(item, by_key.get(item.recommendation_id), is_new)))
    offset = len(rows)
    for index, entry in enumerate(e for e in entries if e.is_custom):
        is_new = seen_keys is not None and entry.key not in seen_keys
        rows.append((offset + index, custom_row(entry, is_new)))

    def order(pair: tuple[int, RoadmapRow]) -> tuple:
        index, row = pair
        position = row.entry.position if row.entry and row.entry.position is not None else None
        return (position if position is not None else UNPLACED + index,)

    phases: dict[int, list[RoadmapRow]] = {phase: [] for phase in PHASES}
    hidden: list[RoadmapRow] = []
    for _, row in sorted(rows, key=order):
        (hidden if row.hidden else phases[row.phase]).append(row)
    current = {row.key for _, row in rows}
    return EditedRoadmap(
        phases=phases,
        hidden=hidden,
        appeared=sorted(current - seen_keys) if seen_keys is not None else [],
        disappeared=sorted(seen_keys - current) if seen_keys is not None else [],
    )


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
    audit.record(
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
    audit.record(
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
    audit.record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ROADMAP,
        subject=entry.key,
        summary=f"Custom item added: {title}",
        after={"title": title, "phase": phase, "effort": effort, "impact": impact},
    )
    return entry


def roadmap_mark_reviewed(assessment: Assessment, edited: EditedRoadmap) -> None:
    keys = sorted({row.key for row in edited.visible_rows()} | {row.key for row in edited.hidden})
    assessment.roadmap_seen = keys
    assessment.save(update_fields=["roadmap_seen", "updated_at"])
