"""A stale portfolio is rebuilt by the real worker through the real broker."""

import time

import pytest
from django.urls import reverse

from assessments.portfolio.selectors import PortfolioFilters, data_stamp, portfolio_cached
from assessments.questionnaire.services import answers_import
from tests.factories import AssessmentFactory
from tests.profiles import early_startup, mature_platform

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def wait_until_fresh(workspace_id: int, timeout: float = 60):
    """Poll the cache (the worker writes there) until the tables match the data again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        board = portfolio_cached(workspace_id, PortfolioFilters(), data_stamp(workspace_id))
        if board is not None and not board.stale:
            return board
        time.sleep(0.1)
    pytest.fail(f"the portfolio of workspace {workspace_id} was not rebuilt within {timeout} s")


def test_the_worker_rebuilds_the_tables_a_page_found_stale(
    celery_worker, owner, bank_version, login
):
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    answers_import(assessment, early_startup(), owner.user)
    client = login(owner.user)
    url = reverse("analytics", args=[owner.workspace.pk])
    before = client.get(url).context["board"]  # the first build happens in the request
    answers_import(assessment, mature_platform(), owner.user)
    stale = client.get(url).context["board"]
    assert stale.stale

    rebuilt = wait_until_fresh(owner.workspace.pk)
    assert rebuilt.built_at > before.built_at
    row = rebuilt.latest.set_index("Assessment ID").loc[assessment.pk]
    assert row["Overall"] > before.latest.set_index("Assessment ID").loc[assessment.pk, "Overall"]
    assert not client.get(url).context["board"].stale
