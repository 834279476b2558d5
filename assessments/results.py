"""Reads that put an assessment's answers, its probe evidence and the bank together.

Results are computed on every request (scoring one assessment takes a few milliseconds),
so they always reflect the latest answers and probe runs: there is no "recalculate".
"""

from dataclasses import dataclass, field

from assessments.bank import Question as BankQuestion
from assessments.models import Assessment, FindingReview, Question
from assessments.overrides import (
    OVERRIDE_SEVERITIES,
    AppliedOverride,
    SeverityOverride,
    apply_overrides,
)
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
    overrides: dict[str, AppliedOverride] = field(default_factory=dict)  # by question id
    # Every FindingReview row by question key, with ``updated_by``: consultant notes inside,
    # so only CONSULT views may show more of them than ``overrides`` does.
    reviews: dict[str, FindingReview] = field(default_factory=dict)


def assessment_results(
    assessment: Assessment, evidence: list[EvidenceResult] | None = None, burst=None
) -> Results:
    """Score an assessment; three queries (questions, answers, finding reviews) plus what
    the caller passes. Overrides are applied here, once, so every page, export and PDF agrees."""
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
    reviews = {
        review.question_key: review
        for review in FindingReview.objects.filter(assessment=assessment).select_related(
            "updated_by"
        )
    }
    score, applied = apply_overrides(score, severity_overrides(reviews.values()))
    return Results(
        score=score,
        roadmap=build_roadmap(questions, score),
        questions={q.id: q for q in questions},
        area_titles=assessment.bank_version.area_titles(),
        overrides=applied,
        reviews=reviews,
    )


def severity_overrides(reviews) -> list[SeverityOverride]:
    # Only rows the review form can write; anything else (say, set by hand) keeps the computed one.
    return [
        SeverityOverride(review.question_key, review.severity, review.reason)
        for review in reviews
        if review.severity in OVERRIDE_SEVERITIES and review.reason.strip()
    ]
