"""The watch's history charts (``assessments.watch.domain.history``)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.results.domain.charts import trend_chart
from assessments.watch.domain.history import grade_chart, latency_ceiling, latency_chart


@pytest.mark.parametrize(
    ("slowest", "ceiling"),
    [
        (0, 100),
        (4, 100),
        (100, 100),
        (101, 200),
        (240, 250),
        (251, 500),
        (999, 1000),
        (1001, 2000),
        (2400, 2500),
        (7200, 10000),
    ],
)
def test_the_latency_axis_tops_out_at_a_round_number(slowest, ceiling):
    assert latency_ceiling(slowest) == ceiling


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_the_latency_ceiling_is_never_below_the_slowest_run(slowest):
    top = latency_ceiling(slowest)
    assert top >= slowest
    assert top < max(slowest, 100) * 2.51


def test_the_grade_line_is_the_trend_chart_of_scores():
    points = [("1 Dec", 90), ("2 Dec", None), ("3 Dec", 70)]
    assert grade_chart(points) == trend_chart(points)


def test_latency_dots_and_ticks_read_in_milliseconds():
    chart = latency_chart([("1 Dec", 40.0), ("2 Dec", None), ("3 Dec", 180.0)])
    assert [dot["score"] for dot in chart["dots"]] == [40.0, 180.0]
    assert [tick["label"] for tick in chart["ticks"]] == [0, 100, 200]
    assert len(chart["lines"]) == 2  # a run without a latency breaks the line
    # 180 ms of a 200 ms axis sits where a score of 90 would
    assert chart["dots"][1]["y"] == trend_chart([("a", 0), ("b", 90)])["dots"][1]["y"]


def test_a_history_without_latency_has_no_dots():
    chart = latency_chart([("1 Dec", None)])
    assert chart["dots"] == []
    assert chart["lines"] == []
