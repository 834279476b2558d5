"""Client staff: members limited to one assessment or one client, invited with their areas."""

import re
from datetime import datetime

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.workspaces.models import AreaAssignment, Invitation, Membership, Role
from tests.factories import (
    AnswerFactory,
    AreaAssignmentFactory,
    AssessmentFactory,
    ClientFactory,
    InvitationFactory,
    MembershipFactory,
    SystemFactory,
    UserFactory,
    WorkspaceFactory,
)


@pytest.fixture
def consultant(make_member):
    return make_member(Role.CONSULTANT)


@pytest.fixture
def engagement(consultant, bank_version):
    """A client with one system and two assessments, and another client's system."""
    workspace = consultant.workspace
    acme = ClientFactory(workspace=workspace, name="Acme")
    system = SystemFactory(workspace=workspace, client=acme, name="Acme Shop")
    return {
        "client": acme,
        "assessment": AssessmentFactory(
            system=system, bank_version=bank_version, title="Acme audit 2026-Q1"
        ),
        "sibling": AssessmentFactory(
            system=system, bank_version=bank_version, title="Acme audit 2025-Q4"
        ),
        "other": AssessmentFactory(
            system__workspace=workspace,
            system__client=ClientFactory(workspace=workspace, name="Globex"),
            system__name="Globex Portal",
            bank_version=bank_version,
            title="Globex review",
        ),
    }


def areas_of(assessment):
    return [area["id"] for area in assessment.bank_version.areas]


def invite(http, workspace, **data):
    data.setdefault("email", f"invitee-{Invitation.objects.count()}@acme.example")
    return http.post(f"/w/{workspace.pk}/members/", {"role": "contributor", **data})


def link_shown_once(http, response) -> str:
    """The invitation link in the message after creating it (the only place it appears)."""
    page = http.get(response.url).content.decode()
    return re.search(r"http://testserver(/invite/[\w-]+/)", page)[1]


def answer_post(client, assessment, question):
    return client.post(
        f"/assessments/{assessment.pk}/answers/{question.key}/",
        {"choice": "2", "base_version": 0},
    )


def test_consultant_invites_a_contributor_to_one_assessment_who_answers_only_their_areas(
    consultant, engagement, bank_version, login
):
    assessment = engagement["assessment"]
    mine, not_mine = areas_of(assessment)[:2]
    inviter = login(consultant.user)
    response = invite(
        inviter,
        consultant.workspace,
        email="cto@acme.example",
        assessment=assessment.pk,
        areas=[mine],
    )
    assert response.status_code == 302
    link = link_shown_once(inviter, response)
    invitation = Invitation.objects.get(workspace=consultant.workspace)
    assert (invitation.assessment, invitation.client, invitation.areas) == (
        assessment,
        None,
        [mine],
    )
    # The e-mail says what the invited person will work on, in words.
    body = mail.outbox[-1].body
    title = assessment.bank_version.area_titles()[mine]
    assert f"the assessment “{assessment.title}” of the system “{assessment.system.name}”" in body
    assert f"answering these areas: {title}." in body

    cto = UserFactory(email="cto@acme.example")
    client = login(cto)
    accepted = client.post(link)
    assert accepted.url == f"/assessments/{assessment.pk}/"
    membership = Membership.objects.get(user=cto)
    assert (membership.role, membership.assessment, membership.client) == (
        Role.CONTRIBUTOR,
        assessment,
        None,
    )
    assert AreaAssignment.objects.get(assessment=assessment, area=mine).user == cto

    questions = bank_version.questions.all()
    in_mine = questions.filter(area=mine).first()
    in_other = questions.filter(area=not_mine).first()
    assert answer_post(client, assessment, in_mine).status_code == 302
    assert assessment.answers.filter(question=in_mine, answered_by=cto).exists()
    answer_post(client, assessment, in_other)
    assert not assessment.answers.filter(question=in_other).exists()

    # Nothing else: the sibling assessment, the system page, the other client, the workspace.
    for url in [
        f"/assessments/{engagement['sibling'].pk}/",
        f"/assessments/{engagement['other'].pk}/results/",
        f"/systems/{assessment.system_id}/",
        f"/w/{consultant.workspace.pk}/",
        f"/w/{consultant.workspace.pk}/members/",
        f"/w/{consultant.workspace.pk}/clients/",
    ]:
        assert client.get(url).status_code == 404, url
    assert answer_post(client, engagement["sibling"], in_mine).status_code == 404


def test_limited_member_lands_on_their_assessments_without_dead_ends(engagement, login):
    assessment = engagement["assessment"]
    member = MembershipFactory(
        workspace=assessment.system.workspace, role=Role.VIEWER, assessment=assessment
    )
    client = login(member.user)
    home = client.get("/")
    page = home.content.decode()
    assert home.status_code == 200
    assert f'href="/assessments/{assessment.pk}/"' in page
    assert "Acme audit 2025-Q4" not in page
    assert "Globex" not in page
    assert f"/systems/{assessment.system_id}/" not in page  # the system page is not theirs
    workspace_url = f'href="/w/{assessment.system.workspace_id}/'
    assert workspace_url not in page

    overview = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert "Acme Shop" in overview  # the system's name, without a link to its page
    assert f'href="/systems/{assessment.system_id}/"' not in overview
    assert workspace_url not in overview


def test_client_limited_member_sees_that_clients_systems_and_assessments_only(engagement, login):
    assessment = engagement["assessment"]
    member = MembershipFactory(
        workspace=assessment.system.workspace, role=Role.VIEWER, client=engagement["client"]
    )
    client = login(member.user)
    page = client.get("/").content.decode()
    assert f'href="/systems/{assessment.system_id}/"' in page
    assert "Acme audit 2025-Q4" in page
    assert "Acme audit 2026-Q1" in page
    assert "Globex" not in page
    system_page = client.get(f"/systems/{assessment.system_id}/")
    assert system_page.status_code == 200
    assert f'href="/w/{assessment.system.workspace_id}/' not in system_page.content.decode()
    assert client.get(f"/systems/{engagement['other'].system_id}/").status_code == 404
    assert client.get(f"/assessments/{engagement['sibling'].pk}/").status_code == 200
    assert client.get(f"/assessments/{engagement['other'].pk}/").status_code == 404


def test_a_member_with_a_whole_workspace_too_still_reaches_it_from_home(engagement, login):
    member = MembershipFactory(role=Role.OWNER)
    MembershipFactory(
        user=member.user,
        workspace=engagement["assessment"].system.workspace,
        role=Role.CONTRIBUTOR,
        assessment=engagement["assessment"],
    )
    page = login(member.user).get("/").content.decode()
    assert f'href="/w/{member.workspace.pk}/"' in page
    assert f'href="/assessments/{engagement["assessment"].pk}/"' in page


def test_unlimited_members_still_go_straight_to_their_workspace(owner, login):
    response = login(owner.user).get("/")
    assert response.status_code == 302
    assert response.url == f"/w/{owner.workspace.pk}/"


def test_invitation_scope_must_be_in_the_workspace(consultant, engagement, login):
    elsewhere = ClientFactory(workspace=WorkspaceFactory(), name="Initech")
    foreign_assessment = AssessmentFactory(
        system__workspace=elsewhere.workspace, bank_version=engagement["assessment"].bank_version
    )
    client = login(consultant.user)
    response = invite(client, consultant.workspace, client=elsewhere.pk)
    assert response.status_code == 200
    assert "Choose one of this workspace&#x27;s clients." in response.content.decode()
    response = invite(client, consultant.workspace, assessment=foreign_assessment.pk)
    assert "Choose one of this workspace&#x27;s assessments." in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"role": "consultant", "client": "CLIENT"}, "Select a valid choice"),
        ({"role": "contributor"}, "Consultants invite client staff"),
        ({"client": "CLIENT", "assessment": "ASSESSMENT"}, "not both"),
        ({"client": "CLIENT", "areas": ["AREA"]}, "choose the assessment"),
        ({"role": "viewer", "assessment": "ASSESSMENT", "areas": ["AREA"]}, "choose Contributor"),
        ({"assessment": "ASSESSMENT", "areas": ["nonsense"]}, "Select a valid choice"),
    ],
)
def test_consultant_invitation_errors_say_what_to_fix_and_keep_the_input(
    data, error, consultant, engagement, login
):
    assessment = engagement["assessment"]
    values = {
        "CLIENT": str(engagement["client"].pk),
        "ASSESSMENT": str(assessment.pk),
        "AREA": areas_of(assessment)[0],
    }
    posted = {
        key: [values.get(v, v) for v in value]
        if isinstance(value, list)
        else values.get(value, value)
        for key, value in data.items()
    }
    response = invite(
        login(consultant.user), consultant.workspace, email="kept@acme.example", **posted
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert error in page.replace("&#x27;", "'")
    assert 'value="kept@acme.example"' in page
    assert not Invitation.objects.exists()


def test_owner_may_limit_to_a_client_but_not_as_consultant(owner, login):
    acme = ClientFactory(workspace=owner.workspace)
    client = login(owner.user)
    refused = invite(client, owner.workspace, role="consultant", client=acme.pk)
    assert "contributors or viewers" in refused.content.decode()
    assert invite(client, owner.workspace, role="viewer", client=acme.pk).status_code == 302
    assert invite(client, owner.workspace, role="consultant").status_code == 302  # whole workspace
    assert list(owner.workspace.invitations.values_list("role", "client")) == [
        (Role.CONSULTANT, None),
        (Role.VIEWER, acme.pk),
    ]


def test_a_limited_member_cannot_be_promoted_to_consultant(owner, login):
    acme = ClientFactory(workspace=owner.workspace)
    member = MembershipFactory(workspace=owner.workspace, role=Role.VIEWER, client=acme)
    response = login(owner.user).post(
        f"/members/{member.pk}/role/", {"role": "consultant"}, follow=True
    )
    assert "can be a contributor or a viewer" in response.content.decode()
    member.refresh_from_db()
    assert member.role == Role.VIEWER
    login(owner.user).post(f"/members/{member.pk}/role/", {"role": "contributor"})
    member.refresh_from_db()
    assert member.role == Role.CONTRIBUTOR


def test_someone_already_in_the_workspace_keeps_their_membership(consultant, engagement, login):
    invitation = InvitationFactory(
        workspace=consultant.workspace,
        role=Role.VIEWER,
        assessment=engagement["assessment"],
        email=consultant.user.email,
    )
    response = login(consultant.user).post(f"/invite/{invitation.token}/")
    assert response.status_code == 410
    assert "already a member" in response.content.decode()
    consultant.refresh_from_db()
    assert (consultant.role, consultant.assessment) == (Role.CONSULTANT, None)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_members_page_shows_each_members_scope(owner, login, bank_version):
    acme = ClientFactory(workspace=owner.workspace, name="Acme")
    assessment = AssessmentFactory(
        system__workspace=owner.workspace, bank_version=bank_version, title="Spring audit"
    )
    MembershipFactory(workspace=owner.workspace, role=Role.VIEWER, client=acme)
    MembershipFactory(workspace=owner.workspace, role=Role.CONTRIBUTOR, assessment=assessment)
    page = login(owner.user).get(f"/w/{owner.workspace.pk}/members/").content.decode()
    assert "The whole workspace" in page
    assert "Only the client Acme" in page
    assert "Only the assessment “Spring audit”" in page


def test_assignable_people_are_those_who_can_open_the_assessment(consultant, engagement, login):
    assessment = engagement["assessment"]
    workspace = consultant.workspace
    here = MembershipFactory(workspace=workspace, role=Role.CONTRIBUTOR, assessment=assessment)
    same_client = MembershipFactory(
        workspace=workspace, role=Role.CONTRIBUTOR, client=engagement["client"]
    )
    elsewhere = MembershipFactory(
        workspace=workspace, role=Role.CONTRIBUTOR, assessment=engagement["other"]
    )
    client = login(consultant.user)
    page = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert here.user.email in page
    assert same_client.user.email in page
    assert elsewhere.user.email not in page
    area = areas_of(assessment)[0]
    client.post(f"/assessments/{assessment.pk}/assign/", {"area": area, "user": elsewhere.user.pk})
    assert not AreaAssignment.objects.filter(assessment=assessment).exists()


# --- Progress per contributor ----------------------------------------------------------------


def test_consultant_sees_each_contributors_progress_per_area(
    consultant, engagement, bank_version, login
):
    assessment = engagement["assessment"]
    first, second, third = areas_of(assessment)[:3]
    ana = MembershipFactory(
        workspace=consultant.workspace, role=Role.CONTRIBUTOR, assessment=assessment
    ).user
    ben = MembershipFactory(workspace=consultant.workspace, role=Role.CONTRIBUTOR).user
    for area, user in [(first, ana), (second, ana), (third, ben)]:
        AreaAssignmentFactory(assessment=assessment, area=area, user=user)
    answered_at = timezone.make_aware(datetime(2026, 3, 4, 10, 30))
    for question in bank_version.questions.filter(area=first)[:2]:
        AnswerFactory(
            assessment=assessment, question=question, answered_by=ana, answered_at=answered_at
        )
    page = login(consultant.user).get(f"/assessments/{assessment.pk}/").content.decode()
    section = page.split('id="contributors"')[1].split("</section>")[0]
    totals = dict(
        bank_version.questions.filter(area__in=[first, second, third])
        .values_list("area")
        .annotate(n=Count("id"))
    )
    assert section.index(ana.email) < section.index(ben.email)
    assert f"2/{totals[first]}" in section
    assert f"0/{totals[second]}" in section
    assert f"0/{totals[third]}" in section
    assert f"2/{totals[first] + totals[second]} answered" in section
    assert "4 Mar 2026 10:30" in section
    assert "none yet" in section  # ben has not answered anything


def test_contributors_see_no_progress_per_contributor(engagement, login):
    assessment = engagement["assessment"]
    member = MembershipFactory(
        workspace=assessment.system.workspace, role=Role.CONTRIBUTOR, assessment=assessment
    )
    page = login(member.user).get(f"/assessments/{assessment.pk}/").content.decode()
    assert 'id="contributors"' not in page


def queries_to_get(client, url: str) -> int:
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_contributors(assessment, people: int, bank_version):
    workspace = assessment.system.workspace
    for area in areas_of(assessment)[len(assessment.assignments.all()) :][:people]:
        user = MembershipFactory(
            workspace=workspace, role=Role.CONTRIBUTOR, assessment=assessment
        ).user
        AreaAssignmentFactory(assessment=assessment, area=area, user=user)
        question = bank_version.questions.filter(area=area).first()
        AnswerFactory(assessment=assessment, question=question, answered_by=user)


def test_overview_query_count_does_not_grow_with_contributors(
    consultant, engagement, bank_version, login
):
    assessment = engagement["assessment"]
    client = login(consultant.user)
    url = f"/assessments/{assessment.pk}/"
    add_contributors(assessment, 1, bank_version)
    few = queries_to_get(client, url)
    add_contributors(assessment, 6, bank_version)
    assert queries_to_get(client, url) == few


def test_members_page_query_count_does_not_grow_with_scoped_members(owner, login, bank_version):
    client = login(owner.user)
    url = f"/w/{owner.workspace.pk}/members/"

    def add(n):
        for _ in range(n):
            acme = ClientFactory(workspace=owner.workspace)
            assessment = AssessmentFactory(
                system__workspace=owner.workspace, bank_version=bank_version
            )
            MembershipFactory(workspace=owner.workspace, role=Role.VIEWER, client=acme)
            MembershipFactory(workspace=owner.workspace, role=Role.VIEWER, assessment=assessment)
            InvitationFactory(workspace=owner.workspace, client=acme)
            InvitationFactory(workspace=owner.workspace, assessment=assessment)

    add(1)
    few = queries_to_get(client, url)
    add(8)
    assert queries_to_get(client, url) == few


def test_home_query_count_does_not_grow_with_shared_assessments(engagement, login, bank_version):
    acme = engagement["client"]
    workspace = acme.workspace
    member = MembershipFactory(workspace=workspace, role=Role.VIEWER, client=acme)
    client = login(member.user)
    few = queries_to_get(client, "/")
    for _ in range(6):
        AssessmentFactory(
            system__workspace=workspace, system__client=acme, bank_version=bank_version
        )
    assert queries_to_get(client, "/") == few


def test_overview_links_to_inviting_staff_with_the_assessment_chosen(consultant, engagement, login):
    assessment = engagement["assessment"]
    client = login(consultant.user)
    link = f"/w/{consultant.workspace.pk}/members/?assessment={assessment.pk}"
    assert link in client.get(f"/assessments/{assessment.pk}/").content.decode()
    page = client.get(link).content.decode()
    assert f'<option value="{assessment.pk}" selected>' in page
