"""Answers, findings and roadmap exports: CSV, XLSX, JSON and Markdown."""

import io
import json

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.questionnaire.models import Answer
from assessments.questionnaire.services import answers_import
from assessments.reports.exports import md_escape
from assessments.workspaces.models import Role
from tests.profiles import early_startup


@pytest.fixture
def startup(assessment, owner):
    assessment.system.name = "Checkout API"
    assessment.system.save()
    answers_import(assessment, early_startup(), owner.user)
    return assessment


def get_export(client, assessment, name):
    return client.get(reverse("assessment_export_file", args=[assessment.pk, name]))


def test_xlsx_has_one_formatted_sheet_per_table(startup, owner, login):
    client = login(owner.user)
    response = get_export(client, startup, "all.xlsx")
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="checkout-api-{day}.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Answers", "Findings", "Roadmap"]
    context = client.get(reverse("report", args=[startup.pk])).context
    questions = startup.answers.count()
    assert workbook["Answers"].max_row == questions + 1
    gaps = sum(len(area["gaps"]) for area in context["areas"])
    assert workbook["Findings"].max_row == gaps + 1
    visible = sum(len(phase["rows"]) for phase in context["phases"])
    assert workbook["Roadmap"].max_row == visible + 1
    header = workbook["Answers"][1]
    assert header[0].value == "Area"
    assert header[0].font.bold


@pytest.mark.parametrize("table", ["answers", "findings", "roadmap"])
def test_csv_round_trips_through_pandas(table, startup, owner, login):
    response = get_export(login(owner.user), startup, f"{table}.csv")
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="checkout-api-{table}-{day}.csv"'
    )
    frame = pd.read_csv(io.StringIO(response.content.decode()))
    assert len(frame) > 0
    if table == "answers":
        assert len(frame) == startup.answers.count()
        assert set(frame["Question ID"]) == set(
            startup.answers.values_list("question__key", flat=True)
        )


def test_spreadsheet_formulas_in_notes_are_neutralised(startup, owner, login):
    Answer.objects.filter(assessment=startup).update(notes='=HYPERLINK("http://x","y")')
    response = get_export(login(owner.user), startup, "answers.csv")
    frame = pd.read_csv(io.StringIO(response.content.decode()))
    assert frame["Notes"].iloc[0] == '\'=HYPERLINK("http://x","y")'


def test_json_has_every_table(startup, owner, login):
    document = json.loads(get_export(login(owner.user), startup, "all.json").content)
    assert document["format"] == "scaleready.report"
    assert len(document["answers"]) == startup.answers.count()
    assert document["roadmap"]
    assert {"Title", "Phase", "Status", "Owner"} <= set(document["roadmap"][0])


def test_markdown_roadmap_lists_every_visible_item(startup, owner, login):
    client = login(owner.user)
    rows = client.get(reverse("report", args=[startup.pk])).context["phases"][0]["rows"]
    hidden = rows[0]
    client.post(
        reverse("roadmap_item_update", args=[startup.pk, hidden.key]),
        {"status": "todo", "hidden": "on", "hidden_reason": "Handled by the platform team"},
    )
    context = client.get(reverse("report", args=[startup.pk])).context
    markdown = get_export(client, startup, "roadmap.md").content.decode()
    assert markdown.startswith("# Roadmap: Checkout API")
    for phase in context["phases"]:
        for row in phase["rows"]:
            assert md_escape(row.title) in markdown, row.title
    assert f"**{md_escape(hidden.title)}**" not in markdown


def test_exports_are_scoped_and_unknown_names_are_404(startup, owner, make_member, login):
    outsider = login(make_member(Role.OWNER).user)
    assert get_export(outsider, startup, "answers.csv").status_code == 404
    assert get_export(login(owner.user), startup, "secrets.txt").status_code == 404
