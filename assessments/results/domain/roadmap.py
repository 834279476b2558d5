"""The roadmap: every known gap becomes a fix, every important unknown a "find out" step,
ordered by urgency, phase and dependencies.

``build_roadmap(questions, score)`` is pure and deterministic (no Django imports). It takes the
same questions that were scored and the ``ScoreResult``; consultants' edits (reorder, hide,
custom items, owners, dates, status) are stored elsewhere and applied on top of this plan,
keyed by ``RoadmapItem.recommendation_id``.

Urgency orders the plan: what can lose data or expose users today (the bank's "foundation"
recommendations: restorable backups, alerting that reaches a person, HTTPS, secrets out of
code, admin interfaces closed, CI) and finding out what nobody knows about critical practices
come first, in phase 1, before anything that scales out. An unknown never produces the
level-0 fix: it produces the step that finds the answer.

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
    scale_phrase,
)

# --- Rules ------------------------------------------------------------------------------------
# Priority = severity points + impact points + effort points, 5..100. Severity steps (25) are
# wider than impact + effort can span (5..25), so a critical gap outranks any high one however
# cheap, and so on down; impact and effort order the items of one severity.
SEVERITY_POINTS = {"critical": 75, "high": 50, "medium": 25, "low": 0}
IMPACT_POINTS = 5  # per point of impact (1-3): a high-impact fix gains 10 over a low-impact one
EFFORT_POINTS = {"S": 10, "M": 5, "L": 0}  # cheaper work first, as long as severity is equal
# How far below the requirement the worst gap an item addresses is, in points per level (up
# to three levels): among items of one severity, the practice furthest behind comes first.
DISTANCE_POINTS = 2
MAX_DISTANCE = 3
# Quick win: small effort, the top impact, and nothing in the roadmap to do first. Small effort
# with impact 2 describes a third of the bank, so marking those too would make it meaningless.
QUICK_WIN_EFFORT = "S"
QUICK_WIN_MIN_IMPACT = 3
DEFAULT_TOP = 10  # items shown as "start here" on the results page, the report and the CLI
# Urgent items (foundation fixes, and finding out critical unknowns) are scheduled here, before
# any scaling work, whatever phase the bank gives the recommendation.
URGENT_PHASE = 1
# "Find out" steps: one per unknown question that is critical at the target scale or weighs
# this much (the bank's top weight), placed in the audit phase.
FIND_OUT_MIN_WEIGHT = 3
FIND_OUT_SEVERITY = {True: "critical", False: "high"}  # priority as the gap it could hide
FIX, FIND_OUT = "fix", "find_out"
FIND_OUT_SUFFIX = ".find_out"  # a find-out item's key: "<question id>.find_out"
DEFAULT_FIND_OUT = (
    "Ask the people who build and run this part of the system how it works today.",
    "Check it in the running system or its configuration rather than from memory.",
    "Answer the question with what you found; the verdict and the plan update at once.",
)

# States of a recommendation's dependency (see ``Dependency``).
IN_ROADMAP = "in_roadmap"  # also in this roadmap: it is ordered first
ACHIEVED = "achieved"  # the team is already past the levels it addresses
DEPENDENCY_NOT_APPLICABLE = "not_applicable"  # its question was answered N/A
OUTSIDE_ROADMAP = "outside_roadmap"  # not achieved, but no gap at this target scale asks for it
DEPENDENCY_UNKNOWN = "unknown"  # nobody knows where its question stands yet
DEPENDENCY_STATES = (
    IN_ROADMAP,
    ACHIEVED,
    DEPENDENCY_NOT_APPLICABLE,
    OUTSIDE_ROADMAP,
    DEPENDENCY_UNKNOWN,
)


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
    recommendation_id: str  # a recommendation's id, or "<question id>.find_out"
    kind: str  # FIX, or FIND_OUT: a step that finds out what nobody could answer
    foundation: bool  # a safety basic that comes before any scaling work
    title: str
    why: str
    how: tuple[str, ...]
    effort: str  # S / M / L
    impact: int  # 1-3
    phase: int  # the phase it is scheduled in: its bank phase, or earlier when pulled forward
    bank_phase: int  # the phase the bank gives it
    severity: str  # the worst severity among the gaps it addresses (what it could hide: find out)
    priority: int
    quick_win: bool
    critical: bool  # it addresses a critical question's gap (or unknown)
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

    @property
    def urgent(self) -> bool:
        """First in the plan: a foundation fix, or finding out a critical unknown."""
        return self.foundation or (self.kind == FIND_OUT and self.critical)


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
        ranked = sorted(
            self.items,
            key=lambda i: (not i.urgent, -i.priority, position[i.recommendation_id]),
        )
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


def priority_score(severity: str, impact: int, effort: str, distance: int = 0) -> int:
    """Risk first: severity, then how far below the requirement, then impact against effort."""
    return (
        SEVERITY_POINTS[severity]
        + DISTANCE_POINTS * min(distance, MAX_DISTANCE)
        + IMPACT_POINTS * impact
        + EFFORT_POINTS[effort]
    )


def is_quick_win(impact: int, effort: str, blocked: bool = False) -> bool:
    """Small effort, top impact, and nothing else in the roadmap to do first."""
    return effort == QUICK_WIN_EFFORT and impact >= QUICK_WIN_MIN_IMPACT and not blocked


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
    find_outs = []
    for question in questions:
        result = score.get(question.id)
        if result is None:
            continue
        if needs_finding_out(result):
            find_outs.append(_find_out(question, result, score.band))
        if result.gap <= 0:
            continue
        recs = recommendations_for_gap(question, result.achieved)
        if not recs:
            uncovered.append(question.id)
        for rec in recs:
            picked.setdefault(rec.id, (rec, []))[1].append(result)
    drafts = {
        rec_id: _draft(rec, gaps, picked, known, score) for rec_id, (rec, gaps) in picked.items()
    }
    drafts |= {item.recommendation_id: item for item in find_outs}
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
    blocked = any(d.state == IN_ROADMAP for d in dependencies)
    return RoadmapItem(
        recommendation_id=rec.id,
        kind=FIX,
        foundation=rec.foundation,
        title=rec.title,
        why=rec.why,
        how=rec.how,
        effort=rec.effort,
        impact=rec.impact,
        phase=URGENT_PHASE if rec.foundation else rec.phase,
        bank_phase=rec.phase,
        severity=severity,
        priority=priority_score(severity, rec.impact, rec.effort, max(g.gap for g in gaps)),
        quick_win=is_quick_win(rec.impact, rec.effort, blocked),
        critical=any(g.is_critical_gap for g in gaps),
        question_ids=tuple(g.question_id for g in gaps),
        area=gaps[0].area,
        depends_on=tuple(d.recommendation_id for d in dependencies if d.state == IN_ROADMAP),
        dependencies=dependencies,
    )


def needs_finding_out(result: QuestionScore) -> bool:
    """An unknown that matters at the target scale: critical there, or of the top weight."""
    if not result.flagged_unknown or result.required <= 0:
        return False
    return result.critical or result.weight >= FIND_OUT_MIN_WEIGHT


def find_out_key(question_id: str) -> str:
    return question_id + FIND_OUT_SUFFIX


def _find_out(question: Question, result: QuestionScore, band: str) -> RoadmapItem:
    """The step that finds out what nobody could answer, instead of the level-0 fix."""
    severity = FIND_OUT_SEVERITY[result.critical]
    impact = 3 if result.critical else 2
    weight = "a critical practice" if result.critical else "one of the weightiest practices"
    scale = scale_phrase(band)
    return RoadmapItem(
        recommendation_id=find_out_key(question.id),
        kind=FIND_OUT,
        foundation=False,
        title=f"Find out: {question.topic}",
        why=(
            f"Nobody could answer “{question.text}” For {scale} it is {weight}: until it "
            "is known it counts neither for nor against the system, and the verdict stays "
            "provisional. Finding out is cheap; guessing wrong here is not."
        ),
        how=question.find_out or DEFAULT_FIND_OUT,
        effort="S",
        impact=impact,
        phase=URGENT_PHASE,
        bank_phase=URGENT_PHASE,
        severity=severity,
        priority=priority_score(severity, impact, "S"),
        quick_win=False,
        critical=result.critical,
        question_ids=(question.id,),
        area=question.area,
        depends_on=(),
        dependencies=(),
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
    if not owner.known:
        return DEPENDENCY_UNKNOWN
    if dep.levels and owner.achieved > max(dep.levels):
        return ACHIEVED
    return OUTSIDE_ROADMAP


def _order(drafts: dict[str, RoadmapItem]) -> list[RoadmapItem]:
    """A stable topological sort keyed by (phase, urgent first, -priority, id), dependencies
    pulled forward."""
    _check_acyclic(drafts)
    phase = _scheduled_phases(drafts)
    dependents: dict[str, list[str]] = {rec_id: [] for rec_id in drafts}
    waiting = {}
    for rec_id, item in drafts.items():
        waiting[rec_id] = len(item.depends_on)
        for dep in item.depends_on:
            dependents[dep].append(rec_id)

    def key(rec_id: str) -> tuple:
        item = drafts[rec_id]
        return (phase[rec_id], not item.urgent, -item.priority, rec_id)

    ready = [key(rec_id) for rec_id, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        *_, rec_id = heapq.heappop(ready)
        item = drafts[rec_id]
        ordered.append(item if item.phase == phase[rec_id] else replace(item, phase=phase[rec_id]))
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
