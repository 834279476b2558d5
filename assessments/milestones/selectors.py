"""What a comparison of two assessments reads: each side scored with the probe evidence of its
time, the assessment before this one, and the report's "Progress since" section.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from assessments.milestones.domain.comparison import MilestoneInput, milestone_compare
from assessments.results.domain.charts import pair_chart
from assessments.results.domain.results import Results
from assessments.results.domain.scoring import EvidenceResult
from assessments.results.selectors import assessment_results
from assessments.workspaces import access
from assessments.workspaces.models import Assessment
from checks.selectors import latest_evidence


def evidence_cutoff(assessment) -> datetime:
    """Probe evidence counts for an assessment up to its submission (or now, while open)."""
    return assessment.submitted_at or timezone.now()


def milestone_input(assessment, results: Results | None = None) -> MilestoneInput:
    """Score ``assessment`` with the probe evidence of its time; four queries.

    ``results`` skips the scoring when the caller already has it (the report does).
    """
    evidence = latest_evidence(assessment.system_id, before=evidence_cutoff(assessment))
    if results is None:
        results = assessment_results(assessment, [EvidenceResult(**row) for row in evidence])
    statuses = {}
    titles = {}
    for key, status, is_custom, title in assessment.roadmap_entries.values_list(
        "key", "status", "is_custom", "title"
    ):
        statuses[key] = status
        if is_custom:
            titles[key] = title
    return MilestoneInput(
        assessment_id=assessment.pk,
        title=assessment.title,
        on=assessment.submitted_at or assessment.created_at,
        results=results,
        roadmap_status=statuses,
        custom_titles=titles,
        probe_statuses={(r["check_id"], r["target_url"]): r["status"] for r in evidence},
    )


def previous_assessment(assessment):
    """The assessment this one is a milestone after: the one it was carried from, or else
    the latest one of the same system started before it. One query; None for the first."""
    earlier = Assessment.objects.select_related("system", "bank_version").filter(
        system_id=assessment.system_id
    )
    if assessment.carried_from_id:
        return earlier.filter(pk=assessment.carried_from_id).first()
    return (
        earlier.filter(
            Q(created_at__lt=assessment.created_at)
            | Q(created_at=assessment.created_at, pk__lt=assessment.pk)
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def report_milestone(assessment, results: Results) -> dict | None:
    """The report's "Progress since …" section, or None for a system's first assessment.

    The current side reuses the report's own ``results`` so the section agrees with the rest
    of the document; the previous one is scored with the evidence of its time.
    """
    previous = previous_assessment(assessment)
    if previous is None:
        return None
    comparison = milestone_compare(milestone_input(previous), milestone_input(assessment, results))
    return {"comparison": comparison, "chart": pair_chart(comparison.areas)}


def other_assessments(assessment, user):
    """The system's other assessments the user may open, newest first, for the picker.

    Scoped: client staff limited to one assessment see none (no dead ends, no titles).
    """
    return list(
        access.scoped(assessment.system.assessments.exclude(pk=assessment.pk), user)
        .order_by("-created_at", "-pk")
        .only("pk", "title", "status", "created_at", "submitted_at")
    )
