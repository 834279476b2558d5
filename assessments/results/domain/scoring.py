"""Scoring: answers and probe evidence, against a target scale, give a readiness verdict.

One concern, the scoring formula, from a question's credit to the verdict and headroom; it
is long because every rule is spelled out beside its named constant.

``score_assessment(questions, answers, band, evidence, capacity)`` is pure and deterministic:
the same inputs always give an equal ``ScoreResult``, whatever the order of the evidence.
No Django imports: the results page, the PDF, the ``score`` command and the tests all call it
the same way. Every threshold and weight is a named constant below; ``methodology`` fills the
in-app methodology page from them, so the page cannot drift from the code.

Questions are any iterable of ``assessments.bank.Question`` (a shipped bank's questions plus a
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
UNANSWERED = "unanswered"  # no answer at all; scored like "don't know" so silence never pays
UNKNOWN_LEVEL = 0  # "don't know" and unanswered: a practice nobody can vouch for is not relied on

# Evidence. A failing check shows the practice is at best partly in place, whatever was claimed.
EVIDENCE_LEVEL_CAPS = {"fail": 1}
# "warn" means imperfect or unconfirmed (a 429 limit the bounded burst could not reach, a cert
# expiring in 25 days): not proof that the claim is wrong, so it never lowers a level.
CORROBORATING_STATUSES = ("pass",)  # confirms a claim; never raises it
IGNORED_STATUSES = ("error", "not_applicable")  # the check could not judge: no evidence at all
_STATUS_BADNESS = {"fail": 0, "warn": 1, "pass": 2}  # worst first, across targets

# Severity of a gap, from gap (levels missing) x question weight (1-3).
SEVERITY_HIGH_MIN = 6  # e.g. two levels short on a weight-3 question, three on a weight-2 one
SEVERITY_MEDIUM_MIN = 3  # e.g. one level short on a weight-3 question, two on a weight-2 one
SEVERITIES = ("critical", "high", "medium", "low", "none")  # worst first

# Verdict.
VERDICTS = ("ready", "nearly_ready", "at_risk", "not_ready")  # best first
VERDICT_LABELS = {
    "ready": "Ready",
    "nearly_ready": "Nearly ready",
    "at_risk": "At risk",
    "not_ready": "Not ready",
}
# Minimum overall score for each verdict; below the last one the verdict is "not_ready".
VERDICT_THRESHOLDS = (("ready", 85.0), ("nearly_ready", 70.0), ("at_risk", 50.0))
# One unmet critical question can take the system down at the target scale, so the verdict
# cannot be better than this while any critical question is below its required level.
CRITICAL_GAP_CAP = "at_risk"
# More critical gaps than this and the system is not ready, whatever the average says.
MAX_CRITICAL_GAPS_AT_RISK = 2

# Confidence in an achieved level.
CONFIDENCES = ("corroborated", "contradicted", "unverified", "not_applicable")

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
    weight: int
    critical: bool
    state: str  # "level", "na", "unknown" or "unanswered"
    required: int
    claimed: int | None  # the answer's level; None for na/unknown/unanswered
    achieved: int | None  # after evidence; None for na
    gap: int  # max(0, required - achieved); 0 for na
    credit: float | None  # 0..1, None for na
    severity: str  # one of SEVERITIES
    confidence: str  # one of CONFIDENCES
    flagged_unknown: bool  # "don't know" or unanswered: counted as level 0 and shown as such
    evidence: tuple[EvidenceResult, ...] = ()  # worst pass/warn/fail result per informing check

    @property
    def is_gap(self) -> bool:
        return self.gap > 0

    @property
    def is_critical_gap(self) -> bool:
        return self.critical and self.gap > 0


@dataclass(frozen=True)
class AreaScore:
    area: str
    score: float | None  # 0-100; None when every question of the area is N/A
    total: int  # questions in the area
    answered: int  # with any answer (a level, N/A or "don't know")
    not_applicable: int
    unknown: int  # "don't know"
    gaps: int
    weight: int  # sum of the weights of the scored (non-N/A) questions


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
    overall: float
    verdict: str  # one of VERDICTS
    verdict_reasons: tuple[str, ...]
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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, for exports and ``score --json``."""
        return {
            "band": self.band,
            "band_title": self.band_title,
            "overall": self.overall,
            "verdict": self.verdict,
            "verdict_label": self.verdict_label,
            "verdict_reasons": list(self.verdict_reasons),
            "gap_counts": dict(self.gap_counts),
            "areas": [asdict(a) for a in self.areas],
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
    areas = _area_scores(scored)
    overall = _overall(scored)
    critical_gaps = [q.question_id for q in scored if q.is_critical_gap]
    verdict, reasons = decide_verdict(overall, critical_gaps)
    reasons += _coverage_reasons(scored)
    return ScoreResult(
        band=band,
        questions=tuple(scored),
        areas=areas,
        overall=overall,
        verdict=verdict,
        verdict_reasons=reasons,
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
    results = tuple(worst[c] for c in question.checks if c in worst)
    common = {
        "question_id": question.id,
        "area": question.area,
        "weight": question.weight,
        "critical": question.critical,
        "state": state,
        "required": required,
        "claimed": claimed,
        "evidence": results,
    }
    if state == NOT_APPLICABLE:
        score = QuestionScore(
            **common,
            achieved=None,
            gap=0,
            credit=None,
            severity="none",
            confidence="not_applicable",
            flagged_unknown=False,
        )
        return score, None
    base = claimed if claimed is not None else UNKNOWN_LEVEL
    caps = [EVIDENCE_LEVEL_CAPS[r.status] for r in results if r.status in EVIDENCE_LEVEL_CAPS]
    cap = min(caps, default=None)
    achieved = base if cap is None else min(base, cap)
    contradiction = None
    if claimed is not None and cap is not None and claimed > cap:
        # Worst first; equally bad results keep the order the question lists its checks in.
        observed = sorted(
            (r for r in results if EVIDENCE_LEVEL_CAPS.get(r.status, claimed) < claimed),
            key=lambda r: (_STATUS_BADNESS[r.status], r.score),
        )
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
        achieved=achieved,
        gap=gap,
        credit=question_credit(achieved, required),
        severity=gap_severity(gap, question.weight, question.critical),
        confidence=_confidence(claimed, results, contradiction),
        flagged_unknown=claimed is None,
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


def _confidence(
    claimed: int | None, results: Sequence[EvidenceResult], contradiction: Contradiction | None
) -> str:
    if contradiction is not None:
        return "contradicted"
    if claimed is None:
        return "unverified"  # nothing was claimed, so there is nothing to corroborate
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
        gaps=sum(q.gap > 0 for q in members),
        weight=weight,
    )


def _weighted(questions: Iterable[QuestionScore]) -> tuple[int, float]:
    scored = [q for q in questions if q.credit is not None]
    return sum(q.weight for q in scored), sum(q.weight * q.credit for q in scored)


def _overall(scored: Sequence[QuestionScore]) -> float:
    """The weighted mean of area scores by area weight, i.e. of all scored questions at once."""
    weight, earned = _weighted(scored)
    return _percent(earned, weight) if weight else 100.0


def _percent(earned: float, weight: int) -> float:
    return round(100 * earned / weight, SCORE_DECIMALS)


# --- Verdict ----------------------------------------------------------------------------------


def verdict_by_score(overall: float) -> str:
    return next((v for v, minimum in VERDICT_THRESHOLDS if overall >= minimum), "not_ready")


def critical_cap(count: int) -> str | None:
    """The best verdict ``count`` unmet critical questions allow; None when there are none."""
    if count <= 0:
        return None
    return "not_ready" if count > MAX_CRITICAL_GAPS_AT_RISK else CRITICAL_GAP_CAP


def capped_verdict(overall: float, critical_gap_count: int) -> str:
    """``decide_verdict`` without its reasons: the score's verdict, capped by critical gaps."""
    verdict = verdict_by_score(overall)
    cap = critical_cap(critical_gap_count)
    return cap if cap is not None and _rank(cap) > _rank(verdict) else verdict


def decide_verdict(overall: float, critical_gaps: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """The verdict for an overall score and the ids of unmet critical questions, with reasons.

    Monotonic: for the same critical gaps, a higher score never gives a worse verdict.
    """
    verdict = verdict_by_score(overall)
    reasons = [_threshold_sentence(overall, verdict)]
    if not critical_gaps:
        return verdict, tuple(reasons)
    count = len(critical_gaps)
    names = ", ".join(critical_gaps)
    which = "1 critical question is" if count == 1 else f"{count} critical questions are"
    cap = critical_cap(count)
    if cap == "not_ready":
        why = f"more than {MAX_CRITICAL_GAPS_AT_RISK} critical gaps means not ready"
    else:
        why = f"any critical gap caps the verdict at {VERDICT_LABELS[cap]}"
    if _rank(cap) > _rank(verdict):
        verdict = cap
        reasons.append(
            f"Capped at {VERDICT_LABELS[cap]}: {which} below the required level ({why}): {names}."
        )
    else:
        reasons.append(
            f"Also, {which} below the required level ({why}; the score alone already gives "
            f"{VERDICT_LABELS[verdict]}): {names}."
        )
    return verdict, tuple(reasons)


def _rank(verdict: str) -> int:
    return VERDICTS.index(verdict)


def _threshold_sentence(overall: float, verdict: str) -> str:
    score = f"Overall score {overall:.{SCORE_DECIMALS}f}"
    thresholds = dict(VERDICT_THRESHOLDS)
    if verdict == "not_ready":
        lowest_label, lowest = VERDICT_THRESHOLDS[-1]
        return f"{score} is below the {VERDICT_LABELS[lowest_label]} threshold of {lowest:g}."
    sentence = f"{score} reaches the {VERDICT_LABELS[verdict]} threshold of {thresholds[verdict]:g}"
    if verdict == VERDICTS[0]:
        return sentence + "."
    better = VERDICTS[_rank(verdict) - 1]
    return f"{sentence} ({VERDICT_LABELS[better]} needs {thresholds[better]:g})."


def _coverage_reasons(scored: Sequence[QuestionScore]) -> tuple[str, ...]:
    unanswered = sum(q.state == UNANSWERED for q in scored)
    unknown = sum(q.state == UNKNOWN for q in scored)
    parts = []
    if unanswered:
        parts.append(f"{unanswered} unanswered question{'s' if unanswered != 1 else ''}")
    if unknown:
        parts.append(f'{unknown} "don\'t know" answer{"s" if unknown != 1 else ""}')
    if not parts:
        return ()
    return (f"{' and '.join(parts)} count as level {UNKNOWN_LEVEL}.",)


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
