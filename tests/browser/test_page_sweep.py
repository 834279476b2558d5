"""Every page of the URL sweep, in real Chromium at desktop and phone widths: nothing scrolls
sideways, the console stays clean (no CSP violation, no script error, no failed asset), and
axe-core finds no serious or critical accessibility violation.

The pages are found the way the access sweep finds them (every URL pattern, filled with the
objects of one workspace), so a new page is covered without anyone listing it. One browser
and one page per width keep it quick.
"""

import re
from pathlib import Path

import pytest
from django.urls import get_resolver
from django.utils import timezone

from assessments.questionnaire.services import answers_import
from assessments.reports.models import ShareLink
from assessments.results.models import RoadmapEntry
from assessments.watch.models import DriftAlert, DriftEvent, SystemWatch
from assessments.workspaces.models import Role
from checks.models import ProbeResult, ProbeRun
from tests.browser.test_questionnaire_flow import log_in
from tests.browser.test_signup_flow import watch_console
from tests.factories import (
    AssessmentFactory,
    ClientFactory,
    InvitationFactory,
    MembershipFactory,
    TargetFactory,
)
from tests.integration.workspaces.test_access import walk
from tests.profiles import early_startup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
AXE_RUN = """() => axe.run(document, {resultTypes: ['violations']}).then(result =>
  result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.help + ' at '
      + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')))"""
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# What sticks out, to say where in the failure message.
STICKING_OUT = """() => { const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('main *')]
    .filter(el => el.getBoundingClientRect().right > width + 1).slice(-3)
    .map(el => el.tagName.toLowerCase() + '.' + el.className);
}"""
WIDTHS = (1280, 390)
# Routes that are not pages: downloads, actions, endpoints for machines.
NOT_PAGES = re.compile(r"(\.csv|\.xlsx|\.json|\.md|\.pdf|download|/metrics|healthz|readyz|admin/)")
PUBLIC_PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/nope/"]
# Pages whose markup is not ours: django-ninja's Swagger UI for the API. They must still fit
# the screen and keep the console clean; its accessibility is its upstream's to fix.
NOT_OUR_MARKUP = re.compile(r"^/api/v1/docs")


@pytest.fixture
def workspace_objects(owner, bank_version, make_member):
    workspace = owner.workspace
    client = ClientFactory(workspace=workspace, name="Acme")
    assessment = AssessmentFactory(
        system__workspace=workspace,
        system__client=client,
        system__target_users=100_000,
        bank_version=bank_version,
        title="Spring audit",
    )
    answers_import(assessment, early_startup(), owner.user)
    later = AssessmentFactory(system=assessment.system, bank_version=bank_version, title="Autumn")
    answers_import(later, early_startup(), owner.user)
    question = bank_version.questions.first()
    watched_system(assessment.system)
    RoadmapEntry.objects.create(assessment=assessment, key="custom-1", is_custom=True, title="x")
    return {
        "key": "custom-1",
        "assessment_id": assessment.pk,
        "other_id": later.pk,
        "area": question.area,
        "question_key": question.key,
        "workspace_id": workspace.pk,
        "system_id": assessment.system.pk,
        "client_id": client.pk,
        "membership_id": MembershipFactory(workspace=workspace, role=Role.CONSULTANT).pk,
        "invitation_id": InvitationFactory(workspace=workspace, created_by=owner.user).pk,
        "run_id": ProbeRun.objects.create(system=assessment.system).pk,
        "target_id": TargetFactory(system=assessment.system).pk,
        "share_id": ShareLink.objects.create(assessment=assessment).pk,
    }


def watched_system(system) -> None:
    """The drift watch panel at its fullest: a webhook, a history chart, an alert whose
    summary carries a long URL (it must wrap on a phone)."""
    url = "https://a-rather-long-host-name.example.com/with/a/long/path/"
    SystemWatch.objects.create(
        system=system, period="daily", webhook_url=url + "hooks", webhook_secret="whsec_x" * 8
    )
    runs = []
    for score, ms in ((100, 120.0), (50, 480.0)):
        run = ProbeRun.objects.create(system=system, status="succeeded", finished_at=timezone.now())
        ProbeResult.objects.create(
            run=run,
            target_url=url,
            check_id="latency_percentiles",
            category="performance",
            status="pass",
            score=score,
            message="",
            evidence={"judged_ms": ms},
        )
        runs.append(run)
    alert = DriftAlert.objects.create(
        system=system,
        run=runs[1],
        previous_run=runs[0],
        webhook_state="failed",
        webhook_error="the receiver answered HTTP 500",
    )
    DriftEvent.objects.create(
        alert=alert,
        kind="latency",
        target_url=url,
        summary=f"Latency of {url} grew from 120 ms to 480 ms.",
    )


def page_urls(objects: dict, django_client) -> list[str]:
    """Every GET route that, filled with this workspace's objects, answers an HTML page."""
    urls = []
    for route, entry in walk(get_resolver().url_patterns, skip=None):
        params = set(entry.pattern.converters)
        if NOT_PAGES.search(route) or not params <= set(objects):
            continue
        path = route
        for name in params:
            path = re.sub(rf"<(\w+:)?{name}>", str(objects[name]), path)
        url = "/" + path
        response = django_client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            urls.append(url)
    return urls


def problems_on(page, url: str, console: list[str], axe: bool) -> list[str]:
    console.clear()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found = [
        f"console: {text}" for text in console if "status of 404" not in text or url != "/nope/"
    ]
    overflow = page.evaluate(OVERFLOW)
    if overflow > 0:
        found.append(f"scrolls sideways by {overflow}px ({page.evaluate(STICKING_OUT)})")
    if axe and not NOT_OUR_MARKUP.match(url):
        page.evaluate(AXE)
        found += [f"axe: {violation}" for violation in page.evaluate(AXE_RUN)]
    return [f"{url} @ {page.viewport_size['width']}px: {problem}" for problem in found]


def test_every_page_fits_a_phone_and_a_desktop_with_a_clean_console_and_no_serious_axe_violation(
    browser, live_server, owner, workspace_objects, login
):
    urls = page_urls(workspace_objects, login(owner.user))
    assert len(urls) >= 25, urls  # the sweep found the pages, not an empty list
    found = []
    for width in WIDTHS:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        console = watch_console(page)
        for url in PUBLIC_PAGES:
            found += problems_on(page, url, console, axe=width == WIDTHS[0])
        log_in(page, owner.user)
        for url in urls:
            found += problems_on(page, url, console, axe=width == WIDTHS[0])
        context.close()
    assert not found, "\n".join(found)
