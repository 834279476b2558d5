"""Chart geometry for the results page: the stacked bars and the radar (pure)."""

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from assessments.results.domain.charts import (
    RADAR_LINE_CHARS,
    READY_SCORE,
    STACKED_BAR_WIDTH,
    radar_chart,
    stacked_area_chart,
    title_lines,
    trend_chart,
)
from assessments.results.domain.scoring import VERDICT_THRESHOLDS


@dataclass(frozen=True)
class Area:
    area: str
    score: float | None
    total: int = 10
    not_applicable: int = 0

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable


TITLES = {"a": "Architecture", "o": "Observability & reliability", "c": "Cost"}


def test_stacked_bars_are_narrow_and_leave_unknown_areas_empty():
    chart = stacked_area_chart([Area("a", 50.0), Area("c", None)], TITLES)
    first, second = chart["rows"]
    assert first["width"] == STACKED_BAR_WIDTH // 2
    assert (second["width"], second["empty_label"]) == (0, "not answered yet")
    assert chart["width"] < 400  # legible when scaled to a 390 px phone
    assert second["y"] > first["y"]


def test_the_radar_draws_scores_the_required_level_and_the_ready_line():
    radar = radar_chart([Area("a", 100.0), Area("o", None), Area("c", 50.0)], TITLES)
    centre = radar["centre"]
    assert len(radar["axes"]) == 3
    assert radar["axes"][0]["anchor"] == "middle"  # the first axis points straight up
    first_score = radar["scores"].split()[0]
    first_required = radar["required"].split()[0]
    assert first_score == first_required  # a score of 100 reaches the required level
    assert radar["scores"].split()[1] == f"{float(centre)},{float(centre)}"  # unknown: centre
    assert dict(VERDICT_THRESHOLDS)["ready"] == READY_SCORE
    assert radar["axes"][1]["lines"] == ["Observability", "& reliability"]


def test_a_radar_needs_three_areas():
    assert radar_chart([Area("a", 10.0), Area("c", 20.0)], TITLES)["axes"] == []


@given(st.lists(st.floats(min_value=0, max_value=100) | st.none(), min_size=3, max_size=12))
def test_radar_points_stay_inside_the_drawing(scores):
    areas = [Area(str(i), score) for i, score in enumerate(scores)]
    radar = radar_chart(areas, {})
    for polygon in (radar["scores"], radar["required"], radar["ready"]):
        for point in polygon.split():
            x, y = map(float, point.split(","))
            assert 0 <= x <= radar["size"]
            assert 0 <= y <= radar["size"]


@given(st.lists(st.text(alphabet="abcdefgh&", min_size=1, max_size=12), min_size=1, max_size=6))
def test_title_lines_keep_every_word_and_respect_the_width(words):
    lines = title_lines(" ".join(words))
    assert " ".join(lines).split() == words
    assert all(len(line) <= RADAR_LINE_CHARS or " " not in line for line in lines)


def test_the_trend_line_breaks_where_a_period_has_no_score():
    chart = trend_chart(
        [("2026-01", 40.0), ("2026-02", None), ("2026-03", float("nan")), ("2026-04", 80.0)]
    )
    assert len(chart["lines"]) == 2  # never drawn down to 0 for a missing period
    assert [dot["label"] for dot in chart["dots"]] == ["2026-01", "2026-04"]
    first, last = chart["dots"]
    assert last["y"] < first["y"]  # a higher score sits higher
    assert first["x"] < last["x"]


@given(st.lists(st.floats(min_value=0, max_value=100) | st.none(), min_size=1, max_size=40))
def test_trend_points_stay_inside_the_drawing_and_labels_stay_few(scores):
    chart = trend_chart([(f"p{i}", score) for i, score in enumerate(scores)])
    for dot in chart["dots"]:
        assert chart["left"] <= dot["x"] <= chart["right"]
        assert 0 <= dot["y"] <= chart["base"]
    assert sum(dot["shown"] for dot in chart["dots"]) <= 6
