"""Statements built once per process (config/compiled.py): each gives what the ORM gives for
the same values -- rows, model instances with their joined rows and annotations, rows
changed, inserted rows -- and a compiled read runs its one statement with each call's values."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from assessments.audit.models import AuditEvent
from assessments.questionnaire.models import Answer, AnswerState
from assessments.workspaces import access
from assessments.workspaces.models import Assessment
from assessments.workspaces.selectors import ASSESSMENT_READ
from config.compiled import CompiledObjects, CompiledRows, insert_row, update_rows
from config.fragments import row_values
from tests.factories import AnswerFactory, AssessmentFactory

pytestmark = pytest.mark.django_db


def states(assessment_id, area):
    return (
        Answer.objects.filter(assessment=assessment_id, question__area=area)
        .order_by("pk")
        .values_list("pk", "state")
    )


def test_a_read_is_compiled_once_and_runs_with_each_calls_values(bank_version):
    first = AssessmentFactory(bank_version=bank_version)
    second = AssessmentFactory(bank_version=bank_version)
    questions = bank_version.questions.filter(area="database").order_by("pk")[:2]
    for assessment in (first, second):
        for question in questions:
            AnswerFactory(
                assessment=assessment, question=question, state=AnswerState.UNKNOWN, level=None
            )
    rows = CompiledRows(states)
    for assessment in (first, second, first):
        expected = tuple(states(assessment.pk, "database"))
        assert rows(assessment.pk, "database") == expected
        assert len(expected) == 2
    assert rows(first.pk, "security") == ()
    with CaptureQueriesContext(connection) as captured:
        rows(second.pk, "database")
    assert len(captured) == 1
    assert str(second.pk) in captured[0]["sql"]


def test_a_read_that_does_not_use_an_argument_as_a_parameter_is_refused():
    rows = CompiledRows(lambda assessment_id: Answer.objects.order_by("pk").values_list("pk"))
    with pytest.raises(ValueError, match="must be a parameter"):
        rows(1)


def with_membership(user_id, pk):
    return access.member_query(
        Assessment.objects.select_related("system__workspace", "bank_version"), user_id, pk=pk
    )


def test_objects_are_the_orms_with_their_joined_rows_and_annotations(make_member, bank_version):
    member = make_member()
    other = make_member()
    mine = [
        AssessmentFactory(system__workspace=member.workspace, bank_version=bank_version)
        for _ in range(2)
    ]
    read = CompiledObjects(with_membership)
    for assessment in (*mine, mine[0]):
        (expected,) = with_membership(member.user.pk, assessment.pk)
        (got,) = read(member.user.pk, assessment.pk)
        assert type(got) is Assessment
        assert got.pk == assessment.pk
        assert row_values(got) == row_values(expected)
        assert isinstance(got.created_at, dt.datetime)  # converted as the ORM converts
        assert row_values(got.system) == row_values(expected.system)
        assert row_values(got.system.workspace) == row_values(expected.system.workspace)
        assert got.bank_version.content_hash == expected.bank_version.content_hash
        assert (got.member_role, got.member_client_id, got.member_assessment_id) == (
            member.role,
            None,
            None,
        )
        assert got._state.adding is False
    with CaptureQueriesContext(connection) as captured:
        got.system.workspace.name, got.bank_version.version  # noqa: B018 -- joined, no query
    assert len(captured) == 0
    assert read(other.user.pk, mine[0].pk) == []  # not a member: no row


def test_the_assessment_access_check_answers_like_the_orm_read(make_member, bank_version):
    member = make_member(role="viewer")
    assessment = AssessmentFactory(system__workspace=member.workspace, bank_version=bank_version)
    fetched = access.get_for_user(member.user, ASSESSMENT_READ, pk=assessment.pk)
    assert fetched.pk == assessment.pk
    assert fetched.member_role == "viewer"
    with pytest.raises(PermissionDenied):
        access.get_for_user(member.user, ASSESSMENT_READ, access.EDIT, pk=assessment.pk)
    with pytest.raises(Http404):
        access.get_for_user(make_member().user, ASSESSMENT_READ, pk=assessment.pk)
    with pytest.raises(ValueError, match="expected a number"):
        access.get_for_user(member.user, ASSESSMENT_READ, pk="1 OR 1=1")


def test_an_update_changes_what_the_orms_update_changes(make_member, bank_version):
    assessment = AssessmentFactory(bank_version=bank_version)
    first, second = bank_version.questions.order_by("pk")[:2]
    answers = [
        AnswerFactory(assessment=assessment, question=question, version=3)
        for question in (first, second)
    ]
    user = make_member().user
    now = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    values = {
        "state": AnswerState.NOT_APPLICABLE,
        "level": None,
        "na_reason": "No such thing here",
        "evidence_links": ["https://example.com/a", "https://example.com/ü"],
        "answered_by_id": user.pk,
        "answered_at": now,
        "version": 4,
    }
    where = {"assessment_id": assessment.pk, "question_id": first.pk, "version": 3}
    assert update_rows(Answer, where, values) == 1
    assert update_rows(Answer, where, values) == 0  # the version moved on: nothing matches
    Answer.objects.filter(pk=answers[1].pk).update(**values)  # the ORM's own, to compare
    compiled, orm = (Answer.objects.get(pk=answer.pk) for answer in answers)
    for name in ("state", "level", "na_reason", "evidence_links", "answered_by_id", "version"):
        assert getattr(compiled, name) == getattr(orm, name) == values[name]
    assert compiled.answered_at == orm.answered_at == now


def test_an_inserted_row_reads_back_as_the_orms_and_gets_its_key(make_member, bank_version):
    assessment = AssessmentFactory(bank_version=bank_version)
    actor = make_member().user
    fields = {
        "workspace_id": assessment.system.workspace_id,
        "assessment": assessment,
        "actor": actor,
        "kind": AuditEvent.Kind.ANSWER,
        "subject": "database.backups",
        "summary": "Answer saved: level 1 → level 2",
        "before": {"state": "level", "level": 1},
        "after": {"state": "level", "level": 2, "notes": "ünïcode"},
    }
    inserted = insert_row(AuditEvent(**fields))
    created = AuditEvent.objects.create(**fields)
    assert inserted.pk is not None
    assert inserted.pk != created.pk
    assert inserted._state.adding is False
    stored, expected = (AuditEvent.objects.get(pk=event.pk) for event in (inserted, created))
    for field in AuditEvent._meta.concrete_fields:
        if field.attname not in ("id", "at"):
            assert getattr(stored, field.attname) == getattr(expected, field.attname), field.name
    assert stored.at is not None
    assert abs(stored.at - expected.at) < dt.timedelta(seconds=5)
