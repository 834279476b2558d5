"""Writing the audit log: who changed which answer, override, roadmap item or assessment,
and who made or revoked which API token.

Operations call ``record`` right after the change they made, inside the same request (and
transaction, where there is one), so an event exists exactly when the change does. Events
keep small before/after dicts of the fields that changed, with long texts shortened, so the
log stays readable and cheap.
"""

from __future__ import annotations

from assessments.audit.models import AuditEvent
from assessments.workspaces.models import Assessment, System, Workspace
from config.compiled import insert_row

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


def audit_record(
    *,
    assessment: Assessment | None = None,
    system: System | None = None,
    workspace: Workspace | None = None,
    actor,
    kind: str,
    subject: str,
    summary: str,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Store one event about ``assessment``, ``system`` (its settings, its probe runs) or, for
    workspace-wide changes such as API tokens, ``workspace``; ``before``/``after`` are reduced
    to what changed. The event is filed under the workspace they belong to."""
    before, after = changed(before, after)
    if assessment is not None:
        workspace_id = assessment.system.workspace_id
    else:
        workspace_id = system.workspace_id if system is not None else workspace.pk
    # Inserted by a statement built once (config/compiled.py): every autosave records one.
    event = AuditEvent(
        workspace_id=workspace_id,
        assessment=assessment,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        subject=subject[:200],
        summary=summary[:500],
        before=before,
        after=after,
    )
    return insert_row(event)
