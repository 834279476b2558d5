"""The results, roadmap and area pages are kept rendered under a digest of what they are built
from (config/fragments.py). Each test changes one input the way people change it and checks that
the page served is, byte for byte, the page a fresh render gives: a kept page is never stale.
"""

import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.api.models import BacklogExport
from assessments.questionnaire.models import Answer
from assessments.questionnaire.services import (
    answer_consultant_notes_save,
    assessment_submit,
    assignment_set,
)
from assessments.workspaces.models import Role
from checks.models import ProbeResult, ProbeRun
from tests.factories import MembershipFactory
from tests.integration.questionnaire.test_custom_questions import VALID as CUSTOM_QUESTION

HTMX = {"HTTP_HX_REQUEST": "true"}
TOKENS = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')
PAGES = ("results", "roadmap")
BACKUPS = "database.backups_and_restores"


def shown(client, name, assessment) -> str:
    """The page as served, with the per-request CSRF tokens left out."""
    response = client.get(reverse(name, args=[assessment.pk]))
    assert response.status_code == 200
    return TOKENS.sub(r"\1", response.content.decode())


def fresh(client, name, assessment, settings) -> str:
    settings.SCALEREADY_FRAGMENT_CACHE = False
    try:
        return shown(client, name, assessment)
    finally:
        settings.SCALEREADY_FRAGMENT_CACHE = True


def served_matches_fresh(client, assessment, settings) -> dict[str, str]:
    pages = {}
    for name in PAGES:
        shown(client, name, assessment)  # shows (and so ends) a message the change left
        pages[name] = shown(client, name, assessment)
        assert pages[name] == fresh(client, name, assessment, settings), name
    return pages


def test_a_second_look_is_served_from_the_cache_without_scoring(startup, owner, login):
    client = login(owner.user)
    for name in PAGES:
        shown(client, name, startup)  # the roadmap's first look sets its review baseline
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as rendering:
            first = shown(client, name, startup)
        with CaptureQueriesContext(connection) as kept:
            again = shown(client, name, startup)
        assert again == first
        # The bank's questions are read to score; a kept page is served without scoring.
        scoring = '"bank_question"."bank_version_id" = '
        assert any(scoring in query["sql"] for query in rendering)
        assert not any(scoring in query["sql"] for query in kept)
        assert len(kept) < len(rendering)


def change_answer(client, assessment, owner):
    answer = Answer.objects.get(assessment=assessment, question__key=BACKUPS)
    url = reverse("answer", args=[assessment.pk, BACKUPS])
    data = {"choice": "4", "base_version": answer.version, "notes": ""}
    assert client.post(url, data, **HTMX).status_code == 200


def review_finding(client, assessment, owner, severity="low"):
    url = reverse("finding_review", args=[assessment.pk, BACKUPS])
    reason = f"Judged {severity}: nightly dumps are restored by hand each month."
    data = {"severity": severity, "reason": reason, "consultant_notes": "Seen the runbook."}
    assert client.post(url, data).status_code == 302


def review_again(client, assessment, owner):
    review_finding(client, assessment, owner, severity="high")


def mark_first_step_done(client, assessment, owner):
    key = client.get(reverse("roadmap", args=[assessment.pk])).content.decode()
    first = re.search(r'id="item-([a-z0-9_.-]+)"', key).group(1)
    url = reverse("roadmap_item_update", args=[assessment.pk, first])
    data = {"status": "done", "owner": owner.user.email, "target_date": ""}
    assert client.post(url, data).status_code == 302


def add_custom_question(client, assessment, owner):
    url = reverse("custom_question_list", args=[owner.workspace.pk])
    assert client.post(url, CUSTOM_QUESTION).status_code == 302


def raise_the_target(client, assessment, owner):
    system = assessment.system
    system.requests_per_user_per_minute = 30
    system.save()


def probe_the_system(client, assessment, owner):
    run = ProbeRun.objects.create(
        system=assessment.system,
        status="succeeded",
        target_urls=["https://app.example/"],
        finished_at=timezone.now(),
    )
    for check_id in ("hsts", "csp"):
        ProbeResult.objects.create(
            run=run,
            target_url="https://app.example/",
            check_id=check_id,
            category="headers",
            status="fail",
            score=0,
            message="Missing.",
        )


def export_an_item(client, assessment, owner):
    """A tracker export through the API: the roadmap tags the item "exported"."""
    page = client.get(reverse("roadmap", args=[assessment.pk])).content.decode()
    key = re.search(r'id="item-([a-z0-9_.-]+)"', page).group(1)
    BacklogExport.objects.create(
        system=assessment.system,
        key=key,
        finding_id=f"scaleready-{key}",
        format="jira_csv",
        content_hash="0" * 64,
        exported_at=timezone.now(),
    )


def a_consultant_joins(client, assessment, owner):
    MembershipFactory(workspace=owner.workspace, role=Role.CONSULTANT)


def rename_the_reviewer(client, assessment, owner):
    owner.user.first_name = "Renamed"
    owner.user.save()


VISIBLE = [
    change_answer,
    review_again,
    mark_first_step_done,
    raise_the_target,
    probe_the_system,
    export_an_item,
]
SILENT_OR_SUBTLE = [add_custom_question, a_consultant_joins, rename_the_reviewer]


@pytest.mark.parametrize("change", VISIBLE + SILENT_OR_SUBTLE, ids=lambda f: f.__name__)
def test_after_each_kind_of_change_the_page_served_is_the_fresh_one(
    change, startup, owner, login, settings
):
    client = login(owner.user)
    client.get(reverse("roadmap", args=[startup.pk]))  # the first look sets the baseline
    review_finding(client, startup, owner)  # a review with a reviewer and notes to show
    before = served_matches_fresh(client, startup, settings)
    change(client, startup, owner)
    after = served_matches_fresh(client, startup, settings)
    if change in VISIBLE:
        assert after["results"] != before["results"] or after["roadmap"] != before["roadmap"]


def test_people_with_other_roles_get_their_own_page(startup, owner, login, settings):
    owner_client = login(owner.user)
    owners_page = shown(owner_client, "results", startup)
    viewer = MembershipFactory(workspace=owner.workspace, role=Role.VIEWER)
    viewer_client = login(viewer.user)
    for name in PAGES:
        assert shown(viewer_client, name, startup) == fresh(viewer_client, name, startup, settings)
    assert "Audit log" in owners_page
    assert "Audit log" not in shown(viewer_client, "results", startup)


def test_the_tokens_in_a_kept_page_are_the_readers_own(startup, owner, login):
    client = login(owner.user)
    client.get(reverse("roadmap", args=[startup.pk]))  # the first look sets the baseline
    client.get(reverse("roadmap", args=[startup.pk]))
    page = client.get(reverse("roadmap", args=[startup.pk])).content.decode()
    tokens = set(re.findall(r'csrfmiddlewaretoken" value="([^"]+)"', page))
    assert tokens
    assert "placeholder" not in page
    add = reverse("roadmap_custom_add", args=[startup.pk])
    client.handler.enforce_csrf_checks = True
    data = {"title": "Load test the checkout", "phase": "2", "effort": "S", "impact": "2"}
    data["csrfmiddlewaretoken"] = tokens.pop()
    response = client.post(add, data)
    assert response.status_code == 302


AREA = "database"


def area_page(client, assessment, settings=None) -> str:
    url = reverse("assessment_area", args=[assessment.pk, AREA])
    if settings is not None:
        settings.SCALEREADY_FRAGMENT_CACHE = False
    try:
        response = client.get(url)
    finally:
        if settings is not None:
            settings.SCALEREADY_FRAGMENT_CACHE = True
    assert response.status_code == 200
    return TOKENS.sub(r"\1", response.content.decode())


def write_consultant_notes(client, assessment, owner):
    answer = Answer.objects.get(assessment=assessment, question__key=BACKUPS)
    answer_consultant_notes_save(answer, "Ask for last month's restore log.", owner.user)


def assign_the_area(client, assessment, owner):
    contributor = MembershipFactory(workspace=owner.workspace, role=Role.CONTRIBUTOR)
    assignment_set(assessment, AREA, contributor.user)


def submit_the_assessment(client, assessment, owner):
    assessment_submit(assessment, owner.user)


def add_custom_database_question(client, assessment, owner):
    url = reverse("custom_question_list", args=[owner.workspace.pk])
    assert client.post(url, {**CUSTOM_QUESTION, "area": AREA}).status_code == 302


def rename_the_answerer(client, assessment, owner):
    owner.user.first_name, owner.user.last_name = "Renamed", "Person"
    owner.user.save()


AREA_CHANGES = [
    change_answer,
    write_consultant_notes,
    assign_the_area,
    submit_the_assessment,
    add_custom_database_question,
    a_consultant_joins,
    rename_the_answerer,
]


@pytest.mark.parametrize("change", AREA_CHANGES, ids=lambda f: f.__name__)
def test_after_each_kind_of_change_the_area_page_served_is_the_fresh_one(
    change, startup, owner, login, settings
):
    consultant = MembershipFactory(workspace=owner.workspace, role=Role.CONSULTANT)
    client = login(consultant.user)  # sees consultant notes too
    area_page(client, startup)  # kept
    before = area_page(client, startup)
    assert before == area_page(client, startup, settings)
    change(client, startup, owner)
    area_page(client, startup)  # shows (and so ends) a message the change left
    after = area_page(client, startup)
    assert after == area_page(client, startup, settings)
    if change not in (a_consultant_joins, rename_the_answerer):
        assert after != before


def test_each_reader_gets_their_own_area_page(startup, owner, login, settings):
    area_page(login(owner.user), startup)
    contributor = MembershipFactory(workspace=owner.workspace, role=Role.CONTRIBUTOR)
    client = login(contributor.user)
    page = area_page(client, startup)
    assert page == area_page(client, startup, settings)
    assert "This area is not assigned to you" in page
