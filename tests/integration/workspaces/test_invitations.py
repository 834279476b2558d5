import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from assessments.workspaces.models import Membership, Role, invitation_token_hash
from tests.factories import ClientFactory, InvitationFactory, UserFactory

JOINER = "joiner@example.com"


@pytest.fixture
def invitation(owner):
    return InvitationFactory(
        workspace=owner.workspace, role=Role.CONSULTANT, created_by=owner.user, email=JOINER
    )


def test_owner_creates_an_invitation_link_and_sees_it_once(owner, login):
    client = login(owner.user)
    response = client.post(
        f"/w/{owner.workspace.pk}/members/",
        {"email": "New@Example.com", "role": "viewer"},
        follow=True,
    )
    invitation = owner.workspace.invitations.get()
    assert (invitation.role, invitation.email) == (Role.VIEWER, "new@example.com")
    token = re.search(r"/invite/([\w-]+)/", response.content.decode())[1]
    assert invitation.token_hash == invitation_token_hash(token) != token
    # The link is e-mailed to the address and never shown again.
    assert mail.outbox[0].to == ["new@example.com"]
    assert f"/invite/{token}/" in mail.outbox[0].body
    again = client.get(f"/w/{owner.workspace.pk}/members/").content.decode()
    assert token not in again
    assert "new@example.com" in again


def test_inviting_an_address_again_replaces_its_earlier_link(owner, make_member, login):
    """One address, one working link: re-inviting is how a lost e-mail is sent again. A
    consultant's re-invite leaves an owner's pending consultant invitation alone."""
    client = login(owner.user)
    url = f"/w/{owner.workspace.pk}/members/"
    first = client.post(url, {"email": JOINER, "role": "consultant"}, follow=True)
    first_token = re.search(r"/invite/([\w-]+)/", first.content.decode())[1]
    second = client.post(url, {"email": JOINER.upper(), "role": "viewer"}, follow=True)
    assert f"The earlier link for {JOINER} no longer works." in second.content.decode()
    pending = owner.workspace.invitations.filter(revoked_at__isnull=True)
    assert list(pending.values_list("role", flat=True)) == [Role.VIEWER]
    joiner = UserFactory(email=JOINER)
    refused = login(joiner).get(f"/invite/{first_token}/").content.decode()
    assert "This invitation was revoked" in refused

    client.post(url, {"email": "lead@example.com", "role": "consultant"})
    consultant = make_member(Role.CONSULTANT, workspace=owner.workspace)
    client_org = ClientFactory(workspace=owner.workspace)
    login(consultant.user).post(
        url, {"email": "lead@example.com", "role": "viewer", "client": client_org.pk}
    )
    roles = owner.workspace.invitations.filter(
        email="lead@example.com", revoked_at__isnull=True
    ).values_list("role", flat=True)
    assert sorted(roles) == [Role.CONSULTANT, Role.VIEWER]


def test_an_invitation_needs_an_address(owner, login):
    response = login(owner.user).post(f"/w/{owner.workspace.pk}/members/", {"role": "viewer"})
    assert response.status_code == 200
    assert "works only for an account with that address" in response.content.decode()
    assert owner.workspace.invitations.count() == 0


def test_invitation_form_errors_keep_the_input(owner, login):
    client = login(owner.user)
    response = client.post(
        f"/w/{owner.workspace.pk}/members/", {"email": "not-an-email", "role": "emperor"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address" in page
    assert "Select a valid choice" in page
    assert 'value="not-an-email"' in page
    assert owner.workspace.invitations.count() == 0


def test_accepting_adds_the_member_with_the_role_and_works_once(invitation, owner, login):
    joiner = UserFactory(email=JOINER)
    response = login(joiner).post(f"/invite/{invitation.token}/")
    assert response.status_code == 302
    assert (
        Membership.objects.get(user=joiner, workspace=invitation.workspace).role == Role.CONSULTANT
    )

    Membership.objects.filter(user=joiner).delete()  # removed: the old link does not let them back
    again = login(joiner).post(f"/invite/{invitation.token}/")
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert not Membership.objects.filter(user=joiner).exists()


def test_another_account_is_told_whom_the_invitation_is_for(invitation, login):
    other = UserFactory(email="someone.else@example.com")
    client = login(other)
    page = client.get(f"/invite/{invitation.token}/")
    assert page.status_code == 403
    text = page.content.decode()
    assert f"is for <strong>{JOINER}</strong>" in text
    assert "someone.else@example.com" in text
    assert "Accept and join" not in text
    refused = client.post(f"/invite/{invitation.token}/")
    assert refused.status_code == 403
    assert not Membership.objects.filter(user=other).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_address_matches_whatever_its_case(owner, login):
    invitation = InvitationFactory(workspace=owner.workspace, email="Mixed.Case@Example.COM")
    joiner = UserFactory(email="mixed.case@example.com")
    assert login(joiner).post(f"/invite/{invitation.token}/").status_code == 302
    assert Membership.objects.filter(user=joiner, workspace=owner.workspace).exists()


def test_an_old_invitation_without_an_address_cannot_be_accepted(owner, login):
    invitation = InvitationFactory(workspace=owner.workspace, email="")
    joiner = UserFactory()
    response = login(joiner).post(f"/invite/{invitation.token}/")
    assert response.status_code == 410
    assert "names no e-mail address" in response.content.decode()
    assert not Membership.objects.filter(user=joiner).exists()


def test_anonymous_visitor_is_asked_to_log_in_or_sign_up_and_comes_back(invitation, client):
    page = client.get(f"/invite/{invitation.token}/").content.decode()
    assert f"Log in or create an account as {JOINER} to accept" in page
    assert f"next=/invite/{invitation.token}/" in page.replace("%2F", "/")


def test_expired_invitation_gives_a_clear_message(invitation, login):
    joiner = UserFactory(email=JOINER)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = login(joiner).post(f"/invite/{invitation.token}/")
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not Membership.objects.filter(user=joiner).exists()


def test_revoked_invitation_gives_a_clear_message(invitation, owner, login):
    login(owner.user).post(f"/invitations/{invitation.pk}/revoke/")
    joiner = UserFactory(email=JOINER)
    response = login(joiner).get(f"/invite/{invitation.token}/")
    assert response.status_code == 410
    assert "revoked" in response.content.decode()
    assert login(joiner).post(f"/invite/{invitation.token}/").status_code == 410
    assert not Membership.objects.filter(user=joiner).exists()


def test_unknown_invitation_token_says_the_link_is_not_valid(client, db):
    response = client.get("/invite/not-a-real-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_the_last_owner_cannot_leave_or_be_demoted(owner, login):
    client = login(owner.user)
    response = client.post(f"/members/{owner.pk}/role/", {"role": "viewer"}, follow=True)
    assert "at least one owner" in response.content.decode()
    response = client.post(f"/members/{owner.pk}/remove/", follow=True)
    assert "at least one owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_owner_changes_a_role_and_removes_a_member(owner, make_member, login):
    other = make_member(Role.VIEWER, workspace=owner.workspace)
    client = login(owner.user)
    client.post(f"/members/{other.pk}/role/", {"role": "consultant"})
    other.refresh_from_db()
    assert other.role == Role.CONSULTANT
    client.post(f"/members/{other.pk}/remove/")
    assert not Membership.objects.filter(pk=other.pk).exists()
    # A removed member loses access at once.
    assert login(other.user).get(f"/w/{owner.workspace.pk}/").status_code == 404
