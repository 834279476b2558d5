"""Reads that put an assessment's answers, its probe evidence and the bank together.

Results are computed on every request (scoring one assessment takes a few milliseconds),
so they always reflect the latest answers and probe runs: there is no "recalculate".
"""

from dataclasses import dataclass

from assessments.bank import Question as BankQuestion
from assessments.models import Assessment, Question
from assessments.roadmap import Roadmap, build_roadmap
from assessments.scoring import (
    AnswerValue,
    CapacityInputs,
    EvidenceResult,
    ScoreResult,
    score_assessment,
)


@dataclass(frozen=True)
class Results:
    score: ScoreResult
    roadmap: Roadmap
    questions: dict[str, BankQuestion]
    area_titles: dict[str, str]


def assessment_results(
    assessment: Assessment, evidence: list[EvidenceResult] | None = None, burst=None
) -> Results:
    """Score an assessment; two queries (questions, answers) plus what the caller passes."""
    rows = list(Question.objects.for_assessment(assessment))
    questions = [row.as_bank_question() for row in rows]
    answers = {
        key: AnswerValue(key, state, level)
        for key, state, level in assessment.answers.values_list("question__key", "state", "level")
    }
    system = assessment.system
    capacity = CapacityInputs(
        target_users=system.target_users,
        requests_per_user_per_minute=system.requests_per_user_per_minute,
        peak_factor=system.peak_factor,
        measured_rps=burst.sustained_rps if burst else None,
        measured_p95_ms=burst.p95_ms if burst else None,
    )
    score = score_assessment(questions, answers, assessment.band, evidence or (), capacity)
    return Results(
        score=score,
        roadmap=build_roadmap(questions, score),
        questions={q.id: q for q in questions},
        area_titles=assessment.bank_version.area_titles(),
    )
