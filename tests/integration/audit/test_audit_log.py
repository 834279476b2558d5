"""The audit log: events for answers, imports, overrides, roadmap edits and assessment status;
the page (owners and consultants only), its filters, pagination and CSV export."""

import csv
import io
import json
from datetime import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments.audit.models import AuditEvent
from assessments.questionnaire.selectors import answers_export
from assessments.questionnaire.services import answers_import
from assessments.results.selectors import system_results
from assessments.workspaces.models import Role
from tests.factories import AssessmentFactory, SystemFactory
from tests.profiles import early_startup

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def setup(make_member, bank_version):
    owner = make_member(Role.OWNER)
    consultant = make_member(Role.CONSULTANT, workspace=owner.workspace).user
    assessment = AssessmentFactory(
        system__workspace=owner.workspace, bank_version=bank_version, title="Spring audit"
    )
    answers_import(assessment, early_startup(), owner.user)
    return owner, consultant, assessment


def events(assessment, kind):
    return list(AuditEvent.objects.filter(assessment=assessment, kind=kind).order_by("at", "pk"))


def log_url(workspace_id, **params):
    from urllib.parse import urlencode

    url = reverse("audit_log", args=[workspace_id])
    return f"{url}?{urlencode(params)}" if params else url


def test_saving_an_answer_records_who_and_what_changed(setup, login):
    _owner, consultant, assessment = setup
    answer = assessment.answers.select_related("question").order_by("question__key").first()
    key, old_level = answer.question.key, answer.level
    new_level = next(o["level"] for o in answer.question.options if o["level"] != old_level)
    client = login(consultant)
    response = client.post(
        reverse("answer", args=[assessment.pk, key]),
        {"choice": str(new_level), "notes": "Checked the dashboards", "base_version": 1},
        **HTMX,
    )
    assert response.status_code == 200
    event = events(assessment, "answer")[-1]
    assert event.subject == key
    assert event.actor == consultant
    assert event.workspace_id == assessment.system.workspace_id
    assert event.summary == f"Answer saved: {answer_text(answer)} → level {new_level}"
    assert event.before["level"] == old_level
    assert event.after["level"] == new_level
    assert event.after["notes"] == "Checked the dashboards"
    assert "state" not in event.after or event.before["state"] != event.after["state"]


def answer_text(answer):
    if answer.state == "level":
        return f"level {answer.level}"
    return {"na": "not applicable", "unknown": "don't know"}[answer.state]


def test_a_conflicting_save_records_nothing(setup, login):
    _owner, consultant, assessment = setup
    answer = assessment.answers.select_related("question").first()
    before = AuditEvent.objects.count()
    response = login(consultant).post(
        reverse("answer", args=[assessment.pk, answer.question.key]),
        {"choice": "unknown", "base_version": 7},
        **HTMX,
    )
    assert response.status_code == 409
    assert AuditEvent.objects.count() == before


def test_an_import_is_one_event_naming_the_changed_questions(setup, login):
    _owner, consultant, assessment = setup
    document = answers_export(assessment)
    changed = document["answers"][0]
    changed.update(state="unknown", level=None)
    upload = SimpleUploadedFile("a.json", json.dumps(document).encode(), "application/json")
    before = AuditEvent.objects.count()
    response = login(consultant).post(
        reverse("assessment_import", args=[assessment.pk]), {"file": upload}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before + 1
    event = events(assessment, "answer")[-1]
    count = len(document["answers"])
    assert event.subject == "import"
    assert event.summary == f"Imported {count} answers (replacing {count}); 1 changed"
    assert event.after == {"changed": [changed["question"]]}
    assert event.actor == consultant


def test_roadmap_edits_moves_and_additions_are_recorded(setup, login):
    _owner, consultant, assessment = setup
    consultant.first_name, consultant.last_name = "Priya", "Raman"
    consultant.save()
    client = login(consultant)
    phases = client.get(reverse("roadmap", args=[assessment.pk])).context["phases"]
    phase = next(p for p in phases if len(p["rows"]) >= 2)
    rows = phase["rows"]
    first = rows[0].key
    client.post(
        reverse("roadmap_item_update", args=[assessment.pk, first]),
        {
            "status": "doing",
            "owner": consultant.email,
            "target_date": "2027-01-31",
            "hidden_reason": "",
        },
    )
    client.post(
        reverse("roadmap_item_update", args=[assessment.pk, first]),
        {
            "status": "doing",
            "owner": consultant.email,
            "target_date": "2027-01-31",
            "hidden": "on",
            "hidden_reason": "The platform team does it",
        },
    )
    mover = next(
        (rows[i].key for i in range(1, len(rows)) if rows[i - 1].key not in rows[i].depends_on),
        None,
    )
    client.post(
        reverse("roadmap_custom_add", args=[assessment.pk]),
        {"title": "Hire an SRE", "why": "", "phase": "2", "effort": "L", "impact": "3"},
    )
    recorded = events(assessment, "roadmap")
    edit, hide, added = recorded[0], recorded[1], recorded[-1]
    assert edit.subject == first
    assert edit.summary == "Edited: status, owner, target date"
    assert edit.before == {"status": "todo", "owner": "", "target_date": None}
    # The owner is named as a person, never as a membership id.
    assert edit.after == {"status": "doing", "owner": "Priya Raman", "target_date": "2027-01-31"}
    assert hide.summary == "Hidden from the plan: The platform team does it"
    assert hide.after == {"hidden": True, "hidden_reason": "The platform team does it"}
    assert added.subject == "custom-1"
    assert added.summary == "Custom item added: Hire an SRE"
    assert all(e.actor == consultant for e in recorded)
    if mover is not None:
        visible = client.get(reverse("roadmap", args=[assessment.pk])).context["phases"]
        rows = next(p for p in visible if p["number"] == phase["number"])["rows"]
        index = next(
            (i for i in range(1, len(rows)) if rows[i - 1].key not in rows[i].depends_on), None
        )
        if index is not None:
            client.post(
                reverse("roadmap_item_move", args=[assessment.pk, rows[index].key]),
                {"direction": "up"},
            )
            moved = events(assessment, "roadmap")[-1]
            assert moved.subject == rows[index].key
            assert moved.summary.startswith(f"Moved up in phase {phase['number']}")
            assert (moved.before, moved.after) == ({"order": index + 1}, {"order": index})


def test_submit_and_reopen_are_recorded(setup, login):
    _owner, consultant, assessment = setup
    client = login(consultant)
    client.post(reverse("assessment_submit", args=[assessment.pk]))
    client.post(reverse("assessment_reopen", args=[assessment.pk]))
    recorded = events(assessment, "assessment")
    assert [e.summary for e in recorded] == ["Submitted", "Reopened"]
    assert recorded[0].before == {"status": "in_progress"}
    assert recorded[0].after == {"status": "submitted"}
    assert recorded[1].after == {"status": "in_progress"}
    assert all(e.actor == consultant for e in recorded)


def test_the_page_lists_events_newest_first_with_who_what_and_change(setup, login):
    _owner, consultant, assessment = setup
    client = login(consultant)
    client.post(reverse("assessment_submit", args=[assessment.pk]))
    page = client.get(log_url(assessment.system.workspace_id))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Submitted" in html
    assert consultant.email in html
    assert "Spring audit" in html
    assert html.index("Submitted") < html.index("Imported")  # newest first
    assert "Status" in html
    assert "in progress → submitted" in html


def make_events(workspace, assessment, actor, count, kind="answer", at=None):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            workspace=workspace,
            assessment=assessment,
            actor=actor,
            kind=kind,
            subject=f"q.{n}",
            summary=f"Event {n}",
            before={"level": 1},
            after={"level": 2},
            **({"at": at} if at else {}),
        )
        for n in range(count)
    )


def test_filters_by_kind_assessment_person_and_dates(setup, login, bank_version):
    owner, consultant, assessment = setup
    workspace = owner.workspace
    other = AssessmentFactory(system__workspace=workspace, bank_version=bank_version, title="B")
    AuditEvent.objects.all().delete()
    march = timezone.make_aware(datetime(2026, 3, 10, 12))
    may = timezone.make_aware(datetime(2026, 5, 10, 12))
    make_events(workspace, assessment, owner.user, 2, "answer", march)
    make_events(workspace, assessment, consultant, 3, "roadmap", may)
    make_events(workspace, other, consultant, 4, "override", may)
    client = login(consultant)

    def listed(**params):
        response = client.get(log_url(workspace.pk, **params))
        assert response.status_code == 200, response.content.decode()
        return response.context["page"].paginator.count

    assert listed() == 9
    assert listed(kind="roadmap") == 3
    assert listed(assessment=other.pk) == 4
    assert listed(person=owner.user.pk) == 2
    assert listed(person=consultant.pk, kind="override") == 4
    assert listed(date_from="2026-04-01") == 7
    assert listed(date_to="2026-03-10") == 2
    assert listed(date_from="2026-03-10", date_to="2026-03-10") == 2
    assert listed(kind="answer", date_from="2026-04-01") == 0
    empty = client.get(log_url(workspace.pk, kind="answer", date_from="2026-04-01"))
    assert "No events match these filters" in empty.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "nonsense"}, "Select a valid choice"),
        ({"date_from": "yesterday"}, "Enter a valid date"),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "must be on or after"),
        ({"assessment": "999999"}, "Choose one of this workspace"),
    ],
)
def test_bad_filters_are_explained_and_kept(params, message, setup, login):
    owner, consultant, _assessment = setup
    client = login(consultant)
    response = client.get(log_url(owner.workspace.pk, **params))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Nothing is listed until the filters above are fixed" in html
    csv_response = client.get(reverse("audit_log_csv", args=[owner.workspace.pk]), params)
    assert csv_response.status_code == 400
    assert message in csv_response.content.decode()


def test_an_assessment_of_another_workspace_is_not_a_valid_filter(
    setup, login, make_member, bank_version
):
    owner, consultant, _assessment = setup
    foreign = AssessmentFactory(
        system__workspace=make_member(Role.OWNER).workspace, bank_version=bank_version
    )
    response = login(consultant).get(log_url(owner.workspace.pk, assessment=foreign.pk))
    assert response.status_code == 400


def test_csv_export_has_the_filtered_events(setup, login):
    owner, consultant, assessment = setup
    AuditEvent.objects.all().delete()
    client = login(consultant)
    with time_machine.travel(timezone.make_aware(datetime(2026, 6, 1, 9, 30)), tick=False):
        client.post(reverse("assessment_submit", args=[assessment.pk]))
    make_events(owner.workspace, assessment, owner.user, 3, "answer")
    AuditEvent.objects.filter(subject="q.0").update(summary="=HYPERLINK(1)")
    response = client.get(
        reverse("audit_log_csv", args=[owner.workspace.pk]), {"kind": "assessment"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "audit-log" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["What"] == "Assessment"
    assert row["Who"] == f"{consultant.get_full_name()} <{consultant.email}>"
    assert row["Assessment"] == "Spring audit"
    assert row["Summary"] == "Submitted"
    assert row["When"].startswith("2026-06-01T")
    assert json.loads(row["Before"]) == {"status": "in_progress"}
    assert json.loads(row["After"]) == {"status": "submitted"}
    everything = client.get(reverse("audit_log_csv", args=[owner.workspace.pk]))
    rows = list(csv.DictReader(io.StringIO(everything.content.decode())))
    assert len(rows) == 4
    assert "'=HYPERLINK(1)" in [r["Summary"] for r in rows]  # no formula injection


def test_csv_export_of_an_empty_log_has_only_the_header(setup, login):
    owner, consultant, _assessment = setup
    AuditEvent.objects.all().delete()
    response = login(consultant).get(reverse("audit_log_csv", args=[owner.workspace.pk]))
    assert (
        response.content.decode().strip()
        == "When,Who,What,Assessment,Subject,Summary,Change,Subject id,Before,After"
    )
    page = login(consultant).get(log_url(owner.workspace.pk))
    assert "Nothing recorded yet" in page.content.decode()


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.VIEWER])
def test_members_who_may_not_consult_get_403(role, setup, login, make_member):
    owner, _consultant, _assessment = setup
    member = make_member(role, workspace=owner.workspace).user
    client = login(member)
    assert client.get(log_url(owner.workspace.pk)).status_code == 403
    assert client.get(reverse("audit_log_csv", args=[owner.workspace.pk])).status_code == 403
    workspace_page = client.get(owner.workspace.get_absolute_url()).content.decode()
    assert log_url(owner.workspace.pk) not in workspace_page


def test_the_workspace_page_links_consultants_to_the_log(setup, login):
    owner, consultant, _assessment = setup
    page = login(consultant).get(owner.workspace.get_absolute_url()).content.decode()
    assert f'href="{log_url(owner.workspace.pk)}"' in page


def test_non_members_get_404(setup, login, make_member):
    owner, _consultant, _assessment = setup
    outsider = login(make_member(Role.OWNER).user)
    assert outsider.get(log_url(owner.workspace.pk)).status_code == 404
    assert outsider.get(reverse("audit_log_csv", args=[owner.workspace.pk])).status_code == 404


def test_pages_are_paginated_and_keep_the_filters(setup, login):
    owner, consultant, assessment = setup
    AuditEvent.objects.all().delete()
    make_events(owner.workspace, assessment, owner.user, 120, "roadmap")
    client = login(consultant)
    first = client.get(log_url(owner.workspace.pk, kind="roadmap"))
    page = first.context["page"]
    assert (page.paginator.count, page.paginator.num_pages, len(page.object_list)) == (120, 3, 50)
    assert "kind=roadmap&amp;page=2" in first.content.decode()
    last = client.get(log_url(owner.workspace.pk, kind="roadmap", page=3))
    assert len(last.context["page"].object_list) == 20


def test_query_count_does_not_grow_with_the_events_on_a_page(
    setup, login, make_member, django_assert_max_num_queries, bank_version
):
    owner, consultant, assessment = setup
    workspace = owner.workspace
    AuditEvent.objects.all().delete()
    make_events(workspace, assessment, owner.user, 2)
    client = login(consultant)
    url = log_url(workspace.pk, kind="answer")
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    # Many more events, by many people, about many assessments.
    for _n in range(10):
        person = make_member(Role.CONSULTANT, workspace=workspace).user
        other = AssessmentFactory(
            system=SystemFactory(workspace=workspace), bank_version=bank_version
        )
        make_events(workspace, other, person, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 50


def test_override_and_notes_events_show_on_the_page(setup, login):
    owner, consultant, assessment = setup
    key = system_results(assessment).score.gaps[0].question_id
    client = login(consultant)
    client.post(
        reverse("finding_review", args=[assessment.pk, key]),
        {"severity": "low", "reason": "Compensating control", "consultant_notes": ""},
    )
    html = client.get(log_url(owner.workspace.pk, kind="override")).content.decode()
    assert "Severity overridden" in html
    assert "Compensating control" in html


def test_moving_to_a_newer_bank_is_recorded(setup, login, bank_version):
    from assessments.bank.models import BankVersion, Question

    owner, _consultant, assessment = setup
    newer = BankVersion.objects.create(
        version="2099.1.1", content_hash="0" * 64, areas=bank_version.areas
    )
    copies = list(Question.objects.filter(bank_version=bank_version))
    for question in copies:
        question.pk, question.bank_version = None, newer
    Question.objects.bulk_create(copies)
    response = login(owner.user).post(reverse("assessment_upgrade", args=[assessment.pk]))
    assert response.status_code == 302
    event = events(assessment, "assessment")[-1]
    assert event.summary == "Moved to question bank 2099.1.1"
    assert event.before == {"bank_version": bank_version.version}
    assert event.after == {"bank_version": "2099.1.1"}
    assert event.actor == owner.user


def test_subjects_and_changes_are_in_words_not_ids_or_field_dumps(setup, login):
    _owner, consultant, assessment = setup
    client = login(consultant)
    answer = (
        assessment.answers.select_related("question")
        .filter(state="level", evidence_links=[])
        .order_by("question__key")
        .first()
    )
    question = answer.question
    saved = client.post(
        reverse("answer", args=[assessment.pk, question.key]),
        {
            "choice": str(answer.level),
            "evidence_links": "https://example.com/runbook",
            "base_version": answer.version,
        },
        **HTMX,
    )
    assert saved.status_code == 200
    rows = client.get(reverse("roadmap", args=[assessment.pk])).context["phases"]
    step = next(row for phase in rows for row in phase["rows"] if not row.is_custom)
    client.post(
        reverse("roadmap_item_update", args=[assessment.pk, step.key]),
        {"status": "done", "owner": "", "target_date": "", "hidden_reason": ""},
    )
    client.post(
        reverse("roadmap_custom_add", args=[assessment.pk]),
        {"title": "Hire an SRE", "why": "", "phase": "2", "effort": "L", "impact": "3"},
    )
    custom = assessment.roadmap_entries.get(is_custom=True)
    client.post(
        reverse("roadmap_item_update", args=[assessment.pk, custom.key]),
        {"status": "doing", "owner": "", "target_date": "", "hidden_reason": ""},
    )
    page = client.get(log_url(assessment.system.workspace_id))
    html = page.content.decode()
    assert question.topic in html
    assert step.title in html
    assert html.count("Hire an SRE") >= 2  # the addition and the later edit, by title
    assert "Evidence links" in html
    assert "none → 1 link: https://example.com/runbook" in html
    assert "Status</dt><dd>to do → done" in html
    for raw in (f"<code>{question.key}</code>", f">{step.key}<", ">custom-1<", "evidence_links"):
        assert raw not in html
    rows = list(csv.DictReader(io.StringIO(client.get(csv_url(assessment)).content.decode())))
    by_id = {row["Subject id"]: row for row in rows}
    assert by_id[question.key]["Subject"] == question.topic
    assert by_id[custom.key]["Subject"] == "Hire an SRE"
    assert "Status: to do → done" in by_id[step.key]["Change"]


def csv_url(assessment):
    return reverse("audit_log_csv", args=[assessment.system.workspace_id])


def test_confirming_carried_over_answers_is_recorded(setup, login):
    _owner, consultant, assessment = setup
    answers = assessment.answers.select_related("question").order_by("question__position")
    answers.update(carried_over=True)
    one = answers.first()
    client = login(consultant)
    client.post(reverse("answer_confirm", args=[assessment.pk, one.question.key]))
    confirmed = events(assessment, "answer")[-1]
    assert confirmed.subject == one.question.key
    assert confirmed.actor == consultant
    assert confirmed.summary.startswith("Carried-over answer confirmed: ")
    area = answers.exclude(pk=one.pk).first().question.area
    left = assessment.answers.filter(carried_over=True, question__area=area).count()
    client.post(reverse("area_confirm", args=[assessment.pk, area]))
    whole = events(assessment, "assessment")[-1]
    title = assessment.bank_version.area_titles()[area]
    assert (
        whole.summary
        == f"{left} carried-over answer{'s' if left != 1 else ''} confirmed in {title}"
    )
    assert whole.subject == title
    assert len(whole.after["confirmed"]) == left
    # Nothing left to confirm: nothing recorded.
    before = AuditEvent.objects.count()
    client.post(reverse("area_confirm", args=[assessment.pk, area]))
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("extra", [0, 40])
def test_the_page_query_count_does_not_grow_with_events(
    extra, setup, login, django_assert_num_queries
):
    owner, consultant, assessment = setup
    make_events(owner.workspace, assessment, owner.user, extra, "roadmap")
    client = login(consultant)
    client.get(log_url(owner.workspace.pk))
    # session, user, workspace, filter choices (assessments, people), count, events,
    # question names, custom item titles, nav workspaces
    # (no custom item titles to look up when no roadmap event is listed)
    with django_assert_num_queries(10 if extra else 9):
        client.get(log_url(owner.workspace.pk))


def test_making_and_revoking_an_api_token_is_recorded_for_the_workspace(setup, login):
    """A token can read and change every assessment of the workspace: who made it, with what
    role, and who revoked it belong in the log, by name, never by id."""
    owner, _consultant, _assessment = setup
    client = login(owner.user)
    url = reverse("api_tokens", args=[owner.workspace.pk])
    client.post(url, {"name": "Deploy gate", "role": "consultant", "lifetime": "30"})
    token = owner.workspace.api_tokens.get()
    client.post(url, {"revoke": str(token.pk)})
    client.post(url, {"revoke": str(token.pk)})  # revoking again changes nothing, logs nothing
    made, revoked = AuditEvent.objects.filter(kind="access").order_by("at", "pk")
    assert (made.workspace, made.assessment, made.actor) == (owner.workspace, None, owner.user)
    assert made.summary.startswith("API token made: “Deploy gate”, acting as consultant, expires ")
    assert made.after["role"] == "consultant"
    assert revoked.summary == "API token revoked: “Deploy gate”; it no longer works"
    page = client.get(log_url(owner.workspace.pk, kind="access")).content.decode()
    assert "API token revoked: “Deploy gate”" in page
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("audit_log_csv", args=[owner.workspace.pk])).content.decode()
            )
        )
    )
    assert {row["What"] for row in rows if "Deploy gate" in row["Summary"]} == {"API token"}
