"""The audit log: who changed which answer, override, roadmap item or assessment, and when.

Operations call ``record`` right after the change they made, inside the same request (and
transaction, where there is one), so an event exists exactly when the change does. Events
keep small before/after dicts of the fields that changed, with long texts shortened, so the
log stays readable and cheap. ``events_for`` is the one read the page and the CSV share.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from assessments.models import Assessment, AuditEvent

MAX_TEXT = 300  # characters of a text field kept in before/after


def shorten(value):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[: MAX_TEXT - 1] + "…"
    if isinstance(value, list | tuple):
        return [shorten(item) for item in value][:20]
    return value


def changed(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Only the keys whose values differ (all of them when one side is missing)."""
    if before is None or after is None:
        return (
            None if before is None else {k: shorten(v) for k, v in before.items()},
            None if after is None else {k: shorten(v) for k, v in after.items()},
        )
    keys = [key for key in after if before.get(key) != after.get(key)]
    return (
        {key: shorten(before.get(key)) for key in keys},
        {key: shorten(after.get(key)) for key in keys},
    )


def record(
    *,
    assessment: Assessment,
    actor,
    kind: str,
    subject: str,
    summary: str,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Store one event about ``assessment``; ``before``/``after`` are reduced to what changed."""
    before, after = changed(before, after)
    return AuditEvent.objects.create(
        workspace_id=assessment.system.workspace_id,
        assessment=assessment,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        subject=subject[:200],
        summary=summary[:500],
        before=before,
        after=after,
    )


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
