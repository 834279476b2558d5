"""Invitations as an attacker would use them: another account, escalation to owner, reuse,
guessing, and the stored hash."""

import re
import secrets

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from assessments.workspaces.models import Invitation, Membership, Role, Workspace
from tests.factories import ClientFactory
from tests.security.conftest import sign_up

pytestmark = pytest.mark.django_db


def workspace_of(email: str) -> Workspace:
    return Workspace.objects.get(memberships__user__email=email, is_personal=True)


def invite(owner_client, workspace, **data) -> str:
    """Create an invitation through the members page; the link it shows once."""
    response = owner_client.post(f"/w/{workspace.pk}/members/", data, follow=True)
    found = re.search(r"http://testserver(/invite/[\w-]+/)", response.content.decode())
    assert found, response.content.decode()[:2000]
    return found[1]


@pytest.fixture
def team():
    """Olivia owns a workspace where Connor is a consultant."""
    olivia = sign_up("olivia@corp.example", name="Olivia")
    workspace = workspace_of("olivia@corp.example")
    connor = sign_up("connor@corp.example", name="Connor")
    link = invite(olivia, workspace, email="connor@corp.example", role="consultant")
    assert connor.post(link).status_code == 302
    return {"olivia": olivia, "connor": connor, "workspace": workspace}


def test_a_consultant_cannot_make_themselves_owner_with_a_second_account(team):
    workspace = team["workspace"]
    owner_link = invite(team["olivia"], workspace, email="new.cfo@corp.example", role="owner")
    # The consultant sees no pending link on the members page, and no owner invitation at all.
    members = team["connor"].get(f"/w/{workspace.pk}/members/").content.decode()
    assert owner_link not in members
    assert "new.cfo@corp.example" not in members
    # Even holding the link (leaked, guessed), their second account cannot accept it.
    second = sign_up("connor.alt@evil.example")
    page = second.get(owner_link)
    assert page.status_code == 403
    assert "is for <strong>new.cfo@corp.example</strong>" in page.content.decode()
    assert second.post(owner_link).status_code == 403
    assert not workspace.memberships.filter(user__email="connor.alt@evil.example").exists()
    assert list(workspace.memberships.filter(role=Role.OWNER).values_list("user__email")) == [
        ("olivia@corp.example",)
    ]


def test_a_consultant_cannot_create_owner_or_consultant_invitations(team):
    workspace = team["workspace"]
    acme = ClientFactory(workspace=workspace)
    for data in (
        {"email": "x@evil.example", "role": "owner"},
        {"email": "x@evil.example", "role": "consultant"},
        {"email": "x@evil.example", "role": "owner", "client": acme.pk},
        {"email": "x@evil.example", "role": "viewer"},  # the whole workspace
    ):
        response = team["connor"].post(f"/w/{workspace.pk}/members/", data)
        assert response.status_code in (200, 403), data
    assert not Invitation.objects.filter(email="x@evil.example").exists()
    # What a consultant may do: invite client staff.
    link = invite(
        team["connor"], workspace, email="staff@client.example", role="viewer", client=acme.pk
    )
    assert link


def test_nobody_sees_pending_invitations_above_their_role(team):
    workspace = team["workspace"]
    invite(team["olivia"], workspace, email="boss@corp.example", role="owner")
    invite(team["olivia"], workspace, email="peer@corp.example", role="consultant")
    viewer = sign_up("viewer@corp.example")
    link = invite(team["olivia"], workspace, email="viewer@corp.example", role="viewer")
    assert viewer.post(link).status_code == 302
    as_consultant = team["connor"].get(f"/w/{workspace.pk}/members/").content.decode()
    assert "boss@corp.example" not in as_consultant
    assert "peer@corp.example" in as_consultant
    as_viewer = viewer.get(f"/w/{workspace.pk}/members/").content.decode()
    assert "boss@corp.example" not in as_viewer
    assert "peer@corp.example" not in as_viewer
    as_owner = team["olivia"].get(f"/w/{workspace.pk}/members/").content.decode()
    assert "boss@corp.example" in as_owner


def test_links_are_stored_hashed_and_shown_only_once(team):
    workspace = team["workspace"]
    link = invite(team["olivia"], workspace, email="kim@corp.example", role="viewer")
    token = link.split("/")[2]
    invitation = Invitation.objects.get(email="kim@corp.example")
    stored = " ".join(
        str(value) for value in Invitation.objects.values_list().get(pk=invitation.pk)
    )
    assert token not in stored
    # The hash is no link.
    assert team["olivia"].get(f"/invite/{invitation.token_hash}/").status_code == 404
    assert link not in team["olivia"].get(f"/w/{workspace.pk}/members/").content.decode()
    assert [message.to for message in mail.outbox if link in message.body] == [["kim@corp.example"]]


def test_a_used_link_cannot_be_used_again_even_by_its_owner_after_removal(team):
    workspace = team["workspace"]
    kim = sign_up("kim@corp.example")
    link = invite(team["olivia"], workspace, email="kim@corp.example", role="viewer")
    assert kim.post(link).status_code == 302
    Membership.objects.filter(user__email="kim@corp.example", workspace=workspace).delete()
    again = kim.post(link)
    assert again.status_code == 410
    assert not workspace.memberships.filter(user__email="kim@corp.example").exists()


def test_guessed_tokens_open_nothing(team):
    guesser = sign_up("guesser@evil.example")
    for _ in range(50):
        response = guesser.post(f"/invite/{secrets.token_urlsafe(32)}/")
        assert response.status_code == 404
        assert "not valid" in response.content.decode()
    assert guesser.get("/invite/" + "A" * 3000 + "/").status_code == 404
    user = get_user_model().objects.get(email="guesser@evil.example")
    assert list(Membership.objects.filter(user=user).values_list("workspace__is_personal")) == [
        (True,)
    ]


def test_signing_up_with_someone_elses_address_gets_no_invitation(team):
    """Binding to an address means something only if the address was proven: an account
    made for the invited address stays inactive until its mailbox confirms it."""
    workspace = team["workspace"]
    link = invite(team["olivia"], workspace, email="cfo@corp.example", role="viewer")
    squatter = sign_up_without_confirming("cfo@corp.example")
    page = squatter.post(link)
    assert page.status_code == 302
    assert page.url.startswith("/accounts/login/")
    assert not Membership.objects.filter(user__email="cfo@corp.example").exists()


def sign_up_without_confirming(email: str) -> Client:
    client = Client()
    client.post("/accounts/signup/", {"email": email, "password": "squatter-password-77"})
    login = client.post("/accounts/login/", {"username": email, "password": "squatter-password-77"})
    assert login.status_code == 200  # not logged in: the account is not confirmed
    return client
