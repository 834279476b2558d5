"""Backlog exports for trackers: Jira's CSV import and GitHub-issue JSON, keyed by the
stable finding id, so a second import updates the tickets the first one made.

Pure: the rows come in as plain values. Each item's ``content_hash`` covers what a tracker
shows, so an export can say which items are new, changed or unchanged since the last one.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from assessments.downloads import to_csv

JIRA_PRIORITIES = {"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low"}
JIRA_STATUSES = {"todo": "To Do", "doing": "In Progress", "done": "Done"}
FORMATS = ("jira_csv", "github_json")
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass(frozen=True)
class BacklogItem:
    finding_id: str
    key: str
    title: str
    why: str
    how: tuple[str, ...]
    phase: int
    phase_title: str
    severity: str
    effort: str
    impact: int
    quick_win: bool
    status: str
    owner: str
    target_date: str | None  # ISO date
    practices: tuple[str, ...]  # the questions it answers, in words

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()

    def description(self) -> str:
        lines = [self.why, ""]
        if self.how:
            lines += ["How:", *(f"- {step}" for step in self.how), ""]
        if self.practices:
            lines += ["Practices:", *(f"- {practice}" for practice in self.practices), ""]
        lines.append(
            f"Phase {self.phase} ({self.phase_title}) · effort {self.effort} · impact "
            f"{self.impact}/3{' · quick win' if self.quick_win else ''}"
        )
        return "\n".join(lines).strip()

    def labels(self) -> list[str]:
        labels = ["scaleready", f"phase-{self.phase}", f"severity-{self.severity}"]
        return [*labels, "quick-win"] if self.quick_win else labels


def actions(items: Sequence[BacklogItem], exported: Mapping[str, str]) -> dict[str, str]:
    """Per finding id: create (never exported), update (changed since), unchanged.
    ``exported`` maps finding ids to the content hash of their last export."""
    result = {}
    for item in items:
        before = exported.get(item.finding_id)
        if before is None:
            result[item.finding_id] = CREATE
        else:
            result[item.finding_id] = UNCHANGED if before == item.content_hash else UPDATE
    return result


def jira_csv(items: Sequence[BacklogItem], item_actions: Mapping[str, str]) -> str:
    """Jira's CSV import: map "External ID" to a text custom field (or the issue's
    "External issue ID"); the id is also a label, so a JQL search finds the ticket."""
    rows = [
        {
            "External ID": item.finding_id,
            "Action": item_actions[item.finding_id],
            "Issue Type": "Task",
            "Summary": item.title,
            "Description": item.description(),
            "Priority": JIRA_PRIORITIES.get(item.severity, "Medium"),
            "Status": JIRA_STATUSES.get(item.status, "To Do"),
            "Labels": " ".join([*item.labels(), item.finding_id.replace(":", "-")]),
            "Assignee": item.owner,
            "Due Date": item.target_date or "",
        }
        for item in items
    ]
    columns = ["External ID", "Action", "Issue Type", "Summary", "Description", "Priority"]
    columns += ["Status", "Labels", "Assignee", "Due Date"]
    return to_csv(pd.DataFrame(rows, columns=columns))


def github_marker(finding_id: str) -> str:
    """A hidden line in the issue body: search ``in:body "<marker>"`` to find the issue."""
    return f"<!-- scaleready-finding: {finding_id} -->"


def github_issues(items: Sequence[BacklogItem], item_actions: Mapping[str, str]) -> list[dict]:
    """One object per item in the shape of GitHub's "create an issue" request, plus
    ``external_id`` and ``action`` for the script that syncs them."""
    return [
        {
            "external_id": item.finding_id,
            "action": item_actions[item.finding_id],
            "title": item.title,
            "body": f"{item.description()}\n\n{github_marker(item.finding_id)}",
            "labels": item.labels(),
            "state": "closed" if item.status == "done" else "open",
            "assignees": [],
            "milestone": None,
            "due_on": item.target_date,
            "owner": item.owner,
        }
        for item in items
    ]
