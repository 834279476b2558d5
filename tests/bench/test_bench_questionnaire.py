"""Benchmarks: autosave throughput against a bare view, queries per save, area page queries."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.bank.models import BankVersion, Question
from tests.bench.measure import interleaved_rates, report
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def bank_with_copies(source: BankVersion, copies: int) -> BankVersion:
    """A bank version holding every shipped question ``copies`` times (80 → 800 and more)."""
    version = BankVersion.objects.create(
        version=f"bench-x{copies}", content_hash="-", areas=source.areas
    )
    originals = list(source.questions.all())
    Question.objects.bulk_create(
        Question(
            bank_version=version,
            key=f"{q.key}_{copy}",
            area=q.area,
            position=copy * len(originals) + q.position,
            text=q.text,
            help=q.help,
            weight=q.weight,
            topic=q.topic,
            critical_from=q.critical_from,
            checks=q.checks,
            check_caps=q.check_caps,
            find_out=q.find_out,
            required=q.required,
            options=q.options,
            recommendations=q.recommendations,
        )
        for copy in range(copies)
        for q in originals
    )
    return version


def queries(client, method, url, data=None, **extra) -> int:
    """Statements a request runs, without the savepoints the test transaction adds around
    ``atomic`` blocks (in production those are a plain BEGIN/COMMIT, not counted either)."""
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {}, **extra)
    assert response.status_code == 200, response.content[:500]
    return sum(1 for q in captured if "SAVEPOINT" not in q["sql"])


def test_autosave_throughput_and_queries(settings, owner, assessment, login):
    settings.ROOT_URLCONF = "tests.bench.urls"
    client = login(owner.user)
    question = assessment.bank_version.questions.get(key="database.query_performance")
    url = reverse("answer", args=[assessment.pk, question.key])
    versions = itertools.count()
    levels = itertools.cycle(["1", "2", "3"])

    def autosave():
        data = {"choice": next(levels), "base_version": next(versions), "notes": "bench"}
        response = client.post(url, data, **HTMX)
        assert response.status_code == 200

    # SQLite checks JSON support once per connection (SELECT JSON(...)); not a per-save cost.
    assert connection.features.supports_json_field
    first = queries(client, "post", url, {"choice": "1", "base_version": 0}, **HTMX)
    later = queries(client, "post", url, {"choice": "2", "base_version": 1}, **HTMX)
    next(versions), next(versions)  # versions 0 and 1 are used above
    rates = interleaved_rates(
        {
            "bare view": lambda: client.post("/bench/hello/", {"x": "1"}),
            "authenticated write": lambda: client.post("/bench/authenticated-write/"),
            "autosave": autosave,
        },
        rounds=5,
        repeat=40,
    )
    ratio = rates["autosave"] / rates["bare view"]
    floor_ratio = rates["autosave"] / rates["authenticated write"]
    report(
        "Autosave POST vs bare view",
        [
            ("bare POST view", f"{rates['bare view']:.0f} req/s"),
            ("authenticated one-row write", f"{rates['authenticated write']:.0f} req/s"),
            ("autosave (htmx POST)", f"{rates['autosave']:.0f} req/s"),
            ("ratio autosave / bare", f"{ratio:.2f} (goal ≥ 0.50)"),
            ("ratio autosave / authenticated write", f"{floor_ratio:.2f}"),
            ("queries, first save", str(first)),
            ("queries, later saves", str(later)),
        ],
    )
    assert first <= 6
    assert later <= 6


def test_area_page_queries_do_not_depend_on_bank_size(owner, bank_version, login):
    client = login(owner.user)
    small = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    large_bank = bank_with_copies(bank_version, 8)
    large = AssessmentFactory(system__workspace=owner.workspace, bank_version=large_bank)
    small_url = reverse("assessment_area", args=[small.pk, "database"])
    large_url = reverse("assessment_area", args=[large.pk, "database"])
    client.get(small_url)
    small_count = queries(client, "get", small_url)
    large_count = queries(client, "get", large_url)
    rates = interleaved_rates(
        {
            f"area page, {bank_version.questions.count()} questions": lambda: client.get(small_url),
            f"area page, {large_bank.questions.count()} questions": lambda: client.get(large_url),
        },
        rounds=3,
        repeat=10,
    )
    report(
        "Area page vs bank size",
        [
            *((name, f"{rate:.0f} req/s") for name, rate in rates.items()),
            ("queries, shipped bank", str(small_count)),
            ("queries, 8x bank", str(large_count)),
        ],
    )
    assert small_count == large_count
