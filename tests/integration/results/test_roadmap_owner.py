"""A roadmap item's owner is a member of the workspace, not free text (issue 17).

Worked examples: a consultant assigns a step to a client engineer who can see the assessment;
a name nobody in the workspace has is refused beside the field with the other edits kept;
an owner who leaves keeps their name on the plan (exports and the PDF still say who it was);
owners typed before members were linked keep working and are linked where the name is clear.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from assessments.audit.models import AuditEvent
from assessments.milestones.services import assessment_carry_over
from assessments.questionnaire.services import answers_import
from assessments.results.models import RoadmapEntry
from assessments.workspaces.models import Role
from tests.factories import AssessmentFactory, ClientFactory, SystemFactory
from tests.profiles import early_startup

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client_org(owner):
    return ClientFactory(workspace=owner.workspace, name="Acme")


@pytest.fixture
def audit(owner, bank_version, client_org):
    assessment = AssessmentFactory(
        system=SystemFactory(workspace=owner.workspace, client=client_org, target_users=100_000),
        bank_version=bank_version,
    )
    answers_import(assessment, early_startup(), owner.user)
    return assessment


@pytest.fixture
def engineer(make_member, owner, client_org):
    """Client staff limited to Acme: they can see Acme's assessments, so they may own steps."""
    member = make_member(Role.CONTRIBUTOR, workspace=owner.workspace, first_name="Priya")
    member.user.last_name = "Raman"
    member.user.save()
    member.client = client_org
    member.save()
    return member


def first_key(client, assessment):
    response = client.get(reverse("roadmap", args=[assessment.pk]))
    return response.context["edited"].visible_rows()[0].key


def item_form(client, assessment, key) -> str:
    """The item's form, fetched on demand into its row (the owner picker is in it)."""
    url = reverse("roadmap_item_update", args=[assessment.pk, key])
    return client.get(url, **HTMX).content.decode()


def save(client, assessment, key, owner, **extra):
    data = {"status": "doing", "owner": owner, "target_date": "", "hidden_reason": ""}
    return client.post(
        reverse("roadmap_item_update", args=[assessment.pk, key]), {**data, **extra}, **HTMX
    )


def test_picking_a_member_links_them_and_the_plan_shows_their_name(audit, owner, engineer, login):
    client = login(owner.user)
    key = first_key(client, audit)
    response = save(client, audit, key, engineer.user.email.upper())  # any case
    assert response.status_code == 200
    entry = RoadmapEntry.objects.get(assessment=audit, key=key)
    assert (entry.owner_member, entry.owner) == (engineer, "Priya Raman")
    page = client.get(reverse("roadmap", args=[audit.pk])).content.decode()
    assert "owner Priya Raman" in page
    assert f'<option value="{engineer.user.email}" selected>' in item_form(client, audit, key)
    # The audit log names the person, never a row id.
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.ROADMAP).latest("pk")
    assert event.after["owner"] == "Priya Raman"
    assert event.summary == "Edited: status, owner"


def test_a_name_that_is_no_member_is_refused_beside_the_field_and_keeps_the_edit(
    audit, owner, login
):
    client = login(owner.user)
    key = first_key(client, audit)
    response = save(client, audit, key, "Ops team", target_date="2027-03-01")
    assert response.status_code == 422
    html = response.content.decode()
    item = html[html.index(f'id="item-{key}"') :]
    item = item[: item.index("</article>")]
    assert "“Ops team” is not a member who can see this assessment" in item
    assert 'value="2027-03-01"' in item  # the date typed is kept
    assert 'value="doing" selected' in item
    assert not RoadmapEntry.objects.filter(assessment=audit, key=key, status="doing").exists()


def test_staff_of_another_client_are_not_offered_and_cannot_be_picked(
    audit, owner, make_member, login
):
    elsewhere = make_member(Role.CONTRIBUTOR, workspace=owner.workspace)
    elsewhere.client = ClientFactory(workspace=owner.workspace, name="Globex")
    elsewhere.save()
    client = login(owner.user)
    key = first_key(client, audit)
    form = item_form(client, audit, key)
    assert '<select name="owner"' in form
    assert elsewhere.user.email not in form
    assert save(client, audit, key, elsewhere.user.email).status_code == 422
    assert not RoadmapEntry.objects.filter(owner_member=elsewhere).exists()


def test_two_members_with_one_name_must_be_told_apart_by_email(
    audit, owner, engineer, make_member, login
):
    twin = make_member(Role.VIEWER, workspace=owner.workspace, first_name="Priya")
    twin.user.last_name = "Raman"
    twin.user.save()
    client = login(owner.user)
    key = first_key(client, audit)
    response = save(client, audit, key, "priya raman")
    assert response.status_code == 422
    assert "More than one member is called “priya raman”; choose them by e-mail." in (
        response.content.decode()
    )
    assert save(client, audit, key, twin.user.email).status_code == 200
    assert RoadmapEntry.objects.get(assessment=audit, key=key).owner_member == twin


def test_an_owner_who_leaves_keeps_their_name_on_the_plan(audit, owner, engineer, login):
    client = login(owner.user)
    key = first_key(client, audit)
    save(client, audit, key, engineer.user.email)
    engineer.delete()
    entry = RoadmapEntry.objects.get(assessment=audit, key=key)
    assert (entry.owner_member, entry.owner) == (None, "Priya Raman")
    assert "Priya Raman (not a member)" in item_form(client, audit, key)
    # Saving the item again without touching the owner keeps the name.
    assert save(client, audit, key, "Priya Raman", status="done").status_code == 200
    entry.refresh_from_db()
    assert (entry.status, entry.owner) == ("done", "Priya Raman")


def test_owners_typed_before_members_were_linked_are_linked_where_the_name_is_clear(
    audit, owner, engineer
):
    RoadmapEntry.objects.create(assessment=audit, key="a", owner="priya raman")
    RoadmapEntry.objects.create(assessment=audit, key="b", owner=engineer.user.email)
    RoadmapEntry.objects.create(assessment=audit, key="c", owner="Ops team")
    migration = importlib.import_module("assessments.results.migrations.0002_roadmap_owner_member")
    migration.link_owners_to_members(django_apps, None)
    linked = dict(RoadmapEntry.objects.values_list("key", "owner_member"))
    assert linked == {"a": engineer.pk, "b": engineer.pk, "c": None}
    assert RoadmapEntry.objects.get(key="c").owner == "Ops team"


def test_a_new_milestone_keeps_the_owners_but_not_one_limited_to_the_old_assessment(
    audit, owner, engineer, make_member, bank_version
):
    only_that_audit = make_member(Role.CONTRIBUTOR, workspace=owner.workspace)
    only_that_audit.assessment = audit
    only_that_audit.save()
    RoadmapEntry.objects.create(
        assessment=audit, key="a", owner="Priya Raman", owner_member=engineer
    )
    RoadmapEntry.objects.create(
        assessment=audit, key="b", owner="Sam", owner_member=only_that_audit
    )
    carried = assessment_carry_over(
        source=audit, user=owner.user, bank_version=bank_version, band="100k", title="Next"
    )
    owners = {e.key: (e.owner, e.owner_member) for e in carried.assessment.roadmap_entries.all()}
    assert owners == {"a": ("Priya Raman", engineer), "b": ("Sam", None)}
