"""The PDF's layout, checked on the rendered pages: nothing in the right or bottom margin,
a table of contents whose page numbers are right, and text with no ids and no Python reprs.

The report is a full assessment (the early-startup profile) with probe evidence on every
check the bank knows, a hidden roadmap step, evidence links and a consultant summary: the
longest content a real report has in each place.
"""

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from assessments.questionnaire.models import Answer
from assessments.questionnaire.services import answers_import
from assessments.reports.models import ConsultantSummary
from assessments.reports.pdf import pdf_from_html, report_html
from assessments.results.domain.scoring import EvidenceResult
from assessments.results.models import RoadmapEntry
from assessments.results.selectors import assessment_results
from checks.engine.ids import CHECK_TITLES
from tests.factories import AssessmentFactory
from tests.profiles import PROFILES, TARGET_USERS

PDFTOPPM = "/usr/bin/pdftoppm"
DPI = 50
MM = DPI / 25.4  # pixels per millimetre
RIGHT_MARGIN_MM = 18
BOTTOM_MARGIN_MM = 20
FOOTER_BAND_MM = (7, 13)  # the running footer sits in the bottom margin, about 10 mm up
INK = 235  # a pixel darker than this is drawn (anti-aliased text edges included)
STATUSES = ("fail", "warn", "pass", "error")
REPR = re.compile(
    r"\{'|\['|\bNone\b|\bTrue\b|\bFalse\b|object at 0x|\b[A-Z]\w+\(\w+=|\\n|&lt;|&amp;"
)
TOC_LINE = re.compile(r"^(?P<title>\S.*?)\s*\.{3,}\s*(?P<page>\d+)$")


def readable_evidence(questions) -> list[EvidenceResult]:
    check_ids = sorted({check for question in questions.values() for check in question.checks})
    return [
        EvidenceResult(
            check_id=check_id,
            status=STATUSES[index % len(STATUSES)],
            score=(index * 37) % 100,
            message=f"{CHECK_TITLES.get(check_id, 'The check')}: seen on this address.",
            evidence={
                "strict-transport-security": "max-age=31536000; includeSubDomains",
                "p95_ms": 180 + index,
                "protocols": ["TLSv1.2", "TLSv1.3"],
                "cookies": [{"name": "sessionid", "secure": index % 2 == 0}],
                "missing": None,
                "server": "nginx",
            },
            target_url=target,
        )
        for index, check_id in enumerate(check_ids)
        for target in (
            "https://app.example.com/",
            "https://api.example.com/v1/health/with/a/rather/long/path/that/must/wrap/anyway",
        )
    ]


@pytest.fixture
def full_report(owner, bank_version, tmp_path):
    assessment = AssessmentFactory(
        system__workspace=owner.workspace,
        system__name="Checkout API",
        system__target_users=TARGET_USERS["early_startup"],
        bank_version=bank_version,
    )
    answers_import(assessment, PROFILES["early_startup"](), owner.user)
    links = [
        f"https://wiki.example.com/platform/runbooks/{n}-restoring-the-database" for n in (1, 2)
    ]
    every_fourth = list(assessment.answers.order_by("pk").values_list("pk", flat=True))[::4]
    Answer.objects.filter(pk__in=every_fourth).update(
        evidence_links=links, notes="Checked with Marek (platform team) on the last incident."
    )
    results = assessment_results(assessment)
    step = results.roadmap.items[0]
    RoadmapEntry.objects.create(
        assessment=assessment,
        key=step.recommendation_id,
        hidden=True,
        hidden_reason="The hosting contract covers it",
        updated_by=owner.user,
    )
    ConsultantSummary.objects.create(
        assessment=assessment, text="A capable team.\n\nStart with backups.", updated_by=owner.user
    )
    results = assessment_results(assessment, readable_evidence(results.questions))
    html = report_html(assessment, results)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_from_html(html, owner.workspace.pk))
    return {"assessment": assessment, "results": results, "html": html, "path": path}


def page_images(path: Path, out: Path) -> list[Image.Image]:
    subprocess.run(
        [PDFTOPPM, "-gray", "-r", str(DPI), str(path), str(out / "page")], check=True, timeout=120
    )
    return [Image.open(png) for png in sorted(out.glob("page-*.pgm"))]


def ink_in(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(image.crop(box).histogram()[:INK])


def test_nothing_is_drawn_in_the_right_or_bottom_margin(full_report, tmp_path):
    pages = page_images(full_report["path"], tmp_path)
    assert 20 <= len(pages) <= 40  # about 20-30 pages plus the appendix
    problems = []
    for number, image in enumerate(pages, start=1):
        width, height = image.size
        right = (width - round((RIGHT_MARGIN_MM - 1) * MM), 0, width, height)
        below_text = (
            0,
            height - round((BOTTOM_MARGIN_MM - 1) * MM),
            width,
            height - round(FOOTER_BAND_MM[1] * MM),
        )
        below_footer = (0, height - round(FOOTER_BAND_MM[0] * MM), width, height)
        for name, box in (("right", right), ("bottom", below_text), ("foot", below_footer)):
            if ink := ink_in(image, box):
                problems.append(f"page {number}: {ink} pixels in the {name} margin")
    assert not problems, problems


def test_the_margin_check_sees_ink_where_it_is(tmp_path):
    """The check above can fail: a table wider than the page is caught."""
    html = (
        "<style>@page { size: A4; margin: 22mm 18mm 20mm; }</style>"
        "<table style='width: 188mm'><tr><td>wide</td><td style='text-align:right'>"
        "right edge text</td></tr></table>"
    )
    path = tmp_path / "wide.pdf"
    path.write_bytes(pdf_from_html(html, None))
    (image,) = page_images(path, tmp_path)
    width, height = image.size
    assert ink_in(image, (width - round((RIGHT_MARGIN_MM - 1) * MM), 0, width, height)) > 0


def squash(text: str) -> str:
    return " ".join(text.split())


def test_contents_list_every_section_with_its_page(full_report):
    reader = PdfReader(full_report["path"])
    texts = [squash(page.extract_text()) for page in reader.pages]
    lines = reader.pages[1].extract_text().splitlines()
    assert lines[0].strip() == "Contents"
    entries = [m.groupdict() for line in lines[1:] if (m := TOC_LINE.match(line.strip()))]
    html = full_report["html"]
    headings = re.findall(
        r'<section id="[^"]+" class="(?:chapter|area)[^"]*">\s*<h[23]>([^<]+?)\s*(?:<|$)', html
    )
    titles = [squash(entry["title"]) for entry in entries]
    assert titles == [squash(h.replace("&amp;", "&")) for h in headings]
    for expected in ("Consultant summary", "Accepted exceptions", "Appendix: probe evidence"):
        assert expected in titles
    pages = {squash(entry["title"]): int(entry["page"]) for entry in entries}
    after_summary = titles[titles.index("Executive summary") + 1]
    assert pages[after_summary] == pages["Executive summary"] + 1  # the summary is one page
    assert pages["Roadmap by phase"] == pages["Roadmap"] + 1  # the timeline is one page
    previous = 0
    for entry in entries:
        page = int(entry["page"])
        assert page >= previous, entry  # in reading order
        previous = page
        assert squash(entry["title"]) in texts[page - 1], (entry, texts[page - 1][:200])


def test_text_has_no_raw_ids_and_no_python_reprs(full_report):
    reader = PdfReader(full_report["path"])
    text = " ".join(page.extract_text() for page in reader.pages)
    results = full_report["results"]
    ids = set(results.questions)
    ids |= {rec.id for q in results.questions.values() for rec in q.recommendations}
    ids |= {check_id for check_id in CHECK_TITLES if "_" in check_id}
    found = sorted(i for i in ids if re.search(rf"(?<![\w/]){re.escape(i)}(?![\w/])", text))
    assert not found, found
    assert not REPR.findall(text), REPR.findall(text)[:10]
    for words in ("Start with backups.", "The hosting contract covers it", "Marek (platform"):
        assert words in squash(text)


def test_titles_and_table_headers_are_never_broken_inside_a_word(full_report):
    """A word split across lines reads "Impac t" in the extracted text; whole words don't.
    A line may end after a hyphen the word already has ("non-" / "production")."""
    reader = PdfReader(full_report["path"])
    text = squash(" ".join(page.extract_text() for page in reader.pages)).replace("- ", "-")
    headers = re.findall(r'<th scope="col">([^<]+)</th>', full_report["html"])
    assert "Impact" in headers
    assert "Target date" in headers
    for header in set(headers):
        assert squash(header.replace("&#x27;", "'")) in text, header
    steps = re.findall(r"<tr><td><strong>([^<]+)</strong>", full_report["html"])
    assert len(steps) > 50
    broken = [s for s in steps if squash(s.replace("&#x27;", "'")).replace("- ", "-") not in text]
    assert not broken, broken[:5]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_executive_summary_fits_on_one_page_for_every_profile(
    profile, owner, bank_version, tmp_path
):
    """A summary that spills two lines onto a page of their own is what a client notices
    first; every worked profile's summary ends on its own page."""
    assessment = AssessmentFactory(
        system__workspace=owner.workspace,
        system__target_users=TARGET_USERS[profile],
        bank_version=bank_version,
    )
    answers_import(assessment, PROFILES[profile](), owner.user)
    path = tmp_path / "report.pdf"
    html = report_html(assessment, assessment_results(assessment))
    path.write_bytes(pdf_from_html(html, owner.workspace.pk))
    texts = [squash(page.extract_text()) for page in PdfReader(path).pages]
    summary = next(n for n, text in enumerate(texts) if "Top risks" in text)
    assert "Executive summary" in texts[summary]
    assert "Capacity headroom" in texts[summary]
    assert "Scores by area" in texts[summary + 1], texts[summary + 1][:200]
