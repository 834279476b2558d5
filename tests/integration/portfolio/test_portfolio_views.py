"""The portfolio dashboard, its exports, the clients page and the results-page percentile."""

import io
from datetime import timedelta

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.bank.models import Question
from assessments.portfolio.domain.tables import TABLES, area_percentiles
from assessments.portfolio.selectors import PortfolioFilters, data_stamp
from assessments.portfolio.selectors import portfolio as portfolio_board
from assessments.portfolio.services import filters_to_args, portfolio_rebuild, portfolio_refresh
from assessments.questionnaire.models import Answer, AnswerState
from assessments.questionnaire.services import answers_import, custom_question_create
from assessments.results.selectors import assessment_results
from assessments.workspaces.models import Assessment, Role
from assessments.workspaces.services import system_save
from tests.factories import AssessmentFactory, ClientFactory, SystemFactory
from tests.profiles import early_startup, growing_product, mature_platform

PROFILES = (early_startup, growing_product, mature_platform)


def assess(workspace, bank_version, user, profile, client=None, system=None, **fields):
    system = system or SystemFactory(workspace=workspace, client=client)
    assessment = AssessmentFactory(system=system, bank_version=bank_version, **fields)
    answers_import(assessment, profile(), user)
    return assessment


def add_bulk_portfolio(workspace, bank_version, count: int) -> None:
    """``count`` systems with one assessment each, every question at level 1 (bulk)."""
    client = ClientFactory(workspace=workspace)
    systems = [SystemFactory.build(workspace=workspace, client=client) for _ in range(count)]
    for system in systems:
        system.save()
    questions = list(bank_version.questions.all())
    assessments = Assessment.objects.bulk_create(
        Assessment(system=s, bank_version=bank_version, title="Bulk", band="100k") for s in systems
    )
    now = timezone.now()
    Answer.objects.bulk_create(
        Answer(
            assessment=a,
            question=q,
            state=AnswerState.LEVEL,
            level=min(1, q.options[-1]["level"]),
            answered_at=now,
        )
        for a in assessments
        for q in questions
    )


@pytest.fixture
def portfolio(owner, bank_version):
    """Three systems (two clients and one without), one of them assessed twice."""
    workspace, user = owner.workspace, owner.user
    acme = ClientFactory(workspace=workspace, name="Acme")
    globex = ClientFactory(workspace=workspace, name="Globex")
    first = assess(workspace, bank_version, user, early_startup, client=acme)
    Assessment.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=90))
    second = assess(workspace, bank_version, user, growing_product, system=first.system)
    other = assess(workspace, bank_version, user, mature_platform, client=globex, band="1m")
    loose = assess(workspace, bank_version, user, early_startup)
    return {
        "acme": acme,
        "globex": globex,
        "first": first,
        "second": second,
        "other": other,
        "loose": loose,
    }


def dashboard(http, workspace, **params):
    return http.get(reverse("analytics", args=[workspace.pk]), params)


def test_dashboard_shows_the_latest_assessment_of_each_system_with_results_page_scores(
    portfolio, owner, login
):
    response = dashboard(login(owner.user), owner.workspace)
    assert response.status_code == 200
    board = response.context["board"]
    latest = board.latest.set_index("Assessment ID")
    assert set(latest.index) == {portfolio[k].pk for k in ("second", "other", "loose")}
    for key in ("second", "other", "loose"):
        score = assessment_results(portfolio[key]).score  # no probe evidence: answers only
        assert latest.loc[portfolio[key].pk, "Overall"] == score.overall
    page = response.content.decode()
    assert "probe evidence" in page
    assert "not part of portfolio scores" in page
    assert page.count('class="chart-box') == len(board.distribution)
    assert "Most common gaps" in page
    assert "Trend by month" in page


def test_filters_by_client_band_and_date(portfolio, owner, login):
    client = login(owner.user)
    acme = dashboard(client, owner.workspace, client=portfolio["acme"].pk).context["board"]
    assert list(acme.latest["Assessment ID"]) == [portfolio["second"].pk]
    band = dashboard(client, owner.workspace, band="1m").context["board"]
    assert list(band.latest["Assessment ID"]) == [portfolio["other"].pk]
    old = (timezone.localdate() - timedelta(days=30)).isoformat()
    until = dashboard(client, owner.workspace, date_to=old).context["board"]
    assert list(until.latest["Assessment ID"]) == [portfolio["first"].pk]
    since = dashboard(client, owner.workspace, date_from=old).context["board"]
    assert portfolio["first"].pk not in set(since.assessments["assessment_id"])


def test_bad_filter_input_gives_a_clear_error_and_the_page_still_renders(portfolio, owner, login):
    client = login(owner.user)
    response = dashboard(client, owner.workspace, date_from="31/02/2026", band="1m")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a start date as YYYY-MM-DD." in page
    assert list(response.context["board"].latest["Assessment ID"]) == [portfolio["other"].pk]
    reversed_range = dashboard(
        client, owner.workspace, date_from="2026-05-01", date_to="2026-01-01"
    )
    assert "The start date is after the end date" in reversed_range.content.decode()
    assert len(reversed_range.context["board"].latest) == 3
    unknown = dashboard(client, owner.workspace, client="999999")
    assert "Select a valid choice" in unknown.content.decode()


def test_empty_workspace_shows_an_empty_state(owner, login):
    response = dashboard(login(owner.user), owner.workspace)
    assert response.status_code == 200
    assert "No assessments yet" in response.content.decode()


def tables_part(response) -> str:
    """The page below its freshness line: the filter form and the tables."""
    page = response.content.decode()
    return page[page.index('<form method="get" class="filters') :]


def overall_of(board, assessment) -> float:
    return board.latest.set_index("Assessment ID").loc[assessment.pk, "Overall"]


def test_a_changed_answer_reaches_the_dashboard_through_a_rebuild_outside_the_request(
    portfolio, owner, login, bank_version
):
    client = login(owner.user)
    loose = portfolio["loose"]
    before = dashboard(client, owner.workspace).context["board"]
    # The same request again is served from the cache: the very same tables.
    again = dashboard(client, owner.workspace)
    assert again.context["board"].built_at == before.built_at
    assert "up to date with every answer" in again.content.decode()

    answers_import(loose, mature_platform(), owner.user)
    with CaptureQueriesContext(connection) as queries:
        stale = dashboard(client, owner.workspace)
    # Right after the change the page shows the latest build, says so, and builds nothing:
    # the same tables as before (kept rendered), with a line saying newer figures are coming.
    shown = stale.context["shown"]
    assert shown.stale
    assert shown.built_at == before.built_at
    assert tables_part(stale) == tables_part(again)
    assert "the latest changes are being added" in stale.content.decode()
    assert not any("GROUP_CONCAT" in q["sql"] or "STRING_AGG" in q["sql"] for q in queries)
    # One rebuild is asked for, however many times the page is opened meanwhile.
    assert not portfolio_refresh(owner.workspace.pk, PortfolioFilters())

    portfolio_rebuild(owner.workspace.pk, filters_to_args(PortfolioFilters()))  # the worker
    fresh = dashboard(client, owner.workspace).context["board"]
    assert not fresh.stale
    expected = assessment_results(Assessment.objects.get(pk=loose.pk)).score.overall
    assert overall_of(fresh, loose) == expected != overall_of(before, loose)
    assert portfolio_refresh(owner.workspace.pk, PortfolioFilters())  # the claim was released


def rename_system(portfolio, owner, http):
    system = portfolio["loose"].system
    system.name = "Renamed"
    system_save(system, list(system.targets.values_list("url", flat=True)))


def save_an_answer(portfolio, owner, http):
    answer = Answer.objects.filter(assessment=portfolio["loose"], state="level").first()
    response = http.post(
        reverse("answer", args=[portfolio["loose"].pk, answer.question.key]),
        {"choice": str(0 if answer.level else 1), "base_version": answer.version},
    )
    assert response.status_code == 302


def edit_a_roadmap_item(portfolio, owner, http):
    key = (
        http.get(reverse("roadmap", args=[portfolio["loose"].pk]))
        .context["edited"]
        .visible_rows()[0]
        .key
    )
    response = http.post(
        reverse("roadmap_item_update", args=[portfolio["loose"].pk, key]),
        {"status": "done", "owner": "", "target_date": "", "hidden_reason": ""},
    )
    assert response.status_code == 302


def add_a_custom_question(portfolio, owner, http):
    custom_question_create(
        owner.workspace,
        "architecture",
        {
            "text": "Do you know which service owns each table?",
            "topic": "Table ownership",
            "help": "Ownership decides who may change a table.",
            "weight": 2,
            "critical_from": "",
            "find_out": [],
            "option_labels": ["Nobody knows", "Written down", "Enforced"],
            "required": {"1k": 0, "10k": 1, "100k": 1, "1m": 2, "gt1m": 2},
            "rec_title": "Give every table one owning service",
            "rec_why": "Shared tables couple deploys.",
            "rec_how": ["List the tables.", "Name an owner for each."],
            "rec_effort": "S",
            "rec_impact": 2,
            "rec_phase": 2,
        },
    )


@pytest.mark.parametrize(
    "change",
    [
        save_an_answer,
        lambda p, o, h: answers_import(p["loose"], growing_product(), o.user),
        edit_a_roadmap_item,
        rename_system,
        add_a_custom_question,
        lambda p, o, h: ClientFactory(workspace=o.workspace),
        lambda p, o, h: AssessmentFactory(
            system=p["loose"].system, bank_version=p["loose"].bank_version
        ),
        lambda p, o, h: Assessment.objects.get(pk=p["second"].pk).delete(),
    ],
    ids=[
        "answer",
        "import",
        "roadmap",
        "system",
        "custom question",
        "client",
        "new assessment",
        "deleted assessment",
    ],
)
def test_every_change_the_tables_depend_on_moves_the_data_stamp(portfolio, owner, login, change):
    http = login(owner.user)
    before = data_stamp(owner.workspace.pk)
    assert data_stamp(owner.workspace.pk) == before  # nothing changed, nothing moves
    change(portfolio, owner, http)
    assert data_stamp(owner.workspace.pk) != before


def test_the_data_stamp_costs_one_query_whatever_the_number_of_answers(
    owner, make_member, bank_version
):
    large = make_member(Role.OWNER)
    add_bulk_portfolio(large.workspace, bank_version, 30)
    for workspace in (owner.workspace, large.workspace):
        with CaptureQueriesContext(connection) as queries:
            data_stamp(workspace.pk)
        assert len(queries) == 1
        assert Answer._meta.db_table not in queries[0]["sql"]


def test_csv_exports_round_trip_through_pandas(portfolio, owner, login):
    client = login(owner.user)
    board = portfolio_board(owner.workspace.pk)
    for name in TABLES:
        response = client.get(reverse("analytics_export", args=[owner.workspace.pk, f"{name}.csv"]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        disposition = response["Content-Disposition"]
        assert "portfolio" in disposition
        assert timezone.localdate().isoformat() in disposition
        frame = pd.read_csv(io.StringIO(response.content.decode()))
        assert list(frame.columns) == list(board.tables()[name].columns)
        assert len(frame) == len(board.tables()[name])


def test_xlsx_export_has_one_sheet_per_table(portfolio, owner, login):
    client = login(owner.user)
    response = client.get(reverse("analytics_export", args=[owner.workspace.pk, "all.xlsx"]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == list(TABLES.values())
    latest = book[TABLES["latest"]]
    assert latest.max_row == 1 + 3  # header + one row per system
    single = client.get(
        reverse("analytics_export", args=[owner.workspace.pk, "gaps.xlsx"]), {"band": "1m"}
    )
    assert load_workbook(io.BytesIO(single.content)).sheetnames == [TABLES["gaps"]]
    missing = client.get(reverse("analytics_export", args=[owner.workspace.pk, "nope.csv"]))
    assert missing.status_code == 404


def test_another_workspace_dashboard_and_exports_are_404(portfolio, make_member, login):
    outsider = login(make_member(Role.OWNER).user)
    workspace = portfolio["first"].system.workspace
    assert outsider.get(reverse("analytics", args=[workspace.pk])).status_code == 404
    url = reverse("analytics_export", args=[workspace.pk, "latest.csv"])
    assert outsider.get(url).status_code == 404


def test_member_limited_to_an_assessment_cannot_open_the_dashboard(portfolio, make_member, login):
    workspace = portfolio["first"].system.workspace
    member = make_member(Role.CONTRIBUTOR, workspace=workspace)
    member.assessment = portfolio["loose"]
    member.save()
    client = login(member.user)
    assert client.get(reverse("analytics", args=[workspace.pk])).status_code == 404
    results = client.get(reverse("results", args=[portfolio["loose"].pk]))
    assert results.status_code == 200
    percentiles_url = reverse("portfolio_percentiles", args=[portfolio["loose"].pk])
    assert percentiles_url not in results.content.decode()
    refused = client.get(percentiles_url)
    assert refused.status_code == 403
    assert "percentile in your portfolio" not in refused.content.decode()


# --- Clients page ----------------------------------------------------------------------------


def test_clients_page_lists_systems_with_latest_verdict_and_trend(portfolio, owner, login):
    response = login(owner.user).get(reverse("client_list", args=[owner.workspace.pk]))
    page = response.content.decode()
    groups = {g.client.name if g.client else None: g for g in response.context["groups"]}
    assert set(groups) == {"Acme", "Globex", None}
    acme_system = groups["Acme"].systems[0]["latest"]
    first = assessment_results(portfolio["first"]).score.overall
    second = assessment_results(portfolio["second"]).score.overall
    assert acme_system["assessment_id"] == portfolio["second"].pk
    assert acme_system["delta"] == round(second - first, 1)
    assert acme_system["direction"] == ("up" if second > first else "down")
    assert groups["Globex"].systems[0]["latest"]["direction"] == ""
    assert "No client" in page
    assert "first assessment" in page
    assert reverse("engagement_new", args=[owner.workspace.pk]) in page
    assert ("↑" if second > first else "↓") in page


def test_clients_page_shows_systems_without_assessments(owner, login):
    acme = ClientFactory(workspace=owner.workspace, name="Acme")
    SystemFactory(workspace=owner.workspace, client=acme, name="Checkout")
    page = login(owner.user).get(reverse("client_list", args=[owner.workspace.pk])).content
    assert "Checkout" in page.decode()
    assert "Not assessed yet" in page.decode()


# --- Results page percentile -----------------------------------------------------------------


def test_results_page_loads_the_percentiles_from_the_portfolio(portfolio, owner, login):
    client = login(owner.user)
    url = reverse("portfolio_percentiles", args=[portfolio["loose"].pk])
    results = client.get(reverse("results", args=[portfolio["loose"].pk])).content.decode()
    assert f'hx-get="{url}"' in results
    assert f'href="{url}"' in results  # without JavaScript, a link to the same view
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode()
    assert "percentile in your portfolio" in fragment.content.decode()
    page = client.get(url)
    assert "<html" in page.content.decode()


def test_percentiles_with_two_other_systems(portfolio, owner, login):
    client = login(owner.user)
    response = client.get(reverse("portfolio_percentiles", args=[portfolio["loose"].pk]))
    percentiles = response.context["percentiles"]
    assert percentiles["available"]
    board = portfolio_board(owner.workspace.pk)
    own = dict(
        board.area_scores[board.area_scores["assessment_id"] == portfolio["loose"].pk][
            ["area", "score"]
        ].values.tolist()
    )
    expected = area_percentiles(board, portfolio["loose"].system_id, own)
    titles = dict(board.areas)
    got = {row["title"]: row["percentile"] for row in percentiles["rows"]}
    assert got == {titles[area]: value for area, value in expected.items()}
    assert "percentile in your portfolio" in response.content.decode()


def test_percentiles_say_when_the_portfolio_is_too_small(owner, login, bank_version):
    alone = assess(owner.workspace, bank_version, owner.user, early_startup)
    response = login(owner.user).get(reverse("portfolio_percentiles", args=[alone.pk]))
    assert response.context["percentiles"]["available"] is False
    assert "needs at least two other systems" in response.content.decode()


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["analytics", "client_list"])
def test_query_count_does_not_grow_with_the_portfolio(
    page, owner, make_member, bank_version, login, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small, large = owner, make_member(Role.OWNER)
    add_bulk_portfolio(small.workspace, bank_version, 2)
    add_bulk_portfolio(large.workspace, bank_version, 30)
    counts = []
    for member in (small, large):
        client = login(member.user)
        url = reverse(page, args=[member.workspace.pk])
        client.get(reverse("home"))  # warm the session
        with CaptureQueriesContext(connection) as cold:  # builds the tables
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as warm:  # from the cache
            client.get(url)
        counts.append((len(cold), len(warm)))
    assert counts[0] == counts[1]
    # session, user, workspace, (clients,) data stamp, ... ; building adds four flat queries
    assert counts[1][0] - counts[1][1] == 4
    with django_assert_max_num_queries(counts[1][1]):
        client.get(url)


def test_custom_questions_count_in_portfolio_scores(portfolio, owner, bank_version):
    template = bank_version.questions.first()
    Question.objects.create(
        workspace=owner.workspace,
        key="cost.custom_extra",
        area=template.area,
        position=10**6,
        text="Extra",
        help="",
        weight=3,
        critical=False,
        checks=[],
        required=template.required,
        options=template.options,
        recommendations=template.recommendations,
    )
    board = portfolio_board(owner.workspace.pk)
    for key in ("second", "other", "loose"):
        score = assessment_results(portfolio[key]).score
        row = board.latest.set_index("Assessment ID").loc[portfolio[key].pk]
        assert row["Overall"] == score.overall
        assert row["Verdict"] == score.verdict_label


def test_the_compare_page_loads_the_systems_score_over_time(portfolio, owner, login):
    client = login(owner.user)
    second = portfolio["second"]
    url = reverse("portfolio_system_trend", args=[second.pk])
    compare = client.get(reverse("milestone_compare", args=[second.pk, portfolio["first"].pk]))
    assert f'hx-get="{url}"' in compare.content.decode()
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    page = fragment.content.decode()
    assert "<html" not in page  # the fragment, not the whole page
    # Both assessments of the system, oldest first, with the scores the results pages show.
    first_score = assessment_results(portfolio["first"]).score.overall
    second_score = assessment_results(second).score.overall
    assert [(label, score) for label, score in fragment.context["points"]] == [
        (portfolio["first"].title, first_score),
        (second.title, second_score),
    ]
    assert page.count('class="trend-dot"') == 2
    assert f"{portfolio['first'].title}: {first_score:.1f}." in page  # the accessible text


def test_a_system_with_one_assessment_says_the_line_starts_with_the_next(portfolio, owner, login):
    url = reverse("portfolio_system_trend", args=[portfolio["loose"].pk])
    page = login(owner.user).get(url).content.decode()
    assert "the line starts with the next one" in page
    assert 'class="trend-dot"' not in page
