from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.api.models import ApiToken
from assessments.api.services import api_token_create
from assessments.workspaces.models import Membership, Role
from tests.factories import SystemFactory

pytestmark = pytest.mark.django_db


def test_owner_makes_a_token_shown_once_and_stored_only_as_its_hash(owner, login):
    client = login(owner.user)
    page = client.post(
        f"/w/{owner.workspace.pk}/api-tokens/",
        {"name": "GitHub Actions", "role": "viewer", "lifetime": "30"},
    )
    assert page.status_code == 200
    secret = page.context["secret"]
    assert secret.startswith("srk_")
    assert secret in page.content.decode()
    token = ApiToken.objects.get()
    assert token.token_hash != secret
    assert secret not in token.token_hash
    assert token.role == Role.VIEWER
    assert token.expires_at > timezone.now() + timedelta(days=29)
    again = client.get(f"/w/{owner.workspace.pk}/api-tokens/").content.decode()
    assert "GitHub Actions" in again
    assert secret not in again
    assert token.prefix in again


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.CONTRIBUTOR, Role.VIEWER])
def test_only_owners_manage_tokens(role, make_member, owner, login):
    member = make_member(role, workspace=owner.workspace)
    client = login(member.user)
    assert client.get(f"/w/{owner.workspace.pk}/api-tokens/").status_code == 403
    assert (
        client.post(
            f"/w/{owner.workspace.pk}/api-tokens/", {"name": "x", "role": "owner"}
        ).status_code
        == 403
    )
    assert ApiToken.objects.count() == 0


def test_a_token_without_a_name_is_refused_with_a_message(owner, login):
    page = login(owner.user).post(
        f"/w/{owner.workspace.pk}/api-tokens/", {"name": " ", "role": "viewer"}
    )
    assert page.status_code == 422
    assert ApiToken.objects.count() == 0


def test_revoked_token_stops_working(owner, login, api_client):
    api = api_client("viewer")
    assert api.get("/api/v1/systems").status_code == 200
    token = ApiToken.objects.get()
    revoked = login(owner.user).post(f"/w/{owner.workspace.pk}/api-tokens/", {"revoke": token.pk})
    assert revoked.status_code == 302
    response = api.get("/api/v1/systems")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_expired_token_stops_working(api_client):
    api = api_client("viewer", expires_at=timezone.now() + timedelta(days=1))
    assert api.get("/api/v1/systems").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert api.get("/api/v1/systems").status_code == 401


def test_last_used_time_is_recorded(api_client):
    api = api_client("viewer")
    assert ApiToken.objects.get().last_used_at is None
    api.get("/api/v1/systems")
    assert ApiToken.objects.get().last_used_at is not None


def test_token_stops_working_when_its_maker_leaves(owner, api_client):
    api = api_client("owner")
    Membership.objects.filter(pk=owner.pk).delete()
    assert api.get("/api/v1/systems").status_code == 401


def test_token_never_acts_above_its_makers_current_role(owner, api_client):
    system = SystemFactory(workspace=owner.workspace)
    api = api_client("owner")
    Membership.objects.filter(pk=owner.pk).update(role=Role.VIEWER)
    response = api.post(f"/api/v1/systems/{system.pk}/probe-runs", {})
    assert response.status_code == 403


def test_wrong_or_missing_token_is_401_problem_json(client, db):
    assert client.get("/api/v1/systems").status_code == 401
    response = client.get(
        "/api/v1/systems", headers={"Authorization": "Bearer srk_nope-nope-nope-nope"}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["title"] == "Not authenticated"
    assert body["instance"] == "/api/v1/systems"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_session_cookie_alone_does_not_authenticate(owner, login):
    assert login(owner.user).get("/api/v1/systems").status_code == 401


def test_rate_limit_per_token_answers_429_with_retry_after(settings, api_client):
    settings.SCALEREADY_API_RATE_REQUESTS = 3
    settings.SCALEREADY_API_RATE_SECONDS = 3600
    first, second = api_client("viewer"), api_client("viewer")
    codes = [first.get("/api/v1/systems").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = first.get("/api/v1/systems")
    assert int(limited["Retry-After"]) >= 1
    assert limited.json()["type"].endswith("#problem-rate-limited")
    assert second.get("/api/v1/systems").status_code == 200  # each token has its own budget


def test_token_calls_set_no_cookies_and_need_no_csrf_token(assessment, api_client):
    api = api_client("consultant")
    api.client = Client(enforce_csrf_checks=True)
    question = assessment.bank_version.questions.first()
    read = api.get("/api/v1/systems")
    write = api.put(
        f"/api/v1/assessments/{assessment.pk}/answers/{question.key}",
        {"state": "unknown", "base_version": 0},
    )
    assert write.status_code == 200
    assert not read.cookies
    assert not write.cookies
    assert read["Cache-Control"] == "no-store"


def test_the_tokens_page_costs_the_same_queries_for_many_tokens(
    owner, login, django_assert_num_queries
):
    client = login(owner.user)
    url = f"/w/{owner.workspace.pk}/api-tokens/"
    api_token_create(workspace=owner.workspace, user=owner.user, name="one", role="viewer")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(20):
        api_token_create(workspace=owner.workspace, user=owner.user, name=f"t{n}", role="viewer")
    with django_assert_num_queries(len(few)):
        page = client.get(url)
    assert page.content.decode().count('name="revoke"') == 21
