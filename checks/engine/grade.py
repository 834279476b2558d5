"""The grade of a probe run, A+ to F, with a score per category.

How it is computed (the methodology page prints these constants):

1. A category's score is the mean score (0-100) of its checks that could judge -- pass, warn
   or fail; "not applicable" and "error" are left out, as the scoring of answers does.
   Every target of the run counts.
2. The run's score is the weighted mean of the category scores (``CATEGORY_WEIGHTS``) over
   the categories that have a judged check; a category with none neither helps nor hurts.
3. The letter comes from ``GRADE_BANDS`` (Observatory's bands, so the letters read the same).
4. Caps (``GRADE_CAPS``), as SSL Labs caps: some single failures cap the letter whatever the
   average -- a site without working HTTPS or with an untrusted certificate is an F for every
   visitor. A+ needs no failed check at all.

Pure: no Django. Inputs are ``Judged`` values (check id, category, status, score) so stored
results and fresh ``CheckResult``s grade alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from checks.engine.catalog import CATEGORIES, CHECKS

JUDGED_STATUSES = ("pass", "warn", "fail")

CATEGORY_WEIGHTS: dict[str, int] = {
    "transport": 30,
    "headers": 20,
    "cookies_cors": 15,
    "performance": 15,
    "caching_cdn": 10,
    "hygiene": 10,
    "capacity": 10,
}

# (letter, lowest score that earns it), best first.
GRADE_BANDS: tuple[tuple[str, int], ...] = (
    ("A+", 95),
    ("A", 90),
    ("A-", 85),
    ("B+", 80),
    ("B", 70),
    ("B-", 65),
    ("C+", 60),
    ("C", 50),
    ("C-", 45),
    ("D+", 40),
    ("D", 30),
    ("D-", 25),
    ("F", 0),
)
LETTERS = tuple(letter for letter, _ in GRADE_BANDS)

# check id -> (the best letter a run may get while it fails, why in words).
GRADE_CAPS: dict[str, tuple[str, str]] = {
    "https_available": ("F", "HTTPS does not work"),
    "certificate_valid": ("F", "the certificate is not trusted or has expired"),
    "certificate_hostname": ("F", "the certificate does not match the host name"),
    "tls_protocols": ("B", "TLS 1.0 or 1.1 is still accepted"),
    "tls_forward_secrecy": ("B", "weak cipher suites are accepted"),
    "cors": ("C", "any website can read signed-in users' responses"),
    "error_page_leaks": ("C", "error pages leak stack traces or debug output"),
}
ANY_FAILURE_CAP = "A-"  # A+ and A need every judged check to pass or warn


@dataclass(frozen=True)
class Judged:
    check_id: str
    category: str
    status: str
    score: int


@dataclass(frozen=True)
class CategoryScore:
    key: str
    title: str
    weight: int
    score: int | None  # None: nothing in the category could judge
    judged: int  # how many results it rests on


@dataclass(frozen=True)
class Grade:
    letter: str
    score: int
    categories: tuple[CategoryScore, ...]
    caps: tuple[str, ...]  # why the letter is lower than the score alone gives, in words
    judged: int

    @property
    def css_class(self) -> str:
        """A class name for the letter's colour: grade-a, grade-b ... grade-f."""
        return f"grade-{self.letter[0].lower()}"


def letter_for(score: float) -> str:
    return next(letter for letter, lowest in GRADE_BANDS if score >= lowest)


def _worse(first: str, second: str) -> str:
    return max(first, second, key=LETTERS.index)


def judged_from_evidence(rows: Iterable[Mapping[str, Any]]) -> list[Judged]:
    """Stored results in the plain form (check_id, status, score...) as grade inputs."""
    judged = []
    for row in rows:
        check = CHECKS.get(row["check_id"])
        category = row.get("category") or (check.category if check else "")
        judged.append(Judged(row["check_id"], category, row["status"], int(row["score"])))
    return judged


def grade(results: Iterable[Judged]) -> Grade | None:
    """The grade of a run's results; None when no check could judge anything."""
    counted = [r for r in results if r.status in JUDGED_STATUSES and r.category in CATEGORIES]
    if not counted:
        return None
    categories = []
    for key, title in CATEGORIES.items():
        scores = [r.score for r in counted if r.category == key]
        mean = round(sum(scores) / len(scores)) if scores else None
        categories.append(CategoryScore(key, title, CATEGORY_WEIGHTS[key], mean, len(scores)))
    weighted = [(c.score, c.weight) for c in categories if c.score is not None and c.weight]
    total_weight = sum(weight for _, weight in weighted)
    score = round(sum(s * w for s, w in weighted) / total_weight) if total_weight else 0
    letter, caps = letter_for(score), []
    failed = {r.check_id for r in counted if r.status == "fail"}
    for check_id, (cap, why) in GRADE_CAPS.items():
        if check_id in failed and _worse(letter, cap) != letter:
            letter = cap
            caps.append(f"capped at {cap}: {why}")
    if failed and _worse(letter, ANY_FAILURE_CAP) != letter:
        letter = ANY_FAILURE_CAP
        caps.append(f"capped at {ANY_FAILURE_CAP}: {len(failed)} check(s) failed")
    return Grade(letter, score, tuple(categories), tuple(caps), len(counted))
