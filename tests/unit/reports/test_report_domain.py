"""The report's pure pieces: the radar chart and probe evidence written for people."""

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from assessments.reports.domain.charts import (
    RADAR_MAX_LEVEL,
    RADAR_RADIUS,
    RADAR_SIZE,
    radar_axes,
    radar_chart,
)
from assessments.reports.domain.evidence import detail_value, evidence_groups


@dataclass(frozen=True)
class Scored:
    area: str
    state: str
    required: int
    known: bool
    achieved: int | None


@dataclass(frozen=True)
class Area:
    area: str


@dataclass(frozen=True)
class Result:
    check_id: str
    status: str
    message: str
    target_url: str
    evidence: dict = field(default_factory=dict)


def test_radar_averages_known_levels_and_required_levels_per_area():
    questions = [
        Scored("db", "level", 3, True, 1),
        Scored("db", "level", 1, True, 3),
        Scored("db", "unknown", 4, False, None),
        Scored("db", "na", 4, False, None),
        Scored("ops", "unknown", 2, False, None),
    ]
    axes = radar_axes(questions, [Area("db"), Area("ops"), Area("cost")], {"db": "Database"})
    assert [(a.title, a.achieved, a.required) for a in axes] == [
        ("Database", 2.0, 8 / 3),
        ("ops", None, 2.0),
    ]  # an area with only N/A (here: none at all) has no axis


def test_radar_needs_three_axes():
    axes = radar_axes([Scored("a", "level", 1, True, 1)], [Area("a")], {})
    assert radar_chart(axes) is None


@given(st.lists(st.tuples(st.floats(0, 4), st.floats(0, 4)), min_size=3, max_size=12))
def test_radar_points_stay_inside_the_outer_ring(levels):
    from assessments.reports.domain.charts import RadarAxis

    chart = radar_chart([RadarAxis(f"area {i}", a, r) for i, (a, r) in enumerate(levels)])
    centre = RADAR_SIZE / 2
    for polygon in (chart["achieved"], chart["required"], chart["rings"][-1]):
        for point in polygon.split():
            x, y = map(float, point.split(","))
            assert ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5 <= RADAR_RADIUS + 0.2
    assert len(chart["rings"]) == RADAR_MAX_LEVEL


def test_evidence_is_grouped_by_check_worst_first_with_every_target():
    results = [
        Result("hsts", "pass", "HSTS is strong.", "https://a.example/"),
        Result("hsts", "fail", "No HSTS header.", "https://b.example/"),
        Result("compression", "pass", "Compressed.", "https://a.example/"),
        Result("csp", "warn", "CSP allows inline scripts.", "https://a.example/"),
    ]
    titles = {"hsts": "HSTS is strong", "compression": "Compression", "csp": "CSP is strict"}
    groups = evidence_groups(results, titles)
    assert [(g.title, g.status) for g in groups] == [
        ("HSTS is strong", "fail"),
        ("CSP is strict", "warn"),
        ("Compression", "pass"),
    ]
    assert groups[0].targets == ("https://a.example/", "https://b.example/")
    assert groups[0].messages == ("HSTS is strong.", "No HSTS header.")


def test_evidence_details_never_show_a_python_repr():
    assert detail_value({"p95_ms": 120, "ok": True}) == "p95 ms 120; ok yes"
    assert detail_value(["TLSv1.2", "TLSv1.3"]) == "TLSv1.2, TLSv1.3"
    assert detail_value(None) == "none"
    assert detail_value([]) == "none"
    group = evidence_groups(
        [Result("x", "fail", "m", "", {"cookies": [{"name": "sid", "secure": False}]})], {}
    )[0]
    assert group.details == ("cookies: name sid; secure no",)
    assert group.title == "A probe check"
    for text in group.details:
        assert "{" not in text
        assert "[" not in text
        assert "'" not in text


def test_chart_images_draw_each_bar_in_its_colour_and_the_radar():
    import io

    from PIL import Image

    from assessments.reports.domain.chart_images import SCALE, bars_png, radar_png
    from assessments.reports.domain.charts import RadarAxis
    from assessments.results.domain.charts import CHART_FILLS, area_chart

    scored = [
        type("S", (), {"area": "db", "score": 80.0, "applicable": 3})(),
        type("S", (), {"area": "ops", "score": None, "applicable": 3})(),
    ]
    chart = area_chart(scored, {"db": "Database"})
    image = Image.open(io.BytesIO(bars_png(chart))).convert("RGB")
    assert image.height == chart["height"] * SCALE
    fill = CHART_FILLS[chart["rows"][0]["band"]]
    rgb = tuple(int(fill[i : i + 2], 16) for i in (1, 3, 5))
    middle_of_bar = ((200 + chart["rows"][0]["width"] // 2) * SCALE, 16 * SCALE)
    assert image.getpixel(middle_of_bar) == rgb
    second_bar = ((200 + 5) * SCALE, (chart["rows"][1]["y"] + 16) * SCALE)
    assert image.getpixel(second_bar) != rgb  # no score, no bar

    radar = radar_chart([RadarAxis(f"area {i}", 2.0, 3.0) for i in range(5)])
    picture = Image.open(io.BytesIO(radar_png(radar))).convert("RGB")
    centre = (int((radar["centre"] + 110) * SCALE), int(radar["centre"] * SCALE))
    r, g, b = picture.getpixel(centre)
    assert b > r
    assert b > g
