"""The portfolio dashboard is kept rendered per build it shows (config/fragments.py): a second
look at the same build loads no tables, and whatever moves -- a change to the data (the page
then shows the latest build as stale), the worker's rebuild, the workspace's name, its clients,
the filters asked for -- serves what a fresh render gives."""

import re

import pytest
from django.urls import reverse

from assessments.portfolio import views
from assessments.portfolio.selectors import PortfolioFilters
from assessments.portfolio.services import filters_to_args, portfolio_rebuild
from assessments.questionnaire.services import answers_import
from tests.factories import ClientFactory
from tests.integration.portfolio.test_portfolio_views import assess
from tests.profiles import early_startup, growing_product, mature_platform

TOKENS = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


@pytest.fixture
def workspace(owner, bank_version):
    acme = ClientFactory(workspace=owner.workspace, name="Acme")
    assess(owner.workspace, bank_version, owner.user, early_startup, client=acme)
    return {
        "loose": assess(owner.workspace, bank_version, owner.user, growing_product),
        "acme": acme,
    }


@pytest.fixture
def loads(monkeypatch):
    """How many times the page loaded the tables (``portfolio_current``)."""
    calls = []
    real = views.portfolio_current

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "portfolio_current", counted)
    return calls


def page(http, owner, **params) -> str:
    response = http.get(reverse("analytics", args=[owner.workspace.pk]), params)
    assert response.status_code == 200
    return TOKENS.sub(r"\1", response.content.decode())


def served_then_fresh(http, owner, settings, **params) -> str:
    """The page as served twice (the second from the cache) and as a fresh render: equal."""
    first = page(http, owner, **params)
    assert page(http, owner, **params) == first
    settings.SCALEREADY_FRAGMENT_CACHE = False
    try:
        assert page(http, owner, **params) == first
    finally:
        settings.SCALEREADY_FRAGMENT_CACHE = True
    return first


def test_a_second_look_at_the_same_build_loads_no_tables(workspace, owner, login, loads):
    http = login(owner.user)
    first = page(http, owner)  # the first build, in the request
    second = page(http, owner)  # rendered from the cached tables, then kept
    assert len(loads) == 2
    assert page(http, owner) == second  # kept
    assert len(loads) == 2
    assert "up to date with every answer" in first
    assert "up to date with every answer" in second


def test_every_change_serves_what_a_fresh_render_gives(workspace, owner, login, settings):
    http = login(owner.user)
    page(http, owner)  # the first build
    before = served_then_fresh(http, owner, settings)
    assert "up to date with every answer" in before

    answers_import(workspace["loose"], mature_platform(), owner.user)
    stale = served_then_fresh(http, owner, settings)
    assert "the latest changes are being added" in stale  # not the kept fresh page

    portfolio_rebuild(owner.workspace.pk, filters_to_args(PortfolioFilters()))  # the worker
    rebuilt = served_then_fresh(http, owner, settings)
    assert "up to date with every answer" in rebuilt
    assert rebuilt != before  # the new scores

    owner.workspace.name = "Renamed Workspace"
    owner.workspace.save()
    assert "Renamed Workspace" in served_then_fresh(http, owner, settings)

    acme = workspace["acme"]
    acme.name = "Acme Renamed"  # moves no data stamp: the filter's choices show it
    acme.save()
    assert "Acme Renamed" in served_then_fresh(http, owner, settings)

    # The same build and filters (an invalid one is ignored), but the form says what to fix.
    wrong = served_then_fresh(http, owner, settings, date_from="31/02/2026")
    assert "Enter a start date as YYYY-MM-DD." in wrong

    acme = str(acme.pk)
    filtered = served_then_fresh(http, owner, settings, client=acme)
    assert f'value="{acme}" selected' in filtered
    assert "Clear filters" in filtered
    assert "Clear filters" not in served_then_fresh(http, owner, settings)
