"""The results page in Chromium: a finding's review form comes into its row on demand; a
refused review says why beside its field and keeps what was typed; a saved one puts the row
back, with the override shown."""

import pytest
from playwright.sync_api import expect

from assessments.questionnaire.services import answers_import
from assessments.results.models import FindingReview
from assessments.results.selectors import system_results
from tests.browser.test_questionnaire_flow import log_in
from tests.browser.test_signup_flow import watch_console
from tests.profiles import early_startup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_finding_is_reviewed_in_its_row(page, assessment, owner):
    answers_import(assessment, early_startup(), owner.user)
    gap = next(g for g in system_results(assessment).score.gaps if g.severity == "low")
    row_id = "q-" + gap.question_id.replace(".", "--")
    problems = watch_console(page)
    log_in(page, owner.user)
    page.goto(f"/assessments/{assessment.pk}/results/")
    row = page.locator(f"#{row_id}")
    row.locator("xpath=ancestor::details").evaluate("details => details.open = true")
    expect(page.get_by_role("button", name="Save review")).to_have_count(0)
    row.get_by_role("link", name="Review").click()

    row.get_by_label("Severity").select_option("high")
    row.get_by_role("button", name="Save review").click()
    expect(row.locator(".errorlist")).to_contain_text("Say why the severity is overridden")
    expect(row.get_by_label("Severity")).to_have_value("high")
    assert not FindingReview.objects.exists()

    row.get_by_label("Reason for the override").fill("Payments stop when this fails")
    row.get_by_role("button", name="Save review").click()
    expect(row).to_contain_text("Finding review saved.")
    expect(row).to_contain_text("severity overridden: low → high")
    expect(row.get_by_role("button", name="Save review")).to_have_count(0)
    assert FindingReview.objects.get(question_key=gap.question_id).severity == "high"
    assert not problems
