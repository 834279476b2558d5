"""The report as an editable Word document: opened with python-docx, its structure checked."""

import io
import re

import pytest
from django.urls import reverse
from docx import Document
from PIL import Image

from assessments.questionnaire.models import Answer
from assessments.reports.models import ConsultantSummary
from assessments.reports.selectors import report_context
from assessments.reports.word import DOCX_IMAGE_TYPES, report_docx
from assessments.results.models import RoadmapEntry
from assessments.results.selectors import system_results
from assessments.workspaces.models import Role
from tests.integration.reports.test_deliverable import startup  # noqa: F401 (fixture)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LINK = "https://wiki.example.com/runbooks/restore"


def headings(document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_word_report_has_heading_styles_tables_and_chart_images(startup, owner):  # noqa: F811
    ConsultantSummary.objects.create(assessment=startup, text="Start with backups.\n\nThen CI.")
    first = report_context(startup, system_results(startup))["phases"][0]["rows"][0]
    RoadmapEntry.objects.create(
        assessment=startup, key=first.key, hidden=True, hidden_reason="Covered by the host"
    )
    Answer.objects.filter(assessment=startup).update(evidence_links=[LINK])
    results = system_results(startup)
    document = Document(io.BytesIO(report_docx(startup, results)))
    context = report_context(startup, results)

    assert headings(document, 1)[:3] == [
        "Consultant summary",
        "Executive summary",
        "Scores by area",
    ]
    for title in ("Roadmap", "Accepted exceptions", "Findings by area", "Methodology", "Glossary"):
        assert title in headings(document, 1)
    level_two = headings(document, 2)
    for area in context["areas"]:
        assert any(h.startswith(area["title"]) for h in level_two), area["title"]
    for phase in context["phases"]:
        assert f"{phase['number']}. {phase['title']}" in level_two
    assert document.paragraphs[0].style.name in ("Normal", "Title")
    assert any(p.style.name == "Title" for p in document.paragraphs)

    images = [rel for rel in document.part.rels.values() if "image" in rel.reltype]
    assert len(images) == 2  # the area bars and the radar
    for rel in images:
        assert rel.target_part.content_type in DOCX_IMAGE_TYPES
        picture = Image.open(io.BytesIO(rel.target_part.blob))
        assert picture.width > 600

    header_rows = [[c.text for c in t.rows[0].cells] for t in document.tables]
    assert ["Step", "Severity", "Effort", "Impact", "Owner", "Target date"] in header_rows
    assert ["Question", "Team's answer", "Target needs", "Severity"] in header_rows
    text = all_text(document)
    assert "Start with backups." in text
    assert "Then CI." in text
    assert "Covered by the host" in text
    assert LINK in text
    for row in context["next_steps"]:
        assert row.title in text
    ids = set(results.questions) | {
        rec.id for q in results.questions.values() for rec in q.recommendations
    }
    assert not [i for i in ids if re.search(rf"(?<![\w/]){re.escape(i)}(?![\w/])", text)]


def test_word_report_downloads_for_members_only(startup, owner, login, make_member):  # noqa: F811
    url = reverse("report_word", args=[startup.pk])
    response = login(owner.user).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX_TYPE
    assert response["Content-Disposition"].endswith('.docx"')
    Document(io.BytesIO(response.content))  # opens
    viewer = make_member(Role.VIEWER, workspace=startup.system.workspace)
    assert login(viewer.user).get(url).status_code == 200
    outsider = make_member(Role.OWNER)
    assert login(outsider.user).get(url).status_code == 404


@pytest.mark.parametrize("include", [True, False])
def test_consultant_notes_are_in_the_word_file_only_when_chosen(
    include,
    startup,  # noqa: F811
    owner,
    login,
    make_member,
):
    Answer.objects.filter(assessment=startup).update(consultant_notes="Ask about the DR drill")
    startup.include_consultant_notes = include
    startup.save()
    url = reverse("report_word", args=[startup.pk])
    text = all_text(Document(io.BytesIO(login(owner.user).get(url).content)))
    assert ("Ask about the DR drill" in text) is include
    viewer = make_member(Role.VIEWER, workspace=startup.system.workspace)
    text = all_text(Document(io.BytesIO(login(viewer.user).get(url).content)))
    assert "Ask about the DR drill" not in text
