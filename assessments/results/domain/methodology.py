"""How ScaleReady judges, in words: the methodology prose filled from the rules' constants.

The prose is data (``methodology.toml``), so it is edited like the question bank; every number
in it comes from the constants of ``scoring`` and ``roadmap``, so the page can never disagree
with the code. Pure: the methodology page and the report both show ``METHODOLOGY``.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

from assessments.bank.domain.bank import PHASES
from assessments.results.domain import roadmap, scoring

PROSE_FILE = Path(__file__).with_name("methodology.toml")


@dataclass(frozen=True)
class MethodologySection:
    title: str
    paragraphs: tuple[str, ...]


def rule_values() -> dict[str, object]:
    """Every placeholder of the prose, from the constants that decide it."""
    return {
        "score_decimals": scoring.SCORE_DECIMALS,
        "evidence_caps": ", ".join(
            f"{status} -> at most level {cap}"
            for status, cap in scoring.EVIDENCE_LEVEL_CAPS.items()
        ),
        "severity_high_min": scoring.SEVERITY_HIGH_MIN,
        "severity_medium_min": scoring.SEVERITY_MEDIUM_MIN,
        "verdict_thresholds": ", ".join(
            f"{scoring.VERDICT_LABELS[verdict]} from {minimum:g}"
            for verdict, minimum in scoring.VERDICT_THRESHOLDS
        ),
        "far_short_gap": scoring.FAR_SHORT_GAP,
        "shortfall_cap": scoring.VERDICT_LABELS[scoring.SHORTFALL_CAP],
        "one_short_cap": scoring.VERDICT_LABELS[scoring.ONE_SHORT_CAP],
        "critical_unknown_cap": scoring.VERDICT_LABELS[scoring.CRITICAL_UNKNOWN_CAP],
        "many_critical_unknowns_cap": scoring.VERDICT_LABELS[scoring.MANY_CRITICAL_UNKNOWNS_CAP],
        "many_critical_unknowns": scoring.MANY_CRITICAL_UNKNOWNS,
        "provisional_coverage": scoring.PROVISIONAL_COVERAGE,
        "min_coverage": scoring.MIN_COVERAGE,
        "insufficient": scoring.VERDICT_LABELS[scoring.INSUFFICIENT],
        "peak_online_share": scoring.PEAK_ONLINE_SHARE,
        "default_requests_per_user_per_minute": scoring.DEFAULT_REQUESTS_PER_USER_PER_MINUTE,
        "default_peak_factor": scoring.DEFAULT_PEAK_FACTOR,
        "headroom_p95_limit_ms": scoring.HEADROOM_P95_LIMIT_MS,
        "severity_points": ", ".join(
            f"{name} {points}" for name, points in roadmap.SEVERITY_POINTS.items()
        ),
        "impact_points": roadmap.IMPACT_POINTS,
        "distance_points": roadmap.DISTANCE_POINTS,
        "max_distance": roadmap.MAX_DISTANCE,
        "urgent_phase": roadmap.URGENT_PHASE,
        "find_out_min_weight": roadmap.FIND_OUT_MIN_WEIGHT,
        "effort_points": ", ".join(
            f"{name} {points}" for name, points in roadmap.EFFORT_POINTS.items()
        ),
        "quick_win_effort": roadmap.QUICK_WIN_EFFORT,
        "quick_win_min_impact": roadmap.QUICK_WIN_MIN_IMPACT,
        "phases": " · ".join(f"{number} {title}" for number, title in PHASES.items()),
        "default_top": roadmap.DEFAULT_TOP,
    }


def load_methodology(path: Path = PROSE_FILE) -> tuple[MethodologySection, ...]:
    """The sections of ``path`` with every placeholder filled; a missing value raises."""
    values = rule_values()
    sections = tomllib.loads(path.read_text(encoding="utf-8"))["section"]
    return tuple(
        MethodologySection(
            section["title"],
            tuple(paragraph.format(**values) for paragraph in section["paragraphs"]),
        )
        for section in sections
    )


METHODOLOGY: tuple[MethodologySection, ...] = load_methodology()
