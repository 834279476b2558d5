"""The access sweep over every API route (from the API's own OpenAPI schema, so a new
endpoint is covered without anyone remembering to) and every role.

- Without a token, or with a session cookie instead of one, every route answers 401.
- A token of another workspace gets 404 on every object route, for every method, and
  changes nothing.
- A viewer token changes nothing; a contributor token (its maker answers no assigned area)
  changes nothing; consultant and owner tokens do change things with the same payloads, so
  the sweep is not vacuous.
"""

import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import get_resolver

from assessments.api.services import api_token_create
from assessments.api.views.core import api
from assessments.workspaces.models import Role
from tests.integration.workspaces.test_access import walk
from tests.security.conftest import APP_LABELS, objects_in

pytestmark = pytest.mark.django_db

# Documentation routes, open to anyone (they describe the API, they hold no data).
# Open to anyone: the docs, the schema, the root's pointer to them, and the catch-all that
# answers unknown API paths with a problem+json 404 (it reads nothing).
OPEN_ROUTES = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/", "/api/", "/api/{rest}"}
# Bodies that would be valid for an owner on the objects of ``objects_in``.
BODIES = {
    "put": {"state": "unknown", "notes": "pwned", "base_version": 1},
    "patch": {"status": "done", "owner": ""},
    "post": {"run_burst": True, "format": "github_json"},
}
# What owner and consultant tokens change with those bodies (the sweep's control).
CHANGES_AT_LEAST = {
    "put /api/v1/assessments/{assessment_id}/answers/{question_key}",
    "patch /api/v1/assessments/{assessment_id}/roadmap/{key}",
    "post /api/v1/assessments/{assessment_id}/backlog-exports",
}  # (the PDF of ``objects_in`` is queued already: starting one joins it, as on the page)


def snapshot() -> dict[str, list[tuple]]:
    """Every row the app keeps, API tokens aside (their "last used" time moves on use)."""
    rows = {}
    for label in (*APP_LABELS, "api"):
        for model in apps.get_app_config(label).get_models():
            if model._meta.label != "api.ApiToken":
                rows[model._meta.label] = sorted(model.objects.values_list(), key=repr)
    return rows


def operations() -> list[tuple[str, str]]:
    """(method, path template) of every API operation, from the schema the docs show."""
    get_resolver().url_patterns  # noqa: B018 - loading the URLconf registers the endpoints
    paths = api.get_openapi_schema(path_prefix="/api/v1")["paths"]
    return [(method, path) for path, spec in paths.items() for method in spec]


def fill(path: str, objects: dict) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(objects[m[1]]), path)


class Bearer:
    def __init__(self, secret: str):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def call(self, method: str, url: str):
        body = BODIES.get(method)
        extra = {"content_type": "application/json"} if body is not None else {}
        call = getattr(self.client, method)
        return (
            call(url, body, headers=self.headers, **extra)
            if body
            else call(url, headers=self.headers)
        )


@pytest.fixture(autouse=True)
def generous_limits(settings):
    settings.SCALEREADY_API_RATE_REQUESTS = 1_000_000
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "s"},
    }


@pytest.fixture
def victim(make_member, bank_version):
    owner = make_member(Role.OWNER)
    objects = objects_in(owner.workspace, bank_version)
    return {"owner": owner, "objects": objects}


def token(membership, role: str) -> Bearer:
    new = api_token_create(
        workspace=membership.workspace, user=membership.user, name="sweep", role=role
    )
    return Bearer(new.secret)


def test_the_schema_lists_every_api_url():
    routes = {"/" + re.sub(r"<(\w+:)?(\w+)>", r"{\2}", route) for route, _ in walk_api()}
    documented = {path for _, path in operations()}
    assert routes - OPEN_ROUTES == documented
    assert len(operations()) >= 19


def walk_api():
    return [(r, e) for r, e in walk(get_resolver().url_patterns, skip=None) if r.startswith("api/")]


def test_every_route_refuses_calls_without_a_token_and_session_cookies_do_not_count(victim):
    session = Client(enforce_csrf_checks=True)
    session.force_login(victim["owner"].user)
    anonymous = Client()
    before = snapshot()
    for method, path in operations():
        url = fill(path, victim["objects"])
        for client in (anonymous, session):
            response = getattr(client, method)(url)
            assert response.status_code == 401, f"{method.upper()} {url} -> {response.status_code}"
            assert response["Content-Type"] == "application/problem+json"
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.OWNER, Role.CONSULTANT, Role.CONTRIBUTOR, Role.VIEWER])
def test_a_token_of_another_workspace_gets_404_everywhere_and_changes_nothing(
    role, victim, make_member
):
    outsider = token(make_member(Role.OWNER), role)
    before = snapshot()
    swept = 0
    for method, path in operations():
        if "{" not in path:
            continue
        url = fill(path, victim["objects"])
        response = outsider.call(method, url)
        assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
        assert response["Content-Type"] == "application/problem+json"
        swept += 1
    assert swept >= 15
    assert snapshot() == before


def changes_by(bearer: Bearer, objects: dict) -> dict[str, list[str]]:
    changes = {}
    for method, path in operations():
        before = snapshot()
        response = bearer.call(method, fill(path, objects))
        assert response.status_code < 500, f"{method.upper()} {path} -> {response.status_code}"
        after = snapshot()
        if changed := [label for label in before if before[label] != after[label]]:
            changes[f"{method} {path}"] = changed
    return changes


@pytest.mark.parametrize("role", [Role.VIEWER, Role.CONTRIBUTOR])
def test_viewer_and_unassigned_contributor_tokens_change_nothing(role, victim):
    assert changes_by(token(victim["owner"], role), victim["objects"]) == {}


@pytest.mark.parametrize("role", [Role.OWNER, Role.CONSULTANT])
def test_owner_and_consultant_tokens_do_change_things_with_the_same_payloads(role, victim):
    changes = changes_by(token(victim["owner"], role), victim["objects"])
    assert set(changes) >= CHANGES_AT_LEAST, sorted(changes)


def test_a_token_above_its_makers_role_acts_with_the_makers_role(victim, make_member):
    viewer = make_member(Role.VIEWER, workspace=victim["owner"].workspace)
    assert changes_by(token(viewer, Role.OWNER), victim["objects"]) == {}
