"""Saving a consultant's review of a finding: severity override, its reason, private notes.

A finding is a gap on one question, so reviews are keyed by question key and outlive
re-scoring (see ``assessments.overrides``). Every change is recorded in the audit log.
"""

from django.db import transaction

from assessments import audit
from assessments.models import Assessment, AuditEvent, FindingReview
from assessments.overrides import SeverityOverride

REVIEWED_FIELDS = ("severity", "reason", "consultant_notes")


def review_summary(computed: str, before: dict, after: dict) -> str:
    parts = []
    if (before["severity"], before["reason"]) != (after["severity"], after["reason"]):
        if after["severity"]:
            parts.append(
                f"Severity overridden: {computed} → {after['severity']} ({after['reason']})"
            )
        else:
            parts.append(f"Severity override cleared: back to {computed}")
    if before["consultant_notes"] != after["consultant_notes"]:
        parts.append("Finding notes changed")
    return "; ".join(parts)


@transaction.atomic
def finding_review_save(
    assessment: Assessment,
    question_key: str,
    user,
    *,
    computed: str,
    severity: str,
    reason: str,
    consultant_notes: str,
) -> bool:
    """Set (or clear, with ``severity=""``) a finding's override and notes; False if unchanged.

    Raises ``InvalidOverride`` for an unknown severity or a missing reason. A cleared override
    drops its reason too, so a stale reason is never shown again.
    """
    if severity:
        SeverityOverride(question_key, severity, reason)  # validates
    else:
        reason = ""
    review = (
        FindingReview.objects.select_for_update()
        .filter(assessment=assessment, question_key=question_key)
        .first()
    )
    before = {name: getattr(review, name) if review else "" for name in REVIEWED_FIELDS}
    after = {"severity": severity, "reason": reason.strip(), "consultant_notes": consultant_notes}
    if before == after:
        return False
    if review is None:
        review = FindingReview(assessment=assessment, question_key=question_key)
    for name, value in after.items():
        setattr(review, name, value)
    review.updated_by = user
    review.save()
    audit.record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.OVERRIDE,
        subject=question_key,
        summary=review_summary(computed, before, after),
        before={**before, "computed": computed},
        after={**after, "computed": computed},
    )
    return True
