"""The roadmap at full size: folded phases with a timeline, errors beside their fields (never
carried to the next page), the owner picker, bulk status; the methodology keeps the nav."""

import itertools
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments.audit.models import AuditEvent
from assessments.results.models import RoadmapEntry
from assessments.results.views import FOLD_ABOVE
from assessments.workspaces.models import Role

HTMX = {"HTTP_HX_REQUEST": "true"}


def rows_of(response):
    return response.context["edited"].visible_rows()


def test_a_long_roadmap_opens_folded_with_a_timeline_of_phases(startup, owner, login):
    response = login(owner.user).get(reverse("roadmap", args=[startup.pk]))
    html = response.content.decode()
    phases = response.context["phases"]
    assert len(rows_of(response)) > FOLD_ABOVE
    opened = [p["number"] for p in phases if p["open"]]
    assert opened == [next(p["number"] for p in phases if p["rows"])]
    for phase in phases:
        assert f'href="#phase-{phase["number"]}"' in html  # the timeline links every phase
        assert f"{phase['total']} step" in html
        assert phase["total"] == len(response.context["edited"].phases[phase["number"]])
    # The add form comes before the first phase, so its errors are on screen.
    assert html.index('id="add-item"') < html.index('id="phase-1"')


def test_a_filtered_roadmap_opens_every_phase(startup, owner, login):
    response = login(owner.user).get(reverse("roadmap", args=[startup.pk]) + "?severity=critical")
    assert all(p["open"] for p in response.context["phases"])


def test_hiding_without_a_reason_is_refused_beside_the_field_and_keeps_the_tick(
    startup, owner, login
):
    client = login(owner.user)
    key = rows_of(client.get(reverse("roadmap", args=[startup.pk])))[0].key
    url = reverse("roadmap_item_update", args=[startup.pk, key])
    data = {"status": "doing", "owner": owner.user.email, "target_date": "", "hidden": "on"}
    for extra in ({}, HTMX):
        response = client.post(url, {**data, "hidden_reason": ""}, **extra)
        assert response.status_code == 422
        html = response.content.decode()
        item = html[html.index(f'id="item-{key}"') :]
        item = item[: item.index("</article>")]
        assert '<details class="edit" open>' in item
        assert re.search(r'name="hidden" value="on" checked', item)
        assert f'value="{owner.user.email}" selected' in item
        reason = item[item.index('name="hidden_reason"') :]
        assert reason.index("Say why this item is hidden") < reason.index("</label>")
        # Not a message: nothing is left over for the next page.
        assert not list(get_messages(response.wsgi_request))
    following = client.get(reverse("results", args=[startup.pk])).content.decode()
    assert "Say why this item is hidden" not in following
    assert not RoadmapEntry.objects.filter(assessment=startup, key=key, hidden=True).exists()


def test_a_bad_date_is_said_beside_the_date(startup, owner, login):
    client = login(owner.user)
    key = rows_of(client.get(reverse("roadmap", args=[startup.pk])))[0].key
    response = client.post(
        reverse("roadmap_item_update", args=[startup.pk, key]),
        {"status": "todo", "owner": "", "target_date": "31/02/2027", "hidden_reason": ""},
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    date = html[html.index('name="target_date" value="31/02/2027"') :]
    assert "Enter a valid date." in date[: date.index("</label>")]


def test_the_custom_item_form_error_sits_beside_its_field_at_the_top(startup, owner, login):
    client = login(owner.user)
    response = client.post(
        reverse("roadmap_custom_add", args=[startup.pk]),
        {"title": "", "why": "", "phase": "2", "effort": "L", "impact": "3"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert '<details class="card add-item" open>' in html
    assert html.index("This field is required.") < html.index('id="phase-1"')


def test_the_owner_picker_offers_the_members_who_can_see_the_assessment(
    startup, owner, make_member, login
):
    colleague = make_member(Role.CONTRIBUTOR, workspace=owner.workspace).user
    colleague.first_name, colleague.last_name = "Priya", "Raman"
    colleague.save()
    client = login(owner.user)
    key = rows_of(client.get(reverse("roadmap", args=[startup.pk])))[0].key
    # The owner picker comes with the item's form, fetched on demand into its row.
    form = client.get(reverse("roadmap_item_update", args=[startup.pk, key]), **HTMX)
    html = form.content.decode()
    picker = html[html.index('<select name="owner"') :]
    picker = picker[: picker.index("</select>")]
    assert '<option value="">No owner</option>' in picker
    assert f'<option value="{colleague.email}">Priya Raman ({colleague.email})</option>' in picker


def test_bulk_status_changes_every_ticked_item_and_logs_each(startup, owner, login):
    client = login(owner.user)
    keys = [row.key for row in rows_of(client.get(reverse("roadmap", args=[startup.pk])))[:3]]
    response = client.post(
        reverse("roadmap_bulk_status", args=[startup.pk]),
        {"status": "done", "keys": keys},
        follow=True,
    )
    assert "3 items set to done." in response.content.decode()
    done = RoadmapEntry.objects.filter(assessment=startup, key__in=keys, status="done")
    assert done.count() == 3
    events = AuditEvent.objects.filter(assessment=startup, kind="roadmap", subject__in=keys)
    assert events.count() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "done"}, "Tick at least one item first"),
        ({"status": "finished", "keys": ["x"]}, "Choose a status"),
        ({"status": "done", "keys": ["not.an.item"]}, "no longer in the roadmap"),
    ],
)
def test_bulk_status_refusals_are_explained_on_the_page(data, message, startup, owner, login):
    response = login(owner.user).post(reverse("roadmap_bulk_status", args=[startup.pk]), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not RoadmapEntry.objects.filter(assessment=startup, status="done").exists()


def test_viewers_cannot_change_statuses_in_bulk(startup, owner, make_member, login):
    viewer = make_member(Role.VIEWER, workspace=owner.workspace).user
    key = rows_of(login(owner.user).get(reverse("roadmap", args=[startup.pk])))[0].key
    response = login(viewer).post(
        reverse("roadmap_bulk_status", args=[startup.pk]), {"status": "done", "keys": [key]}
    )
    assert response.status_code in (403, 404)
    assert not RoadmapEntry.objects.filter(assessment=startup, status="done").exists()


def test_a_refused_move_is_said_in_the_list_and_not_on_the_next_page(startup, owner, login):
    client = login(owner.user)
    rows = rows_of(client.get(reverse("roadmap", args=[startup.pk])))
    pairs = [
        (above, below)
        for above, below in itertools.pairwise(rows)
        if above.phase == below.phase and above.key in below.depends_on
    ]
    assert pairs, "the early-startup plan has an item right below what it depends on"
    dependent = pairs[0][1]
    response = client.post(
        reverse("roadmap_item_move", args=[startup.pk, dependent.key]),
        {"direction": "up"},
        **HTMX,
    )
    assert response.status_code == 409
    assert "which must come first" in response.content.decode()
    assert (
        "which must come first"
        not in client.get(reverse("results", args=[startup.pk])).content.decode()
    )


def test_the_methodology_keeps_the_workspace_navigation_and_a_way_back(startup, owner, login):
    client = login(owner.user)
    results = client.get(reverse("results", args=[startup.pk])).content.decode()
    link = reverse("methodology") + f"?assessment={startup.pk}"
    assert link in results
    html = client.get(link).content.decode()
    assert 'aria-label="Main"' in html
    assert reverse("workspace_detail", args=[owner.workspace.pk]) in html
    assert reverse("results", args=[startup.pk]) in html
    # Without an assessment (or with one the person may not see) it still has a way home.
    for url in (reverse("methodology"), reverse("methodology") + "?assessment=999999"):
        page = client.get(url)
        assert page.status_code == 200
        assert 'href="/"' in page.content.decode()


def item_html(html, key):
    item = html[html.index(f'id="item-{key}"') :]
    return item[: item.index("</article>")]


def test_the_roadmap_renders_no_item_forms_until_one_is_asked_for(startup, owner, login):
    client = login(owner.user)
    response = client.get(reverse("roadmap", args=[startup.pk]))
    html = response.content.decode()
    key = rows_of(response)[0].key
    url = reverse("roadmap_item_update", args=[startup.pk, key])
    assert 'name="hidden_reason"' not in html
    assert f'hx-get="{url}"' in item_html(html, key)
    fragment = client.get(url, **HTMX)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.lstrip().startswith(f'<article class="ritem" id="item-{key}"')
    assert f'hx-post="{url}"' in body
    assert 'name="hidden_reason"' in body
    # Without JavaScript the same URL is a page of its own, its form a plain POST.
    page = client.get(url).content.decode()
    assert "<h1>Edit a roadmap item</h1>" in page
    assert 'hx-boost="false"' in page  # a plain POST, answered with a redirect
    assert 'name="hidden_reason"' in page
    assert "hx-post" not in page


def test_a_saved_item_returns_its_row_and_the_counts_that_changed(startup, owner, login):
    client = login(owner.user)
    response = client.get(reverse("roadmap", args=[startup.pk]))
    row = rows_of(response)[0]
    url = reverse("roadmap_item_update", args=[startup.pk, row.key])
    owner.user.first_name, owner.user.last_name = "Priya", "Raman"
    owner.user.save()
    data = {"status": "done", "owner": owner.user.email, "target_date": "2027-01-31"}
    saved = client.post(url, data, **HTMX)
    assert saved.status_code == 200
    body = saved.content.decode()
    item = item_html(body, row.key)
    assert f'<article class="ritem done" id="item-{row.key}"' in body
    assert "owner Priya Raman" in item
    assert "by 31 Jan 2027" in item
    assert 'name="hidden_reason"' not in item  # back to plain markup
    assert f'id="phase-{row.phase}-counts" hx-swap-oob="true"' in body
    assert "1 done" in body
    assert '<nav class="timeline" id="timeline" hx-swap-oob="true"' in body
    entry = RoadmapEntry.objects.get(assessment=startup, key=row.key)
    assert (entry.status, entry.owner) == ("done", "Priya Raman")


def test_hiding_an_item_with_htmx_returns_the_whole_list(startup, owner, login):
    client = login(owner.user)
    key = rows_of(client.get(reverse("roadmap", args=[startup.pk])))[0].key
    response = client.post(
        reverse("roadmap_item_update", args=[startup.pk, key]),
        {"status": "todo", "hidden": "on", "hidden_reason": "The platform team does it"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#roadmap-list"
    assert "1 hidden item" in response.content.decode()


def test_viewers_cannot_open_an_item_form(startup, owner, make_member, login):
    viewer = make_member(Role.VIEWER, workspace=owner.workspace).user
    key = rows_of(login(owner.user).get(reverse("roadmap", args=[startup.pk])))[0].key
    url = reverse("roadmap_item_update", args=[startup.pk, key])
    assert login(viewer).get(url, **HTMX).status_code == 403
    missing = reverse("roadmap_item_update", args=[startup.pk, "no.such"])
    assert login(owner.user).get(missing).status_code == 404


def test_a_made_up_item_key_is_404_and_stores_nothing(startup, owner, login):
    client = login(owner.user)
    client.get(reverse("roadmap", args=[startup.pk]))
    before = RoadmapEntry.objects.count()
    for key in ("not.a.recommendation", "custom-99"):
        url = reverse("roadmap_item_update", args=[startup.pk, key])
        data = {"status": "done", "owner": "", "target_date": "", "hidden_reason": ""}
        assert client.post(url, data).status_code == 404
        assert client.post(url, data, **HTMX).status_code == 404
    assert RoadmapEntry.objects.count() == before


def test_a_viewer_reading_the_roadmap_first_sets_no_review_baseline(
    startup, owner, make_member, login
):
    """'New since the last review' counts from the first look of someone who reviews the
    plan; a viewer who happens to open it first changes nothing."""
    viewer = make_member(Role.VIEWER, workspace=owner.workspace)
    page = login(viewer.user).get(reverse("roadmap", args=[startup.pk]))
    assert page.status_code == 200
    startup.refresh_from_db()
    assert startup.roadmap_seen is None
    login(owner.user).get(reverse("roadmap", args=[startup.pk]))
    startup.refresh_from_db()
    assert startup.roadmap_seen  # the reviewer's first look sets it
