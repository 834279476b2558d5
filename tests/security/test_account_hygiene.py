"""ASVS L2 account hygiene: passwords, sign-up that reveals nothing, session lifetimes,
``no-store`` on everything behind a login or a share token, throttled password resets."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.urls import get_resolver
from django.utils import timezone

from assessments.reports.models import ShareLink
from tests.integration.workspaces.test_access import fill, walk
from tests.security.conftest import objects_in, sign_up

pytestmark = pytest.mark.django_db
SIGNED_IN_PAGE = "/workspaces/new/"  # 200 when signed in, a redirect to log in otherwise


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        ("ada@example.com", "Sh0rt-pass!", "at least 12 characters"),
        ("ada@example.com", "manchesterunited", "too common"),
        ("grace.hopper@example.com", "grace.hopper.example", "too similar"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, email, password, reason):
    response = client.post("/accounts/signup/", {"email": email, "password": password})
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not get_user_model().objects.filter(email=email).exists()
    assert mail.outbox == []


def test_sign_up_reveals_nothing_about_existing_accounts(client):
    sign_up("known@example.com")
    mail.outbox.clear()
    pages = []
    for email in ("known@example.com", "unknown@example.com"):
        response = client.post(
            "/accounts/signup/", {"email": email, "password": "x" * 6 + "-9Qz-lk"}
        )
        page = re.sub(r'"X-CSRFToken": "[^"]+"', "", response.content.decode())
        pages.append((response.status_code, page.replace(email, "ADDRESS")))
    assert pages[0] == pages[1]
    known, unknown = mail.outbox
    assert "already has an account" in known.body
    assert "/accounts/signup/confirm/" in unknown.body


def test_a_second_sign_up_for_an_unconfirmed_address_takes_over_its_password(client):
    """Someone who signed up with another person's address first cannot keep a password the
    owner of the address would then confirm without knowing."""
    client.post("/accounts/signup/", {"email": "cfo@corp.example", "password": "squatter-pw-123"})
    first_link = re.search(r"(/accounts/signup/confirm/\S+)", mail.outbox[0].body)[1]
    client.post("/accounts/signup/", {"email": "cfo@corp.example", "password": "real-cfo-pw-456"})
    second_link = re.search(r"(/accounts/signup/confirm/\S+)", mail.outbox[1].body)[1]
    assert client.post(first_link).status_code == 404  # the earlier link died
    assert client.post(second_link).status_code == 302
    user = get_user_model().objects.get(email="cfo@corp.example")
    assert user.check_password("real-cfo-pw-456")
    assert not user.check_password("squatter-pw-123")


def test_an_idle_session_is_signed_out_after_the_idle_timeout(settings):
    client = sign_up("idle@example.com")
    assert client.get(SIGNED_IN_PAGE).status_code == 200
    idle = settings.SESSION_IDLE_TIMEOUT_SECONDS
    assert idle == 8 * 3600
    with time_machine.travel(timezone.now() + timedelta(seconds=idle - 120)):
        assert client.get(SIGNED_IN_PAGE).status_code == 200  # active again, just in time
    with time_machine.travel(timezone.now() + timedelta(seconds=2 * idle - 240)):
        assert client.get(SIGNED_IN_PAGE).status_code == 200  # idle for less than the timeout since
    with time_machine.travel(timezone.now() + timedelta(seconds=3 * idle)):
        response = client.get(SIGNED_IN_PAGE, follow=True)
    assert response.request["PATH_INFO"] == "/accounts/login/"
    assert "without activity" in response.content.decode()


def test_an_active_session_ends_at_its_absolute_lifetime(settings):
    client = sign_up("busy@example.com")
    start = timezone.now()
    hour = timedelta(hours=1)
    hours = settings.SESSION_COOKIE_AGE // 3600
    for elapsed in range(1, hours):
        with time_machine.travel(start + elapsed * hour):
            assert client.get(SIGNED_IN_PAGE).status_code == 200, f"signed out after {elapsed} h"
    with time_machine.travel(start + (hours + 1) * hour):
        response = client.get(SIGNED_IN_PAGE, follow=True)
    assert response.request["PATH_INFO"] == "/accounts/login/"
    assert "maximum length" in response.content.decode()


def test_every_page_behind_a_login_or_a_share_token_is_no_store(bank_version):
    owner = sign_up("owner@example.com")
    workspace = get_user_model().objects.get(email="owner@example.com").memberships.get().workspace
    objects = objects_in(workspace, bank_version)
    share = ShareLink.objects.get(assessment_id=objects["assessment_id"])
    objects["token"] = share.token
    checked = []
    for route, entry in walk(get_resolver().url_patterns):
        if route.startswith("admin/") or entry.name in {"invitation_accept", "signup_confirm"}:
            continue
        response = owner.get(fill(route, entry, objects))
        if response.status_code in (404, 405):
            continue
        assert response["Cache-Control"] == "no-store", f"GET {route}: {response['Cache-Control']}"
        checked.append(entry.name)
    # The pages, downloads and share pages are among them.
    assert {"home", "report", "assessment_export", "assessment_export_file", "share"} <= set(
        checked
    )


def test_password_reset_mails_are_throttled_per_address_and_per_ip(client, settings):
    sign_up("forgetful@example.com")
    for index in range(2, 12):
        sign_up(f"user{index}@example.com")
    mail.outbox.clear()
    for _ in range(8):
        response = client.post("/accounts/password/reset/", {"email": "forgetful@example.com"})
        assert response.status_code == 302  # the same answer, sent or not
        assert response.url == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_ADDRESS
    mail.outbox.clear()
    for index in range(2, 12):  # ten other addresses from the same client address
        client.post("/accounts/password/reset/", {"email": f"user{index}@example.com"})
    # This client address already asked 8 times above: the per-IP limit is reached sooner.
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_IP - 8
    other_ip = client.post(
        "/accounts/password/reset/", {"email": "user11@example.com"}, REMOTE_ADDR="192.0.2.9"
    )
    assert other_ip.status_code == 302
    assert mail.outbox[-1].to == ["user11@example.com"]
