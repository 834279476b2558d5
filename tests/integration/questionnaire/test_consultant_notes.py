"""Consultant-only notes: owners and consultants write and read them; contributors, viewers
and share links never see them, in pages, exports or the PDF."""

import io
import json

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from assessments.audit.models import AuditEvent
from assessments.questionnaire.models import Answer
from assessments.questionnaire.selectors import answers_export
from assessments.questionnaire.services import answers_import
from assessments.reports.models import ReportFile, ShareLink
from assessments.reports.services import report_render
from assessments.results.models import FindingReview
from assessments.results.selectors import system_results
from assessments.workspaces.models import Membership, Role
from tests.factories import AssessmentFactory, UserFactory
from tests.profiles import early_startup

HTMX = {"HTTP_HX_REQUEST": "true"}
# Single words, so PDF text extraction cannot split them across lines.
ANSWER_NOTE = "Zebracornish"
FINDING_NOTE = "Quokkalinear"
SECRETS = (ANSWER_NOTE, FINDING_NOTE)
EXPORTS = ("answers.csv", "findings.csv", "roadmap.csv", "all.json", "roadmap.md")


@pytest.fixture
def team(make_member, bank_version):
    owner = make_member(Role.OWNER)
    workspace = owner.workspace
    members = {
        "owner": owner.user,
        "consultant": make_member(Role.CONSULTANT, workspace=workspace).user,
        "contributor": make_member(Role.CONTRIBUTOR, workspace=workspace).user,
        "viewer": make_member(Role.VIEWER, workspace=workspace).user,
    }
    assessment = AssessmentFactory(
        system__workspace=workspace, system__name="Checkout", bank_version=bank_version
    )
    answers_import(assessment, early_startup(), owner.user)
    return assessment, members


def first_gap(assessment):
    return system_results(assessment).score.gaps[0].question_id


def write_notes(assessment, client):
    """Notes on the first gap's answer and on that finding, through the pages."""
    key = first_gap(assessment)
    response = client.post(
        reverse("answer_consultant_notes", args=[assessment.pk, key]),
        {"consultant_notes": f"Client said {ANSWER_NOTE} in the interview."},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("finding_review", args=[assessment.pk, key]),
        {"severity": "", "reason": "", "consultant_notes": f"Ask about {FINDING_NOTE}."},
    )
    assert response.status_code == 302
    return key


def pdf_text(response) -> str:
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def render_pdf(assessment) -> ReportFile:
    report = ReportFile.objects.create(assessment=assessment, state_fingerprint="")
    report_render(report.pk)
    report.refresh_from_db()
    assert report.status == ReportFile.Status.READY, report.error
    return report


def assert_hidden(content: bytes | str, where: str):
    text = content if isinstance(content, str) else content.decode()
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked into {where}"
    assert "consultant_notes" not in text, where


def test_consultant_writes_notes_and_sees_them_on_the_area_and_results_pages(team, login):
    assessment, members = team
    client = login(members["consultant"])
    key = write_notes(assessment, client)
    answer = Answer.objects.get(assessment=assessment, question__key=key)
    assert ANSWER_NOTE in answer.consultant_notes
    assert answer.version == 1  # notes do not touch the client's answer version
    review = FindingReview.objects.get(assessment=assessment, question_key=key)
    assert FINDING_NOTE in review.consultant_notes
    assert review.severity == ""
    area = client.get(reverse("assessment_area", args=[assessment.pk, answer.question.area]))
    assert ANSWER_NOTE in area.content.decode()
    results = client.get(reverse("results", args=[assessment.pk])).content.decode()
    assert FINDING_NOTE in results


def test_saving_notes_with_htmx_returns_the_notes_form_and_keeps_the_answer_version(team, login):
    assessment, members = team
    client = login(members["owner"])
    key = first_gap(assessment)
    url = reverse("answer_consultant_notes", args=[assessment.pk, key])
    response = client.post(url, {"consultant_notes": ANSWER_NOTE}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Notes saved" in body
    assert ANSWER_NOTE in body
    # The client's next save, based on the version they saw, is not a conflict.
    answer = Answer.objects.get(assessment=assessment, question__key=key)
    saved = client.post(
        reverse("answer", args=[assessment.pk, key]),
        {"choice": "na", "na_reason": "Not relevant", "base_version": answer.version},
    )
    assert saved.status_code == 302
    answer.refresh_from_db()
    assert answer.state == "na"
    assert answer.consultant_notes == ANSWER_NOTE


def test_notes_that_are_too_long_are_refused_and_kept_on_screen(team, login):
    assessment, members = team
    client = login(members["consultant"])
    key = first_gap(assessment)
    text = "x" * 5001
    url = reverse("answer_consultant_notes", args=[assessment.pk, key])
    response = client.post(url, {"consultant_notes": text}, **HTMX)
    assert response.status_code == 422
    assert "Not saved" in response.content.decode()
    assert text in response.content.decode()
    assert Answer.objects.get(assessment=assessment, question__key=key).consultant_notes == ""


def test_notes_on_an_unanswered_question_say_to_answer_first(team, login):
    assessment, members = team
    key = first_gap(assessment)
    Answer.objects.filter(assessment=assessment, question__key=key).delete()
    client = login(members["consultant"])
    url = reverse("answer_consultant_notes", args=[assessment.pk, key])
    response = client.post(url, {"consultant_notes": "Hello"}, **HTMX)
    assert response.status_code == 422
    assert "Answer the question first" in response.content.decode()


@pytest.mark.parametrize("role", ["contributor", "viewer"])
def test_other_roles_cannot_write_notes(role, team, login):
    assessment, members = team
    key = first_gap(assessment)
    client = login(members[role])
    notes = client.post(
        reverse("answer_consultant_notes", args=[assessment.pk, key]), {"consultant_notes": "x"}
    )
    review = client.post(
        reverse("finding_review", args=[assessment.pk, key]), {"consultant_notes": "x"}
    )
    assert notes.status_code == 403
    assert review.status_code == 403
    assert not FindingReview.objects.exists()


@pytest.mark.parametrize("role", ["contributor", "viewer"])
def test_other_roles_never_see_notes_in_pages_or_exports(role, team, login):
    assessment, members = team
    key = write_notes(assessment, login(members["consultant"]))
    area = Answer.objects.get(assessment=assessment, question__key=key).question.area
    client = login(members[role])
    pages = {
        "area page": reverse("assessment_area", args=[assessment.pk, area]),
        "results page": reverse("results", args=[assessment.pk]),
        "roadmap page": reverse("roadmap", args=[assessment.pk]),
        "report page": reverse("report", args=[assessment.pk]),
        "overview": reverse("assessment_overview", args=[assessment.pk]),
        "question card": reverse("answer", args=[assessment.pk, key]),
    }
    for where, url in pages.items():
        response = client.get(url, **(HTMX if where == "question card" else {}))
        assert response.status_code == 200, where
        assert_hidden(response.content, where)
        assert "Consultant notes" not in response.content.decode(), where
    exported = client.get(reverse("assessment_export", args=[assessment.pk]))
    assert_hidden(exported.content, "answers JSON export")
    for name in EXPORTS:
        response = client.get(reverse("assessment_export_file", args=[assessment.pk, name]))
        assert response.status_code == 200
        assert_hidden(response.content, name)
    xlsx = client.get(reverse("assessment_export_file", args=[assessment.pk, "all.xlsx"]))
    sheets = pd.read_excel(io.BytesIO(xlsx.content), sheet_name=None)
    assert_hidden(" ".join(frame.to_csv() for frame in sheets.values()), "all.xlsx")


def test_the_consultants_pandas_exports_do_not_carry_notes_either(team, login):
    assessment, members = team
    client = login(members["consultant"])
    write_notes(assessment, client)
    for name in EXPORTS:
        response = client.get(reverse("assessment_export_file", args=[assessment.pk, name]))
        assert_hidden(response.content, name)


def test_the_answers_export_carries_notes_only_for_consultants(team, login):
    assessment, members = team
    key = write_notes(assessment, login(members["consultant"]))
    document = login(members["consultant"]).get(reverse("assessment_export", args=[assessment.pk]))
    rows = {row["question"]: row for row in json.loads(document.content)["answers"]}
    assert ANSWER_NOTE in rows[key]["consultant_notes"]
    assert all("consultant_notes" in row for row in rows.values())


def test_importing_keeps_notes_unless_a_consultant_imports_them(team):
    assessment, members = team
    key = first_gap(assessment)
    Answer.objects.filter(assessment=assessment, question__key=key).update(consultant_notes="Kept")
    # A file from someone who may not consult: notes in it are ignored, stored ones are kept.
    document = answers_export(assessment)
    for row in document["answers"]:
        row["consultant_notes"] = "From the file"
    answers_import(assessment, document, members["owner"], consultant_notes=False)
    notes = dict(assessment.answers.values_list("question__key", "consultant_notes"))
    assert notes[key] == "Kept"
    assert set(notes.values()) == {"Kept", ""}
    # A consultant's file: the notes it carries replace the stored ones.
    document = answers_export(assessment, consultant_notes=True)
    for row in document["answers"]:
        row["consultant_notes"] = f"Imported {row['question']}"
    answers_import(assessment, document, members["consultant"], consultant_notes=True)
    notes = dict(assessment.answers.values_list("question__key", "consultant_notes"))
    assert notes[key] == f"Imported {key}"
    assert all(text == f"Imported {k}" for k, text in notes.items())


def test_import_through_the_page_takes_notes_from_a_consultants_file(team, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assessment, members = team
    key = first_gap(assessment)
    document = answers_export(assessment, consultant_notes=True)
    for row in document["answers"]:
        if row["question"] == key:
            row["consultant_notes"] = ANSWER_NOTE
    upload = SimpleUploadedFile("a.json", json.dumps(document).encode(), "application/json")
    client = login(members["consultant"])
    response = client.post(reverse("assessment_import", args=[assessment.pk]), {"file": upload})
    assert response.status_code == 302
    assert Answer.objects.get(assessment=assessment, question__key=key).consultant_notes == (
        ANSWER_NOTE
    )


def test_a_consultant_notes_change_is_audited(team, login):
    assessment, members = team
    key = write_notes(assessment, login(members["consultant"]))
    events = AuditEvent.objects.filter(assessment=assessment, subject=key)
    notes_event = events.get(kind="answer", summary="Consultant notes changed")
    assert notes_event.before == {"consultant_notes": ""}
    assert ANSWER_NOTE in notes_event.after["consultant_notes"]
    assert notes_event.actor == members["consultant"]
    review_event = events.get(kind="override")
    assert review_event.summary == "Finding notes changed"


def test_pdf_has_notes_only_in_the_consultants_copy_when_asked(team, login):
    assessment, members = team
    consultant = login(members["consultant"])
    write_notes(assessment, consultant)
    link = ShareLink.objects.create(assessment=assessment)

    # Off (the default): nobody's PDF has the notes.
    report = render_pdf(assessment)
    text = pdf_text(consultant.get(reverse("report_download", args=[report.pk])))
    assert "Executive summary" in text
    assert ANSWER_NOTE not in text
    assert FINDING_NOTE not in text

    # On: the consultant's PDF and report page have them; nobody else's does.
    toggled = consultant.post(
        reverse("report_consultant_notes", args=[assessment.pk]),
        {"include_consultant_notes": "on"},
    )
    assert toggled.status_code == 302
    assessment.refresh_from_db()
    assert assessment.include_consultant_notes
    page = consultant.get(reverse("report", args=[assessment.pk])).content.decode()
    assert ANSWER_NOTE in page
    assert FINDING_NOTE in page
    report = render_pdf(assessment)
    text = pdf_text(consultant.get(reverse("report_download", args=[report.pk])))
    assert "Consultant notes" in text
    assert ANSWER_NOTE in text
    assert FINDING_NOTE in text
    owner_text = pdf_text(login(members["owner"]).get(reverse("report_download", args=[report.pk])))
    assert ANSWER_NOTE in owner_text
    for role in ("contributor", "viewer"):
        client = login(members[role])
        assert_hidden(client.get(reverse("report", args=[assessment.pk])).content, role)
        text = pdf_text(client.get(reverse("report_download", args=[report.pk])))
        assert "Executive summary" in text
        assert ANSWER_NOTE not in text, role
        assert FINDING_NOTE not in text, role
    anonymous = Client()
    share_page = anonymous.get(reverse("share", args=[link.token]))
    assert share_page.status_code == 200
    assert_hidden(share_page.content, "share page")
    text = pdf_text(anonymous.get(reverse("share_pdf", args=[link.token])))
    assert "Executive summary" in text
    assert ANSWER_NOTE not in text
    assert FINDING_NOTE not in text


def test_only_consultants_switch_notes_into_the_pdf(team, login):
    assessment, members = team
    response = login(members["contributor"]).post(
        reverse("report_consultant_notes", args=[assessment.pk]),
        {"include_consultant_notes": "on"},
    )
    assert response.status_code == 403
    assessment.refresh_from_db()
    assert not assessment.include_consultant_notes
    page = login(members["contributor"]).get(reverse("report", args=[assessment.pk]))
    assert "Print consultant notes" not in page.content.decode()


def test_a_self_service_owner_sees_no_consultant_notes_boxes(owner, bank_version, login):
    """A team without a consultant is not shown boxes meant for one; a consultant joining
    brings them back for the owner too."""
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    answers_import(assessment, early_startup(), owner.user)
    client = login(owner.user)
    area = reverse("assessment_area", args=[assessment.pk, "database"])
    # The review form of a finding comes on demand, into its row of the results page.
    review = reverse("finding_review", args=[assessment.pk, first_gap(assessment)])
    assert "Consultant notes" not in client.get(area).content.decode()
    assert review in client.get(reverse("results", args=[assessment.pk])).content.decode()
    form = client.get(review, **HTMX).content.decode()
    assert "Consultant notes" not in form
    assert "Reason for the override" in form  # the severity review itself stays
    Membership.objects.create(workspace=owner.workspace, user=UserFactory(), role=Role.CONSULTANT)
    assert "Consultant notes" in client.get(area).content.decode()
    assert "Consultant notes" in client.get(review, **HTMX).content.decode()
