"""An audit event's before/after in words (``assessments.audit.domain.changes``)."""

import pytest

from assessments.audit.domain.changes import Change, changes

TOPICS = {"db.backups": "Tested database restores", "ops.alerts": "Alerting that reaches a person"}


def words(before, after):
    return changes(before, after, lambda key: TOPICS.get(key, key))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (
            {"evidence_links": []},
            {"evidence_links": ["https://x.test/a", "https://x.test/b"]},
            [Change("Evidence links", "none", "2 links: https://x.test/a, https://x.test/b")],
        ),
        (
            {"evidence_links": "[]"},  # JSON text, as SQLite hands a nested list back
            {"evidence_links": ["https://x.test/a"]},
            [Change("Evidence links", "none", "1 link: https://x.test/a")],
        ),
        ({"status": "todo"}, {"status": "done"}, [Change("Status", "to do", "done")]),
        (
            {"status": "in_progress"},
            {"status": "submitted"},
            [Change("Status", "in progress", "submitted")],
        ),
        ({"hidden": False}, {"hidden": True}, [Change("Hidden from the plan", "no", "yes")]),
        ({"severity": ""}, {"severity": "high"}, [Change("Severity", "as computed", "high")]),
        (
            {"include_consultant_notes": False},
            {"include_consultant_notes": True},
            [Change("Consultant notes in the PDF", "off", "on")],
        ),
        (
            {"target_date": None},
            {"target_date": "2027-01-31"},
            [Change("Target date", "none", "2027-01-31")],
        ),
        (
            {"answers": 0, "changed": None},
            {"answers": 2, "changed": ["db.backups", "ops.alerts"]},
            [
                Change("Answers", "0", "2"),
                Change(
                    "Questions whose answer changed",
                    "",
                    "Tested database restores; Alerting that reaches a person",
                ),
            ],
        ),
        (None, {"title": "Hire an SRE", "why": ""}, [Change("Title", "", "Hire an SRE")]),
        ({"carried_from": 12}, {"carried_from": 13}, []),  # said by the summary, not an id
        ({"some_new_field": 1}, {"some_new_field": 2}, [Change("Some new field", "1", "2")]),
    ],
)
def test_changes_are_said_in_words(before, after, expected):
    assert words(before, after) == expected


def test_answer_state_and_level_are_left_to_the_summary():
    assert words({"state": "level", "level": 1}, {"state": "unknown", "level": None}) == []


def test_no_label_or_value_is_a_raw_field_name_or_python_repr():
    rows = words(
        {"evidence_links": [], "na_reason": "", "hidden_reason": None, "consultant_notes": ""},
        {"evidence_links": ["https://x.test"], "na_reason": "No UI", "hidden_reason": "Done"},
    )
    text = " ".join(f"{r.label} {r.before} {r.after}" for r in rows)
    for raw in ("[]", "None", "_", "True", "False", "{"):
        assert raw not in text.replace("https://x.test", "")
