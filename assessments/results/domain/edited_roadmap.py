"""The computed roadmap with a consultant's edits laid over it.

The roadmap is recomputed from answers and evidence; edits are stored per item key and
laid over it, so they survive re-scoring. An edit whose item is no longer in the roadmap
(its gap closed) is kept, unused, and comes back with the gap. Pure: entries are read by
attribute (``key``, ``position``, ``hidden``, ``status``, ...), whatever stores them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Protocol

from assessments.bank.domain.bank import PHASES
from assessments.results.domain.roadmap import Roadmap, RoadmapItem, is_quick_win

UNPLACED = 1_000_000  # items nobody has moved keep their computed order, after moved ones
STATUS_LABELS = {"todo": "to do", "doing": "doing", "done": "done"}


class RoadmapEntry(Protocol):
    """A consultant's stored edit of one item (``results.models.RoadmapEntry`` is one)."""

    key: str
    position: int | None
    hidden: bool
    hidden_reason: str
    owner: str
    target_date: date | None
    status: str
    is_custom: bool
    title: str
    why: str
    phase: int | None
    effort: str
    impact: int | None


@dataclass(frozen=True)
class RoadmapRow:
    key: str
    kind: str  # "fix", "find_out" or "custom"
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
    depends_on: tuple[str, ...]  # keys of the rows that come first
    is_custom: bool
    entry: RoadmapEntry | None
    is_new: bool
    after: tuple[str, ...] = ()  # titles of the rows it depends on, for people

    @property
    def is_find_out(self) -> bool:
        return self.kind == "find_out"

    @property
    def status(self) -> str:
        return self.entry.status if self.entry else "todo"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def hidden(self) -> bool:
        return bool(self.entry and self.entry.hidden)


@dataclass(frozen=True)
class EditedRoadmap:
    phases: dict[int, list[RoadmapRow]]  # visible rows per phase, in display order
    hidden: list[RoadmapRow]
    appeared: list[str]  # keys new since the last review
    disappeared: list[str]  # keys gone since the last review (their gaps closed)
    disappeared_titles: list[str] = field(default_factory=list)  # the same, for people

    def visible_rows(self) -> list[RoadmapRow]:
        return [row for phase in self.phases.values() for row in phase]

    def all_rows(self) -> list[RoadmapRow]:
        """Visible rows in display order, then the hidden ones."""
        return [*self.visible_rows(), *self.hidden]

    def row(self, key: str) -> RoadmapRow | None:
        """The item ``key`` names, visible or hidden; None for a key the plan does not have."""
        return next((row for row in self.all_rows() if row.key == key), None)


def item_row(item: RoadmapItem, entry: RoadmapEntry | None, is_new: bool) -> RoadmapRow:
    return RoadmapRow(
        key=item.recommendation_id,
        kind=item.kind,
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
        kind="custom",
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
    roadmap: Roadmap,
    entries: list[RoadmapEntry],
    seen: list[str] | None,
    known_titles: Mapping[str, str] | None = None,
) -> EditedRoadmap:
    """The plan with the edits applied. ``known_titles`` names items that are no longer in
    the plan (every recommendation and find-out step of the bank, by key)."""
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

    titles = {row.key: row.title for _, row in rows}
    named = known_titles or {}
    phases: dict[int, list[RoadmapRow]] = {phase: [] for phase in PHASES}
    hidden: list[RoadmapRow] = []
    for _, row in sorted(rows, key=order):
        row = replace(row, after=tuple(titles[key] for key in row.depends_on if key in titles))
        (hidden if row.hidden else phases[row.phase]).append(row)
    current = set(titles)
    disappeared = sorted(seen_keys - current) if seen_keys is not None else []
    return EditedRoadmap(
        phases=phases,
        hidden=hidden,
        appeared=sorted(current - seen_keys) if seen_keys is not None else [],
        disappeared=disappeared,
        disappeared_titles=[named.get(key, "an item no longer in the plan") for key in disappeared],
    )
