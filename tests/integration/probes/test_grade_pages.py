"""The probe grade where people read it: the run page, the system page, the results page,
and its scoring table on the methodology page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from checks.engine.catalog import CHECKS
from checks.engine.grade import GRADE_BANDS
from checks.models import ProbedTarget, ProbeResult, ProbeRun
from checks.selectors import latest_grade
from tests.factories import AssessmentFactory, SystemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def system(owner):
    return SystemFactory(workspace=owner.workspace)


def graded_run(system, failing=()) -> ProbeRun:
    """A succeeded run where every check passed except ``failing``."""
    run = ProbeRun.objects.create(
        system=system,
        status=ProbeRun.Status.SUCCEEDED,
        target_urls=["https://a.example.com/"],
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    ProbedTarget.objects.create(run=run, url="https://a.example.com/", artifacts=None)
    ProbeResult.objects.bulk_create(
        ProbeResult(
            run=run,
            target_url="https://a.example.com/",
            check_id=check.id,
            category=check.category,
            status="fail" if check.id in failing else "pass",
            score=0 if check.id in failing else 100,
            message="Seen.",
        )
        for check in CHECKS.values()
    )
    return run


def test_the_run_page_shows_the_grade_and_its_categories(system, owner, login):
    run = graded_run(system)
    page = login(owner.user).get(run.get_absolute_url()).content.decode()
    assert '<span class="grade-letter grade-a">A+</span>' in page
    assert "Browser security headers" in page
    assert "100/100 over" in page


def test_the_system_page_shows_the_latest_grade_and_one_per_run(system, owner, login):
    graded_run(system, failing={"https_available"})
    graded_run(system)
    page = login(owner.user).get(system.get_absolute_url()).content.decode()
    assert '<span class="grade-letter grade-a">A+</span>' in page  # the latest run's card
    assert '<span class="grade-letter small grade-f">F</span>' in page  # the older run
    assert '<span class="grade-letter small grade-a">A+</span>' in page


def test_the_results_page_shows_the_systems_latest_grade(system, owner, login, bank_version):
    graded_run(system, failing={"tls_protocols"})
    assessment = AssessmentFactory(system=system, bank_version=bank_version)
    page = login(owner.user).get(reverse("results", args=[assessment.pk])).content.decode()
    assert '<span class="grade-letter grade-b">B</span>' in page
    assert "capped at B: TLS 1.0 or 1.1 is still accepted" in page


def test_the_results_page_says_nothing_of_a_grade_before_any_run(owner, login, bank_version):
    assessment = AssessmentFactory(
        system=SystemFactory(workspace=owner.workspace), bank_version=bank_version
    )
    page = login(owner.user).get(reverse("results", args=[assessment.pk])).content.decode()
    assert "Probe grade" not in page


def test_latest_grade_is_the_function_the_report_can_call(system, django_assert_num_queries):
    graded_run(system, failing={"https_available"})
    with django_assert_num_queries(1):
        grade = latest_grade(system)
    assert grade.letter == "F"
    with django_assert_num_queries(0):  # memoised on the instance by latest_evidence
        assert latest_grade(system).letter == "F"


def test_the_methodology_page_prints_the_grade_table(client):
    page = client.get(reverse("methodology")).content.decode()
    assert 'id="probe-grade"' in page
    for letter, lowest in GRADE_BANDS:
        assert f'<td>{letter}</td><td class="num">{lowest}' in page
    assert CHECKS["https_available"].title in page


def test_the_report_shows_the_latest_grade_with_its_cap_in_words(system, owner, bank_version):
    from assessments.reports.pdf import report_html
    from assessments.results.selectors import system_results

    assessment = AssessmentFactory(system=system, bank_version=bank_version)
    graded_run(system, failing={"https_available"})
    html = report_html(assessment, system_results(assessment))
    assert '<section id="probe-grade" class="chapter">' in html
    assert "<strong>F</strong>" in html
    assert "capped at F: " in html  # why, in words, not a check id
    assert "HTTPS, TLS and certificates" in html


def test_a_report_without_a_probe_run_has_no_grade_section(system, bank_version):
    from assessments.reports.pdf import report_html
    from assessments.results.selectors import system_results

    assessment = AssessmentFactory(system=system, bank_version=bank_version)
    assert 'id="probe-grade"' not in report_html(assessment, system_results(assessment))
