"""What the deliverable adds: the team's own order, accepted exceptions, evidence links in the
report and the exports, the consultant summary, readable Markdown and Excel-friendly CSV."""

import io
import json

import pandas as pd
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.questionnaire.models import Answer
from assessments.questionnaire.services import answers_import
from assessments.reports.models import MAX_CONSULTANT_SUMMARY, ConsultantSummary
from assessments.reports.pdf import report_html
from assessments.reports.selectors import report_context, state_fingerprint
from assessments.results.models import RoadmapEntry
from assessments.results.selectors import system_results
from assessments.workspaces.models import Role
from tests.profiles import early_startup

LINK = "https://wiki.example.com/runbooks/backups?x=1&y=2"


@pytest.fixture
def startup(assessment, owner):
    assessment.system.name = "Checkout API"
    assessment.system.save()
    answers_import(assessment, early_startup(), owner.user)
    return assessment


def visible_rows(assessment):
    context = report_context(assessment, system_results(assessment))
    return [row for phase in context["phases"] for row in phase["rows"]]


def test_next_steps_follow_the_order_the_team_set_on_the_roadmap(startup, owner):
    first_phase = report_context(startup, system_results(startup))["phases"][0]["rows"]
    last = first_phase[-1]  # computed last in the first phase; the team moves it to the top
    assert last.key not in [row.key for row in first_phase[:5]]
    RoadmapEntry.objects.create(assessment=startup, key=last.key, position=0)
    context = report_context(startup, system_results(startup))
    assert context["next_steps"][0].key == last.key
    assert last.title in report_html(startup, system_results(startup))


def test_hidden_steps_are_listed_as_accepted_exceptions_with_reason_and_who(startup, owner):
    owner.user.first_name, owner.user.last_name = "Marek", "Novak"
    owner.user.save()
    first = visible_rows(startup)[0]
    RoadmapEntry.objects.create(
        assessment=startup,
        key=first.key,
        hidden=True,
        hidden_reason="Covered by the hosting contract",
        updated_by=owner.user,
    )
    context = report_context(startup, system_results(startup))
    assert [item["row"].key for item in context["exceptions"]] == [first.key]
    assert first.key not in [row.key for row in context["next_steps"]]
    html = report_html(startup, system_results(startup))
    exceptions = html.split('id="exceptions"')[1].split("</section>")[0]
    assert first.title in exceptions
    assert "Covered by the hosting contract" in exceptions
    assert "Marek Novak" in exceptions


def test_evidence_links_and_notes_appear_in_the_findings(startup, owner):
    context = report_context(startup, system_results(startup))
    gap = context["areas"][0]["gaps"][0]
    Answer.objects.filter(assessment=startup, question__key=gap.question.id).update(
        evidence_links=[LINK], notes="Checked with the platform team"
    )
    html = report_html(startup, system_results(startup))
    findings = html.split('id="findings"')[1]
    assert 'href="https://wiki.example.com/runbooks/backups?x=1&amp;y=2"' in findings
    assert "Checked with the platform team" in findings
    assert gap.required_label in findings


def test_evidence_links_are_in_the_csv_xlsx_and_json_exports(startup, owner, login):
    answer = Answer.objects.filter(assessment=startup).order_by("question__key").first()
    answer.evidence_links = [LINK, "https://status.example.com/"]
    answer.save()
    client = login(owner.user)
    url = reverse("assessment_export_file", args=[startup.pk, "answers.csv"])
    body = client.get(url).content.decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads the UTF-8 file as UTF-8
    frame = pd.read_csv(io.StringIO(body.removeprefix("\ufeff")))
    row = frame[frame["Question ID"] == answer.question.key].iloc[0]
    assert row["Evidence links"].split("\n") == [LINK, "https://status.example.com/"]
    xlsx = client.get(reverse("assessment_export_file", args=[startup.pk, "all.xlsx"])).content
    sheet = load_workbook(io.BytesIO(xlsx))["Answers"]
    header = [cell.value for cell in sheet[1]]
    cells = [row[header.index("Evidence links")] for row in sheet.iter_rows(values_only=True)]
    assert f"{LINK}\nhttps://status.example.com/" in cells
    document = json.loads(
        client.get(reverse("assessment_export_file", args=[startup.pk, "all.json"])).content
    )
    (record,) = [r for r in document["answers"] if r["Question ID"] == answer.question.key]
    assert record["Evidence links"] == [LINK, "https://status.example.com/"]
    assert all(isinstance(r["Evidence links"], list) for r in document["answers"])


def test_markdown_roadmap_is_readable_and_carries_severity_and_target_date(startup, owner, login):
    first = visible_rows(startup)[0]
    RoadmapEntry.objects.create(
        assessment=startup, key=first.key, owner="Marek (platform team)", target_date="2027-01-31"
    )
    url = reverse("assessment_export_file", args=[startup.pk, "roadmap.md"])
    markdown = login(owner.user).get(url).content.decode()
    line = next(line for line in markdown.splitlines() if first.title in line)
    assert "owner Marek (platform team)" in line
    assert "due 2027-01-31" in line
    assert f"severity {first.severity}" in line
    assert "\\(" not in markdown
    assert "\\." not in markdown


def test_consultant_writes_a_summary_that_the_report_prints(startup, owner, login):
    client = login(owner.user)
    url = reverse("report_consultant_summary", args=[startup.pk])
    before = state_fingerprint(startup)
    response = client.post(url, {"text": "Solid team. <b>Fix backups first.</b>"})
    assert response.status_code == 302
    assert ConsultantSummary.objects.get(assessment=startup).updated_by == owner.user
    assert state_fingerprint(startup) != before  # the PDF is now out of date
    html = report_html(startup, system_results(startup))
    assert "Fix backups first." in html
    assert "<b>Fix backups first.</b>" not in html  # escaped
    page = client.get(reverse("report", args=[startup.pk])).content.decode()
    assert "Save summary" in page


def test_a_too_long_summary_is_refused_with_a_message(startup, owner, login):
    client = login(owner.user)
    url = reverse("report_consultant_summary", args=[startup.pk])
    response = client.post(url, {"text": "x" * (MAX_CONSULTANT_SUMMARY + 1)}, follow=True)
    assert "The summary is too long" in response.content.decode()
    assert not ConsultantSummary.objects.filter(assessment=startup).exists()


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.VIEWER])
def test_only_consultants_write_the_summary(role, startup, make_member, login):
    member = make_member(role, workspace=startup.system.workspace)
    url = reverse("report_consultant_summary", args=[startup.pk])
    response = login(member.user).post(url, {"text": "mine"})
    assert response.status_code in (403, 404)
    assert not ConsultantSummary.objects.filter(assessment=startup).exists()
