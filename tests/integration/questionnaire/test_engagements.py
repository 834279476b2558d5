"""The engagement flow: a client, a system and its assessment from one form."""

import pytest

from assessments.workspaces.models import Assessment, Client, Role, System
from checks.models import Target
from tests.factories import ClientFactory, WorkspaceFactory

VALID = {
    "client": "",
    "client_name": "Acme Retail",
    "system-name": "Acme Shop",
    "system-current_users": "20000",
    "system-target_users": "500000",
    "system-base_urls": "https://shop.acme.example\nhttps://api.acme.example",
    "system-assessment_title": "",
}


@pytest.fixture
def consultant(make_member):
    return make_member(Role.CONSULTANT)


def url(workspace):
    return f"/w/{workspace.pk}/engagements/new/"


def test_consultant_starts_an_engagement_and_lands_on_the_assessment(
    consultant, bank_version, login
):
    client = login(consultant.user)
    assert client.get(url(consultant.workspace)).status_code == 200
    response = client.post(url(consultant.workspace), VALID)
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response.url == f"/assessments/{assessment.pk}/"
    system = assessment.system
    assert (system.name, system.current_users, system.target_users) == ("Acme Shop", 20000, 500000)
    assert system.workspace == consultant.workspace
    assert system.client.name == "Acme Retail"
    assert system.client.workspace == consultant.workspace
    assert list(system.targets.values_list("url", flat=True)) == [
        "https://shop.acme.example/",
        "https://api.acme.example/",
    ]
    assert assessment.band == "1m"  # from the target users
    assert assessment.title.startswith("Acme Shop — ")
    assert assessment.created_by == consultant.user
    assert assessment.bank_version == bank_version


def test_an_existing_client_can_be_picked_and_the_title_given(consultant, bank_version, login):
    acme = ClientFactory(workspace=consultant.workspace, name="Acme")
    data = {**VALID, "client": acme.pk, "client_name": "", "system-assessment_title": "Kick-off"}
    login(consultant.user).post(url(consultant.workspace), data)
    assessment = Assessment.objects.get()
    assert assessment.system.client == acme
    assert assessment.title == "Kick-off"
    assert Client.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_name": ""}, "Type the new client&#x27;s name, or pick an existing client."),
        ({"client": "EXISTING"}, "Pick an existing client or type a new name, not both."),
        ({"client_name": "acme"}, "A client with this name already exists in this workspace."),
        ({"client": "FOREIGN", "client_name": ""}, "Choose one of this workspace&#x27;s clients."),
        ({"system-target_users": "100"}, "Aim for at least the users you have today"),
        ({"system-base_urls": "ftp://shop.acme.example"}, "only http and https"),
        ({"system-name": ""}, "This field is required."),
    ],
)
def test_bad_input_keeps_everything_typed_and_creates_nothing(
    change, error, consultant, bank_version, login
):
    existing = ClientFactory(workspace=consultant.workspace, name="Acme")
    foreign = ClientFactory(workspace=WorkspaceFactory(), name="Foreign")
    values = {"EXISTING": existing.pk, "FOREIGN": foreign.pk}
    data = {**VALID, **{key: values.get(value, value) for key, value in change.items()}}
    response = login(consultant.user).post(url(consultant.workspace), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert error in page
    assert 'value="20000"' in page
    assert data["system-base_urls"] in page
    if data["client_name"]:
        assert f'value="{data["client_name"]}"' in page
    assert Assessment.objects.count() == 0
    assert System.objects.count() == 0
    assert Target.objects.count() == 0
    assert list(Client.objects.values_list("name", flat=True)) == ["Acme", "Foreign"]


def test_a_failure_half_way_leaves_nothing_behind(consultant, bank_version, monkeypatch, login):
    """The client and system are created before the assessment: one transaction undoes all."""
    from django.db import IntegrityError

    from assessments.questionnaire import services as engagements

    def clash(**kwargs):
        raise IntegrityError("client name taken meanwhile")

    monkeypatch.setattr(engagements, "assessment_start", clash)
    response = login(consultant.user).post(url(consultant.workspace), VALID)
    assert response.status_code == 200
    assert not Client.objects.exists()
    assert not System.objects.exists()
    assert not Target.objects.exists()


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.VIEWER])
def test_only_owners_and_consultants_start_engagements(role, make_member, login):
    member = make_member(role)
    client = login(member.user)
    assert client.get(url(member.workspace)).status_code == 403
    assert client.post(url(member.workspace), VALID).status_code == 403
    assert not Client.objects.exists()


def test_workspace_page_links_to_the_engagement_flow_for_consultants(
    consultant, make_member, login
):
    page = login(consultant.user).get(f"/w/{consultant.workspace.pk}/").content.decode()
    assert f'href="{url(consultant.workspace)}"' in page
    viewer = make_member(Role.VIEWER, workspace=consultant.workspace)
    page = login(viewer.user).get(f"/w/{consultant.workspace.pk}/").content.decode()
    assert url(consultant.workspace) not in page


def test_engagement_form_query_count_does_not_grow_with_clients(
    consultant, login, django_assert_max_num_queries
):
    client = login(consultant.user)
    client.get(url(consultant.workspace))
    ClientFactory.create_batch(30, workspace=consultant.workspace)
    with django_assert_max_num_queries(8):
        response = client.get(url(consultant.workspace))
    assert response.content.decode().count("<option") == 31
