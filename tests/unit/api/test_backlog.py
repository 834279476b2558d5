"""Backlog items as tracker tickets: actions by content, formula-safe Jira CSV."""

import csv
import io
from dataclasses import replace

from assessments.api.domain.backlog import (
    CREATE,
    UNCHANGED,
    UPDATE,
    BacklogItem,
    actions,
    github_issues,
    jira_csv,
)

ITEM = BacklogItem(
    finding_id="scaleready:3:db.backups",
    key="db.backups",
    title="Test restoring backups",
    why="A backup nobody restored is a hope.",
    how=("Restore last night's backup into staging", "Time it"),
    phase=1,
    phase_title="Audit & baseline",
    severity="critical",
    effort="S",
    impact=3,
    quick_win=True,
    status="todo",
    owner="",
    target_date=None,
    practices=("Restorable backups",),
)


def test_actions_follow_the_content_of_the_last_export():
    changed = replace(ITEM, status="doing")
    assert actions([ITEM], {}) == {ITEM.finding_id: CREATE}
    assert actions([ITEM], {ITEM.finding_id: ITEM.content_hash}) == {ITEM.finding_id: UNCHANGED}
    assert actions([changed], {ITEM.finding_id: ITEM.content_hash}) == {ITEM.finding_id: UPDATE}


def test_jira_csv_neutralises_formulas_and_maps_priority():
    hostile = replace(ITEM, title='=HYPERLINK("http://evil")', owner="@ops")
    [row] = csv.DictReader(io.StringIO(jira_csv([hostile], {ITEM.finding_id: CREATE})))
    assert row["Summary"].startswith("'=")
    assert row["Assignee"] == "'@ops"
    assert row["Priority"] == "Highest"
    assert "scaleready-3-db.backups" in row["Labels"].split()
    assert "- Restore last night's backup into staging" in row["Description"]


def test_github_issue_is_closed_when_done_and_marked_for_search():
    [issue] = github_issues([replace(ITEM, status="done")], {ITEM.finding_id: UPDATE})
    assert issue["state"] == "closed"
    assert issue["body"].endswith("<!-- scaleready-finding: scaleready:3:db.backups -->")
    assert "quick-win" in issue["labels"]
