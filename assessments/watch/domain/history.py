"""The system page's history of watched runs: grade and latency over time, as SVG geometry.

Both lines are drawn by the results' trend chart (``results.domain.charts.trend_chart``), so
the watch draws time the way the portfolio does. The grade line plots the run's grade score
(0-100, the number the letter comes from). Latency has no fixed top: it is scaled to a round
ceiling above the slowest run, and the ticks and dot values are put back into milliseconds.
Pure: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from assessments.results.domain.charts import trend_chart

LATENCY_CEILINGS = (100, 200, 250, 500)  # x 10^n: the top of the latency axis


def latency_ceiling(slowest: float) -> int:
    """The smallest round number (100, 200, 250, 500 times a power of ten) >= ``slowest``."""
    if slowest <= 100:
        return 100
    scale = 10 ** max(0, math.floor(math.log10(slowest)) - 2)
    for step in (*LATENCY_CEILINGS, 1000):
        if step * scale >= slowest:
            return step * scale
    return 1000 * scale  # unreachable: 1000 x scale is above any slowest value of its decade


def grade_chart(points: Iterable[tuple[str, float | None]]) -> dict:
    """Grade scores (0-100) over runs, oldest first."""
    return trend_chart(points)


def latency_chart(points: Iterable[tuple[str, float | None]]) -> dict:
    """Judged latency (ms) over runs, oldest first; a run without one breaks the line."""
    points = list(points)
    measured = [ms for _, ms in points if ms is not None]
    top = latency_ceiling(max(measured, default=0.0))
    chart = trend_chart((label, None if ms is None else ms * 100 / top) for label, ms in points)
    for dot, ms in zip(chart["dots"], measured, strict=True):
        dot["score"] = ms
    for tick in chart["ticks"]:
        tick["label"] = round(top * tick["label"] / 100)
    return chart
