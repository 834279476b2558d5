"""The probe grade (``checks.engine.grade``): bands, weights, caps, and what is left out."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.engine.catalog import CATEGORIES, CHECKS, evaluate
from checks.engine.grade import (
    CATEGORY_WEIGHTS,
    GRADE_BANDS,
    GRADE_CAPS,
    LETTERS,
    Judged,
    grade,
    judged_from_evidence,
    letter_for,
)
from tests.unit.checks.catalog_builders import artifacts, failed_exchange


def judged(check_id, status="pass", score=100):
    return Judged(check_id, CHECKS[check_id].category, status, score)


def everything(status="pass", score=100, **overrides):
    """One result per check; ``overrides`` maps a check id to (status, score)."""
    return [judged(c, *overrides.get(c, (status, score))) for c in CHECKS]


@pytest.mark.parametrize(
    ("score", "letter"),
    [
        (100, "A+"),
        (95, "A+"),
        (94, "A"),
        (90, "A"),
        (85, "A-"),
        (80, "B+"),
        (70, "B"),
        (65, "B-"),
        (60, "C+"),
        (50, "C"),
        (45, "C-"),
        (40, "D+"),
        (30, "D"),
        (25, "D-"),
        (24, "F"),
        (0, "F"),
    ],
)
def test_bands_match_observatorys_letters(score, letter):
    assert letter_for(score) == letter


def test_every_category_has_a_weight_and_bands_are_ordered():
    assert set(CATEGORY_WEIGHTS) == set(CATEGORIES)
    lows = [low for _, low in GRADE_BANDS]
    assert lows == sorted(lows, reverse=True)
    assert set(GRADE_CAPS) <= set(CHECKS)


def test_a_clean_run_is_an_a_plus_with_every_category_scored():
    result = grade(everything())
    assert (result.letter, result.score, result.caps) == ("A+", 100, ())
    assert [c.score for c in result.categories] == [100] * len(CATEGORIES)


def test_not_applicable_and_error_are_left_out():
    results = everything(csp=("error", 0), hsts=("not_applicable", 0))
    assert grade(results).score == 100
    assert grade(results).judged == len(CHECKS) - 2


def test_a_category_with_nothing_judged_neither_helps_nor_hurts():
    results = [r for r in everything() if r.category != "capacity"]
    result = grade(results)
    capacity = next(c for c in result.categories if c.key == "capacity")
    assert (capacity.score, capacity.judged, result.score) == (None, 0, 100)


def test_no_working_https_is_an_f_whatever_the_average():
    result = grade(everything(https_available=("fail", 0)))
    assert result.score >= 95
    assert result.letter == "F"
    assert result.caps == ("capped at F: HTTPS does not work",)


def test_legacy_tls_caps_at_b():
    assert grade(everything(tls_protocols=("fail", 0))).letter == "B"


def test_any_failure_keeps_a_run_below_a():
    result = grade(everything(robots_txt=("fail", 0)))
    assert result.letter == "A-"
    assert result.caps == ("capped at A-: 1 check(s) failed",)


def test_nothing_judged_means_no_grade():
    assert grade([]) is None
    assert grade(everything("not_applicable", 0)) is None


def test_a_site_that_did_not_answer_is_an_f():
    target = artifacts(scheme_https=failed_exchange("https://example.com/ timed out"))
    rows = [
        {"check_id": r.check_id, "status": r.status, "score": r.score} for r in evaluate(target)
    ]
    result = grade(judged_from_evidence(rows))
    assert (result.letter, result.judged) == ("F", 1)


@given(st.lists(st.sampled_from(list(CHECKS)), unique=True), st.integers(0, 100))
def test_a_better_score_never_lowers_the_letter(failing, score):
    worse = grade(everything(**dict.fromkeys(failing, ("warn", score))))
    better = grade(everything(**{c: ("warn", min(100, score + 10)) for c in failing}))
    assert LETTERS.index(better.letter) <= LETTERS.index(worse.letter)
    assert 0 <= worse.score <= 100
