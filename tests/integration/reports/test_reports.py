"""The report page, its PDF (through the real worker), downloads and injection safety."""

import re
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader
from weasyprint import HTML

from assessments.questionnaire.models import Answer
from assessments.questionnaire.services import answers_import
from assessments.reports.models import ReportFile
from assessments.reports.pdf import REPORT_BASE_URL, SafeFetcher, report_html
from assessments.reports.selectors import report_context, state_fingerprint
from assessments.reports.services import report_render
from assessments.results.selectors import system_results
from assessments.workspaces.models import Role
from tests.factories import AssessmentFactory
from tests.profiles import PROFILES, TARGET_USERS

HTMX = {"HTTP_HX_REQUEST": "true"}
PDFTOPPM = "/usr/bin/pdftoppm"
SECTION_TITLES = (
    "Scalability readiness report",
    "Contents",
    "Executive summary",
    "Top risks",
    "Next steps",
    "Capacity headroom",
    "Scores by area",
    "Claims vs evidence",
    "Roadmap",
    "Methodology",
    "Glossary",
)
PAGES = range(8, 121)  # a mature platform with few gaps fits in about a dozen pages
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=file:///etc/passwd>"
CSS_URL = "<style>body { background: url(http://127.0.0.1:9/x) }</style>"


def profile_assessment(owner, bank_version, profile: str, **system):
    assessment = AssessmentFactory(
        system__workspace=owner.workspace,
        system__target_users=TARGET_USERS[profile],
        bank_version=bank_version,
        band="1m" if profile == "mature_platform" else "100k",
        **{f"system__{k}": v for k, v in system.items()},
    )
    answers_import(assessment, PROFILES[profile](), owner.user)
    return assessment


def squash(text: str) -> str:
    return " ".join(text.split())


def assert_is_the_report(pdf: bytes, assessment, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    reader = PdfReader(path)
    assert len(reader.pages) in PAGES
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    context = report_context(assessment, system_results(assessment))
    for title in SECTION_TITLES:
        assert title in text, title
    for area in context["areas"]:
        assert squash(area["title"]) in text
    assert context["score"].verdict_label in text
    for row in context["next_steps"][:3]:
        assert squash(row.title) in text, row.title
    # The table of contents carries page numbers from target-counter().
    contents = squash(reader.pages[1].extract_text())
    assert re.search(r"Executive summary \.+ \d+", contents), contents[:300]


def assert_first_page_not_blank(pdf_path: Path, tmp_path: Path) -> None:
    subprocess.run(
        [PDFTOPPM, "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    (png,) = tmp_path.glob("p*.png")
    image = Image.open(png).convert("L")
    dark = sum(image.histogram()[:200])  # pixels darker than light grey
    assert dark > 500, f"page 1 looks blank ({dark} dark pixels)"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_pdf_is_rendered_by_the_worker_and_downloaded(
    celery_worker, owner, bank_version, login, make_member, tmp_path
):
    assessment = profile_assessment(owner, bank_version, "early_startup", name="Checkout API")
    client = login(owner.user)
    started = client.post(reverse("report_generate", args=[assessment.pk]), **HTMX)
    assert started.status_code == 200
    assert 'hx-trigger="every 1s"' in started.content.decode()
    report = wait_for_report(assessment.reports.get(), timeout=120)
    assert report.status == ReportFile.Status.READY, report.error
    assert report.state_fingerprint == state_fingerprint(assessment)

    status = client.get(reverse("report_status", args=[report.pk]), **HTMX).content.decode()
    assert "Download PDF" in status
    assert "every 1s" not in status

    response = client.get(reverse("report_download", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    day = report.created_at.date().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="checkout-api-{day}.pdf"'
    pdf = b"".join(response.streaming_content)
    assert_is_the_report(pdf, assessment, tmp_path)
    assert_first_page_not_blank(tmp_path / "report.pdf", tmp_path)

    outsider = login(make_member(Role.OWNER).user)
    assert outsider.get(reverse("report_download", args=[report.pk])).status_code == 404
    assert outsider.get(reverse("report_status", args=[report.pk])).status_code == 404


@pytest.mark.parametrize("profile", ["growing_product", "mature_platform"])
def test_pdf_of_each_worked_example_has_every_section(profile, owner, bank_version, tmp_path):
    assessment = profile_assessment(owner, bank_version, profile)
    report = ReportFile.objects.create(assessment=assessment, state_fingerprint="")
    report_render(report.pk)
    report.refresh_from_db()
    assert report.status == ReportFile.Status.READY, report.error
    with report.file.open("rb") as pdf:
        assert_is_the_report(pdf.read(), assessment, tmp_path)


def test_report_page_shows_every_section_and_hides_hidden_roadmap_items(assessment, owner, login):
    from tests.profiles import early_startup

    answers_import(assessment, early_startup(), owner.user)
    owner.user.first_name, owner.user.last_name = "Priya", "Natarajan"
    owner.user.save()
    client = login(owner.user)
    first = client.get(reverse("report", args=[assessment.pk])).context
    hidden = first["phases"][0]["rows"][0]
    client.post(
        reverse("roadmap_item_update", args=[assessment.pk, hidden.key]),
        {"status": "todo", "owner": "", "hidden": "on", "hidden_reason": "Done elsewhere"},
    )
    owned = first["phases"][0]["rows"][1]
    client.post(
        reverse("roadmap_item_update", args=[assessment.pk, owned.key]),
        {"status": "doing", "owner": owner.user.email, "hidden_reason": ""},
    )
    response = client.get(reverse("report", args=[assessment.pk]))
    page = response.content.decode()
    for title in SECTION_TITLES:
        assert title in page
    rows = [row.key for phase in response.context["phases"] for row in phase["rows"]]
    assert hidden.key not in rows
    assert owned.key in rows
    assert "Priya Natarajan" in page
    assert "Generate PDF" in page


def test_viewer_reads_the_report_but_cannot_generate_a_pdf(assessment, make_member, login):
    viewer = make_member(Role.VIEWER, workspace=assessment.system.workspace)
    client = login(viewer.user)
    page = client.get(reverse("report", args=[assessment.pk])).content.decode()
    assert "Executive summary" in page
    assert "Generate PDF" not in page
    assert client.post(reverse("report_generate", args=[assessment.pk])).status_code == 403
    assert not assessment.reports.exists()


def test_pdf_is_marked_stale_when_answers_change(assessment, owner, login):
    from tests.profiles import early_startup, growing_product

    answers_import(assessment, early_startup(), owner.user)
    ReportFile.objects.create(
        assessment=assessment,
        status=ReportFile.Status.READY,
        file="workspaces/x/r.pdf",
        state_fingerprint=state_fingerprint(assessment),
    )
    client = login(owner.user)
    fresh = client.get(reverse("report", args=[assessment.pk])).content.decode()
    assert "out of date" not in fresh
    answers_import(assessment, growing_product(), owner.user)
    stale = client.get(reverse("report", args=[assessment.pk])).content.decode()
    assert "out of date" in stale
    assert "Regenerate PDF" in stale


def test_generating_twice_while_rendering_queues_one_pdf(assessment, owner, login):
    client = login(owner.user)
    client.post(reverse("report_generate", args=[assessment.pk]))
    client.post(reverse("report_generate", args=[assessment.pk]))
    assert assessment.reports.count() == 1


def test_user_text_is_escaped_in_the_report_and_never_fetched_by_the_pdf(
    owner, bank_version, login
):
    assessment = profile_assessment(owner, bank_version, "early_startup", name=SCRIPT + IMG)
    Answer.objects.filter(assessment=assessment).update(notes=f"{SCRIPT} {IMG} {CSS_URL}")
    page = login(owner.user).get(reverse("report", args=[assessment.pk])).content.decode()
    for payload in (SCRIPT, IMG, CSS_URL):
        assert payload not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=file:///etc/passwd&gt;" in page

    html = report_html(assessment, system_results(assessment))
    assert SCRIPT not in html
    assert IMG not in html
    fetcher = SafeFetcher(assessment.system.workspace_id)
    HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher).write_pdf()
    assert fetcher.requested, "the stylesheet is fetched through the safe fetcher"
    for url in fetcher.requested:
        assert url.startswith((f"{REPORT_BASE_URL}static/", "data:")), url


def test_a_failed_render_is_recorded_on_the_report(assessment, monkeypatch):
    def broken(html, workspace_id, page_size):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("assessments.reports.services.pdf_from_html", broken)
    report = ReportFile.objects.create(assessment=assessment, state_fingerprint="")
    with pytest.raises(RuntimeError):
        report_render(report.pk)
    report.refresh_from_db()
    assert report.status == ReportFile.Status.FAILED
    assert report.error == "RuntimeError: no fonts"
    assert report.finished_at is not None
    report_render(report.pk)  # a redelivered task finds nothing queued and does nothing


def test_report_page_queries_do_not_grow_with_roadmap_edits(
    assessment, owner, login, django_assert_max_num_queries
):
    from assessments.results.models import RoadmapEntry
    from tests.profiles import early_startup

    answers_import(assessment, early_startup(), owner.user)
    client = login(owner.user)
    client.get(reverse("report", args=[assessment.pk]))
    with django_assert_max_num_queries(16) as few:
        client.get(reverse("report", args=[assessment.pk]))
    for n in range(30):
        RoadmapEntry.objects.create(
            assessment=assessment, key=f"custom-{n}", is_custom=True, title="x"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("report", args=[assessment.pk]))


def test_pdf_is_marked_stale_when_a_newer_probe_run_succeeds(assessment, owner, login):
    from django.utils import timezone

    from checks.models import ProbeRun

    ReportFile.objects.create(
        assessment=assessment,
        status=ReportFile.Status.READY,
        file="workspaces/x/r.pdf",
        state_fingerprint=state_fingerprint(assessment),
    )
    client = login(owner.user)
    assert "out of date" not in client.get(reverse("report", args=[assessment.pk])).content.decode()
    ProbeRun.objects.create(
        system=assessment.system,
        status=ProbeRun.Status.FAILED,
        target_urls=["https://example.test/"],
        finished_at=timezone.now(),
    )
    unchanged = client.get(reverse("report", args=[assessment.pk])).content.decode()
    assert "out of date" not in unchanged, "a failed run brings no new evidence"
    ProbeRun.objects.create(
        system=assessment.system,
        status=ProbeRun.Status.SUCCEEDED,
        target_urls=["https://example.test/"],
        finished_at=timezone.now(),
    )
    assert "out of date" in client.get(reverse("report", args=[assessment.pk])).content.decode()


def wait_for_report(report: ReportFile, timeout: float) -> ReportFile:
    """Poll the row until the rendering ended (tasks are sent without a stored result)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if not report.is_active:
            return report
        time.sleep(0.1)
    pytest.fail(f"report {report.pk} still {report.status} after {timeout} s")


def test_a_rendering_whose_worker_went_silent_is_failed_when_polled(
    assessment, owner, login, settings
):
    import time_machine
    from django.utils import timezone

    now = timezone.now()
    report = ReportFile.objects.create(
        assessment=assessment,
        status=ReportFile.Status.RENDERING,
        state_fingerprint="",
        started_at=now,
        heartbeat_at=now,
    )
    client = login(owner.user)
    url = reverse("report_status", args=[report.pk])
    assert "every 1s" in client.get(url, **HTMX).content.decode()
    report.refresh_from_db()
    assert report.status == ReportFile.Status.RENDERING

    silence = timedelta(seconds=settings.SCALEREADY_REPORT_HEARTBEAT_TIMEOUT_SECONDS + 1)
    with time_machine.travel(now + silence):
        fragment = client.get(url, **HTMX).content.decode()
    report.refresh_from_db()
    assert report.status == ReportFile.Status.FAILED
    assert "The worker stopped while making this PDF" in report.error
    assert "every 1s" not in fragment
    assert "The worker stopped while making this PDF" in fragment


def test_the_reports_sweep_is_scheduled_and_leaves_fresh_and_finished_reports(assessment, settings):
    from django.utils import timezone

    from assessments.reports.services import REPORTS_SWEEP_TASK, reports_sweep

    schedule = settings.CELERY_BEAT_SCHEDULE["reports-sweep"]
    assert schedule["task"] == REPORTS_SWEEP_TASK
    fresh = ReportFile.objects.create(assessment=assessment, state_fingerprint="")
    ready = ReportFile.objects.create(
        assessment=assessment, status=ReportFile.Status.READY, state_fingerprint=""
    )
    queue_timeout = timedelta(seconds=settings.SCALEREADY_REPORT_QUEUE_TIMEOUT_SECONDS)
    later = timezone.now() + queue_timeout / 2
    assert reports_sweep(now=later) == 0
    much_later = timezone.now() + queue_timeout * 2
    assert reports_sweep(now=much_later) == 1
    fresh.refresh_from_db()
    ready.refresh_from_db()
    assert fresh.status == ReportFile.Status.FAILED
    assert "No worker picked this PDF up" in fresh.error
    assert ready.status == ReportFile.Status.READY
