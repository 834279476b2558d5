"""Benchmarks: scoring + roadmap for one assessment and for 10,000; results page queries."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.bank.domain.loader import load_bank
from assessments.results.domain.roadmap import build_roadmap
from assessments.results.domain.scoring import CapacityInputs, score_assessment
from tests.bench.measure import report
from tests.bench.test_bench_questionnaire import bank_with_copies
from tests.factories import AssessmentFactory
from tests.profiles import PROFILES, answer_values


def test_scoring_and_roadmap_speed():
    bank = load_bank()
    questions = list(bank.questions)
    profiles = {name: answer_values(make()) for name, make in PROFILES.items()}
    capacity = CapacityInputs(target_users=100_000)

    def one(answers):
        score = score_assessment(questions, answers, "100k", (), capacity)
        return build_roadmap(questions, score)

    timings = {}
    for name, answers in profiles.items():
        one(answers)
        start = time.perf_counter()
        for _ in range(50):
            one(answers)
        timings[name] = (time.perf_counter() - start) / 50 * 1000
    # Baseline in the same run: just building the answer map the scorer reads.
    start = time.perf_counter()
    for _ in range(50):
        {q.id: profiles["growing_product"].get(q.id) for q in questions}
    baseline_ms = (time.perf_counter() - start) / 50 * 1000

    answer_sets = list(profiles.values())
    start = time.perf_counter()
    for index in range(10_000):
        one(answer_sets[index % len(answer_sets)])
    loop_s = time.perf_counter() - start
    report(
        "Scoring + roadmap",
        [
            *(
                (
                    f"one assessment, {name}",
                    f"{ms:.2f} ms (goal < 5 ms), {ms / baseline_ms:.0f}x the answer map",
                )
                for name, ms in timings.items()
            ),
            ("baseline: building the answer map", f"{baseline_ms:.3f} ms"),
            (
                "10,000 assessments in a loop",
                f"{loop_s:.1f} s ({loop_s / 10_000 * 1000:.2f} ms each)",
            ),
        ],
    )
    assert max(timings.values()) < 5


@pytest.mark.django_db
def test_results_page_queries_do_not_depend_on_bank_size(owner, bank_version, login):
    client = login(owner.user)
    small = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    large = AssessmentFactory(
        system__workspace=owner.workspace, bank_version=bank_with_copies(bank_version, 8)
    )
    counts = {}
    for name, assessment in (("shipped bank", small), ("8x bank", large)):
        url = reverse("results", args=[assessment.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[name] = len(captured)
    report("Results page vs bank size", [(f"queries, {k}", str(v)) for k, v in counts.items()])
    assert counts["shipped bank"] == counts["8x bank"]
