"""Reading the audit log: ``events_for`` is the one read the page and the CSV share."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from assessments.audit.models import AuditEvent
from assessments.workspaces.models import Assessment


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
