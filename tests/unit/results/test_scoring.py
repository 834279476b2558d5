"""Tests for assessments/results/domain/scoring.py: one focused test per rule, then properties
over the bank."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.bank.domain.bank import BANDS
from assessments.bank.domain.loader import load_bank
from assessments.results.domain import scoring
from assessments.results.domain.methodology import METHODOLOGY, load_methodology
from assessments.results.domain.scoring import (
    VERDICTS,
    AnswerValue,
    CapacityInputs,
    EvidenceResult,
    critical_shortfall,
    estimate_headroom,
    gap_severity,
    judge,
    score_assessment,
)
from tests.unit.results.scoring_builders import (
    answer_maps,
    answers,
    at,
    bands,
    evidence_lists,
    na,
    question,
    result,
    unknown,
)

BANK = load_bank()


def score(questions, given_answers, band="100k", evidence=(), capacity=None):
    return score_assessment(questions, given_answers, band, evidence, capacity)


# --- Question credit, areas and overall -----------------------------------------------------------


def test_credit_is_the_share_of_the_required_level_reached():
    questions = [question("a.one", required=3), question("a.two", required=3)]
    result_ = score(questions, answers(at("a.one", 1), at("a.two", 3)))
    assert result_.question("a.one").credit == pytest.approx(1 / 3)
    assert result_.area("a").score == pytest.approx(round(100 * (1 / 3 + 1) / 2, 1))


def test_going_beyond_the_required_level_earns_no_extra_credit():
    questions = [question("a.one", required=2), question("a.two", required=2)]
    result_ = score(questions, answers(at("a.one", 4), at("a.two", 1)))
    assert result_.question("a.one").credit == 1.0
    assert result_.area("a").score == 75.0


def test_a_question_requiring_level_zero_never_counts_against_the_team():
    questions = [question("a.one", required=0), question("a.two", required=2)]
    result_ = score(questions, answers(at("a.one", 0), at("a.two", 2)))
    assert result_.question("a.one").credit == 1.0
    assert result_.question("a.one").gap == 0
    assert result_.area("a").score == 100.0


def test_area_score_weights_questions_by_their_weight():
    questions = [question("a.heavy", weight=3, required=2), question("a.light", weight=1)]
    result_ = score(questions, answers(at("a.heavy", 2), at("a.light", 0)))
    assert result_.area("a").score == 75.0  # (3 x 1 + 1 x 0) / 4
    assert result_.area("a").weight == 4


def test_overall_is_the_area_scores_weighted_by_area_weight():
    questions = [
        question("a.one", weight=3),
        question("a.two", weight=3),
        question("b.one", weight=1),
    ]
    result_ = score(questions, answers(at("a.one", 2), at("a.two", 2), at("b.one", 0)))
    assert [a.score for a in result_.areas] == [100.0, 0.0]
    assert result_.overall == round(100 * 6 / 7, 1)


def test_areas_keep_the_order_in_which_their_questions_first_appear():
    questions = [question("zeta.one"), question("alpha.one"), question("zeta.two")]
    result_ = score(questions, {})
    assert [a.area for a in result_.areas] == ["zeta", "alpha"]
    assert result_.area("zeta").total == 2


def test_custom_questions_are_scored_like_bank_questions():
    custom = question("security.custom_pii_vault", required=3, weight=3, critical=True)
    result_ = score([*BANK.questions, custom], answers(at(custom.id, 1)))
    assert result_.question(custom.id).gap == 2
    assert result_.question(custom.id).severity == "critical"
    assert result_.area("security").total == len(BANK.questions_in_area("security")) + 1


# --- Answer states --------------------------------------------------------------------------------


def test_not_applicable_questions_are_left_out_of_their_area():
    questions = [question("a.one"), question("a.two")]
    with_na = score(questions, answers(at("a.one", 2), na("a.two")))
    assert with_na.area("a").score == 100.0
    assert with_na.area("a").not_applicable == 1
    na_score = with_na.question("a.two")
    assert (na_score.achieved, na_score.gap, na_score.credit) == (None, 0, None)
    assert na_score.confidence == "not_applicable"
    assert na_score.severity == "none"


def test_an_area_where_everything_is_not_applicable_has_no_score_and_does_not_count():
    questions = [question("a.one"), question("b.one")]
    result_ = score(questions, answers(na("a.one"), at("b.one", 1)))
    assert result_.area("a").score is None
    assert result_.overall == 50.0


def test_when_nothing_is_known_there_is_no_score_and_no_verdict():
    result_ = score([question("a.one"), question("a.two")], answers(na("a.one")))
    assert result_.overall is None
    assert result_.verdict == "insufficient"
    assert result_.verdict_label == "Not enough answers to judge"
    assert result_.provisional


def test_dont_know_is_unknown_not_level_zero():
    questions = [question("a.one", required=2), question("a.two", required=2)]
    result_ = score(questions, answers(unknown("a.one"), at("a.two", 2)))
    one = result_.question("a.one")
    assert (one.state, one.claimed, one.achieved, one.gap, one.credit) == (
        "unknown",
        None,
        None,
        0,
        None,
    )
    assert one.flagged_unknown
    assert not one.known
    assert one.confidence == "unknown"
    # The score is the maturity of what is known: a.two fully meets its requirement.
    assert result_.overall == 100.0
    assert result_.area("a").unknown == 1
    coverage = result_.coverage
    assert (coverage.known, coverage.applicable, coverage.dont_know) == (1, 2, 1)


def test_unanswered_questions_are_unknown_and_lower_the_coverage_not_the_score():
    questions = [question("a.one"), question("a.two"), question("a.three")]
    result_ = score(questions, answers(at("a.one", 2), at("a.two", 1)))
    three = result_.question("a.three")
    assert (three.state, three.achieved, three.flagged_unknown) == ("unanswered", None, True)
    assert (result_.area("a").answered, result_.area("a").known) == (2, 2)
    assert result_.coverage.unanswered == 1
    assert result_.overall == 75.0  # (2/2 + 1/2) / 2, a.three left out
    assert result_.coverage.percent == 67
    assert any("Rests on 2 of 3 applicable questions" in r for r in result_.verdict_reasons)


def test_answers_to_questions_that_are_not_scored_are_ignored():
    result_ = score([question("a.one")], answers(at("a.one", 2), at("elsewhere.q", 1)))
    assert [q.question_id for q in result_.questions] == ["a.one"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: score([question("a.one")], {}, band="huge"), "unknown band"),
        (lambda: score([question("a.one", levels=(0, 1, 2))], answers(at("a.one", 3))), "option"),
        (lambda: score([question("a.one"), question("a.one")], {}), "listed twice"),
        (lambda: score([question("a.one")], {"a.one": at("a.two", 1)}), "filed under"),
        (lambda: AnswerValue("a.one", "maybe"), "state must be"),
        (lambda: AnswerValue("a.one", "level"), "integer level"),
        (lambda: AnswerValue("a.one", "na", 2), "level must be None"),
        (lambda: EvidenceResult("cdn", "great", 1, ""), "status must be"),
        (lambda: CapacityInputs(-1), "negative"),
        (lambda: CapacityInputs(10, peak_factor=0), "positive"),
    ],
)
def test_invalid_inputs_are_refused_with_a_clear_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# --- Evidence -------------------------------------------------------------------------------------

HTTPS = question("security.https", required=3, checks=("https_available", "hsts"), critical=True)


def test_a_failing_check_caps_the_level_and_records_a_contradiction():
    evidence = [result("https_available", "fail"), result("hsts", "pass")]
    result_ = score([HTTPS], answers(at(HTTPS.id, 3)), evidence=evidence)
    https = result_.question(HTTPS.id)
    assert (https.claimed, https.achieved, https.gap) == (3, 1, 2)
    assert https.confidence == "contradicted"
    [contradiction] = result_.contradictions
    assert contradiction.question_id == HTTPS.id
    assert (contradiction.claimed_level, contradiction.lowered_to) == (3, 1)
    assert contradiction.claimed_label == "Level 3"
    assert [o.check_id for o in contradiction.observed] == ["https_available"]
    assert contradiction.observed[0].evidence == {"seen": "fail"}


def test_a_failure_in_line_with_a_modest_claim_corroborates_it_without_a_contradiction():
    result_ = score([HTTPS], answers(at(HTTPS.id, 1)), evidence=[result("https_available", "fail")])
    assert result_.question(HTTPS.id).achieved == 1
    assert result_.question(HTTPS.id).confidence == "corroborated"
    assert result_.contradictions == ()


def test_a_passing_check_corroborates_but_never_raises_a_level():
    evidence = [result("https_available", "pass"), result("hsts", "pass")]
    result_ = score([HTTPS], answers(at(HTTPS.id, 1)), evidence=evidence)
    assert result_.question(HTTPS.id).achieved == 1
    assert result_.question(HTTPS.id).confidence == "corroborated"
    unknown_result = score([HTTPS], answers(unknown(HTTPS.id)), evidence=evidence)
    assert unknown_result.question(HTTPS.id).achieved is None  # a pass proves no level
    assert unknown_result.question(HTTPS.id).confidence == "unknown"


def test_a_warning_never_lowers_a_level_and_does_not_corroborate():
    result_ = score([HTTPS], answers(at(HTTPS.id, 4)), evidence=[result("hsts", "warn")])
    assert result_.question(HTTPS.id).achieved == 4
    assert result_.question(HTTPS.id).confidence == "unverified"
    assert result_.contradictions == ()


@pytest.mark.parametrize("status", ["error", "not_applicable"])
def test_checks_that_could_not_judge_are_ignored(status):
    result_ = score([HTTPS], answers(at(HTTPS.id, 3)), evidence=[result("hsts", status)])
    assert result_.question(HTTPS.id).achieved == 3
    assert result_.question(HTTPS.id).evidence == ()
    assert result_.question(HTTPS.id).confidence == "unverified"


def test_the_worst_result_across_targets_counts():
    evidence = [
        result("https_available", "pass", target="https://www.example/"),
        result("https_available", "fail", target="https://api.example/"),
        result("https_available", "warn", target="https://cdn.example/"),
    ]
    result_ = score([HTTPS], answers(at(HTTPS.id, 3)), evidence=evidence)
    [seen] = result_.question(HTTPS.id).evidence
    assert (seen.status, seen.target_url) == ("fail", "https://api.example/")
    assert result_.question(HTTPS.id).achieved == 1


def test_evidence_from_checks_a_question_does_not_list_is_ignored():
    result_ = score([HTTPS], answers(at(HTTPS.id, 3)), evidence=[result("cdn", "fail")])
    assert result_.question(HTTPS.id).achieved == 3


def test_a_contradiction_on_a_critical_question_creates_a_critical_gap():
    failed = [result("https_available", "fail")]
    result_ = score([HTTPS], answers(at(HTTPS.id, 3)), evidence=failed)
    https = result_.question(HTTPS.id)
    assert (https.severity, https.shortfall) == ("critical", "far_short")  # level 1 of 3
    assert result_.verdict == "not_ready"
    assert "Practice security.https: 2 levels short (the probes contradict the answer" in (
        " ".join(result_.verdict_reasons)
    )


def test_a_failing_check_makes_an_unknown_practice_known_at_the_level_it_allows():
    failed = [result("https_available", "fail")]
    result_ = score([HTTPS], answers(unknown(HTTPS.id)), evidence=failed)
    https = result_.question(HTTPS.id)
    assert (https.known, https.achieved, https.confidence) == (True, 1, "observed")
    assert not https.flagged_unknown
    assert result_.contradictions == ()  # nothing was claimed
    assert "as the probes observed" in " ".join(result_.verdict_reasons)


def test_a_passing_check_does_not_make_an_unknown_known():
    passed = [result("https_available", "pass")]
    result_ = score([HTTPS], answers(unknown(HTTPS.id)), evidence=passed)
    assert result_.question(HTTPS.id).flagged_unknown


def test_a_question_can_make_a_warning_contradict_its_claim():
    cdn = question("caching.cdn", checks=("cdn",), check_caps={"cdn": {"warn": 1}}, required=1)
    claimed = score([cdn], answers(at(cdn.id, 3)), evidence=[result("cdn", "warn")])
    assert claimed.question(cdn.id).achieved == 1
    (contradiction,) = claimed.contradictions
    assert contradiction.lowered_to == 1
    plain = question("caching.other", checks=("cdn",), required=1)
    unchanged = score([plain], answers(at(plain.id, 3)), evidence=[result("cdn", "warn")])
    assert unchanged.contradictions == ()


# --- Severity and verdict -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gap", "weight", "critical", "expected"),
    [
        (0, 3, True, "none"),
        (1, 1, True, "critical"),
        (1, 3, False, "medium"),  # 3
        (2, 3, False, "high"),  # 6
        (1, 2, False, "low"),  # 2
        (2, 2, False, "medium"),  # 4
        (3, 2, False, "high"),  # 6
        (2, 1, False, "low"),  # 2
        (3, 1, False, "medium"),  # 3
        (4, 1, False, "medium"),  # 4
    ],
)
def test_severity_comes_from_gap_weight_and_the_critical_flag(gap, weight, critical, expected):
    assert gap_severity(gap, weight, critical) == expected


def test_gap_counts_are_per_severity():
    questions = [
        question("a.crit", critical=True, required=2),
        question("a.high", weight=3, required=3),
        question("a.low", weight=1, required=1),
        question("a.fine", required=1),
    ]
    given_answers = answers(at("a.crit", 1), at("a.high", 0), at("a.low", 0), at("a.fine", 1))
    result_ = score(questions, given_answers)
    assert result_.gap_counts == {"critical": 1, "high": 1, "medium": 0, "low": 1}
    assert [q.question_id for q in result_.gaps] == ["a.crit", "a.high", "a.low"]
    assert [q.question_id for q in result_.critical_gaps] == ["a.crit"]


@pytest.mark.parametrize(
    ("overall", "coverage", "shortfalls", "one_short", "critical_unknown", "expected"),
    [
        # The score sets the verdict when nothing caps it.
        (100.0, 1.0, 0, 0, 0, ("ready", False)),
        (85.0, 1.0, 0, 0, 0, ("ready", False)),
        (84.9, 1.0, 0, 0, 0, ("nearly_ready", False)),
        (70.0, 1.0, 0, 0, 0, ("nearly_ready", False)),
        (69.9, 1.0, 0, 0, 0, ("at_risk", False)),
        (50.0, 1.0, 0, 0, 0, ("at_risk", False)),
        (49.9, 1.0, 0, 0, 0, ("not_ready", False)),
        # A critical practice absent or far short: not ready, and answering the rest cannot
        # change it, so it is not provisional.
        (95.0, 1.0, 1, 0, 0, ("not_ready", False)),
        (95.0, 0.1, 1, 0, 5, ("not_ready", False)),
        # Competent critical practices one step short cap at At risk, however many.
        (95.0, 1.0, 0, 1, 0, ("at_risk", False)),
        (74.0, 1.0, 0, 8, 0, ("at_risk", False)),
        (40.0, 1.0, 0, 2, 0, ("not_ready", False)),
        # Unknown critical practices: never Ready on trust; three or more: at most At risk.
        (95.0, 0.9, 0, 0, 1, ("nearly_ready", True)),
        (95.0, 0.9, 0, 0, 2, ("nearly_ready", True)),
        (95.0, 0.9, 0, 0, 3, ("at_risk", True)),
        (60.0, 0.9, 0, 0, 1, ("at_risk", True)),
        # Coverage: provisional below 80 %, no verdict below 40 %.
        (90.0, 0.79, 0, 0, 0, ("ready", True)),
        (90.0, 0.39, 0, 0, 0, ("insufficient", True)),
        (None, 0.0, 0, 0, 0, ("insufficient", True)),
    ],
)
def test_verdict_rules(overall, coverage, shortfalls, one_short, critical_unknown, expected):
    verdict = judge(
        overall,
        coverage,
        shortfalls=shortfalls,
        one_short=one_short,
        critical_unknown=critical_unknown,
    )
    assert verdict == expected


@pytest.mark.parametrize(
    ("achieved", "gap", "expected"),
    [(0, 1, "absent"), (0, 3, "absent"), (1, 2, "far_short"), (2, 1, "one_short"), (3, 0, "")],
)
def test_critical_shortfall_is_graded_by_how_far_below(achieved, gap, expected):
    assert critical_shortfall(achieved, gap) == expected


def test_critical_from_a_band_is_critical_only_from_that_band_up():
    secrets = question("security.secrets", critical="100k", required=2)
    small = score([secrets], answers(at(secrets.id, 1)), band="10k").question(secrets.id)
    large = score([secrets], answers(at(secrets.id, 1)), band="100k").question(secrets.id)
    assert (small.critical, small.severity, small.shortfall) == (False, "low", "")
    assert (large.critical, large.severity, large.shortfall) == (True, "critical", "one_short")


def test_reasons_name_practices_in_words_and_separate_known_gaps_from_unknowns():
    questions = [
        question("a.backups", critical=True, required=3),
        question("a.alerts", critical=True, required=2),
        question("a.tls", critical=True, required=2),
        question("a.other", required=1),
    ]
    given = answers(at("a.backups", 2), unknown("a.alerts"), at("a.tls", 2), at("a.other", 1))
    result_ = score(questions, given)
    assert (result_.verdict, result_.provisional) == ("at_risk", True)
    themes = [reason.theme for reason in result_.reasons]
    assert themes == ["maturity", "critical_gap", "critical_gap", "unknown", "coverage"]
    gap = result_.reasons[1]
    assert gap.text == (
        "Practice a.backups: one step short. Today: “Level 2”; "
        "a system of up to 100K users needs “Level 3”. Critical."
    )
    assert gap.question_ids == ("a.backups",)
    assert result_.reasons[2].text.startswith("At most At risk while 1 critical practice is")
    unknown_reason = result_.reasons[3]
    assert unknown_reason.text.startswith(
        "Provisional: 1 of 3 critical practices at this scale are not known yet: Practice a.alerts."
    )
    assert unknown_reason.question_ids == ("a.alerts",)
    assert not any("a.alerts" in r.text.replace("Practice a.alerts", "") for r in result_.reasons)


def test_not_enough_answers_says_how_many_are_known():
    questions = [question(f"a.q{i}") for i in range(10)]
    result_ = score(questions, answers(at("a.q0", 2), at("a.q1", 2), at("a.q2", 2)))
    assert result_.verdict == "insufficient"
    assert result_.reasons[0].text.startswith(
        "Only 3 of 10 applicable questions have a known answer (30%): at least 40% are needed"
    )


# --- Capacity headroom ----------------------------------------------------------------------------


def test_needed_peak_uses_the_documented_defaults():
    headroom = estimate_headroom(CapacityInputs(100_000))
    # 100,000 x 5 % online x 2 requests/minute / 60 x peak factor 3
    assert headroom.needed_peak_rps == 500.0
    assert (headroom.requests_per_user_per_minute, headroom.peak_factor) == (2.0, 3.0)
    assert headroom.status == "not_measured"
    assert headroom.headroom_factor is None
    assert headroom.sufficient is None
    assert "Not measured" in headroom.explanation


def test_requests_per_user_and_peak_factor_can_be_set_per_system():
    headroom = estimate_headroom(
        CapacityInputs(10_000, requests_per_user_per_minute=6, peak_factor=2)
    )
    assert headroom.needed_peak_rps == 100.0  # 10,000 x 5 % x 6 / 60 x 2


def test_a_burst_gives_a_headroom_factor():
    headroom = estimate_headroom(CapacityInputs(100_000, measured_rps=1_250.0, measured_p95_ms=180))
    assert headroom.status == "measured"
    assert headroom.headroom_factor == 2.5
    assert headroom.p95_within_limit is True
    assert headroom.sufficient is True
    assert "headroom x2.50" in headroom.explanation


def test_a_small_burst_is_reported_as_a_lower_bound():
    headroom = estimate_headroom(CapacityInputs(100_000, measured_rps=120.0, measured_p95_ms=90))
    assert headroom.headroom_factor == 0.24
    assert headroom.sufficient is False
    assert "lower bound" in headroom.explanation


def test_a_slow_p95_under_the_burst_is_flagged():
    headroom = estimate_headroom(CapacityInputs(1_000, measured_rps=50.0, measured_p95_ms=1_800))
    assert headroom.headroom_factor == 10.0
    assert headroom.p95_within_limit is False
    assert headroom.sufficient is False
    assert "above 1,000 ms" in headroom.explanation


def test_no_users_need_no_capacity():
    headroom = estimate_headroom(CapacityInputs(0, measured_rps=10.0))
    assert headroom.needed_peak_rps == 0.0
    assert headroom.headroom_factor is None
    assert headroom.sufficient is True


def test_headroom_is_part_of_the_result_only_with_capacity_inputs():
    assert score([question("a.one")], {}).headroom is None
    result_ = score([question("a.one")], {}, capacity=CapacityInputs(1_000))
    assert result_.headroom.needed_peak_rps == 5.0


# --- Result value, methodology --------------------------------------------------------------------


def test_the_result_converts_to_plain_json():
    evidence = [result("https_available", "fail")]
    result_ = score(
        [HTTPS], answers(at(HTTPS.id, 3)), evidence=evidence, capacity=CapacityInputs(5)
    )
    document = json.loads(json.dumps(result_.to_dict()))
    assert document["verdict"] == result_.verdict
    assert document["contradictions"][0]["observed"][0]["check_id"] == "https_available"
    assert document["headroom"]["status"] == "not_measured"


def test_methodology_is_generated_from_the_rules():
    text = "\n".join(p for section in METHODOLOGY for p in section.paragraphs)
    for value in (
        "Ready from 85",
        "Nearly ready from 70",
        "At risk from 50",
        f"{scoring.SEVERITY_HIGH_MIN} or more is high",
        f"with {scoring.MANY_CRITICAL_UNKNOWNS} or more unknown",
        "absent or far short makes the system Not ready",
        "one step short caps it at At risk",
        "fail -> at most level 1",
        "5% online",
    ):
        assert value in text
    assert all(section.title and section.paragraphs for section in METHODOLOGY)


# --- Properties over the shipped bank -------------------------------------------------------------


def all_scores(result_):
    return [a.score for a in result_.areas] + [result_.overall]


def verdict_rank(result_) -> int | None:
    return None if result_.verdict == "insufficient" else VERDICTS.index(result_.verdict)


@settings(max_examples=100, deadline=None)
@given(answer_maps, bands, evidence_lists)
def test_scores_stay_within_0_and_100(given_answers, band, evidence):
    result_ = score_assessment(BANK.questions, given_answers, band, evidence)
    assert all(s is None or 0 <= s <= 100 for s in all_scores(result_))
    assert result_.verdict in (*VERDICTS, "insufficient")
    for q in result_.questions:
        assert q.gap >= 0
        assert q.achieved is None or q.claimed is None or q.achieved <= q.claimed
        assert q.known == (q.achieved is not None)


@settings(max_examples=100, deadline=None)
@given(answer_maps, bands, evidence_lists, st.data())
def test_a_better_answer_never_gives_a_worse_score_or_verdict(given_answers, band, evidence, data):
    answered = [
        q for q in BANK.questions if given_answers.get(q.id, unknown(q.id)).state == "level"
    ]
    if not answered:
        return
    q = data.draw(st.sampled_from(answered))
    floor = given_answers[q.id].level
    higher = data.draw(st.sampled_from([o.level for o in q.options if o.level >= floor]))
    before = score_assessment(BANK.questions, given_answers, band, evidence)
    after = score_assessment(
        BANK.questions, {**given_answers, q.id: at(q.id, higher)}, band, evidence
    )
    for old, new in zip(all_scores(before), all_scores(after), strict=True):
        assert (old is None) == (new is None)
        assert new is None or new >= old
    if before.verdict == "insufficient":
        assert after.verdict == "insufficient"  # coverage is unchanged, no gap appeared
    elif after.verdict == "insufficient":
        assert before.verdict == "not_ready"  # the one known shortfall was answered away
    else:
        assert verdict_rank(after) <= verdict_rank(before)


@settings(max_examples=100, deadline=None)
@given(answer_maps, bands, evidence_lists, st.data())
def test_replacing_an_unknown_by_any_level_never_changes_a_known_gap(
    given_answers, band, evidence, data
):
    unknowns = [
        q for q in BANK.questions if given_answers.get(q.id, unknown(q.id)).state == "unknown"
    ] or [q for q in BANK.questions if q.id not in given_answers]
    if not unknowns:
        return
    q = data.draw(st.sampled_from(unknowns))
    level = data.draw(st.sampled_from([o.level for o in q.options]))
    before = score_assessment(BANK.questions, given_answers, band, evidence)
    after = score_assessment(
        BANK.questions, {**given_answers, q.id: at(q.id, level)}, band, evidence
    )
    for old, new in zip(before.questions, after.questions, strict=True):
        if old.question_id != q.id and old.known:
            assert (new.gap, new.severity, new.shortfall) == (old.gap, old.severity, old.shortfall)


@settings(max_examples=100, deadline=None)
@given(answer_maps, st.sampled_from(range(len(BANDS) - 1)), evidence_lists)
def test_a_larger_target_never_gives_a_better_verdict(given_answers, index, evidence):
    smaller = score_assessment(BANK.questions, given_answers, BANDS[index], evidence)
    larger = score_assessment(BANK.questions, given_answers, BANDS[index + 1], evidence)
    if smaller.verdict == "insufficient":
        assert larger.verdict in ("insufficient", "not_ready")
    elif larger.verdict != "insufficient":
        assert verdict_rank(larger) >= verdict_rank(smaller)
    else:
        raise AssertionError("coverage does not depend on the target")


@settings(max_examples=100, deadline=None)
@given(answer_maps, bands, evidence_lists, st.data())
def test_marking_one_question_na_never_changes_other_areas(given_answers, band, evidence, data):
    q = data.draw(st.sampled_from(BANK.questions))
    before = score_assessment(BANK.questions, given_answers, band, evidence)
    after = score_assessment(BANK.questions, {**given_answers, q.id: na(q.id)}, band, evidence)
    for old, new in zip(before.areas, after.areas, strict=True):
        if old.area != q.area:
            assert new == old


@settings(max_examples=300)
@given(
    st.floats(0, 100, allow_nan=False),
    st.floats(0, 100, allow_nan=False),
    st.floats(0, 1),
    st.integers(0, 3),
    st.integers(0, 5),
)
def test_verdict_is_monotonic_in_the_score_for_fixed_gaps(a, b, coverage, one_short, unknowns):
    low, high = sorted((a, b))
    counts = {"shortfalls": 0, "one_short": one_short, "critical_unknown": unknowns}
    worse, better = judge(low, coverage, **counts)[0], judge(high, coverage, **counts)[0]
    if worse != "insufficient":
        assert VERDICTS.index(better) <= VERDICTS.index(worse)


@settings(max_examples=50, deadline=None)
@given(answer_maps, bands, evidence_lists)
def test_scoring_is_deterministic_whatever_the_evidence_order(given_answers, band, evidence):
    capacity = CapacityInputs(50_000, measured_rps=80.0)
    first = score_assessment(BANK.questions, given_answers, band, evidence, capacity)
    again = score_assessment(BANK.questions, dict(given_answers), band, list(evidence), capacity)
    shuffled = score_assessment(BANK.questions, given_answers, band, evidence[::-1], capacity)
    assert first == again == shuffled


def test_methodology_numbers_follow_the_constants(monkeypatch):
    monkeypatch.setattr(scoring, "SEVERITY_HIGH_MIN", 7)
    monkeypatch.setattr(scoring, "VERDICT_THRESHOLDS", (("ready", 90.0),))
    text = "\n".join(p for section in load_methodology() for p in section.paragraphs)
    assert "7 or more is high" in text
    assert "Ready from 90" in text


def test_methodology_prose_with_an_unknown_placeholder_is_refused(tmp_path):
    prose = tmp_path / "methodology.toml"
    prose.write_text('[[section]]\ntitle = "T"\nparagraphs = ["{no_such_rule} points"]\n')
    with pytest.raises(KeyError, match="no_such_rule"):
        load_methodology(prose)
