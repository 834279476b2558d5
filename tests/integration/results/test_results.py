import pytest
from django.core.cache import caches
from django.urls import reverse

from assessments.bank.models import Question
from assessments.questionnaire.services import answers_import
from assessments.results.models import RoadmapEntry
from assessments.workspaces.models import Role, person_name
from tests.profiles import growing_product

HTMX = {"HTTP_HX_REQUEST": "true"}


def roadmap_keys(response) -> list[str]:
    return [row.key for row in response.context["edited"].visible_rows()]


def test_results_show_verdict_reasons_chart_and_gaps(startup, owner, login):
    response = login(owner.user).get(reverse("results", args=[startup.pk]))
    page = response.content.decode()
    score = response.context["score"]
    assert score.verdict == "not_ready"
    assert "Not ready" in page
    assert all(reason.replace("'", "&#x27;") in page for reason in score.verdict_reasons)
    assert page.count('class="chart-bar') == len(score.areas)
    assert "Known gaps by area" in page
    assert "First steps" in page
    assert "Peak needed" in page  # headroom from target users, "not measured" without a burst
    assert "not measured" in page


def test_results_follow_the_answers_without_a_recalculate(startup, owner, login):
    client = login(owner.user)
    before = client.get(reverse("results", args=[startup.pk])).context["score"].overall
    document = growing_product()
    answers_import(startup, document, owner.user)
    after = client.get(reverse("results", args=[startup.pk])).context["score"].overall
    assert after > before


def test_roadmap_edits_survive_rescoring(startup, owner, login):
    client = login(owner.user)
    first = client.get(reverse("roadmap", args=[startup.pk]))
    keys = roadmap_keys(first)
    kept, hidden = keys[0], keys[1]
    client.post(
        reverse("roadmap_item_update", args=[startup.pk, kept]),
        {
            "status": "doing",
            "owner": owner.user.email,
            "target_date": "2027-01-31",
            "hidden_reason": "",
        },
    )
    refused = client.post(
        reverse("roadmap_item_update", args=[startup.pk, hidden]),
        {"status": "todo", "owner": "", "target_date": "", "hidden": "on", "hidden_reason": ""},
        follow=True,
    )
    assert "Say why this item is hidden" in refused.content.decode()
    client.post(
        reverse("roadmap_item_update", args=[startup.pk, hidden]),
        {
            "status": "todo",
            "owner": "",
            "target_date": "",
            "hidden": "on",
            "hidden_reason": "Done by the platform team",
        },
    )
    client.post(
        reverse("roadmap_custom_add", args=[startup.pk]),
        {
            "title": "Hire an SRE",
            "why": "Nobody owns reliability",
            "phase": "2",
            "effort": "L",
            "impact": "3",
        },
    )

    # More answers change the computed roadmap; the edits stay.
    answers_import(startup, growing_product(), owner.user)
    after = client.get(reverse("roadmap", args=[startup.pk]))
    edited = after.context["edited"]
    visible = {row.key: row for row in edited.visible_rows()}
    assert "custom-1" in visible
    assert visible["custom-1"].title == "Hire an SRE"
    assert hidden not in visible
    name = person_name(owner.user)
    if kept in visible:
        assert (visible[kept].status, visible[kept].entry.owner) == ("doing", name)
    entry = RoadmapEntry.objects.get(assessment=startup, key=kept)
    assert (entry.status, entry.owner, str(entry.target_date)) == ("doing", name, "2027-01-31")
    assert entry.owner_member == owner
    assert RoadmapEntry.objects.get(assessment=startup, key=hidden).hidden
    # Re-scoring is reported: items whose gaps closed disappeared since the last review.
    assert edited.disappeared
    assert "no longer needed" in after.content.decode()


def test_moving_an_item_reorders_its_phase_and_respects_dependencies(startup, owner, login):
    client = login(owner.user)
    phases = client.get(reverse("roadmap", args=[startup.pk])).context["phases"]
    phase = next(p for p in phases if len(p["rows"]) >= 3)
    rows = phase["rows"]
    # Find two neighbours where the lower one does not depend on the upper one.
    index = next(i for i in range(1, len(rows)) if rows[i - 1].key not in rows[i].depends_on)
    upper, lower = rows[index - 1].key, rows[index].key
    response = client.post(
        reverse("roadmap_item_move", args=[startup.pk, lower]), {"direction": "up"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(f'id="item-{lower}"') < html.index(f'id="item-{upper}"')
    phases_after = client.get(reverse("roadmap", args=[startup.pk])).context["phases"]
    new_keys = [r.key for p in phases_after if p["number"] == phase["number"] for r in p["rows"]]
    assert new_keys.index(lower) == new_keys.index(upper) - 1

    # An item directly below something it depends on cannot move above it.
    blocked = next(
        row
        for p in phases_after
        for above, row in zip(p["rows"], p["rows"][1:], strict=False)
        if above.key in row.depends_on
    )
    refused = client.post(
        reverse("roadmap_item_move", args=[startup.pk, blocked.key]),
        {"direction": "up"},
        follow=True,
    )
    assert "must come first" in refused.content.decode()


def test_viewers_read_results_and_roadmap_but_cannot_edit(startup, owner, make_member, login):
    viewer = login(make_member(Role.VIEWER, workspace=owner.workspace).user)
    assert viewer.get(reverse("results", args=[startup.pk])).status_code == 200
    page = viewer.get(reverse("roadmap", args=[startup.pk]))
    assert "Edit status, owner, date" not in page.content.decode()
    key = roadmap_keys(page)[0]
    response = viewer.post(
        reverse("roadmap_item_update", args=[startup.pk, key]), {"status": "done"}
    )
    assert response.status_code == 403
    assert not RoadmapEntry.objects.filter(key=key, status="done").exists()


def test_first_steps_leave_out_hidden_and_done_items(startup, owner, login):
    client = login(owner.user)
    top = [
        i.recommendation_id
        for i in client.get(reverse("results", args=[startup.pk])).context["top_items"]
    ]
    RoadmapEntry.objects.create(assessment=startup, key=top[0], hidden=True, hidden_reason="n/a")
    RoadmapEntry.objects.create(assessment=startup, key=top[1], status="done")
    after = [
        i.recommendation_id
        for i in client.get(reverse("results", args=[startup.pk])).context["top_items"]
    ]
    assert top[0] not in after
    assert top[1] not in after
    assert len(after) == 5


def test_roadmap_filters(startup, owner, login):
    client = login(owner.user)
    quick = client.get(reverse("roadmap", args=[startup.pk]), {"quick": "1"})
    rows = quick.context["edited"].visible_rows()
    shown = [r for p in quick.context["phases"] for r in p["rows"]]
    assert shown
    assert all(r.quick_win for r in shown)
    assert len(shown) < len(rows)


def test_methodology_page_is_generated_from_the_scoring_constants(client, db):
    from assessments.results.domain.methodology import METHODOLOGY

    page = client.get(reverse("methodology")).content.decode()
    assert "How ScaleReady scores" in page
    for section in METHODOLOGY:
        assert section.title.replace("&", "&amp;").replace("'", "&#x27;") in page


@pytest.mark.parametrize("custom_count", [0, 40])
def test_results_and_roadmap_queries_do_not_grow_with_the_bank(
    custom_count, startup, owner, login, django_assert_num_queries
):
    template = Question.objects.filter(bank_version=startup.bank_version).first()
    for n in range(custom_count):
        Question.objects.create(
            workspace=owner.workspace,
            position=10**6 + n,
            key=f"cost.custom_q{n}",
            **{
                k: getattr(template, k)
                for k in (
                    "area",
                    "text",
                    "help",
                    "weight",
                    "critical",
                    "checks",
                    "required",
                    "options",
                    "recommendations",
                )
            },
        )
    client = login(owner.user)
    client.get(reverse("roadmap", args=[startup.pk]))  # the first look sets the baseline
    # The roadmap reads one more input than the results: its items' exports (the API's).
    pages = {"results": (RESULTS_QUERIES, KEPT_QUERIES), "roadmap": (18, KEPT_QUERIES + 1)}
    for name, (rendered, kept) in pages.items():
        caches["pages"].clear()
        # Rendered: the page's inputs (below), then what scoring reads -- the questions,
        # answers, finding reviews and probe evidence -- and what each page adds (the first
        # steps; when items were exported). The members the owner picker offers are read by
        # an item's form, fetched on demand; the portfolio percentiles load on their own.
        with django_assert_num_queries(rendered):
            client.get(reverse(name, args=[startup.pk]))
        # Kept (config/fragments.py): session, user, assessment (with whether the workspace
        # has a consultant), then the inputs -- custom questions, answers, finding reviews,
        # roadmap entries, probe evidence and burst -- and the workspace menu.
        with django_assert_num_queries(kept):
            client.get(reverse(name, args=[startup.pk]))


RESULTS_QUERIES = 16
KEPT_QUERIES = 10
