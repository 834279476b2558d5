"""Reading the audit log: ``events_for`` is the one read the page and the CSV share."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from assessments.audit.domain.changes import Change, changes
from assessments.audit.models import AuditEvent
from assessments.bank.models import Question
from assessments.workspaces.models import Assessment

# A roadmap find-out step's key is "<question id>.find_out" (results.domain.roadmap owns the
# rule; the audit log sits below results and only reads such keys back).
FIND_OUT_SUFFIX = ".find_out"


def events_for(
    workspace,
    *,
    kind: str = "",
    assessment: Assessment | None = None,
    person=None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """A workspace's events, newest first, with actor and assessment joined in (one query)."""
    events = AuditEvent.objects.filter(workspace=workspace).select_related("actor", "assessment")
    if kind:
        events = events.filter(kind=kind)
    if assessment is not None:
        events = events.filter(assessment=assessment)
    if person is not None:
        events = events.filter(actor=person)
    if date_from is not None:
        events = events.filter(at__date__gte=date_from)
    if date_to is not None:
        events = events.filter(at__date__lte=date_to)
    return events.order_by("-at", "-pk")


def subject_names(workspace, events) -> dict[str, str]:
    """What each stored subject (a question key, a roadmap item key, a title) is called, in
    words. Two queries for any number of events: the questions of the bank versions and
    custom questions involved, and the titles custom roadmap items were added with."""
    events = list(events)
    versions = {e.assessment.bank_version_id for e in events if e.assessment is not None}
    names: dict[str, str] = {"import": "Answers file"}
    questions = Question.objects.filter(
        Q(bank_version_id__in=versions) | Q(workspace=workspace)
    ).values_list("key", "topic", "text", "recommendations")
    for key, topic, text, recommendations in questions:
        names[key] = topic or text
        names[key + FIND_OUT_SUFFIX] = f"Find out: {topic or text}"
        for recommendation in recommendations or []:
            if recommendation.get("id") and recommendation.get("title"):
                names[recommendation["id"]] = recommendation["title"]
    custom = {e.subject for e in events if e.kind == AuditEvent.Kind.ROADMAP}
    added = AuditEvent.objects.filter(
        workspace=workspace, kind=AuditEvent.Kind.ROADMAP, subject__in=custom - names.keys()
    ).values_list("assessment_id", "subject", "after")
    for assessment_id, subject, after in added:
        if isinstance(after, dict) and after.get("title"):
            names[f"{assessment_id}:{subject}"] = after["title"]
    return names


# Kinds whose subject is already a name people know (an assessment, a token, a system).
NAMED_SUBJECTS = (
    AuditEvent.Kind.ASSESSMENT,
    AuditEvent.Kind.SYSTEM,
    AuditEvent.Kind.ACCESS,
    AuditEvent.Kind.PROBE,
)


def subject_words(event: AuditEvent, names: dict[str, str]) -> str:
    if event.kind in NAMED_SUBJECTS:
        return event.subject
    return (
        names.get(event.subject)
        or names.get(f"{event.assessment_id}:{event.subject}")
        or ("A custom roadmap item" if event.kind == AuditEvent.Kind.ROADMAP else event.subject)
    )


def event_rows(workspace, events) -> list[dict]:
    """Events as the page and the CSV show them: subject and changes in words."""
    events = list(events)
    names = subject_names(workspace, events)

    def topic(key: str) -> str:
        return names.get(key, key)

    return [
        {
            "event": event,
            "subject": subject_words(event, names),
            "changes": changes(event.before, event.after, topic),
        }
        for event in events
    ]


def change_text(rows: list[Change]) -> str:
    return "; ".join(
        f"{row.label}: {row.before} → {row.after}" if row.before else f"{row.label}: {row.after}"
        for row in rows
    )
