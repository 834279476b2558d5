"""Scoring: answers and probe evidence, against a target scale, give a readiness verdict.

One concern, the scoring formula, from a question's credit to the verdict and headroom; it
is long because every rule is spelled out beside its named constant.

``score_assessment(questions, answers, band, evidence, capacity)`` is pure and deterministic:
the same inputs always give an equal ``ScoreResult``, whatever the order of the evidence.
No Django imports: the results page, the PDF, the ``score`` command and the tests all call it
the same way. Every threshold and weight is a named constant below; ``methodology`` fills the
in-app methodology page from them, so the page cannot drift from the code.

How ScaleReady judges: unknown is not zero. Maturity is scored from what is known (answers
with a level, and what the probes observed); what nobody could answer is coverage, reported
beside the score, and makes the verdict provisional. Known critical gaps cap the verdict by
how far short they are. Reasons name practices in words (each question's ``topic``).

Questions are any iterable of bank ``Question``s (a shipped bank's questions plus a
workspace's custom ones); areas are taken from the questions, in order of first appearance.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assessments.bank.domain.bank import BAND_TITLES, BANDS, Question
from checks.engine.catalog.base import STATUSES

# --- Rules ------------------------------------------------------------------------------------
# Answers.
LEVEL, NOT_APPLICABLE, UNKNOWN = "level", "na", "unknown"
ANSWER_STATES = (LEVEL, NOT_APPLICABLE, UNKNOWN)  # the questionnaire's export states
UNANSWERED = "unanswered"  # no answer at all: like "don't know", it is unknown, not level 0
UNKNOWN_STATES = (UNKNOWN, UNANSWERED)

# Evidence. A failing check shows the practice is at best partly in place, whatever was claimed
# (a question may add its own rules: ``Question.check_caps``, e.g. no CDN seen for a CDN claim).
EVIDENCE_LEVEL_CAPS = {"fail": 1}
# "warn" means imperfect or unconfirmed (a 429 limit the bounded burst could not reach, a cert
# expiring in 25 days): not proof that the claim is wrong, so by default it never lowers a level.
CORROBORATING_STATUSES = ("pass",)  # confirms a claim; never raises it
IGNORED_STATUSES = ("error", "not_applicable")  # the check could not judge: no evidence at all
_STATUS_BADNESS = {"fail": 0, "warn": 1, "pass": 2}  # worst first, across targets

# Severity of a known gap, from gap (levels missing) x question weight (1-3).
SEVERITY_HIGH_MIN = 6  # e.g. two levels short on a weight-3 question, three on a weight-2 one
SEVERITY_MEDIUM_MIN = 3  # e.g. one level short on a weight-3 question, two on a weight-2 one
SEVERITIES = ("critical", "high", "medium", "low", "none")  # worst first

# How far a critical practice is below what the target scale requires.
ABSENT, FAR_SHORT, ONE_SHORT = "absent", "far_short", "one_short"
FAR_SHORT_GAP = 2  # levels below the requirement that make a critical practice "far short"

# Verdict.
VERDICTS = ("ready", "nearly_ready", "at_risk", "not_ready")  # best first
INSUFFICIENT = "insufficient"  # not enough answers to judge honestly
VERDICT_LABELS = {
    "ready": "Ready",
    "nearly_ready": "Nearly ready",
    "at_risk": "At risk",
    "not_ready": "Not ready",
    INSUFFICIENT: "Not enough answers to judge",
}
# Minimum maturity score for each verdict; below the last one the verdict is "not_ready".
VERDICT_THRESHOLDS = (("ready", 85.0), ("nearly_ready", 70.0), ("at_risk", 50.0))
# A critical practice that is absent or far short can take the system down or lose data at
# the target scale: the system is not ready, whatever the rest looks like.
SHORTFALL_CAP = "not_ready"
# A competent critical practice one step short is a risk to fix, not a missing foundation.
ONE_SHORT_CAP = "at_risk"
# Critical practices nobody could vouch for: never "Ready" on trust, and with this many or
# more unknown the verdict can be no better than "At risk" until they are found out.
CRITICAL_UNKNOWN_CAP = "nearly_ready"
MANY_CRITICAL_UNKNOWNS = 3
MANY_CRITICAL_UNKNOWNS_CAP = "at_risk"
# Coverage: share of the applicable questions (not N/A) whose level is known.
MIN_COVERAGE = 0.4  # below this there are not enough answers for an honest verdict
PROVISIONAL_COVERAGE = 0.8  # below this the verdict is provisional

# Confidence in an achieved level.
CONFIDENCES = (
    "corroborated",  # a check agrees with the answer
    "contradicted",  # a check disproved the answer and lowered the level
    "observed",  # nobody knew; a check showed the level is at most this
    "unverified",  # answered, no check speaks to it
    "unknown",  # "don't know" or unanswered, and no check speaks to it
    "not_applicable",
)

# Capacity headroom: the peak load the target scale implies, compared with a measured burst.
PEAK_ONLINE_SHARE = 0.05  # share of all users online at the same moment in the busiest hour
DEFAULT_REQUESTS_PER_USER_PER_MINUTE = 2.0  # app/API requests per online user (CDN assets excluded)
DEFAULT_PEAK_FACTOR = 3.0  # short spikes (launches, campaigns, retries) over the busy-hour mean
HEADROOM_P95_LIMIT_MS = 1_000.0  # a p95 above one second under load is already an outage for users
HEADROOM_TARGET = 1.0  # measured / needed; at least 1x means the peak has been demonstrated

# Scores are rounded once, before thresholds are applied, so the score shown is the one judged.
SCORE_DECIMALS = 1


# --- Inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerValue:
    """One answer: ``state`` is "level" (with ``level``), "na" or "unknown" (``level`` None)."""

    question_id: str
    state: str
    level: int | None = None

    def __post_init__(self) -> None:
        if self.state not in ANSWER_STATES:
            raise ValueError(
                f"{self.question_id}: state must be one of {ANSWER_STATES}, got {self.state!r}"
            )
        if self.state == LEVEL and (
            isinstance(self.level, bool) or not isinstance(self.level, int)
        ):
            raise ValueError(f"{self.question_id}: a 'level' answer needs an integer level")
        if self.state != LEVEL and self.level is not None:
            raise ValueError(f"{self.question_id}: level must be None for state {self.state!r}")


@dataclass(frozen=True)
class EvidenceResult:
    """One check result on one target, as the probe reports it."""

    check_id: str
    status: str
    score: int
    message: str
    evidence: dict[str, Any] = field(default_factory=dict, hash=False)
    target_url: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"{self.check_id}: status must be one of {STATUSES}")


@dataclass(frozen=True)
class CapacityInputs:
    """The scale to plan for and, when a burst ran, what it measured.

    ``requests_per_user_per_minute`` counts requests per *online* user; None means the default.
    """

    target_users: int
    requests_per_user_per_minute: float | None = None
    peak_factor: float | None = None
    measured_rps: float | None = None
    measured_p95_ms: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.target_users, bool) or not isinstance(self.target_users, int):
            raise ValueError("target_users must be an integer")
        if self.target_users < 0:
            raise ValueError("target_users cannot be negative")
        for name in ("requests_per_user_per_minute", "peak_factor"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        for name in ("measured_rps", "measured_p95_ms"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} cannot be negative, got {value!r}")


# --- Outputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contradiction:
    """A claim the probes disproved: the answer said ``claimed_level``, evidence capped it."""

    question_id: str
    claimed_level: int
    claimed_label: str
    lowered_to: int
    observed: tuple[EvidenceResult, ...]  # the failing results, worst first, then bank order


@dataclass(frozen=True)
class QuestionScore:
    question_id: str
    area: str
    topic: str  # the practice in words, for reasons and findings
    weight: int
    critical: bool  # critical at the target scale
    state: str  # "level", "na", "unknown" or "unanswered"
    required: int
    claimed: int | None  # the answer's level; None for na/unknown/unanswered
    known: bool  # the level is known: answered, or observed by a probe
    achieved: int | None  # after evidence; None for na and for what is not known
    gap: int  # max(0, required - achieved); 0 for na and for what is not known
    credit: float | None  # 0..1; None for na and for what is not known
    severity: str  # one of SEVERITIES ("none" without a known gap)
    shortfall: str  # for a critical gap: ABSENT, FAR_SHORT or ONE_SHORT; else ""
    confidence: str  # one of CONFIDENCES
    flagged_unknown: bool  # "don't know" or unanswered, and not observed: to find out
    evidence: tuple[EvidenceResult, ...] = ()  # worst pass/warn/fail result per informing check

    @property
    def is_gap(self) -> bool:
        return self.gap > 0

    @property
    def is_critical_gap(self) -> bool:
        return self.critical and self.gap > 0

    @property
    def is_critical_unknown(self) -> bool:
        """A critical practice at the target scale whose level nobody knows."""
        return self.critical and self.required > 0 and self.flagged_unknown


@dataclass(frozen=True)
class AreaScore:
    area: str
    score: float | None  # 0-100 over the known questions; None when none is known
    total: int  # questions in the area
    answered: int  # with any answer (a level, N/A or "don't know")
    not_applicable: int
    unknown: int  # "don't know"
    known: int  # with a known level (answered, or observed by a probe)
    gaps: int
    weight: int  # sum of the weights of the known, applicable questions

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable

    @property
    def coverage(self) -> float | None:
        """Share of the applicable questions whose level is known; None when all are N/A."""
        return self.known / self.applicable if self.applicable else None


@dataclass(frozen=True)
class Coverage:
    """What the verdict rests on: how many levels are known, overall and for critical ones."""

    applicable: int  # questions not answered N/A
    known: int  # with a known level
    dont_know: int  # answered "don't know" (and not observed by a probe)
    unanswered: int  # not answered (and not observed by a probe)
    critical: int  # critical at the target scale with a required level, not N/A
    critical_known: int

    @property
    def share(self) -> float:
        return self.known / self.applicable if self.applicable else 1.0

    @property
    def critical_unknown(self) -> int:
        return self.critical - self.critical_known

    @property
    def percent(self) -> int:
        return round(100 * self.share)


@dataclass(frozen=True)
class Reason:
    """One reason of the verdict, in words, with the questions it is about.

    ``theme`` groups reasons: "maturity" (the score), "critical_gap" (a known critical gap),
    "unknown" (what nobody could answer) and "coverage" (what the verdict rests on).
    """

    theme: str
    text: str
    question_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Headroom:
    target_users: int
    online_share: float
    requests_per_user_per_minute: float
    peak_factor: float
    needed_peak_rps: float
    measured_rps: float | None
    measured_p95_ms: float | None
    headroom_factor: float | None  # measured / needed, None when not measured
    p95_within_limit: bool | None
    sufficient: bool | None  # factor >= HEADROOM_TARGET and p95 within the limit
    status: str  # "measured" or "not_measured"
    explanation: str


@dataclass(frozen=True)
class ScoreResult:
    band: str
    questions: tuple[QuestionScore, ...]  # in the order the questions were given
    areas: tuple[AreaScore, ...]  # in order of first appearance
    overall: float | None  # maturity of what is known, 0-100; None when nothing is known
    verdict: str  # one of VERDICTS, or INSUFFICIENT
    reasons: tuple[Reason, ...]
    coverage: Coverage
    provisional: bool  # answers still unknown could change the verdict
    gap_counts: dict[str, int] = field(hash=False)  # critical/high/medium/low -> count
    contradictions: tuple[Contradiction, ...] = ()
    headroom: Headroom | None = None  # None when no CapacityInputs were given
    _by_id: dict[str, QuestionScore] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {q.question_id: q for q in self.questions})

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def verdict_reasons(self) -> tuple[str, ...]:
        return tuple(reason.text for reason in self.reasons)

    @property
    def band_title(self) -> str:
        return BAND_TITLES[self.band]

    def question(self, question_id: str) -> QuestionScore:
        return self._by_id[question_id]

    def get(self, question_id: str) -> QuestionScore | None:
        return self._by_id.get(question_id)

    def area(self, area_id: str) -> AreaScore:
        return next(a for a in self.areas if a.area == area_id)

    @property
    def gaps(self) -> tuple[QuestionScore, ...]:
        return tuple(q for q in self.questions if q.gap > 0)

    @property
    def critical_gaps(self) -> tuple[QuestionScore, ...]:
        return tuple(q for q in self.questions if q.is_critical_gap)

    @property
    def unknowns(self) -> tuple[QuestionScore, ...]:
        """Questions whose level nobody knows (not observed by a probe either)."""
        return tuple(q for q in self.questions if q.flagged_unknown)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, for exports and ``score --json``."""
        return {
            "band": self.band,
            "band_title": self.band_title,
            "overall": self.overall,
            "verdict": self.verdict,
            "verdict_label": self.verdict_label,
            "provisional": self.provisional,
            "reasons": [asdict(r) for r in self.reasons],
            "coverage": {
                **asdict(self.coverage),
                "share": round(self.coverage.share, 3),
                "critical_unknown": self.coverage.critical_unknown,
            },
            "gap_counts": dict(self.gap_counts),
            "areas": [{**asdict(a), "coverage": a.coverage} for a in self.areas],
            "questions": [asdict(q) for q in self.questions],
            "contradictions": [asdict(c) for c in self.contradictions],
            "headroom": asdict(self.headroom) if self.headroom is not None else None,
        }


# --- Scoring ----------------------------------------------------------------------------------


def count_gaps(questions: Sequence[QuestionScore]) -> dict[str, int]:
    """Gaps by severity (critical/high/medium/low), as ``ScoreResult.gap_counts`` holds them."""
    return {s: sum(q.severity == s for q in questions) for s in SEVERITIES[:-1]}


def score_assessment(
    questions: Iterable[Question],
    answers: Mapping[str, AnswerValue],
    band: str,
    evidence: Iterable[EvidenceResult] = (),
    capacity: CapacityInputs | None = None,
) -> ScoreResult:
    """Score answers (keyed by question id) and check results against a target band.

    Answers to questions not in ``questions`` are ignored, so callers may pass every stored
    answer. Raises ``ValueError`` for an unknown band, duplicate question ids, an answer filed
    under another question's id, or a level the question has no option for.
    """
    if band not in BANDS:
        raise ValueError(f"unknown band {band!r} (bands: {', '.join(BANDS)})")
    questions = tuple(questions)
    _check_unique(questions)
    worst = _worst_results(evidence)
    scored = []
    contradictions = []
    for question in questions:
        answer = answers.get(question.id)
        if answer is not None and answer.question_id != question.id:
            raise ValueError(f"answer for {answer.question_id!r} filed under {question.id!r}")
        question_score, contradiction = _score_question(question, answer, band, worst)
        scored.append(question_score)
        if contradiction is not None:
            contradictions.append(contradiction)
    overall = _overall(scored)
    coverage = measure_coverage(scored)
    verdict, provisional = judge(
        overall,
        coverage.share,
        shortfalls=sum(q.shortfall in (ABSENT, FAR_SHORT) for q in scored),
        one_short=sum(q.shortfall == ONE_SHORT for q in scored),
        critical_unknown=coverage.critical_unknown,
    )
    by_id = {q.id: q for q in questions}
    return ScoreResult(
        band=band,
        questions=tuple(scored),
        areas=_area_scores(scored),
        overall=overall,
        verdict=verdict,
        reasons=verdict_reasons(verdict, overall, coverage, scored, by_id, band),
        coverage=coverage,
        provisional=provisional,
        gap_counts=count_gaps(scored),
        contradictions=tuple(contradictions),
        headroom=estimate_headroom(capacity) if capacity is not None else None,
    )


def _check_unique(questions: tuple[Question, ...]) -> None:
    seen: set[str] = set()
    for question in questions:
        if question.id in seen:
            raise ValueError(f"question {question.id!r} is listed twice")
        seen.add(question.id)


def _worst_results(evidence: Iterable[EvidenceResult]) -> dict[str, EvidenceResult]:
    """The worst usable result per check across targets; ties are broken on every field, so
    the choice never depends on the order results arrive in."""
    worst: dict[str, EvidenceResult] = {}
    for result in evidence:
        if result.status in IGNORED_STATUSES:
            continue
        current = worst.get(result.check_id)
        if current is None or _badness(result) < _badness(current):
            worst[result.check_id] = result
    return worst


def _badness(result: EvidenceResult) -> tuple:
    evidence = json.dumps(result.evidence, sort_keys=True, default=str)
    return (
        _STATUS_BADNESS[result.status],
        result.score,
        result.target_url,
        result.message,
        evidence,
    )


def evidence_cap(question: Question, result: EvidenceResult) -> int | None:
    """The highest level ``result`` allows for ``question``; None when it says nothing."""
    own = question.check_caps.get(result.check_id, {})
    return own.get(result.status, EVIDENCE_LEVEL_CAPS.get(result.status))


def _score_question(
    question: Question,
    answer: AnswerValue | None,
    band: str,
    worst: Mapping[str, EvidenceResult],
) -> tuple[QuestionScore, Contradiction | None]:
    state = answer.state if answer is not None else UNANSWERED
    claimed = answer.level if state == LEVEL else None
    if claimed is not None and question.option(claimed) is None:
        levels = [o.level for o in question.options]
        raise ValueError(f"{question.id}: level {claimed} is not an option (levels: {levels})")
    required = question.required_level(band)
    critical = question.is_critical_at(band)
    results = tuple(worst[c] for c in question.checks if c in worst)
    common = {
        "question_id": question.id,
        "area": question.area,
        "topic": question.topic,
        "weight": question.weight,
        "critical": critical,
        "state": state,
        "required": required,
        "claimed": claimed,
        "evidence": results,
    }
    unknown = {
        "known": False,
        "achieved": None,
        "gap": 0,
        "credit": None,
        "severity": "none",
        "shortfall": "",
    }
    if state == NOT_APPLICABLE:
        score = QuestionScore(
            **common, **unknown, confidence="not_applicable", flagged_unknown=False
        )
        return score, None
    caps = [cap for r in results if (cap := evidence_cap(question, r)) is not None]
    cap = min(caps, default=None)
    if claimed is None and cap is None:
        score = QuestionScore(**common, **unknown, confidence="unknown", flagged_unknown=True)
        return score, None
    # Known: answered with a level (lowered by disproving evidence), or, when nobody knew,
    # observed by a probe to be at most ``cap``.
    achieved = cap if claimed is None else claimed if cap is None else min(claimed, cap)
    contradiction = None
    if claimed is not None and cap is not None and claimed > cap:
        # Worst first; equally bad results keep the order the question lists its checks in.
        lowering = []
        for result in results:
            level = evidence_cap(question, result)
            if level is not None and level < claimed:
                lowering.append(result)
        observed = sorted(lowering, key=lambda r: (_STATUS_BADNESS[r.status], r.score))
        option = question.option(claimed)
        contradiction = Contradiction(
            question_id=question.id,
            claimed_level=claimed,
            claimed_label=option.label if option else "",
            lowered_to=cap,
            observed=tuple(observed),
        )
    gap = max(0, required - achieved)
    score = QuestionScore(
        **common,
        known=True,
        achieved=achieved,
        gap=gap,
        credit=question_credit(achieved, required),
        severity=gap_severity(gap, question.weight, critical),
        shortfall=critical_shortfall(achieved, gap) if critical else "",
        confidence=_confidence(claimed, results, contradiction),
        flagged_unknown=False,
    )
    return score, contradiction


def question_credit(achieved: int, required: int) -> float:
    """The share of the required level reached; a question requiring level 0 never costs."""
    if required <= 0:
        return 1.0
    return min(achieved, required) / required


def gap_severity(gap: int, weight: int, critical: bool) -> str:
    """Critical question below the bar -> critical; else by gap x weight."""
    if gap <= 0:
        return "none"
    if critical:
        return "critical"
    if gap * weight >= SEVERITY_HIGH_MIN:
        return "high"
    if gap * weight >= SEVERITY_MEDIUM_MIN:
        return "medium"
    return "low"


def critical_shortfall(achieved: int, gap: int) -> str:
    """How far a critical practice is below its requirement: absent (nothing in place), far
    short (``FAR_SHORT_GAP`` levels or more), one step short; "" without a gap."""
    if gap <= 0:
        return ""
    if achieved <= 0:
        return ABSENT
    return FAR_SHORT if gap >= FAR_SHORT_GAP else ONE_SHORT


def _confidence(
    claimed: int | None, results: Sequence[EvidenceResult], contradiction: Contradiction | None
) -> str:
    if contradiction is not None:
        return "contradicted"
    if claimed is None:
        return "observed"  # nobody knew; a check showed where it stands
    # A pass confirms; a failure that agrees with a modest claim confirms it too.
    if any(r.status in CORROBORATING_STATUSES or r.status in EVIDENCE_LEVEL_CAPS for r in results):
        return "corroborated"
    return "unverified"


def _area_scores(scored: Sequence[QuestionScore]) -> tuple[AreaScore, ...]:
    by_area: dict[str, list[QuestionScore]] = {}
    for question in scored:
        by_area.setdefault(question.area, []).append(question)
    return tuple(_area_score(area, members) for area, members in by_area.items())


def _area_score(area: str, members: Sequence[QuestionScore]) -> AreaScore:
    weight, earned = _weighted(members)
    return AreaScore(
        area=area,
        score=_percent(earned, weight) if weight else None,
        total=len(members),
        answered=sum(q.state != UNANSWERED for q in members),
        not_applicable=sum(q.state == NOT_APPLICABLE for q in members),
        unknown=sum(q.state == UNKNOWN for q in members),
        known=sum(q.known for q in members),
        gaps=sum(q.gap > 0 for q in members),
        weight=weight,
    )


def _weighted(questions: Iterable[QuestionScore]) -> tuple[int, float]:
    scored = [q for q in questions if q.credit is not None]
    return sum(q.weight for q in scored), sum(q.weight * q.credit for q in scored)


def _overall(scored: Sequence[QuestionScore]) -> float | None:
    """The weighted mean of the known questions' credits; None when nothing is known."""
    weight, earned = _weighted(scored)
    return _percent(earned, weight) if weight else None


def _percent(earned: float, weight: int) -> float:
    return round(100 * earned / weight, SCORE_DECIMALS)


def measure_coverage(scored: Sequence[QuestionScore]) -> Coverage:
    applicable = [q for q in scored if q.state != NOT_APPLICABLE]
    critical = [q for q in applicable if q.critical and q.required > 0]
    return Coverage(
        applicable=len(applicable),
        known=sum(q.known for q in applicable),
        dont_know=sum(q.flagged_unknown and q.state == UNKNOWN for q in applicable),
        unanswered=sum(q.flagged_unknown and q.state == UNANSWERED for q in applicable),
        critical=len(critical),
        critical_known=sum(q.known for q in critical),
    )


# --- Verdict ----------------------------------------------------------------------------------


def verdict_by_score(overall: float) -> str:
    return next((v for v, minimum in VERDICT_THRESHOLDS if overall >= minimum), "not_ready")


def _rank(verdict: str) -> int:
    return VERDICTS.index(verdict)


def _worst(*verdicts: str) -> str:
    return max(verdicts, key=_rank)


def verdict_caps(one_short: int, critical_unknown: int) -> tuple[str, ...]:
    """The caps that known one-step-short critical gaps and unknown critical practices put on
    a verdict the score would otherwise give."""
    caps = []
    if one_short:
        caps.append(ONE_SHORT_CAP)
    if critical_unknown >= MANY_CRITICAL_UNKNOWNS:
        caps.append(MANY_CRITICAL_UNKNOWNS_CAP)
    elif critical_unknown:
        caps.append(CRITICAL_UNKNOWN_CAP)
    return tuple(caps)


def judge(
    overall: float | None,
    coverage: float,
    *,
    shortfalls: int,
    one_short: int,
    critical_unknown: int,
) -> tuple[str, bool]:
    """The verdict and whether it is provisional, from counts (the portfolio uses it too).

    - A critical practice absent or far short: not ready; answering the rest cannot change that.
    - Fewer than ``MIN_COVERAGE`` of the applicable levels known: not enough to judge.
    - Otherwise the maturity score's verdict, capped by ``verdict_caps``; provisional while a
      critical practice is unknown or coverage is below ``PROVISIONAL_COVERAGE``.

    Monotonic: a better known level never gives a worse verdict, and a larger target (higher
    required levels, more critical practices) never gives a better one.
    """
    if shortfalls:
        return SHORTFALL_CAP, False
    if overall is None or coverage < MIN_COVERAGE:
        return INSUFFICIENT, True
    verdict = _worst(verdict_by_score(overall), *verdict_caps(one_short, critical_unknown))
    return verdict, critical_unknown > 0 or coverage < PROVISIONAL_COVERAGE


def verdict_reasons(
    verdict: str,
    overall: float | None,
    coverage: Coverage,
    scored: Sequence[QuestionScore],
    questions: Mapping[str, Question],
    band: str,
) -> tuple[Reason, ...]:
    """Why the verdict is what it is, in words: known critical gaps, what is unknown, what the
    verdict rests on. Practices are named by their topic, never by an id."""
    scale = scale_phrase(band)
    reasons = []
    shortfalls = [q for q in scored if q.shortfall in (ABSENT, FAR_SHORT)]
    one_short = [q for q in scored if q.shortfall == ONE_SHORT]
    critical_unknowns = [q for q in scored if q.is_critical_unknown]
    if shortfalls:
        reasons.append(
            Reason(
                "critical_gap",
                f"Not ready: {_count(len(shortfalls), 'critical practice')} "
                f"{'is' if len(shortfalls) == 1 else 'are'} missing or far short of what "
                f"{scale} needs.",
                tuple(q.question_id for q in shortfalls),
            )
        )
    elif verdict == INSUFFICIENT:
        reasons.append(
            Reason(
                "coverage",
                f"Only {coverage.known} of {coverage.applicable} applicable questions have a "
                f"known answer ({coverage.percent}%): at least {MIN_COVERAGE:.0%} are needed "
                "for an honest verdict. Answer or find out the rest first.",
            )
        )
    else:
        reasons.append(Reason("maturity", _threshold_sentence(overall, verdict)))
    for question in shortfalls + one_short:
        sentence = _gap_sentence(question, questions[question.question_id], band)
        reasons.append(Reason("critical_gap", sentence, (question.question_id,)))
    if one_short and not shortfalls and verdict != INSUFFICIENT:
        reasons.append(
            Reason(
                "critical_gap",
                f"At most {VERDICT_LABELS[ONE_SHORT_CAP]} while "
                f"{_count(len(one_short), 'critical practice')} "
                f"{'is' if len(one_short) == 1 else 'are'} one step short.",
                tuple(q.question_id for q in one_short),
            )
        )
    if critical_unknowns:
        reasons.append(
            Reason(
                "unknown",
                f"{'Provisional: ' if not shortfalls else ''}{len(critical_unknowns)} of "
                f"{coverage.critical} critical practices at this scale are not known yet: "
                f"{_topics(critical_unknowns)}."
                + (_unknown_cap_sentence(len(critical_unknowns)) if not shortfalls else ""),
                tuple(q.question_id for q in critical_unknowns),
            )
        )
    if verdict != INSUFFICIENT:
        reasons.append(Reason("coverage", _coverage_sentence(coverage)))
    return tuple(reasons)


def scale_phrase(band: str) -> str:
    """The target scale inside a sentence: "a system of up to 100K users"."""
    title = BAND_TITLES[band]
    return f"a system of {title[0].lower()}{title[1:]}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _topics(questions: Sequence[QuestionScore], most: int = 6) -> str:
    names = [q.topic for q in questions[:most]]
    more = len(questions) - most
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _option_label(question: Question, level: int | None) -> str:
    option = question.option(level) if level is not None else None
    return option.label if option else f"level {level}"


def _gap_sentence(score: QuestionScore, question: Question, band: str) -> str:
    how_far = {
        ABSENT: "not in place",
        FAR_SHORT: f"{score.gap} levels short",
        ONE_SHORT: "one step short",
    }[score.shortfall]
    now = _option_label(question, score.achieved)
    needed = _option_label(question, score.required)
    source = {
        "observed": " (as the probes observed)",
        "contradicted": (
            f" (the probes contradict the answer “{_option_label(question, score.claimed)}”)"
        ),
    }.get(score.confidence, "")
    return (
        f"{score.topic}: {how_far}{source}. Today: “{now}”; "
        f"{scale_phrase(band)} needs “{needed}”. Critical."
    )


def _unknown_cap_sentence(count: int) -> str:
    cap = MANY_CRITICAL_UNKNOWNS_CAP if count >= MANY_CRITICAL_UNKNOWNS else CRITICAL_UNKNOWN_CAP
    return f" Until they are found out the verdict is at most {VERDICT_LABELS[cap]}."


def _coverage_sentence(coverage: Coverage) -> str:
    sentence = (
        f"Rests on {coverage.known} of {coverage.applicable} applicable questions with a known "
        f"answer ({coverage.percent}%)"
    )
    if coverage.share < PROVISIONAL_COVERAGE:
        return sentence + f"; below {PROVISIONAL_COVERAGE:.0%}, so the verdict is provisional."
    return sentence + "."


def _threshold_sentence(overall: float, verdict: str) -> str:
    score = f"Maturity of what is known: {overall:.{SCORE_DECIMALS}f}/100"
    thresholds = dict(VERDICT_THRESHOLDS)
    by_score = verdict_by_score(overall)
    if by_score == "not_ready":
        lowest_label, lowest = VERDICT_THRESHOLDS[-1]
        return f"{score}, below the {VERDICT_LABELS[lowest_label]} threshold of {lowest:g}."
    sentence = f"{score}, reaching the {VERDICT_LABELS[by_score]} threshold of "
    sentence += f"{thresholds[by_score]:g}"
    if by_score != verdict:
        return sentence + f"; capped at {VERDICT_LABELS[verdict]} (below)."
    if by_score == VERDICTS[0]:
        return sentence + "."
    better = VERDICTS[_rank(by_score) - 1]
    return f"{sentence} ({VERDICT_LABELS[better]} needs {thresholds[better]:g})."


# --- Capacity headroom ------------------------------------------------------------------------


def needed_peak_rps(capacity: CapacityInputs) -> float:
    rpm = capacity.requests_per_user_per_minute or DEFAULT_REQUESTS_PER_USER_PER_MINUTE
    peak = capacity.peak_factor or DEFAULT_PEAK_FACTOR
    return capacity.target_users * PEAK_ONLINE_SHARE * rpm / 60 * peak


def estimate_headroom(capacity: CapacityInputs) -> Headroom:
    """Peak requests per second the target scale implies, against the burst when one ran."""
    rpm = capacity.requests_per_user_per_minute or DEFAULT_REQUESTS_PER_USER_PER_MINUTE
    peak = capacity.peak_factor or DEFAULT_PEAK_FACTOR
    needed = round(needed_peak_rps(capacity), 1)
    formula = (
        f"{capacity.target_users:,} users x {PEAK_ONLINE_SHARE:.0%} online at the busiest moment "
        f"x {rpm:g} requests/minute / 60 x peak factor {peak:g} = {needed:,.1f} requests/s"
    )
    common = {
        "target_users": capacity.target_users,
        "online_share": PEAK_ONLINE_SHARE,
        "requests_per_user_per_minute": rpm,
        "peak_factor": peak,
        "needed_peak_rps": needed,
        "measured_p95_ms": capacity.measured_p95_ms,
    }
    if capacity.measured_rps is None:
        return Headroom(
            **common,
            measured_rps=None,
            headroom_factor=None,
            p95_within_limit=None,
            sufficient=None,
            status="not_measured",
            explanation=(
                f"Needed at peak: {formula}. Not measured: no capacity burst ran against a "
                "verified target, so there is nothing to compare with."
            ),
        )
    measured = capacity.measured_rps
    factor = round(measured / needed, 2) if needed > 0 else None
    p95 = capacity.measured_p95_ms
    p95_ok = None if p95 is None else p95 <= HEADROOM_P95_LIMIT_MS
    sufficient = (factor is None or factor >= HEADROOM_TARGET) and p95_ok is not False
    p95_text = "p95 not measured" if p95 is None else f"p95 {p95:,.0f} ms"
    if factor is None:
        result = "nothing is needed at this scale, so there is no ratio to report"
    else:
        result = f"headroom x{factor:.2f}"
    sentences = [
        f"Needed at peak: {formula}.",
        f"Measured: {measured:,.1f} requests/s sustained in the bounded burst ({p95_text}), "
        f"{result}.",
    ]
    if factor is not None and factor < HEADROOM_TARGET:
        sentences.append(
            "The burst is deliberately small, so this is a lower bound: below x1 means the peak "
            "has not been demonstrated, not that the system will fail."
        )
    if p95_ok is False:
        sentences.append(
            f"The p95 latency is above {HEADROOM_P95_LIMIT_MS:,.0f} ms even under this small burst."
        )
    return Headroom(
        **common,
        measured_rps=measured,
        headroom_factor=factor,
        p95_within_limit=p95_ok,
        sufficient=sufficient,
        status="measured",
        explanation=" ".join(sentences),
    )
