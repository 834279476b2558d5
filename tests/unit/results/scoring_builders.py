"""Small hand-made questions and answers for the scoring and roadmap unit tests.

Real ``assessments.bank.domain.bank`` dataclasses, so the code under test sees exactly what a custom
workspace question would give it.
"""

from __future__ import annotations

from hypothesis import strategies as st

from assessments.bank.domain.bank import BANDS, Option, Question, Recommendation
from assessments.bank.domain.loader import load_bank
from assessments.results.domain.scoring import AnswerValue, EvidenceResult
from checks.engine.catalog.base import STATUSES
from checks.engine.ids import CHECK_IDS


def rec(
    rec_id: str,
    question_id: str = "",
    levels: tuple[int, ...] = (0, 1),
    *,
    effort: str = "S",
    impact: int = 2,
    phase: int = 3,
    depends_on: tuple[str, ...] = (),
    foundation: bool = False,
) -> Recommendation:
    return Recommendation(
        id=rec_id,
        question_id=question_id,
        levels=levels,
        title=f"Do {rec_id}",
        why="Because it matters.",
        how=("First step.", "Second step."),
        effort=effort,
        impact=impact,
        phase=phase,
        depends_on=depends_on,
        foundation=foundation,
    )


def question(
    question_id: str,
    *,
    required: int | dict[str, int] = 2,
    weight: int = 2,
    critical: bool | str = False,
    checks: tuple[str, ...] = (),
    levels: tuple[int, ...] = (0, 1, 2, 3, 4),
    recommendations: tuple[Recommendation, ...] | None = None,
    check_caps: dict[str, dict[str, int]] | None = None,
    find_out: tuple[str, ...] = (),
) -> Question:
    """A question in the area named by its id's prefix; ``required`` is one level for every
    band unless a dict is given; ``critical`` is True (every band) or the band it starts at.
    Without ``recommendations`` it gets one per level below 4."""
    if isinstance(required, int):
        required = dict.fromkeys(BANDS, required)
    if recommendations is None:
        recommendations = tuple(
            rec(f"{question_id}_fix{level}", question_id, (level,)) for level in levels[:-1]
        )
    critical_from = "1k" if critical is True else critical or None
    return Question(
        id=question_id,
        area=question_id.split(".")[0],
        text=f"How is {question_id}?",
        help="It matters at scale.",
        topic=f"Practice {question_id}",
        find_out=find_out,
        weight=weight,
        critical_from=critical_from,
        check_caps=check_caps or {},
        checks=checks,
        required=required,
        options=tuple(Option(level, f"Level {level}", f"At level {level}.") for level in levels),
        recommendations=recommendations,
    )


def at(question_id: str, level: int) -> AnswerValue:
    return AnswerValue(question_id, "level", level)


def unknown(question_id: str) -> AnswerValue:
    return AnswerValue(question_id, "unknown")


def na(question_id: str) -> AnswerValue:
    return AnswerValue(question_id, "na")


def answers(*values: AnswerValue) -> dict[str, AnswerValue]:
    return {value.question_id: value for value in values}


def result(
    check_id: str, status: str, score: int | None = None, target: str = "https://a.example/"
) -> EvidenceResult:
    default = {"pass": 100, "warn": 50}.get(status, 0)
    return EvidenceResult(
        check_id=check_id,
        status=status,
        score=default if score is None else score,
        message=f"{check_id} {status}",
        evidence={"seen": status},
        target_url=target,
    )


# --- Hypothesis strategies over the shipped bank ----------------------------------------------

TARGETS = ("https://www.example/", "https://api.example/")


def answer_strategy(q):
    levels = [o.level for o in q.options]
    return st.one_of(
        st.none(),
        st.just(AnswerValue(q.id, "unknown")),
        st.just(AnswerValue(q.id, "na")),
        st.sampled_from(levels).map(lambda level: AnswerValue(q.id, "level", level)),
    )


answer_maps = st.tuples(*(answer_strategy(q) for q in load_bank().questions)).map(
    lambda values: {v.question_id: v for v in values if v is not None}
)
evidence_lists = st.lists(
    st.builds(
        EvidenceResult,
        check_id=st.sampled_from(sorted(CHECK_IDS)),
        status=st.sampled_from(STATUSES),
        score=st.integers(0, 100),
        message=st.just("observed"),
        evidence=st.just({}),
        target_url=st.sampled_from(TARGETS),
    ),
    max_size=30,
)
bands = st.sampled_from(BANDS)
