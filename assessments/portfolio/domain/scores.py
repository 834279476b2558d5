"""Every assessment of a workspace scored at once: ``scoring.score_assessment`` (answers only)
for whole columns, with numpy.

A consultant's portfolio holds thousands of assessments, far too many to score one at a
time. The answers arrive as flat frames; each bank version's assessments become one
assessments x questions matrix, and the rules are scoring's own functions (credit, severity,
verdict) applied as lookup tables, so a portfolio score equals the results page's score for
the same answers (without probe evidence). Pure: no queries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from assessments.bank.domain.bank import BANDS
from assessments.results.domain.scoring import (
    ABSENT,
    FAR_SHORT,
    LEVEL,
    NOT_APPLICABLE,
    ONE_SHORT,
    SCORE_DECIMALS,
    SEVERITIES,
    UNKNOWN,
    critical_shortfall,
    gap_severity,
    judge,
    question_credit,
)

# Answer states as small integers; an answer is fetched as one integer, its "cell":
# question id * CELL_QUESTION + state code * CELL_STATE + level (levels are 0-4).
_UNANSWERED, _LEVEL, _NA, _UNKNOWN = 0, 1, 2, 3
STATE_CODES = {LEVEL: _LEVEL, NOT_APPLICABLE: _NA, UNKNOWN: _UNKNOWN}


def question_frame(rows: list) -> pd.DataFrame:
    """One row per question with its required level and criticality for every band, and its
    topic; ``bank`` keeps the pure question for recommendations. Rows (stored questions,
    read through ``as_bank_question``) must be in ``for_assessment`` order."""
    records = []
    for index, row in enumerate(rows):
        bank = row.as_bank_question()
        records.append(
            {
                "question_id": row.pk,
                "key": bank.id,
                "area": bank.area,
                "text": bank.text,
                "topic": bank.topic,
                "weight": bank.weight,
                "critical": bank.critical,
                "bank_version_id": row.bank_version_id,
                "custom": row.workspace_id is not None,
                "order": index,
                **{f"required_{band}": bank.required_level(band) for band in BANDS},
                **{f"critical_{band}": bank.is_critical_at(band) for band in BANDS},
                "bank": bank,
            }
        )
    columns = [
        "question_id",
        "key",
        "area",
        "text",
        "topic",
        "weight",
        "critical",
        "bank_version_id",
        "custom",
        "order",
        *[f"required_{band}" for band in BANDS],
        *[f"critical_{band}" for band in BANDS],
        "bank",
    ]
    return pd.DataFrame(records, columns=columns)


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
    "don't know" and N/A, has neither credit nor weight: unknown is not zero. Each bank
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
            assessments.assign(
                overall=[], verdict=[], provisional=[], coverage=[], critical_gaps=[], gaps=[]
            ),
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
    by_band_critical = questions[[f"critical_{band}" for band in BANDS]].to_numpy(dtype=bool).T
    critical = by_band_critical[band_rows] if len(ids) else np.zeros(shape, dtype=bool)
    na = state == _NA
    known = state == _LEVEL
    achieved = np.where(known, level, 0)
    credit = credits(achieved, required)
    # Unknown and N/A add 0.0 and no weight: x + 0.0 == x, so the running sums below equal
    # scoring._weighted's left-to-right sum over the known questions, bit for bit.
    earned = np.where(known, weight * credit, 0.0)
    weights = np.where(known, weight, 0)
    gap = np.where(known, np.maximum(0, required - achieved), 0)

    overall = _percents(earned, weights)  # NaN when nothing is known: scoring._overall's None
    applicable = (~na).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(applicable > 0, known.sum(axis=1) / applicable, 1.0)
    shortfall = shortfalls(achieved, gap) * critical
    critical_unknown = (critical & (required > 0) & ~known & ~na).sum(axis=1)
    judged = [
        judge(
            None if np.isnan(score) else score,
            share,
            shortfalls=missing,
            one_short=short,
            critical_unknown=unknown,
        )
        for score, share, missing, short, unknown in zip(
            overall.tolist(),
            coverage.tolist(),
            np.isin(shortfall, (SHORTFALL_CODES[ABSENT], SHORTFALL_CODES[FAR_SHORT]))
            .sum(axis=1)
            .tolist(),
            (shortfall == SHORTFALL_CODES[ONE_SHORT]).sum(axis=1).tolist(),
            critical_unknown.tolist(),
            strict=True,
        )
    ]
    scored = block.copy()
    scored["overall"] = overall
    scored["verdict"] = [verdict for verdict, _ in judged]
    scored["provisional"] = [provisional for _, provisional in judged]
    scored["coverage"] = coverage
    scored["critical_gaps"] = ((gap > 0) & critical).sum(axis=1)
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
            "severity": severity_codes(gap_values, weight[gap_cols], critical[gap_rows, gap_cols]),
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


def credits(achieved: np.ndarray, required: np.ndarray) -> np.ndarray:
    """``scoring.question_credit`` of every cell, looked up in a table of every level pair."""
    if achieved.size == 0:
        return np.zeros(achieved.shape)
    top = int(max(achieved.max(), required.max(), 0))
    table = np.array(
        [[question_credit(a, r) for r in range(top + 1)] for a in range(top + 1)], dtype=float
    )
    return table[achieved, required]


SHORTFALL_CODES = {"": 0, ABSENT: 1, FAR_SHORT: 2, ONE_SHORT: 3}


def shortfalls(achieved: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """``scoring.critical_shortfall`` of every cell as a ``SHORTFALL_CODES`` value, looked up
    in a table of every (achieved, gap) pair."""
    if achieved.size == 0:
        return np.zeros(achieved.shape, dtype=np.int64)
    top = int(max(achieved.max(), gap.max(), 0))
    table = np.array(
        [
            [SHORTFALL_CODES[critical_shortfall(a, g)] for g in range(top + 1)]
            for a in range(top + 1)
        ]
    )
    return table[achieved, gap]


def severity_codes(gap: np.ndarray, weight: np.ndarray, critical: np.ndarray) -> np.ndarray:
    """``scoring.gap_severity`` of every cell, as positions in ``SEVERITIES`` (worst 0),
    looked up in a table of every (gap, weight, critical) combination that occurs."""
    if gap.size == 0:
        return np.zeros(0, dtype=np.int64)
    shape = (int(gap.max()) + 1, int(weight.max()) + 1, 2)
    table = np.zeros(shape, dtype=np.int64)
    for g, w, c in np.ndindex(shape):
        table[g, w, c] = SEVERITIES.index(gap_severity(g, w, bool(c)))
    return table[gap, weight, critical.astype(np.int64)]


def severities(gap: np.ndarray, weight: np.ndarray, critical: np.ndarray) -> np.ndarray:
    return np.array(SEVERITIES)[severity_codes(gap, weight, critical)]
