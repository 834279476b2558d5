"""The pure milestone comparison: two scored assessments in, what moved out."""

import dataclasses
from datetime import UTC, datetime

import pytest

from assessments.bank.domain.loader import load_bank
from assessments.milestones.domain.comparison import CheckChange, MilestoneInput, milestone_compare
from assessments.results.domain.charts import pair_chart
from assessments.results.domain.results import Results
from assessments.results.domain.roadmap import build_roadmap
from assessments.results.domain.scoring import AnswerValue, EvidenceResult, score_assessment
from tests.profiles import answer_values, early_startup, mid_maturity_team

BANK = load_bank()
AREA_TITLES = {area.id: area.title for area in BANK.areas}
THEN = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 9, 1, tzinfo=UTC)


def scored(answers, questions=BANK.questions, evidence=(), band="100k") -> Results:
    score = score_assessment(questions, answers, band, evidence)
    return Results(
        score=score,
        roadmap=build_roadmap(questions, score),
        questions={q.id: q for q in questions},
        area_titles=AREA_TITLES,
    )


def side(results, pk=1, on=THEN, roadmap=None, custom=None, probes=None) -> MilestoneInput:
    return MilestoneInput(
        assessment_id=pk,
        title=f"Assessment {pk}",
        on=on,
        results=results,
        roadmap_status=roadmap or {},
        custom_titles=custom or {},
        probe_statuses=probes or {},
    )


@pytest.fixture(scope="module")
def early():
    return scored(answer_values(early_startup()))


@pytest.fixture(scope="module")
def growing():
    """Six months on: every question answered, one step short of the 100K bar."""
    return scored(answer_values(mid_maturity_team()))


def gap_ids(results):
    return {q.question_id for q in results.score.gaps}


def test_scores_and_verdict_move_from_the_early_startup_to_the_growing_product(early, growing):
    comparison = milestone_compare(side(early), side(growing, 2, NOW))
    assert comparison.older.overall == early.score.overall
    assert comparison.newer.overall == growing.score.overall
    assert comparison.overall_delta == round(growing.score.overall - early.score.overall, 1)
    assert comparison.overall_delta == pytest.approx(37.4)  # 22.8 -> 60.2
    assert (comparison.older.verdict, comparison.newer.verdict) == ("not_ready", "at_risk")
    assert comparison.verdict_change == "better"
    expected = {
        area.area: round(growing.score.area(area.area).score - area.score, 1)
        for area in early.score.areas
    }
    assert {area.area: area.delta for area in comparison.areas} == expected
    assert [area.title for area in comparison.areas] == [
        AREA_TITLES[a.area] for a in growing.score.areas
    ]


def test_findings_are_matched_by_question_key_into_resolved_new_and_unchanged(early, growing):
    comparison = milestone_compare(side(early), side(growing, 2, NOW))
    resolved = {f.key for f in comparison.resolved}
    assert resolved == gap_ids(early) - gap_ids(growing)
    # New: what early on was N/A, "don't know" or better than now.
    assert (
        {f.key for f in comparison.new}
        == gap_ids(growing) - gap_ids(early)
        == {
            "architecture.tenant_isolation",
            "infrastructure.managed_data_services",
            "infrastructure.platform_limits",
            "cost.commitment_discounts",
        }
    )
    assert {f.key for f in comparison.unchanged} == gap_ids(early) & gap_ids(growing)
    assert (len(comparison.resolved), len(comparison.unchanged)) == (14, 87)
    assert comparison.retired == ()
    for finding in comparison.resolved:
        assert finding.severity_before == early.score.question(finding.key).severity
        assert finding.severity_after == ""


def test_going_backwards_turns_resolved_findings_into_new_ones(early, growing):
    comparison = milestone_compare(side(growing), side(early, 2, NOW))
    assert {f.key for f in comparison.new} == gap_ids(early) - gap_ids(growing)
    assert {f.key for f in comparison.resolved} == gap_ids(growing) - gap_ids(early)
    assert comparison.verdict_change == "worse"
    assert comparison.overall_delta == pytest.approx(-37.4)


def test_recommendations_whose_gap_closed_count_as_roadmap_progress(early, growing):
    comparison = milestone_compare(side(early), side(growing, 2, NOW))
    before = {item.recommendation_id for item in early.roadmap.items}
    after = {item.recommendation_id for item in growing.roadmap.items}
    assert {item.key for item in comparison.roadmap_closed} == before - after
    assert comparison.roadmap_closed  # the growing product closed real gaps


def test_items_marked_done_since_the_older_assessment_are_completed(early):
    rec = early.roadmap.items[0]
    older = side(
        early, roadmap={rec.recommendation_id: "doing", "custom-1": "todo", "custom-2": "done"}
    )
    newer = side(
        early,
        2,
        NOW,
        roadmap={rec.recommendation_id: "done", "custom-1": "done", "custom-2": "done"},
        custom={"custom-1": "Hire an SRE", "custom-2": "Already done"},
    )
    comparison = milestone_compare(older, newer)
    assert [(item.key, item.title) for item in comparison.roadmap_done] == [
        (rec.recommendation_id, rec.title),
        ("custom-1", "Hire an SRE"),
    ]


def test_comparing_an_assessment_with_itself_changes_nothing(early):
    comparison = milestone_compare(side(early), side(early, 2, NOW))
    assert comparison.overall_delta == 0
    assert all(area.delta == 0 for area in comparison.areas if area.before is not None)
    assert comparison.verdict_change == "same"
    assert comparison.resolved == comparison.new == comparison.retired == ()
    assert {f.key for f in comparison.unchanged} == gap_ids(early)
    assert comparison.roadmap_done == comparison.roadmap_closed == ()


def test_the_comparison_is_a_pure_value(early, growing):
    first = milestone_compare(side(early), side(growing, 2, NOW))
    second = milestone_compare(side(early), side(growing, 2, NOW))
    assert first == second
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.resolved = ()


def test_a_gap_on_a_question_the_newer_bank_dropped_is_retired_not_resolved(early):
    dropped = next(iter(sorted(gap_ids(early))))
    newer_questions = [q for q in BANK.questions if q.id != dropped]
    newer = scored(answer_values(early_startup()), questions=newer_questions)
    comparison = milestone_compare(side(early), side(newer, 2, NOW))
    assert [f.key for f in comparison.retired] == [dropped]
    assert dropped not in {f.key for f in comparison.resolved}
    assert comparison.resolved == ()


def test_a_contradiction_the_newer_evidence_no_longer_shows_is_resolved():
    answers = answer_values(mid_maturity_team())
    key = "caching.payload_efficiency"
    assert answers[key] == AnswerValue(key, "level", 2)
    failing = EvidenceResult(check_id="compression", status="fail", score=0, message="Plain.")
    older = scored(answers, evidence=[failing])
    contradicted = [c.question_id for c in older.score.contradictions]
    assert key in contradicted  # every question the check informs, claimed above level 1
    newer = scored(answers)
    assert newer.score.contradictions == ()
    comparison = milestone_compare(side(older), side(newer, 2, NOW))
    assert [(c.key, c.text) for c in comparison.contradictions_resolved] == [
        (k, older.questions[k].text) for k in contradicted
    ]
    assert comparison.contradictions_new == ()
    backwards = milestone_compare(side(newer), side(older, 2, NOW))
    assert [c.key for c in backwards.contradictions_new] == contradicted


@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [
        ("pass", "fail", "worse"),
        ("warn", "fail", "worse"),
        ("fail", "pass", "better"),
        ("fail", "warn", "better"),
        ("warn", "pass", "better"),
        ("pass", "warn", "worse"),
        (None, "pass", "changed"),
        ("fail", None, "changed"),
        ("error", "pass", "changed"),
        ("pass", "not_applicable", "changed"),
    ],
)
def test_a_check_status_change_has_a_direction(before, after, direction):
    assert CheckChange("hsts", "https://a.example/", before, after).direction == direction


def test_probe_statuses_are_compared_per_check_and_target(early):
    a, b = "https://a.example/", "https://b.example/"
    older = {("hsts", a): "pass", ("hsts", b): "fail", ("ttfb", a): "warn", ("gone", a): "pass"}
    newer = {("hsts", a): "fail", ("hsts", b): "pass", ("ttfb", a): "warn", ("new", a): "pass"}
    comparison = milestone_compare(side(early, probes=older), side(early, 2, NOW, probes=newer))
    assert comparison.checks_changed == (
        CheckChange("gone", a, "pass", None),
        CheckChange("hsts", a, "pass", "fail"),
        CheckChange("hsts", b, "fail", "pass"),
        CheckChange("new", a, None, "pass"),
    )
    assert comparison.checks_unchanged == 1


def test_the_chart_pairs_then_and_now_bars_per_area(early, growing):
    comparison = milestone_compare(side(early), side(growing, 2, NOW))
    chart = pair_chart(comparison.areas)
    assert len(chart["rows"]) == len(comparison.areas)
    first = chart["rows"][0]
    area = comparison.areas[0]
    then, now = first["bars"]
    assert (then["score"], now["score"]) == (area.before, area.after)
    assert then["width"] == round(area.before * chart["bar_width"] / 100)
    assert then["band"] == "then"
    assert now["band"] in {"good", "ok", "risk", "bad"}
    assert all(bar["fill"].startswith("#") for row in chart["rows"] for bar in row["bars"])
