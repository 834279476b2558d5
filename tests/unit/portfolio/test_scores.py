"""Tests for assessments/portfolio/domain/scores.py and tables.py: vectorised scores equal
results/domain/scoring.py's, and a generated portfolio with known answers gives known
distributions, percentiles and top gaps."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.bank.domain.loader import load_bank
from assessments.bank.models import Question
from assessments.bank.services import question_fields
from assessments.portfolio.domain import scores as analytics
from assessments.portfolio.domain.scores import STATE_CODES, question_frame, score_portfolio
from assessments.portfolio.domain.tables import area_percentiles, build_portfolio, percentile_rank
from assessments.portfolio.selectors import PortfolioFilterError, PortfolioFilters
from assessments.results.domain.roadmap import recommendations_for_gap
from assessments.results.domain.scoring import AnswerValue, score_assessment
from tests.profiles import answer_values, early_startup, growing_product, mature_platform
from tests.unit.results.scoring_builders import answer_maps, bands

BANK = load_bank()
VERSION = 1
AREAS = tuple((area.id, area.title) for area in BANK.areas)


def bank_rows() -> list[Question]:
    """The shipped bank as unsaved question rows (pk = position), as ``load_frames`` reads."""
    return [
        Question(pk=index + 1, bank_version_id=VERSION, position=index, **question_fields(q))
        for index, q in enumerate(BANK.questions)
    ]


ROWS = bank_rows()
PK = {row.key: row.pk for row in ROWS}
QUESTIONS = question_frame(ROWS)


def frames(portfolio_answers: list[tuple[int, str, dict[str, AnswerValue]]], **assessment_fields):
    """Frames for assessments (id, band, answers) all on one system each, one client."""
    assessments = pd.DataFrame(
        [
            {
                "assessment_id": pk,
                "title": f"Assessment {pk}",
                "status": "submitted",
                "band": band,
                "created_at": assessment_fields.get("created_at", {}).get(
                    pk, pd.Timestamp("2026-01-15", tz="UTC")
                ),
                "bank_version_id": VERSION,
                "system_id": assessment_fields.get("systems", {}).get(pk, pk),
                "system": f"System {pk}",
                "client_id": 1,
                "client": "Acme",
            }
            for pk, band, _ in portfolio_answers
        ]
    )
    answers = pd.DataFrame(
        [
            (pk, PK[key], STATE_CODES[value.state], value.level or 0)
            for pk, _, values in portfolio_answers
            for key, value in values.items()
        ],
        columns=["assessment_id", "question_id", "state", "level"],
    )
    areas = pd.DataFrame(
        [(VERSION, order, area, title) for order, (area, title) in enumerate(AREAS)],
        columns=["bank_version_id", "order", "area", "title"],
    )
    return {"assessments": assessments, "questions": QUESTIONS, "answers": answers, "areas": areas}


def vectorised(portfolio_answers):
    data = frames(portfolio_answers)
    result = score_portfolio(data["assessments"], data["questions"], data["answers"])
    return result.assessments, result.area_scores


def assert_same_scores(portfolio_answers):
    scored, area_scores = vectorised(portfolio_answers)
    for pk, band, values in portfolio_answers:
        expected = score_assessment(BANK.questions, values, band)
        row = scored[scored["assessment_id"] == pk].iloc[0]
        overall = None if pd.isna(row["overall"]) else row["overall"]
        assert overall == expected.overall
        assert row["verdict"] == expected.verdict
        assert row["provisional"] == expected.provisional
        assert row["coverage"] == expected.coverage.share
        assert row["critical_gaps"] == len(expected.critical_gaps)
        assert row["gaps"] == len(expected.gaps)
        mine = area_scores[area_scores["assessment_id"] == pk]
        got = {
            area: (None if pd.isna(score) else score)
            for area, score in zip(mine["area"], mine["score"], strict=True)
        }
        assert got == {a.area: a.score for a in expected.areas}


def test_profile_scores_equal_scoring_py_for_every_band():
    profiles = [early_startup(), growing_product(), mature_platform()]
    portfolio = [
        (index * 10 + b, band, answer_values(document))
        for index, document in enumerate(profiles)
        for b, band in enumerate(("1k", "10k", "100k", "1m", "gt1m"))
    ]
    assert_same_scores(portfolio)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(answer_maps, bands), min_size=1, max_size=4))
def test_random_answers_score_the_same_both_ways(generated):
    assert_same_scores([(pk + 1, band, values) for pk, (values, band) in enumerate(generated)])


def test_no_answers_at_all_is_scored_like_every_question_unanswered():
    assert_same_scores([(1, "100k", {})])


# --- A portfolio whose answers are known exactly ------------------------------------------------


def uniform(level: int) -> dict[str, AnswerValue]:
    """Every question at ``level``, or at its top option when it has no such level."""
    return {q.id: AnswerValue(q.id, "level", min(level, top(q))) for q in BANK.questions}


def top(q) -> int:
    return q.options[-1].level


@pytest.fixture(scope="module")
def known():
    """Five systems at levels 0..4 everywhere (aiming at 100K), plus an
    older assessment of system 1 at level 4 that must not count as its latest."""
    portfolio = [(pk, "100k", uniform(pk - 1)) for pk in range(1, 6)]
    portfolio.append((99, "100k", uniform(4)))
    data = frames(
        portfolio,
        systems={99: 1},
        created_at={
            **{pk: pd.Timestamp(f"2026-0{pk}-10", tz="UTC") for pk in range(1, 6)},
            99: pd.Timestamp("2025-12-01", tz="UTC"),
        },
    )
    return build_portfolio(data), portfolio


def test_latest_table_has_one_row_per_system_with_the_newest_assessment(known):
    board, _ = known
    assert sorted(board.latest["Assessment ID"]) == [1, 2, 3, 4, 5]
    assert len(board.assessments) == 6


def test_distribution_per_area_matches_the_five_known_scores(known):
    board, portfolio = known
    expected = {
        pk: score_assessment(BANK.questions, values, "100k")
        for pk, _, values in portfolio
        if pk != 99
    }
    for area, _title in AREAS:
        scores = pd.Series([expected[pk].area(area).score for pk in range(1, 6)])
        row = board.distribution.set_index("Area ID").loc[area]
        assert row["Systems"] == 5
        assert row["Min"] == scores.min()
        assert row["Max"] == scores.max()
        assert row["Median"] == round(scores.median(), 1)
        assert row["Q1"] == round(scores.quantile(0.25), 1)
    # Level 4 everywhere meets every requirement: 100 in every area.
    assert (board.distribution["Max"] == 100.0).all()


def test_weakest_areas_are_ordered_by_mean_score(known):
    board, _ = known
    means = board.weakest_areas["Mean score"].tolist()
    assert means == sorted(means)
    assert board.weakest_areas["Rank"].tolist() == list(range(1, len(means) + 1))


def test_top_gaps_count_the_systems_below_each_required_level(known):
    board, _ = known
    gaps = board.gaps.set_index("Question ID")
    for q in BANK.questions:
        required = q.required_level("100k")
        # Systems at levels 0..4: those below `required` have a gap.
        below = sum(1 for level in range(5) if min(level, top(q)) < required)
        if below:
            assert gaps.loc[q.id, "Assessments"] == below
            assert gaps.loc[q.id, "Share %"] == round(100 * below / 5, 1)
        else:
            assert q.id not in gaps.index
    counts = board.gaps["Assessments"].tolist()
    assert counts == sorted(counts, reverse=True)


def test_recommendations_are_counted_once_per_assessment(known):
    board, portfolio = known
    expected: dict[str, int] = {}
    for pk, band, values in portfolio:
        if pk == 99:
            continue
        result = score_assessment(BANK.questions, values, band)
        called = {
            rec.id
            for gap in result.gaps
            for rec in recommendations_for_gap(BANK.question(gap.question_id), gap.achieved)
        }
        for rec_id in called:
            expected[rec_id] = expected.get(rec_id, 0) + 1
    got = dict(
        zip(
            board.recommendations["Recommendation ID"],
            board.recommendations["Assessments"],
            strict=False,
        )
    )
    assert got == expected


def test_trend_counts_every_assessment_by_month(known):
    board, _ = known
    trend = board.trend.set_index("Month")
    assert trend.loc["2025-12", "Assessments"] == 1
    assert trend.loc["2025-12", "Mean overall"] == 100.0
    assert trend["Assessments"].sum() == 6


def test_percentiles_against_the_other_systems(known):
    board, _ = known
    area = AREAS[0][0]
    scores = board.area_scores[board.area_scores["area"] == area].set_index("assessment_id")
    peers_of_5 = [scores.loc[pk, "score"] for pk in (1, 2, 3, 4)]  # 99 is not a latest one
    assert peers_of_5 == sorted(peers_of_5)
    assert peers_of_5[0] < peers_of_5[-1]
    mine = scores.loc[5, "score"]
    below = sum(s < mine for s in peers_of_5)
    equal = sum(s == mine for s in peers_of_5)
    expected = round(100 * (below + equal / 2) / 4, 1)
    assert area_percentiles(board, 5, {area: mine})[area] == expected
    # Below every other system: 0th percentile; above all of them: 100th.
    assert area_percentiles(board, 1, {area: -1.0})[area] == 0.0
    assert area_percentiles(board, 1, {area: 101.0})[area] == 100.0


def test_percentile_rank_counts_ties_as_half():
    assert percentile_rank(50, [10, 50, 90, 95]) == 37.5
    assert percentile_rank(100, [10, 20]) == 100.0
    with pytest.raises(ValueError, match="no scores"):
        percentile_rank(1, [])


def test_percentiles_need_two_other_systems():
    board = build_portfolio(frames([(1, "100k", uniform(1)), (2, "100k", uniform(2))]))
    assert area_percentiles(board, 1, {AREAS[0][0]: 50.0}) is None
    board = build_portfolio(frames([(pk, "100k", uniform(pk)) for pk in range(1, 4)]))
    assert area_percentiles(board, 1, {AREAS[0][0]: 50.0})[AREAS[0][0]] is not None


def test_an_empty_portfolio_has_empty_tables():
    board = build_portfolio(frames([]))
    assert board.empty
    assert all(table.empty for table in board.tables().values())
    assert area_percentiles(board, 1, {"database": 10.0}) is None


def test_filters_refuse_a_range_that_ends_before_it_starts():
    from datetime import date

    with pytest.raises(PortfolioFilterError, match="start date is after the end date"):
        PortfolioFilters(date_from=date(2026, 2, 1), date_to=date(2026, 1, 1))
    with pytest.raises(PortfolioFilterError):
        PortfolioFilters(band="huge")
    assert not PortfolioFilters().active


def test_severities_match_scoring_gap_severity():
    import numpy as np

    from assessments.results.domain.scoring import gap_severity

    cases = [(g, w, c) for g in range(0, 5) for w in (1, 2, 3) for c in (False, True)]
    gap, weight, critical = (np.array(column) for column in zip(*cases, strict=True))
    got = analytics.severities(gap, weight, critical).tolist()
    assert got == [gap_severity(g, w, c) for g, w, c in cases]
