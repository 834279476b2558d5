"""Tests for assessments/results/domain/roadmap.py: choosing, de-duplicating, prioritising and
ordering items."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.bank.domain.bank import PHASES
from assessments.bank.domain.loader import load_bank
from assessments.results.domain import roadmap as roadmap_module
from assessments.results.domain.methodology import METHODOLOGY
from assessments.results.domain.roadmap import (
    RoadmapCycleError,
    build_roadmap,
    is_quick_win,
    priority_score,
    recommendations_for_gap,
)
from assessments.results.domain.scoring import score_assessment
from tests.unit.results.scoring_builders import (
    answer_maps,
    answers,
    at,
    bands,
    evidence_lists,
    na,
    question,
    rec,
    unknown,
)

BANK = load_bank()


def plan(questions, given_answers, band="100k", evidence=()):
    questions = list(questions)
    return build_roadmap(questions, score_assessment(questions, given_answers, band, evidence))


def ids(items):
    return [item.recommendation_id for item in items]


def at_zero(questions):
    """Every question answered at level 0: nothing in place, and known to be so."""
    return answers(*(at(q.id, 0) for q in questions))


def rec_ids(recommendations):
    return [r.id for r in recommendations]


# --- Which recommendations a gap yields --------------------------------------------------------


def test_a_gap_yields_the_recommendation_for_the_achieved_level():
    backups = BANK.question("database.backups_and_restores")
    roadmap = plan(BANK.questions, answers(at(backups.id, 1)))
    item = roadmap.item("database.test_restore")
    assert item.question_ids == (backups.id,)
    assert "database.automate_backups" not in ids(roadmap.items)  # level 0: already past it
    assert "database.scheduled_restore_drills" not in ids(roadmap.items)  # the step after


def test_no_gap_no_item():
    q = question("a.one", required=2)
    assert plan([q], answers(at("a.one", 2))).items == ()
    assert plan([q], answers(na("a.one"))).items == ()


def test_an_unknown_never_yields_the_level_zero_fix():
    q = question("a.one", required=2)
    assert plan([q], answers(unknown("a.one"))).items == ()
    assert plan([q], {}).items == ()


@pytest.mark.parametrize(
    ("critical", "weight", "expected"),
    [(True, 1, True), (False, 3, True), (False, 2, False), ("1m", 2, False)],
)
def test_an_important_unknown_yields_one_find_out_step(critical, weight, expected):
    steps = ("Ask the DBA.", "Restore last night's backup into a scratch database.")
    q = question("a.one", required=2, critical=critical, weight=weight, find_out=steps)
    items = plan([q], answers(unknown("a.one"))).items
    if not expected:
        assert items == ()
        return
    [item] = items
    assert (item.recommendation_id, item.kind, item.title) == (
        "a.one.find_out",
        "find_out",
        "Find out: Practice a.one",
    )
    assert item.how == steps
    assert item.question_ids == ("a.one",)
    assert item.phase == 1
    assert not item.quick_win
    assert "Nobody could answer “How is a.one?”" in item.why


def test_without_a_recommendation_for_the_level_the_nearest_lower_one_is_used():
    recs = (
        rec("a.start", "a.one", (0,)),
        rec("a.next", "a.one", (1,)),
        rec("a.far", "a.one", (4,)),
    )
    q = question("a.one", required=4, recommendations=recs)
    assert rec_ids(recommendations_for_gap(q, 3)) == ["a.next"]
    assert rec_ids(recommendations_for_gap(q, 1)) == ["a.next"]
    only_above = question("a.two", recommendations=(rec("a.up", "a.two", (3,)),))
    assert rec_ids(recommendations_for_gap(only_above, 1)) == ["a.up"]
    assert recommendations_for_gap(question("a.three", recommendations=()), 0) == ()


def test_gaps_without_any_recommendation_are_reported_as_uncovered():
    bare = question("a.bare", required=2, recommendations=())
    roadmap = plan([bare], answers(at("a.bare", 0)))
    assert roadmap.items == ()
    assert roadmap.uncovered == ("a.bare",)


def test_a_recommendation_shared_by_several_questions_appears_once():
    shared = rec("a.shared_fix", "a.one", (0, 1))
    one = question("a.one", required=2, weight=1, recommendations=(shared,))
    two = question("b.two", required=2, critical=True, recommendations=(shared,))
    roadmap = plan([one, two], answers(at("a.one", 0), at("b.two", 1)))
    [item] = roadmap.items
    assert item.question_ids == ("a.one", "b.two")
    assert item.severity == "critical"  # the worst of low and critical
    assert item.critical
    assert item.area == "a"


# --- Priority and quick wins ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "impact", "effort", "expected"),
    [
        ("critical", 3, "S", 100),
        ("critical", 1, "L", 80),
        ("high", 3, "S", 75),
        ("high", 2, "M", 65),
        ("medium", 3, "L", 40),
        ("low", 1, "L", 5),
    ],
)
def test_priority_adds_severity_impact_and_effort_points(severity, impact, effort, expected):
    assert priority_score(severity, impact, effort) == expected


def test_severity_dominates_priority():
    assert priority_score("critical", 1, "L") > priority_score("high", 3, "S")
    assert priority_score("high", 1, "L") > priority_score("medium", 3, "S")
    assert priority_score("medium", 1, "L") > priority_score("low", 3, "S")


@pytest.mark.parametrize(
    ("impact", "effort", "expected"),
    [(3, "S", True), (2, "S", False), (3, "M", False), (1, "S", False), (3, "L", False)],
)
def test_quick_wins_are_small_effort_and_top_impact(impact, effort, expected):
    assert is_quick_win(impact, effort) is expected


def test_foundation_fixes_and_critical_find_outs_come_first_whatever_their_bank_phase():
    scale_out = question(
        "a.scale",
        weight=3,
        recommendations=(rec("a.scale_fix", "a.scale", (0,), phase=4, impact=3),),
    )
    https = question(
        "b.https",
        weight=1,
        recommendations=(rec("b.https_fix", "b.https", (0,), phase=5, foundation=True),),
    )
    alerting = question("c.alerting", critical=True)
    roadmap = plan([scale_out, https, alerting], answers(at("a.scale", 0), at("b.https", 0)))
    assert ids(roadmap.items) == ["c.alerting.find_out", "b.https_fix", "a.scale_fix"]
    fix = roadmap.item("b.https_fix")
    assert (fix.phase, fix.bank_phase, fix.foundation, fix.urgent) == (1, 5, True, True)
    assert ids(roadmap.top(2)) == ["c.alerting.find_out", "b.https_fix"]


def test_a_quick_win_has_nothing_to_wait_for():
    base = question("a.base", recommendations=(rec("a.base_fix", "a.base", (0,), effort="M"),))
    quick = question(
        "b.quick",
        recommendations=(
            rec("b.quick_fix", "b.quick", (0,), effort="S", impact=3, depends_on=("a.base_fix",)),
        ),
    )
    blocked = plan([base, quick], at_zero([base, quick])).item("b.quick_fix")
    free = plan([base, quick], answers(at("a.base", 2), at("b.quick", 0))).item("b.quick_fix")
    assert (blocked.quick_win, free.quick_win) == (False, True)


def test_items_carry_priority_and_quick_win_marks():
    q = question(
        "a.one",
        required=1,
        weight=3,
        recommendations=(rec("a.fix", "a.one", (0,), effort="S", impact=3),),
    )
    [item] = plan([q], answers(at("a.one", 0))).items
    # medium 25 + one level below 2 + impact 3 x 5 + effort S 10
    assert (item.severity, item.priority, item.quick_win) == ("medium", 52, True)


# --- Order ---------------------------------------------------------------------------------------


def chain_questions(dependency_phase: int, dependent_phase: int):
    base = question(
        "a.base", recommendations=(rec("a.base_fix", "a.base", (0, 1), phase=dependency_phase),)
    )
    top = question(
        "b.top",
        recommendations=(
            rec("b.top_fix", "b.top", (0, 1), phase=dependent_phase, depends_on=("a.base_fix",)),
        ),
    )
    return [top, base]


def test_items_are_grouped_by_phase_then_priority_then_id():
    questions = [
        question("a.low", weight=1, recommendations=(rec("a.low_fix", "a.low", (0,), phase=2),)),
        question("a.high", weight=3, recommendations=(rec("a.high_fix", "a.high", (0,), phase=2),)),
        question("a.first", recommendations=(rec("a.z_first", "a.first", (0,), phase=1),)),
        question("a.tie", recommendations=(rec("a.b_tie", "a.tie", (0,), phase=2),)),
        question("a.tie2", recommendations=(rec("a.a_tie", "a.tie2", (0,), phase=2),)),
    ]
    roadmap = plan(questions, at_zero(questions))
    assert ids(roadmap.items) == ["a.z_first", "a.high_fix", "a.a_tie", "a.b_tie", "a.low_fix"]


def test_a_dependency_in_the_same_phase_comes_first_even_with_lower_priority():
    questions = chain_questions(3, 3)
    questions[0] = question(
        "b.top",
        weight=3,
        critical=True,
        recommendations=(rec("b.top_fix", "b.top", (0,), phase=3, depends_on=("a.base_fix",)),),
    )
    roadmap = plan(questions, at_zero(questions))
    assert ids(roadmap.items) == ["a.base_fix", "b.top_fix"]
    assert roadmap.item("b.top_fix").depends_on == ("a.base_fix",)


def test_a_dependency_in_a_later_phase_is_pulled_forward_into_the_dependents_phase():
    questions = chain_questions(dependency_phase=5, dependent_phase=2)
    roadmap = plan(questions, at_zero(questions))
    assert ids(roadmap.items) == ["a.base_fix", "b.top_fix"]
    base = roadmap.item("a.base_fix")
    assert (base.phase, base.bank_phase, base.pulled_forward) == (2, 5, True)
    assert roadmap.by_phase()[2] == roadmap.items
    assert roadmap.by_phase()[5] == ()


def test_dependencies_outside_the_roadmap_are_listed_with_their_state():
    done = question("a.done", recommendations=(rec("a.done_fix", "a.done", (0, 1)),))
    skipped = question("a.skip", recommendations=(rec("a.skip_fix", "a.skip", (0, 1)),))
    not_needed = question(
        "a.later", required=0, recommendations=(rec("a.later_fix", "a.later", (0, 1)),)
    )
    needs = ("a.done_fix", "a.skip_fix", "a.later_fix", "a.gone_fix", "b.base_fix")
    top = question("b.top", recommendations=(rec("b.top_fix", "b.top", (0,), depends_on=needs),))
    base = question("b.base", recommendations=(rec("b.base_fix", "b.base", (0,)),))
    given_answers = answers(
        at("a.done", 2), na("a.skip"), at("a.later", 0), at("b.top", 0), at("b.base", 0)
    )
    roadmap = plan([done, skipped, not_needed, top, base], given_answers)
    item = roadmap.item("b.top_fix")
    assert [(d.recommendation_id, d.state) for d in item.dependencies] == [
        ("a.done_fix", "achieved"),
        ("a.skip_fix", "not_applicable"),
        ("a.later_fix", "outside_roadmap"),
        ("a.gone_fix", "outside_roadmap"),
        ("b.base_fix", "in_roadmap"),
    ]
    assert item.depends_on == ("b.base_fix",)


def test_a_dependency_cycle_is_a_clear_error():
    one = question("a.one", recommendations=(rec("a.x", "a.one", (0,), depends_on=("a.y",)),))
    two = question("a.two", recommendations=(rec("a.y", "a.two", (0,), depends_on=("a.x",)),))
    with pytest.raises(RoadmapCycleError, match=r"a\.x -> a\.y -> a\.x") as raised:
        plan([one, two], at_zero([one, two]))
    assert raised.value.cycle == ("a.x", "a.y", "a.x")


def test_by_phase_lists_all_six_phases_in_order():
    questions = chain_questions(3, 4)
    phases = plan(questions, at_zero(questions)).by_phase()
    assert list(phases) == list(PHASES) == [1, 2, 3, 4, 5, 6]
    assert ids(phases[3]) == ["a.base_fix"]
    assert ids(phases[4]) == ["b.top_fix"]


def test_top_takes_the_highest_priorities_with_their_prerequisites_in_roadmap_order():
    questions = [
        question("a.minor", weight=1, recommendations=(rec("a.minor_fix", "a.minor", (0,)),)),
        question("b.base", weight=1, recommendations=(rec("b.base_fix", "b.base", (0,), phase=6),)),
        question(
            "c.urgent",
            critical=True,
            recommendations=(
                rec("c.urgent_fix", "c.urgent", (0,), phase=1, depends_on=("b.base_fix",)),
            ),
        ),
        question("d.high", weight=3, recommendations=(rec("d.high_fix", "d.high", (0,)),)),
    ]
    roadmap = plan(questions, at_zero(questions))
    assert ids(roadmap.top(2)) == ["b.base_fix", "c.urgent_fix"]
    # The next best (d.high_fix) fits in 3; with only 1 slot the urgent pair does not fit.
    assert ids(roadmap.top(3)) == ["b.base_fix", "c.urgent_fix", "d.high_fix"]
    assert ids(roadmap.top(1)) == ["d.high_fix"]
    assert roadmap.top(0) == ()


def test_the_roadmap_converts_to_plain_json():
    questions = chain_questions(5, 2)
    roadmap = plan(questions, at_zero(questions))
    document = json.loads(json.dumps(roadmap.to_dict()))
    assert [i["recommendation_id"] for i in document["items"]] == ids(roadmap.items)
    assert document["items"][0]["phase_title"] == PHASES[2]
    assert document["top"] == ids(roadmap.top())


def test_methodology_is_generated_from_the_rules():
    text = "\n".join(p for section in METHODOLOGY for p in section.paragraphs)
    assert f"{roadmap_module.IMPACT_POINTS} x impact" in text
    assert "critical 75" in text
    assert f"effort {roadmap_module.QUICK_WIN_EFFORT}, impact 3 or more" in text
    assert "An unknown never produces the level-0 fix" in text
    assert "pulled forward" in text


# --- Properties over the shipped bank ------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(answer_maps, bands, evidence_lists, st.integers(0, 15))
def test_roadmap_order_always_respects_dependencies(given_answers, band, evidence, n):
    score = score_assessment(BANK.questions, given_answers, band, evidence)
    roadmap = build_roadmap(BANK.questions, score)
    position = {rec_id: index for index, rec_id in enumerate(ids(roadmap.items))}
    assert len(position) == len(roadmap.items)  # de-duplicated
    for item in roadmap.items:
        for dependency in item.depends_on:
            assert position[dependency] < position[item.recommendation_id]
            assert roadmap.item(dependency).phase <= item.phase
        assert item.phase <= item.bank_phase
    assert [i.phase for i in roadmap.items] == sorted(i.phase for i in roadmap.items)
    # Every known gap is planned for (the shipped bank covers every level below the bar);
    # unknowns only ever get a "find out" step, never a fix.
    fixes = [item for item in roadmap.items if item.kind == "fix"]
    planned = {qid for item in fixes for qid in item.question_ids}
    assert planned == {q.question_id for q in score.gaps}
    find_outs = {item.question_ids[0] for item in roadmap.items if item.kind == "find_out"}
    assert all(score.question(qid).flagged_unknown for qid in find_outs)
    assert roadmap.uncovered == ()
    # "Start here" is never blocked by an item it leaves out.
    top = roadmap.top(n)
    chosen = set(ids(top))
    assert len(top) <= n
    assert all(set(item.depends_on) <= chosen for item in top)
    assert ids(top) == [rec_id for rec_id in ids(roadmap.items) if rec_id in chosen]


@settings(max_examples=50, deadline=None)
@given(answer_maps, bands, evidence_lists)
def test_roadmap_is_deterministic(given_answers, band, evidence):
    score = score_assessment(BANK.questions, given_answers, band, evidence)
    again = score_assessment(BANK.questions, given_answers, band, evidence[::-1])
    assert build_roadmap(BANK.questions, score) == build_roadmap(BANK.questions, again)
