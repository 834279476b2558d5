"""Defects a new user ran into (issue 17) outside the roadmap: the log-in error, the 404
under DEBUG, the invitation sign-up, areas not started, a new assessment on the clients page."""

import pytest
from django.test import override_settings
from django.urls import reverse

from assessments.questionnaire.services import answers_import
from assessments.workspaces.models import Role
from tests.factories import AssessmentFactory, InvitationFactory, UserFactory
from tests.profiles import early_startup


def test_the_log_in_error_speaks_of_the_e_mail_address(client, db):
    UserFactory(email="someone@example.com")
    response = client.post(
        "/accounts/login/", {"username": "someone@example.com", "password": "wrong"}
    )
    html = response.content.decode()
    assert "e-mail address and password" in html
    assert "username" not in html.lower().replace('name="username"', "").replace(
        'id="id_username"', ""
    ).replace('for="id_username"', "")


@pytest.mark.parametrize("url", ["/no/such/page/", "/assessments/999999/results/"])
def test_under_debug_a_missing_page_is_the_apps_404_not_the_url_list(url, client, owner, settings):
    client.force_login(owner.user)
    with override_settings(DEBUG=True, DEBUG_TECHNICAL_404=False):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert "URLconf" not in html
    assert "Using the URLconf" not in html


def test_the_technical_404_can_be_asked_for_while_debugging_routes(client, db):
    with override_settings(DEBUG=True, DEBUG_TECHNICAL_404=True):
        response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "URLconf" in response.content.decode()


def test_signing_up_from_an_invitation_fills_in_the_invited_address(client, owner):
    invitation = InvitationFactory(
        workspace=owner.workspace, role=Role.CONTRIBUTOR, email="joiner@example.com"
    )
    link = reverse("invitation_accept", args=[invitation.token])
    html = client.get(reverse("signup") + f"?next={link}").content.decode()
    assert 'value="joiner@example.com"' in html
    # A link that is no invitation (or a broken one) fills in nothing.
    for next_url in ("/", reverse("invitation_accept", args=["not-a-token"])):
        html = client.get(reverse("signup") + f"?next={next_url}").content.decode()
        assert 'value="joiner@example.com"' not in html


def test_areas_not_started_say_so_instead_of_a_zero(owner, bank_version, login):
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    client = login(owner.user)
    results = client.get(reverse("results", args=[assessment.pk]))
    html = results.content.decode()
    rows = results.context["chart"]["rows"]
    assert all(row["score"] is None for row in rows)
    # Each bar and the radar's description say it, and the radar's labels too.
    assert html.count("not answered yet") == 2 * len(rows)
    assert html.count(">not answered</tspan>") == len(rows)
    assert 'class="chart-value">0<' not in html


def test_a_new_assessment_is_not_shown_as_not_ready_zero_on_the_clients_page(
    owner, bank_version, login
):
    AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    html = login(owner.user).get(reverse("client_list", args=[owner.workspace.pk])).content
    html = html.decode()
    assert "Not ready" not in html
    assert "0.0" not in html
    assert "Not enough answers to judge" in html


def test_an_answered_area_shows_its_score(owner, bank_version, login):
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    answers_import(assessment, early_startup(), owner.user)
    rows = login(owner.user).get(reverse("results", args=[assessment.pk])).context["chart"]
    assert all(row["score"] is not None for row in rows["rows"])


def test_the_portfolio_draws_its_monthly_trend_as_a_labelled_line(owner, bank_version, login):
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    answers_import(assessment, early_startup(), owner.user)
    response = login(owner.user).get(reverse("analytics", args=[owner.workspace.pk]))
    html = response.content.decode()
    chart = response.context["trend_chart"]
    assert len(chart["dots"]) == 1
    assert '<svg class="chart trend"' in html
    assert 'aria-labelledby="trend-title trend-desc"' in html
    dot = chart["dots"][0]
    assert f"{dot['label']}: " in html  # the accessible text names each month and its score
    assert "As a table" in html  # the numbers stay one click away
