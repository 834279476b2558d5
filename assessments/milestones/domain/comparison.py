"""Two scored assessments of one system compared: what moved in scores, verdict, findings,
the plan and the probes. Pure: the same inputs always give an equal ``Comparison``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from assessments.results.domain.results import Results
from assessments.results.domain.scoring import INSUFFICIENT, VERDICT_LABELS, VERDICTS
from checks.engine.ids import CHECK_TITLES

# Worst first, like the scoring's view of evidence; "error"/"not_applicable" judge nothing.
CHECK_STATUS_RANK = {"fail": 0, "warn": 1, "pass": 2}


@dataclass(frozen=True)
class MilestoneInput:
    """One scored assessment with what the comparison needs beside its score."""

    assessment_id: int
    title: str
    on: datetime  # submitted, or started when not submitted
    results: Results
    roadmap_status: Mapping[str, str]  # roadmap entry key -> status
    custom_titles: Mapping[str, str]  # custom roadmap item key -> title
    probe_statuses: Mapping[tuple[str, str], str]  # (check id, target url) -> status


def in_time_order(first, second) -> tuple:
    """(older, newer) by start time: deltas always read as progress from then to now."""
    return tuple(sorted((first, second), key=lambda a: (a.created_at, a.pk)))


@dataclass(frozen=True)
class AreaDelta:
    area: str
    title: str
    before: float | None  # None: not in that assessment, or every question N/A
    after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 1)


@dataclass(frozen=True)
class FindingChange:
    """One question with a gap in either assessment (a finding), matched by question key."""

    key: str
    text: str
    area_title: str
    severity_before: str  # "" when it was no finding then
    severity_after: str
    achieved_before: int | None
    achieved_after: int | None
    required: int  # in the newer assessment when the question is there, else the older


@dataclass(frozen=True)
class ContradictionChange:
    key: str
    text: str


@dataclass(frozen=True)
class RoadmapProgress:
    key: str
    title: str


@dataclass(frozen=True)
class CheckChange:
    check_id: str
    target_url: str
    before: str | None  # None: the check had no result then
    after: str | None

    @property
    def title(self) -> str:
        """The check in words, for people."""
        return CHECK_TITLES.get(self.check_id, "A probe check")

    @property
    def direction(self) -> str:
        """ "better", "worse", or "changed" (a side without a judging status)."""
        before = CHECK_STATUS_RANK.get(self.before or "")
        after = CHECK_STATUS_RANK.get(self.after or "")
        if before is None or after is None:
            return "changed"
        return "better" if after > before else "worse"


@dataclass(frozen=True)
class Side:
    assessment_id: int
    title: str
    on: datetime
    overall: float | None  # maturity of what was known then
    verdict: str
    gaps: int

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]


@dataclass(frozen=True)
class Comparison:
    older: Side
    newer: Side
    areas: tuple[AreaDelta, ...]
    resolved: tuple[FindingChange, ...]  # a gap then, none now
    new: tuple[FindingChange, ...]  # no gap then (or not asked), a gap now
    unchanged: tuple[FindingChange, ...]  # a gap in both (its severity may have moved)
    retired: tuple[FindingChange, ...]  # a gap then, on a question the newer bank dropped
    contradictions_resolved: tuple[ContradictionChange, ...]
    contradictions_new: tuple[ContradictionChange, ...]
    roadmap_done: tuple[RoadmapProgress, ...]  # marked done since
    roadmap_closed: tuple[RoadmapProgress, ...]  # recommended then, gone because the gap closed
    checks_changed: tuple[CheckChange, ...]
    checks_unchanged: int

    @property
    def overall_delta(self) -> float | None:
        """Change of the maturity of what is known; None when one side knows nothing yet."""
        if self.newer.overall is None or self.older.overall is None:
            return None
        return round(self.newer.overall - self.older.overall, 1)

    @property
    def verdict_change(self) -> str:
        """ "better", "worse", "same", or "changed" when either side could not be judged."""
        if self.older.verdict == self.newer.verdict:
            return "same"
        if INSUFFICIENT in (self.older.verdict, self.newer.verdict):
            return "changed"
        before, after = VERDICTS.index(self.older.verdict), VERDICTS.index(self.newer.verdict)
        return "better" if after < before else "worse"


def _side(data: MilestoneInput) -> Side:
    score = data.results.score
    return Side(
        assessment_id=data.assessment_id,
        title=data.title,
        on=data.on,
        overall=score.overall,
        verdict=score.verdict,
        gaps=len(score.gaps),
    )


def _area_deltas(older: Results, newer: Results) -> tuple[AreaDelta, ...]:
    before = {area.area: area.score for area in older.score.areas}
    after = {area.area: area.score for area in newer.score.areas}
    order = list(after) + [area for area in before if area not in after]
    titles = {**older.area_titles, **newer.area_titles}
    return tuple(
        AreaDelta(area, titles.get(area, area), before.get(area), after.get(area)) for area in order
    )


def _findings(older: Results, newer: Results) -> dict[str, tuple[FindingChange, ...]]:
    was = {q.question_id: q for q in older.score.gaps}
    now = {q.question_id: q for q in newer.score.gaps}
    groups: dict[str, list[FindingChange]] = {
        "resolved": [],
        "new": [],
        "unchanged": [],
        "retired": [],
    }
    keys = [q.question_id for q in newer.score.questions] + [
        q.question_id for q in older.score.questions if q.question_id not in newer.questions
    ]
    for key in keys:
        if key not in was and key not in now:
            continue
        before, after = older.score.get(key), newer.score.get(key)
        source = newer if key in newer.questions else older
        question = source.questions[key]
        change = FindingChange(
            key=key,
            text=question.text,
            area_title=source.area_titles.get(question.area, question.area),
            severity_before=was[key].severity if key in was else "",
            severity_after=now[key].severity if key in now else "",
            achieved_before=before.achieved if before else None,
            achieved_after=after.achieved if after else None,
            required=(after or before).required,
        )
        if key not in newer.questions:
            groups["retired"].append(change)
        elif key in was and key in now:
            groups["unchanged"].append(change)
        elif key in was:
            groups["resolved"].append(change)
        else:
            groups["new"].append(change)
    return {name: tuple(changes) for name, changes in groups.items()}


def _contradictions(older: Results, newer: Results):
    was = [c.question_id for c in older.score.contradictions]
    now = [c.question_id for c in newer.score.contradictions]

    def change(key: str, results: Results) -> ContradictionChange:
        return ContradictionChange(key, results.questions[key].text)

    resolved = tuple(change(key, older) for key in was if key not in now)
    new = tuple(change(key, newer) for key in now if key not in was)
    return resolved, new


def _roadmap(older: MilestoneInput, newer: MilestoneInput):
    titles = {
        **older.custom_titles,
        **{item.recommendation_id: item.title for item in older.results.roadmap.items},
        **newer.custom_titles,
        **{item.recommendation_id: item.title for item in newer.results.roadmap.items},
    }
    done = tuple(
        RoadmapProgress(key, titles.get(key, key))
        for key, status in newer.roadmap_status.items()
        if status == "done" and older.roadmap_status.get(key) != "done"
    )
    still_recommended = {item.recommendation_id for item in newer.results.roadmap.items}
    closed = tuple(
        RoadmapProgress(item.recommendation_id, item.title)
        for item in older.results.roadmap.items
        if item.recommendation_id not in still_recommended
    )
    return done, closed


def _checks(older: MilestoneInput, newer: MilestoneInput) -> tuple[tuple[CheckChange, ...], int]:
    targets = sorted(set(older.probe_statuses) | set(newer.probe_statuses))
    changed = []
    unchanged = 0
    for target in targets:
        before, after = older.probe_statuses.get(target), newer.probe_statuses.get(target)
        if before == after:
            unchanged += 1
        else:
            changed.append(CheckChange(target[0], target[1], before, after))
    return tuple(changed), unchanged


def milestone_compare(older: MilestoneInput, newer: MilestoneInput) -> Comparison:
    """What moved from ``older`` to ``newer``: scores, verdict, findings, plan and probes.

    Pure: the same inputs always give an equal ``Comparison``. Findings are matched by
    question key, so assessments on different bank versions compare what they share.
    """
    findings = _findings(older.results, newer.results)
    contradictions_resolved, contradictions_new = _contradictions(older.results, newer.results)
    roadmap_done, roadmap_closed = _roadmap(older, newer)
    checks_changed, checks_unchanged = _checks(older, newer)
    return Comparison(
        older=_side(older),
        newer=_side(newer),
        areas=_area_deltas(older.results, newer.results),
        resolved=findings["resolved"],
        new=findings["new"],
        unchanged=findings["unchanged"],
        retired=findings["retired"],
        contradictions_resolved=contradictions_resolved,
        contradictions_new=contradictions_new,
        roadmap_done=roadmap_done,
        roadmap_closed=roadmap_closed,
        checks_changed=checks_changed,
        checks_unchanged=checks_unchanged,
    )
