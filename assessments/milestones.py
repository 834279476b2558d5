"""Milestones: an assessment started from the previous one, and two assessments compared.

A consultancy re-assesses a system every few months. Starting from the previous assessment
(``assessment_carry_over``) copies its answers, flagged "carried over" until someone confirms
them, and its roadmap edits, so the plan continues. ``milestone_compare`` is pure: it takes
two already-scored sides and says what moved; the selectors below (``milestone_input``,
``previous_assessment``) do the few flat queries that feed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assessments.bank import BANDS
from assessments.results import Results, assessment_results
from assessments.scoring import VERDICT_LABELS, VERDICTS, EvidenceResult
from checks.runs import latest_evidence

# The roadmap edit fields that carry over (everything but the row's identity and timestamps).
ROADMAP_ENTRY_FIELDS = (
    "key",
    "position",
    "hidden",
    "hidden_reason",
    "owner",
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
# Worst first, like the scoring's view of evidence; "error"/"not_applicable" judge nothing.
CHECK_STATUS_RANK = {"fail": 0, "warn": 1, "pass": 2}


# --- Carrying an assessment over ------------------------------------------------------------


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
    from assessments import audit
    from assessments.models import Answer, Assessment, AuditEvent, Question, RoadmapEntry

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
    entries = [
        RoadmapEntry(assessment=assessment, **row)
        for row in source.roadmap_entries.values(*ROADMAP_ENTRY_FIELDS)
    ]
    RoadmapEntry.objects.bulk_create(entries)
    audit.record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ASSESSMENT,
        subject=title,
        summary=f"Started from “{source.title}”: {len(answers)} answers carried over"
        + (f", {dropped} not in this question bank" if dropped else ""),
        after={"carried_from": source.pk},
    )
    return CarryOver(assessment, len(answers), dropped, len(entries))


def carried_confirm(assessment, *, question=None, area: str | None = None) -> int:
    """Clear the "please confirm" flag on one question's answer or on a whole area's."""
    answers = assessment.answers.filter(carried_over=True)
    if question is not None:
        answers = answers.filter(question=question)
    if area is not None:
        answers = answers.filter(question__area=area)
    return answers.update(carried_over=False)


def carried_count(assessment) -> int:
    return assessment.answers.filter(carried_over=True).count()


# --- Reading both sides ---------------------------------------------------------------------


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


def evidence_cutoff(assessment) -> datetime:
    """Probe evidence counts for an assessment up to its submission (or now, while open)."""
    return assessment.submitted_at or timezone.now()


def milestone_input(assessment, results: Results | None = None) -> MilestoneInput:
    """Score ``assessment`` with the probe evidence of its time; four queries.

    ``results`` skips the scoring when the caller already has it (the report does).
    """
    evidence = latest_evidence(assessment.system_id, before=evidence_cutoff(assessment))
    if results is None:
        results = assessment_results(assessment, [EvidenceResult(**row) for row in evidence])
    statuses = {}
    titles = {}
    for key, status, is_custom, title in assessment.roadmap_entries.values_list(
        "key", "status", "is_custom", "title"
    ):
        statuses[key] = status
        if is_custom:
            titles[key] = title
    return MilestoneInput(
        assessment_id=assessment.pk,
        title=assessment.title,
        on=assessment.submitted_at or assessment.created_at,
        results=results,
        roadmap_status=statuses,
        custom_titles=titles,
        probe_statuses={(r["check_id"], r["target_url"]): r["status"] for r in evidence},
    )


def previous_assessment(assessment):
    """The assessment this one is a milestone after: the one it was carried from, or else
    the latest one of the same system started before it. One query; None for the first."""
    from assessments.models import Assessment

    earlier = Assessment.objects.select_related("system", "bank_version").filter(
        system_id=assessment.system_id
    )
    if assessment.carried_from_id:
        return earlier.filter(pk=assessment.carried_from_id).first()
    return (
        earlier.filter(
            Q(created_at__lt=assessment.created_at)
            | Q(created_at=assessment.created_at, pk__lt=assessment.pk)
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def in_time_order(first, second) -> tuple:
    """(older, newer) by start time: deltas always read as progress from then to now."""
    return tuple(sorted((first, second), key=lambda a: (a.created_at, a.pk)))


# --- Comparing --------------------------------------------------------------------------------


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
    overall: float
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
    def overall_delta(self) -> float:
        return round(self.newer.overall - self.older.overall, 1)

    @property
    def verdict_change(self) -> str:
        """ "better", "worse" or "same": verdicts are ordered best first."""
        before, after = VERDICTS.index(self.older.verdict), VERDICTS.index(self.newer.verdict)
        return "same" if before == after else "better" if after < before else "worse"


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


# --- Chart --------------------------------------------------------------------------------

PAIR_ROW_HEIGHT = 46  # two bars per area
THEN_FILL = "#98a2b3"  # the earlier score, in grey, beside the coloured current one


def milestone_chart(comparison: Comparison) -> dict:
    """Paired bars per area (then, now), built like the results page's area chart."""
    from assessments.reports import CHART_FILLS
    from assessments.views.results import CHART_BAR_WIDTH, score_band

    rows = []
    for index, area in enumerate(comparison.areas):
        bars = []
        for offset, (label, score) in enumerate((("then", area.before), ("now", area.after))):
            band = "na" if score is None else "then" if label == "then" else score_band(score)
            bars.append(
                {
                    "label": label,
                    "score": score,
                    "y": 4 + offset * 19,
                    "width": 0 if score is None else round(score * CHART_BAR_WIDTH / 100),
                    "band": band,
                    # An attribute too: WeasyPrint's SVG renderer ignores page CSS classes.
                    "fill": CHART_FILLS.get(band, THEN_FILL),
                }
            )
        rows.append(
            {
                "title": area.title,
                "delta": area.delta,
                "y": index * PAIR_ROW_HEIGHT,
                "bars": bars,
            }
        )
    return {"rows": rows, "height": len(rows) * PAIR_ROW_HEIGHT, "bar_width": CHART_BAR_WIDTH}


def report_milestone(assessment, results: Results) -> dict | None:
    """The report's "Progress since …" section, or None for a system's first assessment.

    The current side reuses the report's own ``results`` so the section agrees with the rest
    of the document; the previous one is scored with the evidence of its time.
    """
    previous = previous_assessment(assessment)
    if previous is None:
        return None
    comparison = milestone_compare(milestone_input(previous), milestone_input(assessment, results))
    return {"comparison": comparison, "chart": milestone_chart(comparison)}
