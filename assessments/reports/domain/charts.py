"""The report's radar chart: per area, the average maturity level achieved against the average
level the target requires, both on the 0-4 scale of the question bank.

Bars (``results.domain.charts``) show a score out of 100, which is already relative to what
the target needs; the radar shows the two levels themselves, so a reader sees how far each
area has to climb. Pure: questions are read by attribute, the output is plain numbers for an
SVG template and for the DOCX image.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from math import cos, pi, sin

RADAR_SIZE = 360  # px, square
RADAR_RADIUS = 120  # px from the centre to level 4
RADAR_MAX_LEVEL = 4
RADAR_FILLS = {"required": "#98a2b3", "achieved": "#1d4ed8"}


@dataclass(frozen=True)
class RadarAxis:
    title: str
    achieved: float | None  # average level of the known, applicable questions
    required: float  # average required level of the applicable questions


def radar_axes(questions: Iterable, areas: Iterable, titles: Mapping[str, str]) -> list[RadarAxis]:
    """One axis per area in the order of ``areas``; questions are scored questions
    (``area``, ``state``, ``required``, ``known``, ``achieved``)."""
    axes = []
    for area in areas:
        applicable = [q for q in questions if q.area == area.area and q.state != "na"]
        if not applicable:
            continue
        known = [q.achieved for q in applicable if q.known and q.achieved is not None]
        axes.append(
            RadarAxis(
                title=titles.get(area.area, area.area),
                achieved=sum(known) / len(known) if known else None,
                required=sum(q.required for q in applicable) / len(applicable),
            )
        )
    return axes


def _point(index: int, count: int, level: float) -> tuple[float, float]:
    angle = -pi / 2 + 2 * pi * index / count
    radius = RADAR_RADIUS * min(level, RADAR_MAX_LEVEL) / RADAR_MAX_LEVEL
    centre = RADAR_SIZE / 2
    return round(centre + radius * cos(angle), 1), round(centre + radius * sin(angle), 1)


def _polygon(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x},{y}" for x, y in points)


def radar_chart(axes: list[RadarAxis]) -> dict | None:
    """SVG geometry: grid rings, spokes with labels, and the two polygons. None below three
    areas (a radar of two axes is a line)."""
    count = len(axes)
    if count < 3:
        return None
    centre = RADAR_SIZE / 2
    rings = [
        _polygon([_point(i, count, level) for i in range(count)])
        for level in range(1, RADAR_MAX_LEVEL + 1)
    ]
    spokes = []
    for index, axis in enumerate(axes):
        x, y = _point(index, count, RADAR_MAX_LEVEL)
        lx, ly = _point(index, count, RADAR_MAX_LEVEL + 0.35)
        anchor = "middle" if abs(lx - centre) < 8 else ("start" if lx > centre else "end")
        spokes.append(
            {
                "x": x,
                "y": y,
                "label_x": lx,
                "label_y": round(ly + (10 if ly > centre else 0), 1),
                "anchor": anchor,
                "title": axis.title,
                "unknown": axis.achieved is None,
            }
        )
    achieved = [_point(i, count, axis.achieved or 0) for i, axis in enumerate(axes)]
    required = [_point(i, count, axis.required) for i, axis in enumerate(axes)]
    return {
        "size": RADAR_SIZE,
        "centre": centre,
        "rings": rings,
        "spokes": spokes,
        "achieved": _polygon(achieved),
        "required": _polygon(required),
        "achieved_points": [{"x": x, "y": y} for x, y in achieved],
        "fills": RADAR_FILLS,
        "axes": axes,
    }
