"""What a question bank is: areas, questions with their maturity options and recommendations,
the target-scale bands and the roadmap phases. Pure values, no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

BANDS = ("1k", "10k", "100k", "1m", "gt1m")
BAND_TITLES = {
    "1k": "Up to 1K users",
    "10k": "Up to 10K users",
    "100k": "Up to 100K users",
    "1m": "Up to 1M users",
    "gt1m": "More than 1M users",
}
_BAND_CEILINGS = ((1_000, "1k"), (10_000, "10k"), (100_000, "100k"), (1_000_000, "1m"))

PHASES = {
    1: "Audit & baseline",
    2: "Observability",
    3: "Optimize before expanding",
    4: "Scale horizontally",
    5: "Security & compliance",
    6: "Automate",
}
EFFORTS = ("S", "M", "L")
MIN_LEVEL, MAX_LEVEL = 0, 4
# Check statuses a question's own evidence rule (``check_caps``) may name: "error" and
# "not_applicable" mean the check could not judge, so they are never evidence.
CAPPED_STATUSES = ("pass", "warn", "fail")


def critical_at(critical_from: str | None, band: str) -> bool:
    """Whether a question critical from `critical_from` (None: never) is critical at `band`."""
    return critical_from is not None and BANDS.index(band) >= BANDS.index(critical_from)


def band_for_users(n: int) -> str:
    """The target-scale band for a number of users (the ceiling is inclusive)."""
    if n < 0:
        raise ValueError(f"a number of users cannot be negative, got {n}")
    for ceiling, band in _BAND_CEILINGS:
        if n <= ceiling:
            return band
    return "gt1m"


class BankError(Exception):
    """The bank failed validation; `problems` holds one line per problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Area:
    id: str
    title: str
    description: str
    order: int  # position in the manifest, from 1


@dataclass(frozen=True)
class Option:
    level: int
    label: str
    description: str


@dataclass(frozen=True)
class Recommendation:
    id: str
    question_id: str
    levels: tuple[int, ...]  # achieved levels this recommendation lifts a team out of
    title: str
    why: str
    how: tuple[str, ...]
    effort: str
    impact: int
    phase: int
    depends_on: tuple[str, ...]
    # A safety basic (restorable backups, alerting a person, HTTPS, secrets out of code,
    # admin not exposed, CI) that comes before any scaling work when it applies.
    foundation: bool = False

    @property
    def phase_title(self) -> str:
        return PHASES[self.phase]


@dataclass(frozen=True)
class Question:
    id: str
    area: str
    text: str
    help: str
    weight: int
    checks: tuple[str, ...]
    required: dict[str, int] = field(hash=False)
    options: tuple[Option, ...]  # sorted by level
    recommendations: tuple[Recommendation, ...]
    topic: str = ""  # the practice in a few words, as a finding names it
    find_out: tuple[str, ...] = ()  # steps that establish the true answer when it is unknown
    critical_from: str | None = None  # the smallest band where a gap caps the verdict
    # check id -> status -> highest level that result allows, beyond the global evidence rule
    check_caps: Mapping[str, Mapping[str, int]] = field(default_factory=dict, hash=False)

    @property
    def critical(self) -> bool:
        """Critical at some band; `is_critical_at` says whether at a given one."""
        return self.critical_from is not None

    def is_critical_at(self, band: str) -> bool:
        return critical_at(self.critical_from, band)

    def required_level(self, band: str) -> int:
        return self.required[band]

    @property
    def max_required_level(self) -> int:
        return max(self.required.values())

    def option(self, level: int) -> Option | None:
        return next((o for o in self.options if o.level == level), None)

    def recommendations_for(self, level: int) -> tuple[Recommendation, ...]:
        """Recommendations for a team whose achieved level is `level`."""
        return tuple(r for r in self.recommendations if level in r.levels)


@dataclass(frozen=True)
class Bank:
    version: str
    areas: tuple[Area, ...]
    questions: tuple[Question, ...]  # in display order: area order, then file order
    recommendations: tuple[Recommendation, ...]
    _areas_by_id: dict[str, Area] = field(init=False, repr=False, compare=False, hash=False)
    _questions_by_id: dict[str, Question] = field(init=False, repr=False, compare=False, hash=False)
    _recommendations_by_id: dict[str, Recommendation] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_areas_by_id", {a.id: a for a in self.areas})
        object.__setattr__(self, "_questions_by_id", {q.id: q for q in self.questions})
        object.__setattr__(self, "_recommendations_by_id", {r.id: r for r in self.recommendations})

    def area(self, area_id: str) -> Area:
        return self._areas_by_id[area_id]

    def question(self, question_id: str) -> Question:
        return self._questions_by_id[question_id]

    def questions_in_area(self, area_id: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.area == area_id)

    def recommendation(self, recommendation_id: str) -> Recommendation:
        return self._recommendations_by_id[recommendation_id]

    def max_required_level(self, question: Question | str) -> int:
        if isinstance(question, str):
            question = self.question(question)
        return question.max_required_level
