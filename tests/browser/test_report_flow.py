"""The PDF report from a user's seat: make it, watch the page follow the worker, download it."""

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from assessments.questionnaire.services import answers_import
from assessments.reports.models import ReportFile
from tests.browser.test_questionnaire_flow import log_in
from tests.browser.test_signup_flow import watch_console
from tests.profiles import growing_product

pytestmark = [
    pytest.mark.browser,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def test_make_a_pdf_watch_it_render_and_download_it(
    page, assessment, owner, celery_worker, tmp_path
):
    answers_import(assessment, growing_product(), owner.user)
    problems = watch_console(page)
    log_in(page, owner.user)
    page.goto(f"/assessments/{assessment.pk}/report/")
    status = page.locator("#pdf-status")
    expect(status.get_by_text("No PDF yet.")).to_be_visible()

    status.get_by_role("button", name="Generate PDF").click()
    # The fragment polls until the worker is done, then offers the file: no reload needed.
    download_link = status.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    expect(status).not_to_have_attribute("hx-trigger", "every 1s")
    assert ReportFile.objects.get().status == ReportFile.Status.READY

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert assessment.system.name in text
    assert "Executive summary" in text
    page.screenshot(path=tmp_path / "report.png", full_page=False)
    assert problems == []
