import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from assessments.workspaces.models import Membership, Role
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "lantern-orbit-47-quiet"


def same_page(response, address: str) -> str:
    """The page with the address typed and the per-response CSRF mask taken out."""
    page = response.content.decode().replace(address, "ADDRESS")
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", page)


def confirmation_link(message) -> str:
    return re.search(r"http://testserver(/accounts/signup/confirm/\S+)", message.body)[1]


def test_signup_confirmed_by_email_creates_a_personal_workspace(client):
    response = client.post(
        "/accounts/signup/", {"name": "Ada", "email": "Ada@Example.com", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    user = get_user_model().objects.get(email="ada@example.com")
    assert not user.is_active  # nobody logs in as an address they have not shown they own
    assert not Membership.objects.filter(user=user).exists()
    (message,) = mail.outbox
    assert message.to == ["ada@example.com"]
    link = confirmation_link(message)

    assert "Confirm and log in" in client.get(link).content.decode()
    user.refresh_from_db()
    assert not user.is_active  # opening the link (a mail scanner) confirms nothing
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    user.refresh_from_db()
    assert user.is_active
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.workspace.is_personal
    assert membership.workspace.name == "Ada's workspace"
    landing = client.get(confirmed.url, follow=True)
    assert landing.request["PATH_INFO"] == f"/w/{membership.workspace.pk}/"
    assert "No systems yet" in landing.content.decode()
    assert client.post(link).status_code == 404  # used once


def test_signup_with_a_taken_email_answers_like_a_new_one_and_tells_the_owner(client):
    owner = UserFactory(email="taken@example.com")
    taken = client.post(
        "/accounts/signup/", {"name": "Bo", "email": "taken@example.com", "password": GOOD_PASSWORD}
    )
    new = client.post(
        "/accounts/signup/", {"name": "Bo", "email": "fresh@example.com", "password": GOOD_PASSWORD}
    )
    assert taken.status_code == new.status_code == 200
    assert same_page(taken, "taken@example.com") == same_page(new, "fresh@example.com")
    to_owner, to_new = mail.outbox
    assert to_owner.to == ["taken@example.com"]
    assert "already has an account" in to_owner.body
    assert "/accounts/signup/confirm/" not in to_owner.body
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)  # nothing about the account changed
    assert "/accounts/signup/confirm/" in to_new.body


def test_signup_refuses_a_weak_password_with_the_reason(client):
    response = client.post(
        "/accounts/signup/", {"email": "new@example.com", "password": "password"}
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not get_user_model().objects.filter(email="new@example.com").exists()


def test_login_is_throttled_after_repeated_failures(client, settings):
    user = UserFactory(email="target@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
        assert response.status_code == 200
        assert (
            "correct" in response.content.decode()
        )  # "Please enter a correct e-mail and password"
    locked = client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.content.decode()
    # Even the right password is refused while the lock lasts.
    again = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_with_email_in_any_case_then_logout(client):
    user = UserFactory(email="case@example.com")
    response = client.post(
        "/accounts/login/", {"username": "Case@Example.COM", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    user = UserFactory(email="forgot@example.com")
    client.post("/accounts/password/reset/", {"email": "forgot@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+)", mail.outbox[0].body)[1]
    form_page = client.get(link, follow=True)
    set_url = form_page.request["PATH_INFO"]
    done = client.post(set_url, {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)


def test_password_change_requires_the_old_password(client):
    user = UserFactory()
    client.force_login(user)
    wrong = client.post(
        "/accounts/password/change/",
        {"old_password": "nope", "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "incorrectly" in wrong.content.decode()
    right = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD},
    )
    assert right.status_code == 302
    user.refresh_from_db()
    assert user.check_password(GOOD_PASSWORD)
