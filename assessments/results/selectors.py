"""Reads that put an assessment's answers, its probe evidence and the bank together.

Results are computed on every request (scoring one assessment takes a few milliseconds),
so they always reflect the latest answers and probe runs: there is no "recalculate".
"""

from django.db.models import Q

from assessments.bank.models import Question
from assessments.results.domain import scoring
from assessments.results.domain.overrides import (
    OVERRIDE_SEVERITIES,
    SeverityOverride,
    apply_overrides,
)
from assessments.results.domain.results import Results
from assessments.results.domain.roadmap import build_roadmap
from assessments.results.domain.scoring import (
    AnswerValue,
    CapacityInputs,
    EvidenceResult,
    score_assessment,
)
from assessments.results.models import FindingReview, RoadmapStatus
from assessments.workspaces.models import Assessment
from checks.selectors import latest_burst, latest_evidence


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


def system_results(assessment):
    """Score with the system's latest probe evidence, when the probe engine has some."""
    evidence, burst = probe_evidence(assessment.system)
    return assessment_results(assessment, evidence, burst)


def probe_evidence(system):
    evidence = [scoring.EvidenceResult(**result) for result in latest_evidence(system)]
    return evidence, latest_burst(system)


def first_steps(assessment, computed_roadmap, count=5):
    """The roadmap's top items, without those a consultant hid or marked done."""
    skipped = set(
        assessment.roadmap_entries.filter(
            Q(hidden=True) | Q(status=RoadmapStatus.DONE)
        ).values_list("key", flat=True)
    )
    items = computed_roadmap.top(count + len(skipped))
    return [item for item in items if item.recommendation_id not in skipped][:count]
