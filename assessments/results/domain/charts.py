"""Chart geometry for the SVG charts of results, reports, milestones and the portfolio.

One module, so every chart draws a score the same way: bar lengths, row heights, and the
colour band of a score, which is the verdict that score alone would get
(``scoring.verdict_by_score``), so a bar is green exactly where the score reads "Ready".
Pure: inputs are read by attribute or key, outputs are plain dicts for the templates.
"""

import math
from collections.abc import Iterable, Mapping

from assessments.results.domain.scoring import VERDICT_THRESHOLDS, verdict_by_score

CHART_BAR_WIDTH = 360  # px of the SVG bar at a score of 100
CHART_ROW_HEIGHT = 34  # px per area
CHART_LEFT = 200  # px for the area titles beside the bars
PAIR_ROW_HEIGHT = 46  # two bars per area (then, now)
BAND_OF_VERDICT = {"ready": "good", "nearly_ready": "ok", "at_risk": "risk", "not_ready": "bad"}
# SVG fills as attributes too: WeasyPrint's SVG renderer does not apply page CSS classes.
CHART_FILLS = {
    "good": "#12b76a",
    "ok": "#2e90fa",
    "risk": "#f79009",
    "bad": "#f04438",
    "na": "#d0d5dd",
    "then": "#98a2b3",  # the earlier score, in grey, beside the coloured current one
}


def score_band(score: float) -> str:
    """The colour band of a score's bar: good, ok, risk or bad, as the verdict thresholds."""
    return BAND_OF_VERDICT[verdict_by_score(score)]


def bar_width(score: float | None) -> int:
    """Length in px of the bar of ``score`` (0-100); no bar for a missing score."""
    return 0 if score is None else round(score * CHART_BAR_WIDTH / 100)


def area_chart(areas: Iterable, titles: Mapping[str, str]) -> dict:
    """One bar per area score (``area``, ``score``), in order. An area without a score gets an
    empty bar and says why: nothing known there yet, or every question N/A."""
    rows = []
    for index, area in enumerate(areas):
        score = area.score
        band = "na" if score is None else score_band(score)
        rows.append(
            {
                "title": titles.get(area.area, area.area),
                "score": score,
                "empty_label": "not answered yet" if getattr(area, "applicable", 0) else "N/A",
                "y": index * CHART_ROW_HEIGHT,
                "width": bar_width(score),
                "band": band,
                "fill": CHART_FILLS[band],
            }
        )
    return {"rows": rows, "height": len(rows) * CHART_ROW_HEIGHT, "bar_width": CHART_BAR_WIDTH}


def pair_chart(areas: Iterable) -> dict:
    """Paired bars per area, then and now (``title``, ``before``, ``after``, ``delta``)."""
    rows = []
    for index, area in enumerate(areas):
        bars = []
        for offset, (label, score) in enumerate((("then", area.before), ("now", area.after))):
            band = "na" if score is None else "then" if label == "then" else score_band(score)
            bars.append(
                {
                    "label": label,
                    "score": score,
                    "y": 4 + offset * 19,
                    "width": bar_width(score),
                    "band": band,
                    "fill": CHART_FILLS[band],
                }
            )
        rows.append({"title": area.title, "delta": area.delta, "y": index * PAIR_ROW_HEIGHT})
        rows[-1]["bars"] = bars
    return {"rows": rows, "height": len(rows) * PAIR_ROW_HEIGHT, "bar_width": CHART_BAR_WIDTH}


def distribution_chart(rows: Iterable[Mapping]) -> dict:
    """Per area a range line (min-max), a box (Q1-Q3) and a median tick, in SVG units.

    ``rows`` are the portfolio's distribution table rows (Area, Systems, Min, Q1, Median,
    Q3, Max)."""

    def x(score: float) -> float:
        return round(CHART_LEFT + score * CHART_BAR_WIDTH / 100, 1)

    drawn = []
    for index, row in enumerate(rows):
        drawn.append(
            {
                "title": row["Area"],
                "y": index * CHART_ROW_HEIGHT,
                "min": x(row["Min"]),
                "max": x(row["Max"]),
                "q1": x(row["Q1"]),
                "box": max(1.0, round(x(row["Q3"]) - x(row["Q1"]), 1)),
                "median": x(row["Median"]),
                "median_score": row["Median"],
                "band": score_band(row["Median"]),
                "systems": row["Systems"],
            }
        )
    return {
        "rows": drawn,
        "height": len(drawn) * CHART_ROW_HEIGHT,
        "left": CHART_LEFT,
        "bar_width": CHART_BAR_WIDTH,
        "width": CHART_LEFT + CHART_BAR_WIDTH + 60,
        "ticks": [{"x": x(v), "label": v} for v in (0, 25, 50, 75, 100)],
    }


STACKED_ROW_HEIGHT = 46  # px per area when its title sits above its bar (narrow screens)
STACKED_BAR_WIDTH = 300  # px of the bar at 100, so the chart stays legible at 390 px wide


def stacked_area_chart(areas: Iterable, titles: Mapping[str, str]) -> dict:
    """The area bars with each title above its bar: the chart is narrow enough that its text
    stays readable on a phone. Same rows as ``area_chart``, laid out differently."""
    chart = area_chart(areas, titles)
    for index, row in enumerate(chart["rows"]):
        row["y"] = index * STACKED_ROW_HEIGHT
        row["width"] = 0 if row["score"] is None else round(row["score"] * STACKED_BAR_WIDTH / 100)
    return {
        "rows": chart["rows"],
        "height": len(chart["rows"]) * STACKED_ROW_HEIGHT,
        "bar_width": STACKED_BAR_WIDTH,
        "width": STACKED_BAR_WIDTH + 50,
    }


RADAR_RADIUS = 120  # px from the centre to a score of 100
RADAR_MARGIN = 110  # px around the circle for the area titles
READY_SCORE = dict(VERDICT_THRESHOLDS)["ready"]  # from here an area alone would read "Ready"


RADAR_LINE_CHARS = 13  # an area title is broken into lines this long, to stay in the margin


def title_lines(title: str, width: int = RADAR_LINE_CHARS) -> list[str]:
    """A title broken between words into lines of at most ``width`` characters (a longer
    word keeps a line of its own)."""
    lines: list[str] = []
    for word in title.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _point(index: int, count: int, score: float, centre: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    radius = RADAR_RADIUS * score / 100
    return round(centre + radius * math.cos(angle), 1), round(centre + radius * math.sin(angle), 1)


def radar_chart(areas: Iterable, titles: Mapping[str, str]) -> dict:
    """A radar of area scores against the required level (100: every question at the level
    the target scale requires) and the Ready line. An area not known yet sits at the centre
    and says so in its label, so a gap in knowledge never looks like a score of 0."""
    areas = list(areas)
    count = len(areas)
    centre = RADAR_RADIUS + RADAR_MARGIN
    if count < 3:
        return {"axes": [], "size": 2 * centre}

    def polygon(score_of) -> str:
        return " ".join(
            "{},{}".format(*_point(i, count, score_of(area), centre))
            for i, area in enumerate(areas)
        )

    axes = []
    for index, area in enumerate(areas):
        end = _point(index, count, 100, centre)
        label = _point(index, count, 100 + 100 * 14 / RADAR_RADIUS, centre)
        anchor = "middle" if abs(label[0] - centre) < 8 else "start" if label[0] > centre else "end"
        axes.append(
            {
                "title": titles.get(area.area, area.area),
                "lines": title_lines(titles.get(area.area, area.area)),
                "score": area.score,
                "x2": end[0],
                "y2": end[1],
                "label_x": label[0],
                "label_y": label[1],
                "anchor": anchor,
            }
        )
    return {
        "axes": axes,
        "size": 2 * centre,
        "centre": centre,
        "scores": polygon(lambda area: area.score or 0),
        "required": polygon(lambda area: 100),
        "ready": polygon(lambda area: READY_SCORE),
        "ready_score": READY_SCORE,
    }


TREND_WIDTH = 360  # px of the trend chart's drawing, small enough to stay legible on a phone
TREND_HEIGHT = 180
TREND_LEFT = 34  # px for the 0/50/100 ticks
TREND_BOTTOM = 24  # px for the period labels
TREND_MAX_LABELS = 6  # period labels shown at most; the others are in the accessible text


def trend_chart(points: Iterable[tuple[str, float | None]]) -> dict:
    """A line of scores (0-100) over periods, oldest first; a period without a score breaks
    the line rather than dropping it to 0."""
    points = list(points)
    plot_w = TREND_WIDTH - TREND_LEFT - 12
    plot_h = TREND_HEIGHT - TREND_BOTTOM - 10
    step = plot_w / (len(points) - 1) if len(points) > 1 else 0
    every = max(1, math.ceil(len(points) / TREND_MAX_LABELS))
    dots, segments, current = [], [], []
    for index, (label, value) in enumerate(points):
        score = None if value is None or value != value else float(value)  # NaN: no score
        x = round(TREND_LEFT + (step * index if len(points) > 1 else plot_w / 2), 1)
        if score is None:
            if current:
                segments.append(current)
            current = []
            continue
        y = round(10 + plot_h * (1 - score / 100), 1)
        current.append(f"{x},{y}")
        dots.append({"x": x, "y": y, "label": label, "score": score, "shown": index % every == 0})
    if current:
        segments.append(current)
    return {
        "width": TREND_WIDTH,
        "height": TREND_HEIGHT,
        "left": TREND_LEFT,
        "right": TREND_WIDTH - 12,
        "base": TREND_HEIGHT - TREND_BOTTOM,
        "label_y": TREND_HEIGHT - 6,
        "lines": [" ".join(segment) for segment in segments],
        "dots": dots,
        "ticks": [
            {"y": round(10 + plot_h * (1 - value / 100), 1), "label": value}
            for value in (0, 50, 100)
        ],
    }
