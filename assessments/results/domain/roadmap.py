"""The roadmap: every gap becomes a recommendation, ordered by phase, priority and dependencies.

``build_roadmap(questions, score)`` is pure and deterministic (no Django imports). It takes the
same questions that were scored and the ``ScoreResult``; consultants' edits (reorder, hide,
custom items, owners, dates, status) are stored elsewhere and applied on top of this plan,
keyed by ``RoadmapItem.recommendation_id``.

How items are chosen, prioritised and ordered is described on the methodology page, filled
from the constants below by ``methodology``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from assessments.bank.domain.bank import PHASES, Question, Recommendation
from assessments.results.domain.scoring import (
    NOT_APPLICABLE,
    SEVERITIES,
    QuestionScore,
    ScoreResult,
)

# --- Rules ------------------------------------------------------------------------------------
# Priority = severity points + impact points + effort points, 5..100. Severity steps (25) are
# wider than impact + effort can span (5..25), so a critical gap outranks any high one however
# cheap, and so on down; impact and effort order the items of one severity.
SEVERITY_POINTS = {"critical": 75, "high": 50, "medium": 25, "low": 0}
IMPACT_POINTS = 5  # per point of impact (1-3): a high-impact fix gains 10 over a low-impact one
EFFORT_POINTS = {"S": 10, "M": 5, "L": 0}  # cheaper work first, as long as severity is equal
# Quick win: small effort and the top impact. Small effort with impact 2 describes a third of the
# bank, so marking those too would make the label meaningless.
QUICK_WIN_EFFORT = "S"
QUICK_WIN_MIN_IMPACT = 3
DEFAULT_TOP = 10  # items shown as "start here" on the results page, the report and the CLI

# States of a recommendation's dependency (see ``Dependency``).
IN_ROADMAP = "in_roadmap"  # also in this roadmap: it is ordered first
ACHIEVED = "achieved"  # the team is already past the levels it addresses
DEPENDENCY_NOT_APPLICABLE = "not_applicable"  # its question was answered N/A
OUTSIDE_ROADMAP = "outside_roadmap"  # not achieved, but no gap at this target scale asks for it
DEPENDENCY_STATES = (IN_ROADMAP, ACHIEVED, DEPENDENCY_NOT_APPLICABLE, OUTSIDE_ROADMAP)


class RoadmapCycleError(ValueError):
    """Recommendations depend on each other in a loop (the bank validator forbids this)."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__(f"recommendation dependency cycle: {' -> '.join(cycle)}")


@dataclass(frozen=True)
class Dependency:
    recommendation_id: str
    state: str  # one of DEPENDENCY_STATES


@dataclass(frozen=True)
class RoadmapItem:
    recommendation_id: str
    title: str
    why: str
    how: tuple[str, ...]
    effort: str  # S / M / L
    impact: int  # 1-3
    phase: int  # the phase it is scheduled in: its bank phase, or earlier when pulled forward
    bank_phase: int  # the phase the bank gives it
    severity: str  # the worst severity among the gaps it addresses
    priority: int
    quick_win: bool
    critical: bool  # it addresses a critical question's gap
    question_ids: tuple[str, ...]  # the gaps it addresses, in question order
    area: str  # the area of the first of them
    depends_on: tuple[str, ...]  # items of this roadmap that come before it
    dependencies: tuple[Dependency, ...]  # every dependency the bank lists, with its state

    @property
    def phase_title(self) -> str:
        return PHASES[self.phase]

    @property
    def pulled_forward(self) -> bool:
        """Scheduled before its bank phase because an earlier item depends on it."""
        return self.phase < self.bank_phase


@dataclass(frozen=True)
class Roadmap:
    items: tuple[RoadmapItem, ...]  # final order: by phase, dependencies first, then priority
    uncovered: tuple[str, ...] = ()  # question ids with a gap but no recommendation to give

    def item(self, recommendation_id: str) -> RoadmapItem:
        return next(i for i in self.items if i.recommendation_id == recommendation_id)

    def by_phase(self) -> dict[int, tuple[RoadmapItem, ...]]:
        """Every phase 1..6 (empty ones included), each with its items in final order."""
        return {phase: tuple(i for i in self.items if i.phase == phase) for phase in PHASES}

    @property
    def quick_wins(self) -> tuple[RoadmapItem, ...]:
        return tuple(i for i in self.items if i.quick_win)

    def top(self, n: int = DEFAULT_TOP) -> tuple[RoadmapItem, ...]:
        """The ``n`` items to start with, in final order, never blocked by an item left out.

        Items are taken by priority (ties: final order); each comes with every roadmap item it
        depends on, directly or not. An item whose prerequisites would not fit in ``n`` is
        skipped, and smaller ones are tried instead.
        """
        position = {item.recommendation_id: index for index, item in enumerate(self.items)}
        by_id = {item.recommendation_id: item for item in self.items}
        chosen: set[str] = set()
        ranked = sorted(self.items, key=lambda i: (-i.priority, position[i.recommendation_id]))
        for item in ranked:
            if len(chosen) >= n:
                break
            needed = _with_prerequisites(item.recommendation_id, by_id) - chosen
            if len(chosen) + len(needed) <= n:
                chosen |= needed
        return tuple(i for i in self.items if i.recommendation_id in chosen)

    def to_dict(self) -> dict:
        """Plain JSON values: every item (with its phase title) and the ids of ``top()``."""
        return {
            "items": [{**asdict(i), "phase_title": i.phase_title} for i in self.items],
            "top": [i.recommendation_id for i in self.top()],
            "uncovered": list(self.uncovered),
        }


def _with_prerequisites(rec_id: str, by_id: dict[str, RoadmapItem]) -> set[str]:
    found: set[str] = set()
    pending = [rec_id]
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(by_id[current].depends_on)
    return found


# --- Building ---------------------------------------------------------------------------------


def recommendations_for_gap(question: Question, achieved: int) -> tuple[Recommendation, ...]:
    """The recommendations for a team at ``achieved``: those listing that level; else those
    with the nearest level below it; else the nearest above; () when the question has none."""
    exact = question.recommendations_for(achieved)
    if exact:
        return exact
    below = {
        r.id: max(x for x in r.levels if x < achieved)
        for r in question.recommendations
        if any(x < achieved for x in r.levels)
    }
    if below:
        nearest = max(below.values())
        return tuple(r for r in question.recommendations if below.get(r.id) == nearest)
    above = {r.id: min(r.levels) for r in question.recommendations if r.levels}
    if above:
        nearest = min(above.values())
        return tuple(r for r in question.recommendations if above.get(r.id) == nearest)
    return ()


def priority_score(severity: str, impact: int, effort: str) -> int:
    return SEVERITY_POINTS[severity] + IMPACT_POINTS * impact + EFFORT_POINTS[effort]


def is_quick_win(impact: int, effort: str) -> bool:
    return effort == QUICK_WIN_EFFORT and impact >= QUICK_WIN_MIN_IMPACT


def build_roadmap(questions: Iterable[Question], score: ScoreResult) -> Roadmap:
    """Turn every gap of ``score`` into recommendations, de-duplicated and ordered.

    ``questions`` are the ones that were scored (their recommendations and dependencies are
    read from them). Raises ``RoadmapCycleError`` if recommendations depend on each other in
    a loop.
    """
    questions = tuple(questions)
    known = {}
    for question in questions:
        for rec in question.recommendations:
            known.setdefault(rec.id, rec)
    picked: dict[str, tuple[Recommendation, list[QuestionScore]]] = {}
    uncovered = []
    for question in questions:
        result = score.get(question.id)
        if result is None or result.gap <= 0:
            continue
        recs = recommendations_for_gap(question, result.achieved)
        if not recs:
            uncovered.append(question.id)
        for rec in recs:
            picked.setdefault(rec.id, (rec, []))[1].append(result)
    drafts = {
        rec_id: _draft(rec, gaps, picked, known, score) for rec_id, (rec, gaps) in picked.items()
    }
    order = _order(drafts)
    return Roadmap(items=tuple(order), uncovered=tuple(uncovered))


def _draft(
    rec: Recommendation,
    gaps: list[QuestionScore],
    picked: dict,
    known: dict[str, Recommendation],
    score: ScoreResult,
) -> RoadmapItem:
    severity = min((g.severity for g in gaps), key=SEVERITIES.index)
    dependencies = tuple(
        Dependency(dep, _dependency_state(dep, picked, known, score)) for dep in rec.depends_on
    )
    return RoadmapItem(
        recommendation_id=rec.id,
        title=rec.title,
        why=rec.why,
        how=rec.how,
        effort=rec.effort,
        impact=rec.impact,
        phase=rec.phase,
        bank_phase=rec.phase,
        severity=severity,
        priority=priority_score(severity, rec.impact, rec.effort),
        quick_win=is_quick_win(rec.impact, rec.effort),
        critical=any(g.is_critical_gap for g in gaps),
        question_ids=tuple(g.question_id for g in gaps),
        area=gaps[0].area,
        depends_on=tuple(d.recommendation_id for d in dependencies if d.state == IN_ROADMAP),
        dependencies=dependencies,
    )


def _dependency_state(
    dep_id: str, picked: dict, known: dict[str, Recommendation], score: ScoreResult
) -> str:
    if dep_id in picked:
        return IN_ROADMAP
    dep = known.get(dep_id)
    owner = score.get(dep.question_id) if dep is not None else None
    if dep is None or owner is None:
        return OUTSIDE_ROADMAP
    if owner.state == NOT_APPLICABLE:
        return DEPENDENCY_NOT_APPLICABLE
    if dep.levels and owner.achieved > max(dep.levels):
        return ACHIEVED
    return OUTSIDE_ROADMAP


def _order(drafts: dict[str, RoadmapItem]) -> list[RoadmapItem]:
    """A stable topological sort keyed by (phase, -priority, id), dependencies pulled forward."""
    _check_acyclic(drafts)
    phase = _scheduled_phases(drafts)
    dependents: dict[str, list[str]] = {rec_id: [] for rec_id in drafts}
    waiting = {}
    for rec_id, item in drafts.items():
        waiting[rec_id] = len(item.depends_on)
        for dep in item.depends_on:
            dependents[dep].append(rec_id)

    def key(rec_id: str) -> tuple:
        return (phase[rec_id], -drafts[rec_id].priority, rec_id)

    ready = [key(rec_id) for rec_id, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        *_, rec_id = heapq.heappop(ready)
        item = drafts[rec_id]
        ordered.append(replace(item, phase=phase[rec_id]))
        for dependent in dependents[rec_id]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, key(dependent))
    return ordered


def _scheduled_phases(drafts: dict[str, RoadmapItem]) -> dict[str, int]:
    """Each item's phase, pulled forward to the earliest phase of anything that needs it."""
    phase = {rec_id: item.phase for rec_id, item in drafts.items()}
    changed = True
    while changed:  # terminates: phases only decrease, and the graph is acyclic
        changed = False
        for rec_id, item in drafts.items():
            for dep in item.depends_on:
                if phase[rec_id] < phase[dep]:
                    phase[dep] = phase[rec_id]
                    changed = True
    return phase


def _check_acyclic(drafts: dict[str, RoadmapItem]) -> None:
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(rec_id: str) -> None:
        state[rec_id] = "open"
        path.append(rec_id)
        for dep in drafts[rec_id].depends_on:
            if state.get(dep) == "open":
                raise RoadmapCycleError([*path[path.index(dep) :], dep])
            if dep not in state:
                visit(dep)
        path.pop()
        state[rec_id] = "done"

    for rec_id in sorted(drafts):
        if rec_id not in state:
            visit(rec_id)
