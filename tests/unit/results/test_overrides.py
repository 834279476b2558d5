"""Tests for assessments/results/domain/overrides.py: consultants' severity overrides over a
scored result."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.results.domain.overrides import (
    OVERRIDE_SEVERITIES,
    InvalidOverride,
    SeverityOverride,
    apply_overrides,
)
from assessments.results.domain.roadmap import build_roadmap, priority_score
from assessments.results.domain.scoring import score_assessment
from tests.unit.results.scoring_builders import at, question

# A: two levels short on a weight-3 question -> high. B: one level short, weight 1 -> low.
# C: at its required level -> no gap. Each gap gives one S-effort, impact-2, phase-3 item.
QUESTIONS = [
    question("db.a", required=2, weight=3),
    question("db.b", required=2, weight=1),
    question("db.c", required=2, weight=2),
]
ANSWERS = {"db.a": at("db.a", 0), "db.b": at("db.b", 1), "db.c": at("db.c", 2)}


def scored():
    return score_assessment(QUESTIONS, ANSWERS, "100k")


def test_without_overrides_the_result_is_returned_unchanged():
    score = scored()
    adjusted, applied = apply_overrides(score, [])
    assert adjusted is score
    assert applied == {}


def test_an_override_replaces_the_severity_and_recounts_the_gaps():
    score = scored()
    assert score.question("db.b").severity == "low"
    assert score.gap_counts == {"critical": 0, "high": 1, "medium": 0, "low": 1}
    adjusted, applied = apply_overrides(
        score, [SeverityOverride("db.b", "critical", "Single disk, no replica")]
    )
    assert adjusted.question("db.b").severity == "critical"
    assert adjusted.gap_counts == {"critical": 1, "high": 1, "medium": 0, "low": 0}
    assert applied["db.b"].computed == "low"
    assert applied["db.b"].severity == "critical"
    assert applied["db.b"].reason == "Single disk, no replica"


def test_an_override_reorders_the_roadmap_by_the_new_priority():
    score = scored()
    before = build_roadmap(QUESTIONS, score)
    assert [i.recommendation_id for i in before.items] == ["db.a_fix0", "db.b_fix1"]
    # high: 50 + 2*2 + 5*2 + 10 = 74 > low: 0 + 2*1 + 10 + 10 = 22; critical: 75 + 22 = 97.
    assert before.item("db.a_fix0").priority == priority_score("high", 2, "S", 2) == 74
    assert before.item("db.b_fix1").priority == priority_score("low", 2, "S", 1) == 22
    adjusted, _ = apply_overrides(score, [SeverityOverride("db.b", "critical", "Data loss")])
    after = build_roadmap(QUESTIONS, adjusted)
    assert [i.recommendation_id for i in after.items] == ["db.b_fix1", "db.a_fix0"]
    assert after.item("db.b_fix1").priority == 97
    assert after.item("db.b_fix1").severity == "critical"


def test_lowering_a_severity_moves_the_item_down():
    score = scored()
    adjusted, _ = apply_overrides(score, [SeverityOverride("db.a", "low", "Read-only replica")])
    assert adjusted.gap_counts == {"critical": 0, "high": 0, "medium": 0, "low": 2}
    items = build_roadmap(QUESTIONS, adjusted).items
    # Both low now; the one two levels short (22 + 2 = 24) comes before the one a level short.
    assert [i.recommendation_id for i in items] == ["db.a_fix0", "db.b_fix1"]
    assert [i.priority for i in items] == [24, 22]


def test_an_override_on_a_question_without_a_gap_is_ignored():
    score = scored()
    adjusted, applied = apply_overrides(score, [SeverityOverride("db.c", "high", "Was bad")])
    assert adjusted is score
    assert applied == {}
    assert adjusted.question("db.c").severity == "none"


def test_an_override_for_an_unknown_question_is_ignored():
    adjusted, applied = apply_overrides(scored(), [SeverityOverride("gone.q", "high", "Old")])
    assert applied == {}
    assert adjusted.gap_counts["high"] == 1


@pytest.mark.parametrize("severity", ["none", "", "severe", "HIGH"])
def test_an_unknown_severity_is_refused(severity):
    with pytest.raises(InvalidOverride, match="severity must be one of"):
        SeverityOverride("db.a", severity, "Because")


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused(reason):
    with pytest.raises(InvalidOverride, match="needs a reason"):
        SeverityOverride("db.a", "low", reason)


@given(
    st.dictionaries(st.sampled_from(["db.a", "db.b", "db.c"]), st.sampled_from(OVERRIDE_SEVERITIES))
)
def test_overrides_never_change_levels_scores_or_the_verdict(chosen):
    score = scored()
    overrides = [SeverityOverride(key, severity, "Reason") for key, severity in chosen.items()]
    adjusted, applied = apply_overrides(score, overrides)
    assert adjusted.overall == score.overall
    assert adjusted.verdict == score.verdict
    assert adjusted.areas == score.areas
    assert [q.achieved for q in adjusted.questions] == [q.achieved for q in score.questions]
    assert sum(adjusted.gap_counts.values()) == sum(score.gap_counts.values())
    assert set(applied) == set(chosen) - {"db.c"}
    for key, severity in chosen.items():
        expected = "none" if key == "db.c" else severity
        assert adjusted.question(key).severity == expected
