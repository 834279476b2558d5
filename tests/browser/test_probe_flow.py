import pytest
from playwright.sync_api import expect

from checks.engine.catalog import CATEGORIES
from checks.models import ProbeRun
from tests.browser.test_questionnaire_flow import log_in
from tests.browser.test_signup_flow import watch_console
from tests.factories import SystemFactory, TargetFactory
from tests.probe_servers import hardened_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]


def test_start_a_run_and_watch_its_progress_reach_the_results(
    page, owner, celery_worker, probe_settings, local_ca
):
    problems = watch_console(page)
    system = SystemFactory(workspace=owner.workspace, name="Storefront")
    # Slow enough that the page shows the run going before it ends.
    with hardened_server(local_ca, response_delay=0.1) as server:
        TargetFactory(system=system, url=server.url)
        log_in(page, owner.user)
        page.goto(system.get_absolute_url())
        probes = page.locator("#probes")
        expect(probes.get_by_text("Not verified")).to_be_visible()
        probes.get_by_role("button", name="Run probes").click()

        expect(page.get_by_text("Probe run requested")).to_be_visible()
        status = page.locator("#run-status")
        expect(status.get_by_text("gatherers done").first).to_be_visible()
        expect(status.locator(".badge-run-succeeded")).to_be_visible(timeout=30_000)

    run = ProbeRun.objects.get()
    assert run.status == ProbeRun.Status.SUCCEEDED
    expect(status).not_to_have_attribute("hx-trigger", "every 1s")
    expect(page.get_by_role("heading", name=CATEGORIES["transport"])).to_be_visible()
    hsts = page.get_by_role("row", name="Strict-Transport-Security is strong")
    expect(hsts.locator(".badge-pass")).to_be_visible()
    hsts.get_by_text("Evidence and how to fix").click()
    expect(hsts.get_by_text("max-age=31536000", exact=False).first).to_be_visible()

    # On a phone each check is a block: its finding spans the width, nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    finding = hsts.locator("td").nth(3).bounding_box()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert finding["x"] + finding["width"] <= 390
    assert finding["width"] > 250  # the whole row's width, not a squeezed fourth column
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Back to the system").click()
    expect(page.locator("#probes .badge-run-succeeded")).to_be_visible()
    assert problems == []
