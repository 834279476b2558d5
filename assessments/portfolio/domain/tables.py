"""The portfolio dashboard's tables, built from the scored assessments: latest assessment per
system, area distribution, weakest areas, common gaps and recommendations, trends, and the
percentile of one system among the others. Pure pandas: no queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import pandas as pd

from assessments.bank.domain.bank import BAND_TITLES
from assessments.portfolio.domain.scores import score_portfolio
from assessments.results.domain.roadmap import recommendations_for_gap
from assessments.results.domain.scoring import (
    SCORE_DECIMALS,
    SEVERITIES,
    VERDICT_LABELS,
)

MIN_PEERS_FOR_PERCENTILE = 2  # other systems needed before a percentile means anything


def built_time(built_at: str) -> datetime | None:
    return datetime.fromisoformat(built_at) if built_at else None


@dataclass(frozen=True)
class BuildShown:
    """Which build of the tables a page shows, known without loading them: when it was built
    and whether the data changed since (it is then shown while a worker rebuilds it)."""

    stale: bool
    built_at: str

    @property
    def built_time(self) -> datetime | None:
        return built_time(self.built_at)


@dataclass(frozen=True)
class Portfolio:
    """The dashboard's tables. Column names are the ones shown and exported.

    ``assessments`` has one row per filtered assessment (scores, verdict, system, client);
    ``area_scores`` one row per assessment and area. The rest are the dashboard's tables.
    """

    areas: tuple[tuple[str, str], ...]  # (area id, title) in bank order
    assessments: pd.DataFrame
    area_scores: pd.DataFrame
    latest: pd.DataFrame
    distribution: pd.DataFrame
    weakest_areas: pd.DataFrame
    gaps: pd.DataFrame
    recommendations: pd.DataFrame
    trend: pd.DataFrame
    trend_by_client: pd.DataFrame
    built_at: str = field(default="")
    # The data changed since it was built: shown as it was while a worker rebuilds it.
    stale: bool = field(default=False)

    @property
    def built_time(self) -> datetime | None:
        """When the tables were built (``built_at`` is kept as text for the cache)."""
        return built_time(self.built_at)

    @property
    def empty(self) -> bool:
        return self.assessments.empty

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table the dashboard shows, keyed by its export name, in display order."""
        return {name: getattr(self, name) for name in TABLES}


# Export name -> sheet title; the dashboard shows them in this order.
TABLES = {
    "latest": "Latest assessments",
    "distribution": "Area distribution",
    "weakest_areas": "Weakest areas",
    "gaps": "Common gaps",
    "recommendations": "Common recommendations",
    "trend": "Trend by month",
    "trend_by_client": "Trend by client",
}


def latest_per_system(assessments: pd.DataFrame) -> pd.DataFrame:
    """The most recent assessment of each system (submitted or not); ties go to the newer id."""
    ordered = assessments.sort_values(["created_at", "assessment_id"], ascending=False)
    return ordered.drop_duplicates("system_id", keep="first")


def percentile_rank(value: float, others: pd.Series | list[float]) -> float:
    """Share of ``others`` below ``value``, ties counting half, 0-100 (percentile rank)."""
    others = pd.Series(others, dtype=float).dropna()
    if others.empty:
        raise ValueError("no scores to rank against")
    below = (others < value).sum()
    equal = (others == value).sum()
    return round(100 * (below + equal / 2) / len(others), 1)


def build_portfolio(
    frames: dict[str, pd.DataFrame],
    *,
    built_at: str = "",
    tz: tzinfo = UTC,
    status_labels: Mapping[str, str] | None = None,
) -> Portfolio:
    """All dashboard tables from the loaded frames (pure pandas, no queries).

    ``tz`` is where months begin for the trend tables; ``status_labels`` names assessment
    statuses in the tables (the raw value when missing)."""
    assessments = frames["assessments"]
    questions = frames["questions"]
    areas = _area_order(frames["areas"], questions)
    titles = dict(areas)
    if assessments.empty:
        return _empty_portfolio(areas, built_at)
    result = score_portfolio(assessments, questions, frames["answers"])
    scored, area_scores = result.assessments, result.area_scores
    scored["created_at"] = pd.to_datetime(scored["created_at"], utc=True)
    latest = latest_per_system(scored)
    latest_ids = latest["assessment_id"].to_numpy()
    latest_areas = area_scores[area_scores["assessment_id"].isin(latest_ids)]
    latest_gaps = result.gap_cells[result.gap_cells["assessment_id"].isin(latest_ids)]
    return Portfolio(
        areas=areas,
        assessments=scored,
        area_scores=area_scores,
        latest=latest_table(latest, latest_areas, areas, status_labels or {}),
        distribution=distribution_table(latest_areas, areas),
        weakest_areas=weakest_areas_table(latest_areas, areas),
        gaps=gaps_table(latest_gaps, len(latest), titles, questions),
        recommendations=recommendations_table(latest_gaps, questions, len(latest)),
        trend=trend_table(scored, tz),
        trend_by_client=trend_by_client_table(scored, tz),
        built_at=built_at,
    )


def _area_order(bank_areas: pd.DataFrame, questions: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    ordered = bank_areas.sort_values(["order", "bank_version_id"], ascending=[True, False])
    titles = dict(zip(ordered["area"], ordered["title"], strict=True))  # newest version wins
    seen = list(dict.fromkeys(ordered["area"].tolist() + questions["area"].tolist()))
    return tuple((area, titles.get(area, area)) for area in seen)


def latest_table(
    latest: pd.DataFrame, latest_areas: pd.DataFrame, areas, status_labels: Mapping[str, str]
) -> pd.DataFrame:
    wide = latest_areas.pivot(index="assessment_id", columns="area", values="score")
    table = pd.DataFrame(
        {
            "Client": latest["client"].fillna("No client").to_numpy(),
            "System": latest["system"].to_numpy(),
            "Assessment": latest["title"].to_numpy(),
            "Status": latest["status"].map(lambda s: status_labels.get(s, s)).to_numpy(),
            "Created": latest["created_at"].dt.strftime("%Y-%m-%d").to_numpy(),
            "Target scale": latest["band"].map(BAND_TITLES).to_numpy(),
            "Overall": latest["overall"].to_numpy(),
            "Verdict": latest["verdict"].map(VERDICT_LABELS).to_numpy(),
            "Provisional": latest["provisional"].astype(bool).to_numpy(),
            "Known answers %": (100 * latest["coverage"]).round().astype(int).to_numpy(),
            "Critical gaps": latest["critical_gaps"].to_numpy(),
            "Gaps": latest["gaps"].to_numpy(),
        }
    )
    ids = latest["assessment_id"].to_numpy()
    for area, title in areas:
        column = wide[area] if area in wide.columns else pd.Series(dtype=float)
        table[title] = column.reindex(ids).to_numpy(dtype=float)
    table.insert(0, "Assessment ID", ids)
    table.insert(1, "System ID", latest["system_id"].to_numpy())
    return table.sort_values(["Client", "System"], kind="stable", ignore_index=True)


DISTRIBUTION_COLUMNS = ["Area ID", "Area", "Systems", "Min", "Q1", "Median", "Q3", "Max", "Mean"]


def distribution_table(latest_areas: pd.DataFrame, areas) -> pd.DataFrame:
    """Per area, over the latest assessments that have a score there (all-N/A areas skipped)."""
    scores = latest_areas.dropna(subset=["score"])
    grouped = scores.groupby("area")["score"]
    stats = pd.DataFrame(
        {
            "Systems": grouped.size(),
            "Min": grouped.min(),
            "Q1": grouped.quantile(0.25),
            "Median": grouped.median(),
            "Q3": grouped.quantile(0.75),
            "Max": grouped.max(),
            "Mean": grouped.mean(),
        }
    )
    rows = []
    for area, title in areas:
        if area in stats.index:
            rows.append({"Area ID": area, "Area": title, **stats.loc[area].to_dict()})
    table = pd.DataFrame(rows, columns=DISTRIBUTION_COLUMNS)
    table["Systems"] = table["Systems"].astype(int)
    for column in ("Q1", "Median", "Q3", "Mean"):
        table[column] = table[column].round(SCORE_DECIMALS)
    return table


def weakest_areas_table(latest_areas: pd.DataFrame, areas) -> pd.DataFrame:
    """Areas by mean score, weakest first, with how many of the latest assessments have gaps."""
    titles = dict(areas)
    grouped = latest_areas.groupby("area")
    table = pd.DataFrame(
        {
            "Mean score": grouped["score"].mean().round(SCORE_DECIMALS),
            "Systems with gaps": grouped["gaps"].apply(lambda g: int((g > 0).sum())),
            "Gaps": grouped["gaps"].sum().astype(int),
        }
    ).dropna(subset=["Mean score"])
    table.insert(0, "Area", [titles.get(a, a) for a in table.index])
    table.insert(0, "Area ID", table.index)
    table = table.sort_values(["Mean score", "Area ID"], kind="stable", ignore_index=True)
    table.insert(0, "Rank", range(1, len(table) + 1))
    return table


def gaps_table(
    latest_gaps: pd.DataFrame, systems: int, titles: dict, questions: pd.DataFrame
) -> pd.DataFrame:
    """Questions below the required level, by how many latest assessments share the gap."""
    by_question = questions.set_index("question_id")
    grouped = latest_gaps.groupby("question_id")
    counts = grouped.size()
    worst = grouped["severity"].min().map(dict(enumerate(SEVERITIES)))
    info = by_question.loc[counts.index]
    table = pd.DataFrame(
        {
            "Question ID": info["key"].to_numpy(),
            "Area": [titles.get(a, a) for a in info["area"]],
            "Question": info["text"].to_numpy(),
            "Critical": info["critical"].astype(bool).to_numpy(),
            "Assessments": counts.to_numpy(),
            "Mean gap": grouped["gap"].mean().round(2).to_numpy(),
            "Worst severity": worst.to_numpy(),
        }
    )
    table["Share %"] = (100 * table["Assessments"] / max(systems, 1)).round(1)
    return table.sort_values(
        ["Assessments", "Critical", "Question ID"],
        ascending=[False, False, True],
        kind="stable",
        ignore_index=True,
    )


RECOMMENDATION_COLUMNS = [
    "Recommendation ID",
    "Title",
    "Phase",
    "Effort",
    "Impact",
    "Assessments",
    "Share %",
]


def recommendations_table(
    latest_gaps: pd.DataFrame, questions: pd.DataFrame, systems: int
) -> pd.DataFrame:
    """Recommendations the gaps call for (``roadmap.recommendations_for_gap``), counted once
    per assessment even when several of its gaps call for the same one."""
    gaps = latest_gaps[["assessment_id", "question_id", "achieved"]]
    if gaps.empty:
        return pd.DataFrame(columns=RECOMMENDATION_COLUMNS)
    bank = dict(zip(questions["question_id"], questions["bank"], strict=True))
    pairs = gaps[["question_id", "achieved"]].drop_duplicates()
    recs = {}
    rec_rows = []
    for question_id, achieved in pairs.itertuples(index=False):
        for rec in recommendations_for_gap(bank[question_id], int(achieved)):
            recs[rec.id] = rec
            rec_rows.append((question_id, achieved, rec.id))
    lookup = pd.DataFrame(rec_rows, columns=["question_id", "achieved", "rec_id"])
    called = gaps.merge(lookup, on=["question_id", "achieved"])
    counts = called.drop_duplicates(["assessment_id", "rec_id"]).groupby("rec_id").size()
    table = pd.DataFrame(
        [
            {
                "Recommendation ID": rec_id,
                "Title": recs[rec_id].title,
                "Phase": recs[rec_id].phase,
                "Effort": recs[rec_id].effort,
                "Impact": recs[rec_id].impact,
                "Assessments": int(count),
            }
            for rec_id, count in counts.items()
        ],
        columns=RECOMMENDATION_COLUMNS[:-1],
    )
    table["Share %"] = (100 * table["Assessments"] / max(systems, 1)).round(1)
    return table.sort_values(
        ["Assessments", "Recommendation ID"], ascending=[False, True], ignore_index=True
    )


def _months(created_at: pd.Series, tz: tzinfo) -> pd.Series:
    local = created_at.dt.tz_convert(tz)
    return local.dt.strftime("%Y-%m")


def trend_table(scored: pd.DataFrame, tz: tzinfo) -> pd.DataFrame:
    """Every filtered assessment (not only the latest) by month of creation."""
    grouped = scored.assign(Month=_months(scored["created_at"], tz)).groupby("Month")["overall"]
    table = pd.DataFrame(
        {
            "Assessments": grouped.size(),
            "Mean overall": grouped.mean().round(SCORE_DECIMALS),
            "Median overall": grouped.median().round(SCORE_DECIMALS),
        }
    )
    return table.reset_index()


def trend_by_client_table(scored: pd.DataFrame, tz: tzinfo) -> pd.DataFrame:
    frame = scored.assign(
        Month=_months(scored["created_at"], tz), Client=scored["client"].fillna("No client")
    )
    grouped = frame.groupby(["Client", "Month"])["overall"]
    table = pd.DataFrame(
        {"Assessments": grouped.size(), "Mean overall": grouped.mean().round(SCORE_DECIMALS)}
    )
    return table.reset_index()


def _empty_portfolio(areas, built_at: str) -> Portfolio:
    empty = {
        "latest": pd.DataFrame(
            columns=["Assessment ID", "System ID", "Client", "System", "Assessment", "Overall"]
        ),
        "distribution": pd.DataFrame(columns=DISTRIBUTION_COLUMNS),
        "weakest_areas": pd.DataFrame(columns=["Rank", "Area ID", "Area", "Mean score"]),
        "gaps": pd.DataFrame(columns=["Question ID", "Area", "Question", "Assessments"]),
        "recommendations": pd.DataFrame(columns=RECOMMENDATION_COLUMNS),
        "trend": pd.DataFrame(columns=["Month", "Assessments", "Mean overall"]),
        "trend_by_client": pd.DataFrame(columns=["Client", "Month", "Assessments"]),
    }
    return Portfolio(
        areas=areas,
        assessments=pd.DataFrame(
            columns=["assessment_id", "system_id", "client_id", "overall", "verdict", "created_at"]
        ),
        area_scores=pd.DataFrame(columns=["assessment_id", "area", "score", "gaps"]),
        built_at=built_at,
        **empty,
    )


def area_percentiles(
    board: Portfolio, system_id: int, area_scores: dict[str, float | None]
) -> dict[str, float | None] | None:
    """Per area, the percentile of ``area_scores`` among the other systems' latest assessments.

    None when fewer than ``MIN_PEERS_FOR_PERCENTILE`` other systems have a latest assessment;
    an area maps to None when this system or too few peers have a score there.
    """
    latest = board.assessments
    if latest.empty:
        return None
    latest = latest_per_system(latest)
    peers = latest[latest["system_id"] != system_id]["assessment_id"]
    if len(peers) < MIN_PEERS_FOR_PERCENTILE:
        return None
    scores = board.area_scores[board.area_scores["assessment_id"].isin(set(peers))]
    by_area = {area: group["score"].dropna() for area, group in scores.groupby("area")}
    result = {}
    for area, value in area_scores.items():
        others = by_area.get(area)
        if value is None or others is None or len(others) < MIN_PEERS_FOR_PERCENTILE:
            result[area] = None
        else:
            result[area] = percentile_rank(value, others)
    return result


def system_history(board: Portfolio, system_id: int) -> list[tuple[str, float | None]]:
    """One system's assessments, oldest first, as (title, overall) points for a trend line;
    an assessment with nothing known yet has no score (None), which breaks the line."""
    scored = board.assessments
    if scored.empty:
        return []
    own = scored[scored["system_id"] == system_id].sort_values(["created_at", "assessment_id"])
    return [
        (str(row.title), None if pd.isna(row.overall) else float(row.overall))
        for row in own.itertuples(index=False)
    ]


def system_trends(board: Portfolio) -> dict[int, dict]:
    """Per system: its latest assessment, the previous one's overall and the change."""
    scored = board.assessments
    if scored.empty:
        return {}
    ordered = scored.sort_values(["system_id", "created_at", "assessment_id"])
    ordered = ordered.assign(previous=ordered.groupby("system_id")["overall"].shift(1))
    latest = ordered.drop_duplicates("system_id", keep="last")
    trends = {}
    for row in latest.itertuples(index=False):
        previous = None if pd.isna(row.previous) else float(row.previous)
        overall = None if pd.isna(row.overall) else float(row.overall)
        delta = (
            None
            if previous is None or overall is None
            else round(overall - previous, SCORE_DECIMALS)
        )
        trends[int(row.system_id)] = {
            "assessment_id": int(row.assessment_id),
            "title": row.title,
            "status": row.status,
            "created_at": row.created_at,
            "overall": overall,
            "verdict": row.verdict,
            "verdict_label": VERDICT_LABELS[row.verdict],
            "provisional": bool(row.provisional),
            "previous": previous,
            "delta": delta,
            "direction": ""
            if delta is None
            else "up"
            if delta > 0
            else "down"
            if delta < 0
            else "same",
        }
    return trends
