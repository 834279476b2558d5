"""Tests for assessments/bank/services.py and models.py: a question stored as a row and read
back is the same pure value, new fields included."""

import pytest

from assessments.bank.domain.bank import BANDS
from assessments.bank.domain.loader import load_bank
from assessments.bank.models import Question
from assessments.bank.services import content_hash, question_fields

SHIPPED = load_bank()


@pytest.mark.parametrize("question", SHIPPED.questions, ids=lambda q: q.id)
def test_a_stored_question_reads_back_as_the_same_value(question):
    row = Question(**question_fields(question))

    assert row.as_bank_question() == question
    assert row.critical == question.critical
    assert [row.is_critical_at(b) for b in BANDS] == [question.is_critical_at(b) for b in BANDS]


def test_stored_fields_carry_topic_find_out_criticality_caps_and_foundation():
    question = SHIPPED.question("security.encryption_in_transit")
    fields = question_fields(question)

    assert fields["topic"] == "HTTPS with redirect"
    assert fields["critical_from"] == "1k"
    assert fields["check_caps"]["hsts"] == {"fail": 2, "warn": 2}
    assert len(fields["find_out"]) == 3
    assert [r["foundation"] for r in fields["recommendations"]] == [True, False, False]
    assert "critical" not in fields


def test_a_never_critical_question_is_stored_with_a_blank_band():
    fields = question_fields(SHIPPED.question("architecture.modular_codebase"))

    assert fields["critical_from"] == ""
    assert Question(**fields).as_bank_question().critical_from is None


def test_rows_stored_before_foundation_existed_read_as_not_foundation():
    fields = question_fields(SHIPPED.question("database.backups_and_restores"))
    for rec in fields["recommendations"]:
        del rec["foundation"]

    question = Question(**fields).as_bank_question()

    assert not any(r.foundation for r in question.recommendations)


def test_the_content_hash_changes_with_the_new_fields():
    before = content_hash(SHIPPED)
    first = SHIPPED.questions[0]
    changed = type(SHIPPED)(
        SHIPPED.version,
        SHIPPED.areas,
        (first.__class__(**{**first.__dict__, "topic": "Another name"}), *SHIPPED.questions[1:]),
        SHIPPED.recommendations,
    )

    assert content_hash(changed) != before


@pytest.mark.parametrize(("critical", "critical_from"), [(True, "1k"), (False, "")])
def test_a_row_created_with_the_old_boolean_is_critical_at_every_band_or_none(
    critical, critical_from
):
    fields = question_fields(SHIPPED.question("architecture.modular_codebase"))
    del fields["critical_from"]

    row = Question(critical=critical, **fields)

    assert row.critical_from == critical_from
    assert [row.is_critical_at(b) for b in BANDS] == [critical] * len(BANDS)
