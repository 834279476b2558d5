"""Portfolio analytics: every assessment of a workspace scored at once, as pandas tables.

A consultant's dashboard needs thousands of assessments scored together, so scoring one
assessment at a time through the ORM (``assessments.results``) would be far too slow. Here the
answers come from a handful of flat queries into DataFrames, and ``assessments.scoring``'s
formula is applied to all of them at once, using its constants and functions (credit, unknown
level, severities, verdict), so a portfolio score equals the score the results page gives for
the same answers.

Portfolio scores are answers-only: probe evidence is not part of them (the results page can
lower a level when a check contradicts an answer; the portfolio does not).

Everything is cached per workspace and filter set under a key that includes a "data stamp"
(one aggregate query over the workspace's assessments, answers, systems, clients, roadmap
entries and custom questions), so any change to those gives a new key and fresh tables in
every process that shares the cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Case, Count, F, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.bank import BAND_TITLES, BANDS
from assessments.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    BankVersion,
    Client,
    Question,
    RoadmapEntry,
    System,
)
from assessments.roadmap import recommendations_for_gap
from assessments.scoring import (
    CRITICAL_GAP_CAP,
    LEVEL,
    MAX_CRITICAL_GAPS_AT_RISK,
    NOT_APPLICABLE,
    SCORE_DECIMALS,
    SEVERITIES,
    SEVERITY_HIGH_MIN,
    SEVERITY_MEDIUM_MIN,
    UNKNOWN,
    UNKNOWN_LEVEL,
    VERDICT_LABELS,
    VERDICTS,
    verdict_by_score,
)

# Answer states as small integers; an answer is fetched as one integer, its "cell":
# question id * CELL_QUESTION + state code * CELL_STATE + level (levels are 0-4).
_UNANSWERED, _LEVEL, _NA, _UNKNOWN = 0, 1, 2, 3
STATE_CODES = {LEVEL: _LEVEL, NOT_APPLICABLE: _NA, UNKNOWN: _UNKNOWN}
CELL_STATE = 8
CELL_QUESTION = 64

CACHE_VERSION = 1  # bump when the cached tables change shape
CACHE_SECONDS = 24 * 60 * 60  # the data stamp invalidates; this only bounds stale entries
MIN_PEERS_FOR_PERCENTILE = 2  # other systems needed before a percentile means anything


class CellList(Aggregate):
    """The group's values as one comma-separated string (SQLite, PostgreSQL)."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            function="STRING_AGG",
            template="%(function)s(CAST(%(expressions)s AS TEXT), ',')",
            **extra_context,
        )


class PortfolioFilterError(ValueError):
    """A filter value that cannot be applied (e.g. a date range that ends before it starts)."""


@dataclass(frozen=True)
class PortfolioFilters:
    """Which assessments count: by client (``None`` for all), band and creation date."""

    client_id: int | None = None
    band: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.band and self.band not in BANDS:
            raise PortfolioFilterError(f"unknown band {self.band!r}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PortfolioFilterError("the start date is after the end date")

    @property
    def active(self) -> bool:
        return any((self.client_id, self.band, self.date_from, self.date_to))

    def cache_key(self) -> str:
        return f"{self.client_id or ''}|{self.band}|{self.date_from or ''}|{self.date_to or ''}"

    def assessment_q(self, prefix: str = "") -> Q:
        """The filter as a ``Q`` on assessments, or on rows reaching them through ``prefix``."""
        q = Q()
        if self.client_id:
            q &= Q(**{f"{prefix}system__client_id": self.client_id})
        if self.band:
            q &= Q(**{f"{prefix}band": self.band})
        if self.date_from:
            q &= Q(**{f"{prefix}created_at__date__gte": self.date_from})
        if self.date_to:
            q &= Q(**{f"{prefix}created_at__date__lte": self.date_to})
        return q


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


# --- Loading ------------------------------------------------------------------------------------


def load_frames(workspace_id: int, filters: PortfolioFilters) -> dict[str, pd.DataFrame]:
    """Four flat queries: assessments, questions, bank areas, and answers (one aggregate row
    per assessment, read with a raw cursor: no model instances)."""
    assessments = Assessment.objects.filter(
        filters.assessment_q(), system__workspace_id=workspace_id
    ).values_list(
        "pk",
        "title",
        "status",
        "band",
        "created_at",
        "bank_version_id",
        "system_id",
        "system__name",
        "system__client_id",
        "system__client__name",
    )
    frame = pd.DataFrame(
        list(assessments),
        columns=[
            "assessment_id",
            "title",
            "status",
            "band",
            "created_at",
            "bank_version_id",
            "system_id",
            "system",
            "client_id",
            "client",
        ],
    )
    versions = sorted(set(frame["bank_version_id"].tolist()))
    question_rows = Question.objects.filter(
        Q(bank_version_id__in=versions) | Q(workspace_id=workspace_id)
    ).order_by("position", "pk")
    bank_areas = dict(BankVersion.objects.filter(pk__in=versions).values_list("pk", "areas"))
    # Each answer is one integer (question id, state code, level), and each assessment's
    # answers come as one comma-separated row: 10,000 rows to fetch instead of 800,000.
    cell = F("question_id") * CELL_QUESTION + Case(
        *(When(state=state, then=Value(code * CELL_STATE)) for state, code in STATE_CODES.items()),
        output_field=IntegerField(),
    )
    answers = (
        Answer.objects.filter(assessment_id__in=assessments.values("pk"))
        .values("assessment_id")
        .annotate(count=Count("id"), cells=CellList(cell + Coalesce("level", Value(0))))
        .values_list("assessment_id", "count", "cells")
        .order_by()
    )
    sql, params = answers.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    assessment_ids = np.repeat(np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows])
    text = ",".join(r[2] for r in rows)
    cells = np.array(text.split(","), dtype=np.int64) if text else np.zeros(0, np.int64)
    return {
        "assessments": frame,
        "questions": question_frame(list(question_rows)),
        "answers": pd.DataFrame(
            {
                "assessment_id": assessment_ids,
                "question_id": cells // CELL_QUESTION,
                "state": cells % CELL_QUESTION // CELL_STATE,
                "level": cells % CELL_STATE,
            }
        ),
        "areas": pd.DataFrame(
            [
                (version, order, area["id"], area["title"])
                for version, areas in bank_areas.items()
                for order, area in enumerate(areas)
            ],
            columns=["bank_version_id", "order", "area", "title"],
        ),
    }


def question_frame(rows: list[Question]) -> pd.DataFrame:
    """One row per question with its required level for every band; ``bank`` keeps the
    pure question for recommendations. Rows must be in ``for_assessment`` order."""
    return pd.DataFrame(
        [
            {
                "question_id": row.pk,
                "key": row.key,
                "area": row.area,
                "text": row.text,
                "weight": row.weight,
                "critical": row.critical,
                "bank_version_id": row.bank_version_id,
                "custom": row.workspace_id is not None,
                "order": index,
                **{f"required_{band}": row.required[band] for band in BANDS},
                "bank": row.as_bank_question(),
            }
            for index, row in enumerate(rows)
        ],
        columns=[
            "question_id",
            "key",
            "area",
            "text",
            "weight",
            "critical",
            "bank_version_id",
            "custom",
            "order",
            *[f"required_{band}" for band in BANDS],
            "bank",
        ],
    )


# --- Scoring, vectorised ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredPortfolio:
    """Scores of every assessment: ``assessments`` gains overall, verdict, gap counts;
    ``area_scores`` has one row per assessment and area; ``gap_cells`` one row per question
    below its required level (assessment_id, question_id, achieved, gap, severity as its
    position in ``SEVERITIES``)."""

    assessments: pd.DataFrame
    area_scores: pd.DataFrame
    gap_cells: pd.DataFrame


def score_portfolio(
    assessments: pd.DataFrame, questions: pd.DataFrame, answers: pd.DataFrame
) -> ScoredPortfolio:
    """``scoring.score_assessment`` (answers only) for every assessment at once.

    An assessment is scored on its bank version's questions plus the workspace's custom ones
    (``Question.objects.for_assessment`` order); a missing answer is "unanswered" and, like
    "don't know", counts as ``UNKNOWN_LEVEL``; N/A has neither credit nor weight. Each bank
    version's assessments form one assessments x questions matrix. ``answers`` has
    assessment_id, question_id, state (a ``STATE_CODES`` value) and level (0 unless a level).
    """
    scored, areas, gaps = [], [], []
    for version, block in assessments.groupby("bank_version_id", sort=False):
        in_block = (questions["bank_version_id"] == version) | questions["custom"]
        block_questions = questions[in_block].sort_values("order")
        s, a, g = _score_block(block, block_questions, answers)
        scored.append(s)
        areas.append(a)
        gaps.append(g)
    if not scored:
        return ScoredPortfolio(
            assessments.assign(overall=[], verdict=[], critical_gaps=[], gaps=[]),
            pd.DataFrame(columns=["assessment_id", "area", "score", "gaps"]),
            pd.DataFrame(columns=GAP_CELL_COLUMNS),
        )
    return ScoredPortfolio(
        pd.concat(scored).loc[assessments.index],
        pd.concat(areas, ignore_index=True),
        pd.concat(gaps, ignore_index=True),
    )


GAP_CELL_COLUMNS = ["assessment_id", "question_id", "achieved", "gap", "severity"]


def _score_block(block: pd.DataFrame, questions: pd.DataFrame, answers: pd.DataFrame):
    ids = block["assessment_id"].to_numpy(dtype=np.int64)
    rows = pd.Index(ids).get_indexer(answers["assessment_id"])
    cols = pd.Index(questions["question_id"]).get_indexer(answers["question_id"])
    keep = (rows >= 0) & (cols >= 0)
    shape = (len(ids), len(questions))
    state = np.full(shape, _UNANSWERED, dtype=np.int8)
    level = np.zeros(shape, dtype=np.int64)
    state[rows[keep], cols[keep]] = answers["state"].to_numpy(dtype=np.int8)[keep]
    level[rows[keep], cols[keep]] = answers["level"].to_numpy(dtype=np.int64)[keep]

    band_rows = np.array([BANDS.index(b) for b in block["band"]], dtype=np.int64)
    by_band = questions[[f"required_{band}" for band in BANDS]].to_numpy(dtype=np.int64).T
    required = by_band[band_rows] if len(ids) else np.zeros(shape, dtype=np.int64)
    weight = questions["weight"].to_numpy(dtype=np.int64)
    critical = questions["critical"].to_numpy(dtype=bool)
    na = state == _NA
    achieved = np.where(state == _LEVEL, level, UNKNOWN_LEVEL)
    with np.errstate(divide="ignore", invalid="ignore"):
        # scoring.question_credit: min(achieved, required) / required; full credit at 0.
        credit = np.where(required <= 0, 1.0, np.minimum(achieved, required) / required)
    # N/A adds 0.0 and no weight: x + 0.0 == x, so the running sums below equal
    # scoring._weighted's left-to-right sum over the scored questions, bit for bit.
    earned = np.where(na, 0.0, weight * credit)
    weights = np.where(na, 0, weight)
    gap = np.where(na, 0, np.maximum(0, required - achieved))

    overall = _percents(earned, weights)
    critical_gaps = ((gap > 0) & critical).sum(axis=1)
    scored = block.copy()
    scored["overall"] = np.where(np.isnan(overall), 100.0, overall)  # scoring._overall
    scored["verdict"] = verdicts(scored["overall"].to_numpy(), critical_gaps)
    scored["critical_gaps"] = critical_gaps
    scored["gaps"] = (gap > 0).sum(axis=1)

    area_frames = []
    area_ids = questions["area"].to_numpy()
    for area in dict.fromkeys(area_ids):  # order of first appearance, as scoring's areas
        columns = np.flatnonzero(area_ids == area)
        area_frames.append(
            pd.DataFrame(
                {
                    "assessment_id": ids,
                    "area": area,
                    "score": _percents(earned[:, columns], weights[:, columns]),
                    "gaps": (gap[:, columns] > 0).sum(axis=1),
                }
            )
        )
    area_scores = pd.concat(area_frames, ignore_index=True) if area_frames else None

    gap_rows, gap_cols = np.nonzero(gap > 0)
    gap_values = gap[gap_rows, gap_cols]
    gap_cells = pd.DataFrame(
        {
            "assessment_id": ids[gap_rows],
            "question_id": questions["question_id"].to_numpy()[gap_cols],
            "achieved": achieved[gap_rows, gap_cols],
            "gap": gap_values,
            "severity": severity_codes(gap_values, weight[gap_cols], critical[gap_cols]),
        },
        columns=GAP_CELL_COLUMNS,
    )
    return scored, area_scores, gap_cells


def _percents(earned: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per row, ``scoring._percent``: round(100 * earned / weight); NaN without weight.

    ``cumsum`` adds strictly left to right (unlike ``sum``, which pairs terms), so its last
    column is the same float as Python's ``sum`` over the row in question order. numpy's
    rounding can differ from Python's ``round`` only next to a half, so those few values are
    rounded by ``round`` itself.
    """
    rows = earned.shape[0]
    if earned.shape[1] == 0:
        return np.full(rows, np.nan)
    totals = np.cumsum(earned, axis=1)[:, -1]
    weight_sums = weights.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = 100 * totals / weight_sums
    scores = np.round(exact, SCORE_DECIMALS)
    scaled = exact * 10**SCORE_DECIMALS
    near_half = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6
    for index in np.flatnonzero(near_half & (weight_sums > 0)).tolist():
        scores[index] = round(float(exact[index]), SCORE_DECIMALS)
    return np.where(weight_sums > 0, scores, np.nan)


def verdicts(overall: np.ndarray, critical_gaps: np.ndarray) -> list[str]:
    """``scoring.decide_verdict`` for whole columns: the score's verdict, capped at
    ``CRITICAL_GAP_CAP`` by any critical gap and at "not_ready" above
    ``MAX_CRITICAL_GAPS_AT_RISK`` of them."""
    rank = np.array([VERDICTS.index(verdict_by_score(score)) for score in overall.tolist()])
    cap = np.where(
        critical_gaps > MAX_CRITICAL_GAPS_AT_RISK,
        VERDICTS.index("not_ready"),
        np.where(critical_gaps > 0, VERDICTS.index(CRITICAL_GAP_CAP), 0),
    )
    return [VERDICTS[r] for r in np.maximum(rank, cap).tolist()]


def severity_codes(gap: np.ndarray, weight: np.ndarray, critical: np.ndarray) -> np.ndarray:
    """``scoring.gap_severity`` for whole columns, as positions in ``SEVERITIES`` (worst 0)."""
    product = gap * weight
    return np.select(
        [gap <= 0, critical, product >= SEVERITY_HIGH_MIN, product >= SEVERITY_MEDIUM_MIN],
        [SEVERITIES.index(name) for name in ("none", "critical", "high", "medium")],
        default=SEVERITIES.index("low"),
    )


def severities(gap: np.ndarray, weight: np.ndarray, critical: np.ndarray) -> np.ndarray:
    return np.array(SEVERITIES)[severity_codes(gap, weight, critical)]


# --- Tables -------------------------------------------------------------------------------------


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


def build_portfolio(frames: dict[str, pd.DataFrame]) -> Portfolio:
    """All dashboard tables from the loaded frames (pure pandas, no queries)."""
    assessments = frames["assessments"]
    questions = frames["questions"]
    areas = _area_order(frames["areas"], questions)
    titles = dict(areas)
    if assessments.empty:
        return _empty_portfolio(areas)
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
        latest=latest_table(latest, latest_areas, areas),
        distribution=distribution_table(latest_areas, areas),
        weakest_areas=weakest_areas_table(latest_areas, areas),
        gaps=gaps_table(latest_gaps, len(latest), titles, questions),
        recommendations=recommendations_table(latest_gaps, questions, len(latest)),
        trend=trend_table(scored),
        trend_by_client=trend_by_client_table(scored),
        built_at=timezone.now().isoformat(),
    )


def _area_order(bank_areas: pd.DataFrame, questions: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    ordered = bank_areas.sort_values(["order", "bank_version_id"], ascending=[True, False])
    titles = dict(zip(ordered["area"], ordered["title"], strict=True))  # newest version wins
    seen = list(dict.fromkeys(ordered["area"].tolist() + questions["area"].tolist()))
    return tuple((area, titles.get(area, area)) for area in seen)


def latest_table(latest: pd.DataFrame, latest_areas: pd.DataFrame, areas) -> pd.DataFrame:
    wide = latest_areas.pivot(index="assessment_id", columns="area", values="score")
    table = pd.DataFrame(
        {
            "Client": latest["client"].fillna("No client").to_numpy(),
            "System": latest["system"].to_numpy(),
            "Assessment": latest["title"].to_numpy(),
            "Status": latest["status"].map(dict(AssessmentStatus.choices)).to_numpy(),
            "Created": latest["created_at"].dt.strftime("%Y-%m-%d").to_numpy(),
            "Target scale": latest["band"].map(BAND_TITLES).to_numpy(),
            "Overall": latest["overall"].to_numpy(),
            "Verdict": latest["verdict"].map(VERDICT_LABELS).to_numpy(),
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


def _months(created_at: pd.Series) -> pd.Series:
    local = created_at.dt.tz_convert(timezone.get_current_timezone())
    return local.dt.strftime("%Y-%m")


def trend_table(scored: pd.DataFrame) -> pd.DataFrame:
    """Every filtered assessment (not only the latest) by month of creation."""
    grouped = scored.assign(Month=_months(scored["created_at"])).groupby("Month")["overall"]
    table = pd.DataFrame(
        {
            "Assessments": grouped.size(),
            "Mean overall": grouped.mean().round(SCORE_DECIMALS),
            "Median overall": grouped.median().round(SCORE_DECIMALS),
        }
    )
    return table.reset_index()


def trend_by_client_table(scored: pd.DataFrame) -> pd.DataFrame:
    frame = scored.assign(
        Month=_months(scored["created_at"]), Client=scored["client"].fillna("No client")
    )
    grouped = frame.groupby(["Client", "Month"])["overall"]
    table = pd.DataFrame(
        {"Assessments": grouped.size(), "Mean overall": grouped.mean().round(SCORE_DECIMALS)}
    )
    return table.reset_index()


def _empty_portfolio(areas) -> Portfolio:
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
        built_at=timezone.now().isoformat(),
        **empty,
    )


# --- Cached entry points ------------------------------------------------------------------------


def data_stamp(workspace_id: int) -> str:
    """One query whose result changes whenever anything the tables are built from changes.

    Counts catch deletions, maximum timestamps and the sum of answer versions catch edits
    (every answer save bumps its version). Clients have no timestamp: a renamed client shows
    with its new name after the next change to the workspace's data.
    """
    assessment = Assessment._meta.db_table
    system = System._meta.db_table
    answer = Answer._meta.db_table
    roadmap = RoadmapEntry._meta.db_table
    question = Question._meta.db_table
    client = Client._meta.db_table
    # Table names come from model metadata; the only value, the workspace id, is a parameter.
    # Each table is read once (a cross join of one-row aggregates).
    sql = f"""
        SELECT * FROM
          (SELECT COUNT(*), MAX(updated_at) FROM {system} WHERE workspace_id = %s) s,
          (SELECT COUNT(*), MAX(id) FROM {client} WHERE workspace_id = %s) c,
          (SELECT COUNT(*), MAX(a.updated_at) FROM {assessment} a
             JOIN {system} s ON a.system_id = s.id WHERE s.workspace_id = %s) a,
          (SELECT COUNT(*), SUM(r.version), MAX(r.answered_at) FROM {answer} r
             JOIN {assessment} a ON r.assessment_id = a.id
             JOIN {system} s ON a.system_id = s.id WHERE s.workspace_id = %s) r,
          (SELECT COUNT(*), MAX(e.updated_at) FROM {roadmap} e
             JOIN {assessment} a ON e.assessment_id = a.id
             JOIN {system} s ON a.system_id = s.id WHERE s.workspace_id = %s) e,
          (SELECT COUNT(*), MAX(id) FROM {question} WHERE workspace_id = %s) q
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace_id] * 6)
        row = cursor.fetchone()
    return hashlib.sha256(repr(row).encode()).hexdigest()[:24]


def portfolio(workspace_id: int, filters: PortfolioFilters | None = None) -> Portfolio:
    """The workspace's dashboard tables: from the cache when nothing changed, else rebuilt."""
    filters = filters or PortfolioFilters()
    stamp = data_stamp(workspace_id)
    key = f"analytics:v{CACHE_VERSION}:{workspace_id}:{stamp}:{filters.cache_key()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    built = build_portfolio(load_frames(workspace_id, filters))
    cache.set(key, built, CACHE_SECONDS)
    return built


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
        delta = None if previous is None else round(row.overall - previous, SCORE_DECIMALS)
        trends[int(row.system_id)] = {
            "assessment_id": int(row.assessment_id),
            "title": row.title,
            "status": row.status,
            "created_at": row.created_at,
            "overall": float(row.overall),
            "verdict": row.verdict,
            "verdict_label": VERDICT_LABELS[row.verdict],
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


@dataclass(frozen=True)
class ClientGroup:
    client: Client | None  # None: the systems without a client
    systems: list[dict]


def client_overview(workspace_id: int, clients: list[Client]) -> list[ClientGroup]:
    """Each client (in the order given) with its systems, their latest assessment and trend;
    systems without a client come last under ``None``. Two queries plus ``portfolio``'s."""
    trends = system_trends(portfolio(workspace_id))
    systems = System.objects.filter(workspace_id=workspace_id).order_by("name", "pk")
    by_client: dict[int | None, list[dict]] = {}
    for pk, name, client_id in systems.values_list("pk", "name", "client_id"):
        by_client.setdefault(client_id, []).append(
            {"pk": pk, "name": name, "latest": trends.get(pk)}
        )
    groups = [ClientGroup(client, by_client.get(client.pk, [])) for client in clients]
    if by_client.get(None):
        groups.append(ClientGroup(None, by_client[None]))
    return groups
