"""One sweep over every URL pattern, so a new view is covered without anyone remembering to.

Every URL that takes an object id is requested (GET and POST) by a member of another
workspace and must answer 404; anonymous visitors are sent to log in. A URL with a
parameter this file does not know fails the sweep until a fixture object is added here.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from assessments.workspaces.models import Role
from tests.factories import (
    AssessmentFactory,
    ClientFactory,
    InvitationFactory,
    MembershipFactory,
    SystemFactory,
)
from tests.security.conftest import objects_in

# URL parameters that are not workspace-owned object ids, with the reason they are exempt.
NOT_OBJECT_IDS = {
    "uidb64": "password reset: Django signs and checks it",
    "token": "an unguessable secret that is itself the credential",
}
PUBLIC_PREFIXES = ("accounts/password/reset/", "invite/", "admin/")
# The API authenticates by token, never by session: tests/security/test_api_sweep.py sweeps it.
API_PREFIX = "api/"


def walk(patterns, prefix="", skip=API_PREFIX):
    for entry in patterns:
        if skip and (prefix + str(entry.pattern)).startswith(skip):
            continue
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), skip)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def object_url_patterns():
    found = []
    for route, entry in walk(get_resolver().url_patterns):
        params = set(entry.pattern.converters)
        if params and not params <= set(NOT_OBJECT_IDS) and not route.startswith("admin/"):
            found.append((route, entry))
    return found


@pytest.fixture
def foreign_objects(make_member, bank_version):
    """Objects in workspace A, keyed by the URL parameter that names them."""
    return objects_in(make_member(Role.OWNER).workspace, bank_version)


def fill(route: str, entry: URLPattern, objects: dict) -> str:
    missing = set(entry.pattern.converters) - set(objects)
    assert not missing, (
        f"URL {route!r} takes {missing}: add an object for it to foreign_objects in {__file__}"
    )
    path = route
    for name in entry.pattern.converters:
        path = re.sub(rf"<(\w+:)?{name}>", str(objects[name]), path)
    return "/" + path


def test_sweep_finds_the_object_urls():
    names = {entry.name for _, entry in object_url_patterns()}
    assert {
        "system_detail",
        "system_edit",
        "client_edit",
        "members",
        "invitation_revoke",
        "assessment_area",
        "answer",
        "assessment_export",
        "probe_run_start",
        "probe_run_detail",
        "target_verify",
    } <= names


def missing(objects: dict) -> dict:
    """The same URL parameters naming objects that do not exist at all."""
    return {
        name: 10**9 if isinstance(value, int) else "no-such-thing"
        for name, value in objects.items()
    }


def refused_for_its_method(client, route, entry, objects, response) -> bool:
    """A POST-only action (``require_POST``) answers GET with 405 before any lookup: the same
    answer for an object that does not exist, so it tells an outsider nothing."""
    if response.status_code != 405:
        return False
    assert "POST" in response["Allow"]
    assert client.get(fill(route, entry, missing(objects))).status_code == 405
    return True


@pytest.mark.parametrize("method", ["get", "post"])
def test_member_of_another_workspace_gets_404_on_every_object_url(
    method, foreign_objects, make_member, login
):
    outsider = make_member(Role.OWNER).user
    client = login(outsider)
    for route, entry in object_url_patterns():
        url = fill(route, entry, foreign_objects)
        response = getattr(client, method)(url)
        if refused_for_its_method(client, route, entry, foreign_objects, response):
            continue
        assert response.status_code == 404, f"{method.upper()} {url} -> {response.status_code}"


def test_anonymous_visitor_is_sent_to_log_in_on_every_object_url(foreign_objects, client):
    for route, entry in object_url_patterns():
        url = fill(route, entry, foreign_objects)
        response = client.get(url)
        assert response.status_code == 302, f"GET {url} -> {response.status_code}"
        assert response.url.startswith("/accounts/login/"), url


def test_no_page_outside_the_public_ones_is_open_to_anonymous_visitors(client, db):
    open_routes = []
    for route, entry in walk(get_resolver().url_patterns):
        if entry.pattern.converters or route.startswith(PUBLIC_PREFIXES):
            continue
        response = client.get("/" + route)
        if response.status_code == 200:
            open_routes.append(route)
    assert sorted(open_routes) == sorted(
        ["healthz", "readyz", "accounts/signup/", "accounts/login/", "methodology/"]
    )


@pytest.mark.parametrize(
    ("url_name", "param"),
    [
        ("system_create", "workspace_id"),
        ("system_edit", "system_id"),
        ("system_delete", "system_id"),
        ("client_edit", "client_id"),
        ("client_delete", "client_id"),
        ("client_list", "workspace_id"),
        ("workspace_settings", "workspace_id"),
    ],
)
def test_viewer_cannot_create_edit_or_delete(url_name, param, make_member, login):
    from django.urls import reverse

    viewer = make_member(Role.VIEWER)
    workspace = viewer.workspace
    objects = {
        "workspace_id": workspace.pk,
        "system_id": SystemFactory(workspace=workspace).pk,
        "client_id": ClientFactory(workspace=workspace).pk,
    }
    client = login(viewer.user)
    response = client.post(reverse(url_name, args=[objects[param]]), {"name": "Changed"})
    assert response.status_code == 403
    assert workspace.systems.filter(name="Changed").count() == 0
    assert workspace.clients.filter(name="Changed").count() == 0


def test_viewer_can_read_systems_but_sees_no_edit_buttons(make_member, login):
    viewer = make_member(Role.VIEWER)
    system = SystemFactory(workspace=viewer.workspace, name="Checkout")
    client = login(viewer.user)
    page = client.get(f"/w/{viewer.workspace.pk}/").content.decode()
    assert "Checkout" in page
    assert "Add system" not in page
    detail = client.get(f"/systems/{system.pk}/").content.decode()
    assert f"/systems/{system.pk}/edit/" not in detail


@pytest.mark.parametrize("role", [Role.CONTRIBUTOR, Role.CONSULTANT, Role.VIEWER])
def test_only_owners_manage_members(role, make_member, login):
    member = make_member(role)
    other = MembershipFactory(workspace=member.workspace, role=Role.VIEWER)
    invitation = InvitationFactory(workspace=member.workspace)
    client = login(member.user)
    invite = client.post(f"/w/{member.workspace.pk}/members/", {"role": "owner"})
    # Consultants may invite client staff (access.INVITE_CLIENT_STAFF), never an owner.
    assert invite.status_code == (200 if role == Role.CONSULTANT else 403)
    assert client.post(f"/members/{other.pk}/role/", {"role": "owner"}).status_code == 403
    assert client.post(f"/members/{other.pk}/remove/").status_code == 403
    assert client.post(f"/invitations/{invitation.pk}/revoke/").status_code == 403
    other.refresh_from_db()
    invitation.refresh_from_db()
    assert other.role == Role.VIEWER
    assert invitation.revoked_at is None
    assert member.workspace.invitations.count() == 1


# --- Members limited to one client or one assessment (client staff) ------------------------

# Pages of their own assessment a limited member opens; other parameters name objects that
# are outside their scope in ``foreign_objects`` (e.g. the assessment to compare with).
OWN_ASSESSMENT_PARAMS = {"assessment_id", "area", "question_key", "export"}
# The report is the consultant's deliverable, the same document for everyone who may read the
# assessment (share links included): its "Progress since …" section names the previous one.
DELIVERABLE_PAGES = {"report"}


@pytest.fixture
def limited_members(foreign_objects, bank_version):
    """In workspace A of ``foreign_objects``: a contributor limited to another assessment
    (of another client) and a viewer limited to that client; every foreign object is
    outside both scopes."""
    from assessments.workspaces.models import Workspace

    workspace = Workspace.objects.get(pk=foreign_objects["workspace_id"])
    own_client = ClientFactory(workspace=workspace, name="Own client")
    # An earlier assessment of the same system (so, of the same client): in the client
    # member's scope, not in the assessment member's.
    sibling = AssessmentFactory(
        system__workspace=workspace,
        system__client=own_client,
        bank_version=bank_version,
        title="Sibling-7f3a",
    )
    own = AssessmentFactory(system=sibling.system, bank_version=bank_version)
    question = bank_version.questions.first()
    return {
        "assessment": MembershipFactory(workspace=workspace, role=Role.CONTRIBUTOR, assessment=own),
        "client": MembershipFactory(workspace=workspace, role=Role.VIEWER, client=own_client),
        "own": {
            "assessment_id": own.pk,
            "area": question.area,
            "question_key": question.key,
            "export": "answers.csv",
        },
        "own_system_id": own.system_id,
        "workspace_id": workspace.pk,
    }


@pytest.mark.parametrize("scope", ["assessment", "client"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_limited_member_gets_404_on_every_object_url_outside_their_scope(
    scope, method, foreign_objects, limited_members, login
):
    client = login(limited_members[scope].user)
    for route, entry in object_url_patterns():
        url = fill(route, entry, foreign_objects)
        response = getattr(client, method)(url)
        if refused_for_its_method(client, route, entry, foreign_objects, response):
            continue
        assert response.status_code == 404, (
            f"{scope}: {method.upper()} {url} -> {response.status_code}"
        )


@pytest.mark.parametrize("scope", ["assessment", "client"])
def test_limited_member_opens_the_pages_of_their_own_assessment(scope, limited_members, login):
    client = login(limited_members[scope].user)
    opened = []
    for route, entry in object_url_patterns():
        if not set(entry.pattern.converters) <= OWN_ASSESSMENT_PARAMS:
            continue
        url = fill(route, entry, limited_members["own"])
        response = client.get(url)
        assert response.status_code not in (404, 500), (
            f"{scope}: GET {url} -> {response.status_code}"
        )
        opened.append(entry.name)
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download (the Word report): no links to follow
        page = response.content.decode()
        # No dead ends: no link to a workspace page or (for one assessment) the system page.
        assert f'href="/w/{limited_members["workspace_id"]}/' not in page, f"GET {url}"
        if scope == "assessment":
            assert f'href="/systems/{limited_members["own_system_id"]}/' not in page, url
        if scope == "assessment" and entry.name not in DELIVERABLE_PAGES:
            # Not even the name of another assessment of the system.
            assert "Sibling-7f3a" not in page, f"GET {url}"
    assert {"assessment_overview", "assessment_area", "results", "roadmap", "report"} <= set(opened)
    system_page = client.get(f"/systems/{limited_members['own_system_id']}/")
    assert system_page.status_code == (200 if scope == "client" else 404)


@pytest.mark.parametrize(
    "model",
    [
        "workspaces.Workspace",
        "workspaces.System",
        "workspaces.Assessment",
        "questionnaire.Answer",
        "reports.ReportFile",
    ],
)
def test_scoping_joins_the_membership_once(model, db):
    """The user, scope and role all read the same membership row: one join, one row each."""
    from django.apps import apps

    from assessments.workspaces import access
    from tests.factories import UserFactory

    sql = str(access.scoped(apps.get_model(model), UserFactory()).query)
    assert sql.count('JOIN "workspaces_membership"') == 1


@pytest.fixture
def every_membership_kind(make_member, bank_version):
    """A workspace with a system of a client, a system of none and a second client; one member
    of each kind (whole workspace, limited to each client, limited to each assessment) and a
    member of another workspace; the objects they may or may not reach."""
    from tests.factories import AnswerFactory

    owner = make_member(Role.OWNER)
    workspace = owner.workspace
    client, other_client = ClientFactory(workspace=workspace), ClientFactory(workspace=workspace)
    of_client = AssessmentFactory(
        system__workspace=workspace, system__client=client, bank_version=bank_version
    )
    sibling = AssessmentFactory(system=of_client.system, bank_version=bank_version)
    of_no_client = AssessmentFactory(system__workspace=workspace, bank_version=bank_version)
    question = bank_version.questions.first()
    answers = [AnswerFactory(assessment=a, question=question) for a in (of_client, of_no_client)]
    members = [
        owner,
        make_member(Role.VIEWER, workspace=workspace),
        *(
            MembershipFactory(workspace=workspace, role=Role.CONTRIBUTOR, **scope)
            for scope in (
                {"client": client},
                {"client": other_client},
                {"assessment": of_client},
                {"assessment": sibling},
                {"assessment": of_no_client},
            )
        ),
        make_member(Role.OWNER),  # another workspace
    ]
    objects = [
        workspace,
        client,
        other_client,
        of_client.system,
        of_no_client.system,
        of_client,
        sibling,
        of_no_client,
        *answers,
    ]
    return members, objects


def test_one_object_lookup_and_scoped_lists_agree_on_every_membership_kind(
    every_membership_kind,
):
    """``get_for_user`` decides scope in Python (``in_scope``), lists decide it in SQL
    (``scoped``): for every member and object both say the same, with the same annotations."""
    from django.http import Http404

    from assessments.workspaces import access

    members, objects = every_membership_kind
    reached = 0
    for member in members:
        for obj in objects:
            model = type(obj)
            listed = access.scoped(model, member.user).filter(pk=obj.pk).first()
            try:
                fetched = access.get_for_user(member.user, model, pk=obj.pk)
            except Http404:
                fetched = None
            where = f"{member.role} {member.client_id=} {member.assessment_id=} on {obj!r}"
            assert (listed is None) == (fetched is None), where
            if fetched is not None:
                reached += 1
                annotations = ("member_role", "member_client_id", "member_assessment_id")
                assert [getattr(fetched, name) for name in annotations] == [
                    getattr(listed, name) for name in annotations
                ], where
    # Whole-workspace members reach all 10 objects; each limited member some, never all.
    assert 20 < reached < len(members) * len(objects)
