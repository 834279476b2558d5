"""An audit event's before/after in words: which field changed, from what, to what.

Events store small dicts of the fields that changed (``{"evidence_links": []}``); people
read "Evidence links: none → 2 links". Pure: the caller passes how to name questions.
"""

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

LABELS = {
    "na_reason": "Reason for N/A",
    "notes": "Notes",
    "evidence_links": "Evidence links",
    "consultant_notes": "Consultant notes",
    "severity": "Severity",
    "reason": "Reason for the override",
    "computed": "Computed severity",
    "status": "Status",
    "owner": "Owner",
    "target_date": "Target date",
    "hidden": "Hidden from the plan",
    "hidden_reason": "Reason for hiding",
    "order": "Position in its phase",
    "title": "Title",
    "phase": "Phase",
    "effort": "Effort",
    "impact": "Impact",
    "bank_version": "Question bank version",
    "include_consultant_notes": "Consultant notes in the PDF",
    "answers": "Answers",
    "changed": "Questions whose answer changed",
    "confirmed": "Answers confirmed",
    "watch": "Drift watch",
    "watch_burst": "Capacity burst in watched runs",
    "webhook_url": "Webhook",
    "webhook_secret": "Webhook signing secret",
    "base_urls": "Base URLs probed",
    "capacity_burst": "Capacity burst",
    "baseline": "CI gate baseline (the run of)",
}
# Kept for machines (the CSV) but said by the summary, or not meaningful to people.
UNSHOWN = {"carried_from", "version", "level", "state"}
STATUS_WORDS = {
    "todo": "to do",
    "doing": "doing",
    "done": "done",
    "in_progress": "in progress",
    "submitted": "submitted",
}
# Lists of questions an event is about: they have no "before".
QUESTION_LISTS = {"changed", "confirmed"}


@dataclass(frozen=True)
class Change:
    label: str
    before: str  # "" when the field had no value before the event (a new row)
    after: str


def value_words(key: str, value, topic: Callable[[str], str]) -> str:
    if isinstance(value, str) and value.startswith("["):
        # A list some databases hand back as JSON text (a snapshot read through JSONObject).
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if value is None or value == "" or value == []:
        if key == "severity":
            return "as computed"
        return "none"
    if isinstance(value, bool):
        if key == "include_consultant_notes":
            return "on" if value else "off"
        return "yes" if value else "no"
    if key == "status":
        return STATUS_WORDS.get(value, str(value))
    if key in ("changed", "confirmed") and isinstance(value, list):
        return "; ".join(topic(item) for item in value)
    if key == "evidence_links" and isinstance(value, list):
        return f"{len(value)} link{'s' if len(value) != 1 else ''}: " + ", ".join(map(str, value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def changes(
    before: Mapping | None, after: Mapping | None, topic: Callable[[str], str] = str
) -> list[Change]:
    """The changed fields in words, in a stable order. An answer's state and level are left
    to the event's summary ("Answer saved: level 1 → don't know"), which says them already."""
    before, after = dict(before or {}), dict(after or {})
    rows = []
    for key in [*after.keys(), *(k for k in before if k not in after)]:
        if key in UNSHOWN:
            continue
        label = LABELS.get(key, key.replace("_", " ").capitalize())
        shown_before = key in before and key not in QUESTION_LISTS
        old = value_words(key, before.get(key), topic) if shown_before else ""
        new = value_words(key, after.get(key), topic) if key in after else "none"
        if old != new and not (old == "" and new == "none"):
            rows.append(Change(label, old, new))
    return rows
