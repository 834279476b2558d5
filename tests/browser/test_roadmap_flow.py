"""The roadmap in Chromium: a refused edit says why beside its field, keeps what was typed
(the hide tick included) and leaves nothing behind for the next page."""

import pytest
from playwright.sync_api import expect

from assessments.questionnaire.services import answers_import
from assessments.results.models import RoadmapEntry
from tests.browser.test_questionnaire_flow import log_in
from tests.browser.test_signup_flow import watch_console
from tests.profiles import early_startup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_first_item_form(page, assessment, owner):
    """Log in, open the roadmap and fetch its first item's form into the row; the item's key
    and its locator (the form is not there before the click)."""
    answers_import(assessment, early_startup(), owner.user)
    log_in(page, owner.user)
    page.goto(f"/assessments/{assessment.pk}/roadmap/")
    item = page.locator("#phase-1 article.ritem").first
    key = item.get_attribute("id").removeprefix("item-")
    expect(item.get_by_label("Owner")).to_have_count(0)  # no form until asked for
    item.get_by_role("link", name="Edit status, owner, date").click()
    return key, page.locator(f'[id="item-{key}"]')  # keys hold dots


def test_hiding_without_a_reason_is_refused_in_place_and_forgotten_after(page, assessment, owner):
    problems = watch_console(page)
    key, item = open_first_item_form(page, assessment, owner)
    item.get_by_label("Owner").select_option(owner.user.email)
    item.get_by_label("Hide from the plan").check()
    item.get_by_role("button", name="Save").click()

    reason = item.locator("label", has_text="Why hide it")
    expect(reason).to_contain_text("Say why this item is hidden")
    expect(item.get_by_label("Hide from the plan")).to_be_checked()
    expect(item.get_by_label("Owner")).to_have_value(owner.user.email)
    assert not RoadmapEntry.objects.filter(assessment=assessment, key=key, hidden=True).exists()

    page.goto(f"/assessments/{assessment.pk}/results/")
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expect(page.get_by_text("Say why this item is hidden")).to_have_count(0)
    assert not problems


def test_an_item_is_edited_in_its_row_and_the_phase_counts_follow(page, assessment, owner):
    problems = watch_console(page)
    key, item = open_first_item_form(page, assessment, owner)
    item.get_by_label("Status").select_option("done")
    item.get_by_label("Owner").select_option(owner.user.email)
    item.get_by_role("button", name="Save").click()

    expect(item).to_have_class("ritem done")
    expect(item).to_contain_text(f"owner {owner.user.get_full_name() or owner.user.email}")
    expect(item.get_by_label("Owner")).to_have_count(0)
    expect(page.locator("#phase-1-counts")).to_contain_text("1 done")
    expect(page.locator("#timeline")).to_contain_text("1 done")
    assert RoadmapEntry.objects.get(assessment=assessment, key=key).status == "done"
    assert not problems
