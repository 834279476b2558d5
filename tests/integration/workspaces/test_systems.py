import pytest
from django.urls import reverse

from assessments.workspaces.models import Role, System
from tests.factories import ClientFactory, SystemFactory, TargetFactory

VALID = {
    "name": "Storefront",
    "description": "Web shop and its API",
    "current_users": "2000",
    "target_users": "100000",
    "peak_rps": "",
    "base_urls": "https://shop.example.com\nhttps://api.example.com:8443/v1",
}


@pytest.fixture
def consultant(make_member):
    return make_member(Role.CONSULTANT)


def test_create_a_system_and_see_it_listed(consultant, login):
    client = login(consultant.user)
    response = client.post(reverse("system_create", args=[consultant.workspace.pk]), VALID)
    system = System.objects.get(workspace=consultant.workspace)
    assert response.url == f"/systems/{system.pk}/"
    assert [t.url for t in system.targets.all()] == [
        "https://shop.example.com/",
        "https://api.example.com:8443/v1",
    ]
    listing = client.get(f"/w/{consultant.workspace.pk}/").content.decode()
    assert "Storefront" in listing
    assert "100,000" in listing


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("base_urls", "ftp://files.example.com", "scheme 'ftp' is not allowed"),
        ("base_urls", "https://", "URL has no host"),
        ("base_urls", "https://user:pw@example.com", "credentials in URLs are not allowed"),
        ("base_urls", "https://example.com:22", "port 22 is not allowed"),
        ("base_urls", "not-a-url", "scheme '' is not allowed"),
        ("base_urls", "http://localhost:8000", "127.0.0.1 is a loopback address"),
        ("base_urls", "http://10.1.2.3/", "10.1.2.3 is"),
        ("base_urls", "http://169.254.169.254/latest/", "169.254.169.254 is"),
        ("current_users", "-5", "greater than or equal to 0"),
        ("target_users", "0", "greater than or equal to 1"),
        ("target_users", "99999999999999", "less than or equal to 10000000000"),
        ("target_users", "1000", "Aim for at least the users you have today"),
        ("peak_rps", "-1", "greater than or equal to 1"),
        ("name", "x" * 121, "at most 120 characters"),
        ("name", "", "This field is required"),
    ],
)
def test_bad_input_gets_a_field_error_and_keeps_what_was_typed(
    field, value, message, consultant, login
):
    client = login(consultant.user)
    data = {**VALID, field: value}
    response = client.post(reverse("system_create", args=[consultant.workspace.pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    page = response.content.decode()
    assert "Web shop and its API" in page  # other fields survive
    if value and field != "name":
        assert value.split("\n")[0] in page
    assert not System.objects.exists()


def test_too_many_base_urls_are_refused(consultant, login):
    urls = "\n".join(f"https://s{i}.example.com" for i in range(11))
    response = login(consultant.user).post(
        reverse("system_create", args=[consultant.workspace.pk]), {**VALID, "base_urls": urls}
    )
    assert "At most 10 base URLs" in str(response.context["form"].errors["base_urls"])


def test_loopback_base_url_is_accepted_only_when_the_setting_allows(consultant, login, settings):
    settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS = True
    response = login(consultant.user).post(
        reverse("system_create", args=[consultant.workspace.pk]),
        {**VALID, "base_urls": "http://127.0.0.1:8000"},
    )
    assert response.status_code == 302
    assert System.objects.get().targets.get().url == "http://127.0.0.1:8000/"


def test_edit_replaces_the_base_urls(consultant, login):
    system = SystemFactory(workspace=consultant.workspace)
    TargetFactory(system=system, url="https://old.example.com/")
    client = login(consultant.user)
    edit_page = client.get(reverse("system_edit", args=[system.pk])).content.decode()
    assert "https://old.example.com/" in edit_page
    client.post(
        reverse("system_edit", args=[system.pk]), {**VALID, "base_urls": "https://new.example.com"}
    )
    system.refresh_from_db()
    assert system.name == "Storefront"
    assert [t.url for t in system.targets.all()] == ["https://new.example.com/"]


def test_delete_asks_first_then_removes(consultant, login):
    system = SystemFactory(workspace=consultant.workspace, name="Legacy")
    client = login(consultant.user)
    confirm = client.get(reverse("system_delete", args=[system.pk]))
    assert "Delete “Legacy”?" in confirm.content.decode()
    assert System.objects.filter(pk=system.pk).exists()
    client.post(reverse("system_delete", args=[system.pk]))
    assert not System.objects.filter(pk=system.pk).exists()


def test_system_client_must_belong_to_the_same_workspace(consultant, login):
    foreign_client = ClientFactory()
    response = login(consultant.user).post(
        reverse("system_create", args=[consultant.workspace.pk]),
        {**VALID, "client": foreign_client.pk},
    )
    assert "Select a valid choice" in str(response.context["form"].errors["client"])


def test_clients_are_created_listed_renamed_and_deleted(consultant, login):
    client = login(consultant.user)
    url = reverse("client_list", args=[consultant.workspace.pk])
    client.post(url, {"name": "Acme", "notes": ""})
    duplicate = client.post(url, {"name": "acme", "notes": "dup"})
    assert "already exists" in duplicate.content.decode()
    acme = consultant.workspace.clients.get()
    system = SystemFactory(workspace=consultant.workspace, client=acme)
    client.post(reverse("client_edit", args=[acme.pk]), {"name": "Acme Corp", "notes": ""})
    assert "Acme Corp" in client.get(url).content.decode()
    client.post(reverse("client_delete", args=[acme.pk]))
    system.refresh_from_db()
    assert system.client is None


@pytest.mark.parametrize("count", [2, 40, 120])
def test_workspace_page_query_count_does_not_grow_with_systems(
    count, consultant, login, django_assert_num_queries
):
    clients = ClientFactory.create_batch(3, workspace=consultant.workspace)
    for i in range(count):
        system = SystemFactory(workspace=consultant.workspace, client=clients[i % 3])
        TargetFactory(system=system)
    client = login(consultant.user)
    client.get(f"/w/{consultant.workspace.pk}/")  # warm the session
    with django_assert_num_queries(QUERIES_ON_WORKSPACE_PAGE):
        response = client.get(f"/w/{consultant.workspace.pk}/")
    assert response.content.decode().count('href="/systems/') == min(count, 50)


# session, user, workspace, systems count (pager), systems, client count, nav workspaces
QUERIES_ON_WORKSPACE_PAGE = 7
