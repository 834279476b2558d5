"""Sweeps over every URL pattern as an attacker with accounts of their own, so a new endpoint
is covered without anyone remembering to add it.

- Without a CSRF token, every POST is refused by the CSRF check, even from the owner of
  everything the URL names, and nothing changes.
- From another workspace, every object URL answers 404 (or 405 exactly as for an object that
  does not exist) to GET and POST, and nothing changes.
- As each limited role of the victim's workspace (viewer, contributor, client staff), a POST
  with a payload that would change things for an owner changes nothing outside what the role
  may do. The same payloads posted by the owner do change things: the sweep is not vacuous.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import get_resolver

from assessments.workspaces.models import Membership, Role, Workspace
from tests.factories import AssessmentFactory, ClientFactory
from tests.integration.workspaces.test_access import fill, walk
from tests.security.conftest import changed_tables, objects_in, sign_up, snapshot

pytestmark = pytest.mark.django_db

# Form fields an attack would post: enough for most forms of the app to be valid.
PAYLOAD = {
    "role": "owner",
    "name": "Pwned",
    "title": "Pwned",
    "text": "Pwned",
    "email": "pwned@evil.example",
    "notes": "pwned",
    "choice": "0",
    "base_version": "1",
    "days": "90",
    "status": "done",
    "hidden": "on",
    "hidden_reason": "pwned",
    "direction": "up",
    "include_consultant_notes": "on",
    "current_users": "10",
    "target_users": "1000",
    "primary_colour": "#000000",
    "page_size": "letter",
    "consultant_notes": "pwned",
    "reason": "pwned",
    "severity": "low",
}
# Writes a limited role may make with this payload: its own answer (contributors), nothing else.
ALLOWED_FOR = {
    Role.CONTRIBUTOR: {"answer"},
    "assessment": {"answer"},
}
# Endpoints that must change data when the owner posts the payload (the sweep's control).
OWNER_CHANGES_AT_LEAST = {
    "system_delete",
    "client_delete",
    "membership_remove",
    "invitation_revoke",
    "share_revoke",
    "share_create",
    "answer",
    "report_consultant_notes",
}


def every_route():
    return list(walk(get_resolver().url_patterns))


def own_workspace(email: str) -> Workspace:
    return Workspace.objects.get(memberships__user__email=email, is_personal=True)


def test_no_state_changing_endpoint_accepts_a_post_without_a_csrf_token(bank_version):
    sign_up("mallory@evil.example")
    workspace = own_workspace("mallory@evil.example")
    objects = objects_in(workspace, bank_version)
    user = get_user_model().objects.get(email="mallory@evil.example")
    victim = Client(enforce_csrf_checks=True)
    victim.force_login(user)  # the attacker's page posts with the victim's cookies
    anonymous = Client(enforce_csrf_checks=True)
    before = snapshot()
    swept = []
    for route, entry in every_route():
        if route.startswith("admin/"):
            continue
        url = fill(route, entry, objects)
        for browser in (victim, anonymous):
            response = browser.post(url, PAYLOAD)
            assert response.status_code == 403, f"POST {url} -> {response.status_code}"
            assert "CSRF" in response.content.decode(), f"POST {url} refused, but not by CSRF"
        swept.append(entry.name)
    assert changed_tables(before, snapshot()) == []
    assert {"signup", "login", "password_reset", "invitation_accept", "answer"} <= set(swept)


def object_routes():
    return [
        (route, entry)
        for route, entry in every_route()
        if entry.pattern.converters
        and not route.startswith("admin/")
        and not set(entry.pattern.converters) <= {"token", "uidb64"}
    ]


@pytest.fixture
def victim(bank_version):
    """A victim's workspace full of objects, and its owner's client."""
    owner = sign_up("victim@corp.example", name="Victor")
    workspace = own_workspace("victim@corp.example")
    objects = objects_in(workspace, bank_version)
    # The first look at a roadmap records its baseline (what is new later is measured from
    # it): a write any reader makes once, so the owner makes it before the sweeps.
    assert owner.get(f"/assessments/{objects['assessment_id']}/roadmap/").status_code == 200
    return {"owner": owner, "workspace": workspace, "objects": objects}


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outsider_gets_404_on_every_object_url_and_changes_nothing(method, victim):
    attacker = sign_up("mallory@evil.example")
    before = snapshot()
    for route, entry in object_routes():
        url = fill(route, entry, victim["objects"])
        response = (
            getattr(attacker, method)(url, PAYLOAD) if method == "post" else attacker.get(url)
        )
        if response.status_code == 405:  # POST-only, refused before any lookup (see test_access)
            continue
        assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"
    assert changed_tables(before, snapshot()) == []


def join(victim, email: str, role: str, **scope) -> Client:
    client = sign_up(email)
    user = get_user_model().objects.get(email=email)
    Membership.objects.create(workspace=victim["workspace"], user=user, role=role, **scope)
    return client


def post_everywhere(client, objects) -> dict[str, list[str]]:
    """POST the payload to every object URL; what each changed (tables), by URL name."""
    changes = {}
    for route, entry in object_routes():
        before = snapshot()
        response = client.post(fill(route, entry, objects), PAYLOAD)
        assert response.status_code != 500, f"POST {route} -> 500"
        if changed := changed_tables(before, snapshot()):
            changes[entry.name] = changed
    return changes


@pytest.mark.parametrize("role", ["viewer", "contributor", "client", "assessment"])
def test_a_limited_role_changes_nothing_it_may_not(role, victim, bank_version):
    objects = victim["objects"]
    if role in ("viewer", "contributor"):
        member = join(victim, f"{role}@corp.example", role)
    elif role == "client":
        own = ClientFactory(workspace=victim["workspace"])
        member = join(victim, "client@corp.example", Role.VIEWER, client=own)
    else:
        own = AssessmentFactory(system__workspace=victim["workspace"], bank_version=bank_version)
        member = join(victim, "staff@corp.example", Role.CONTRIBUTOR, assessment=own)
    changes = post_everywhere(member, objects)
    allowed = ALLOWED_FOR.get(role, set())
    assert set(changes) <= allowed, changes
    if role in ("client", "assessment"):
        assert changes == {}  # every object of the sweep is outside their scope


def test_the_payloads_do_change_things_when_the_owner_posts_them(victim):
    changes = post_everywhere(victim["owner"], victim["objects"])
    assert set(changes) >= OWNER_CHANGES_AT_LEAST, sorted(changes)
