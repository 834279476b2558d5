"""Benchmarks (issue 18): the results, roadmap and area pages and the autosave, each as a
ratio to an authenticated baseline measured in the same run, and each in a workspace of
10,000 assessments against the same in a workspace of one."""

import itertools
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.questionnaire.models import Answer, AnswerState
from assessments.questionnaire.services import answers_import
from assessments.workspaces.models import Assessment, System
from tests.bench.measure import interleaved_rates, median_ratio, report
from tests.bench.test_bench_questionnaire import bank_with_copies
from tests.factories import AssessmentFactory
from tests.profiles import early_startup

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
FORM = "application/x-www-form-urlencoded"
LARGE = 10_000  # assessments in the large workspace
PER_SYSTEM = 4
AREA = "security"  # the shipped bank's largest area


def add_assessments(workspace, bank_version, count: int) -> None:
    """``count`` empty assessments over ``count / PER_SYSTEM`` systems, in two bulk inserts."""
    systems = System.objects.bulk_create(
        System(
            workspace=workspace, name=f"System {i:05d}", current_users=1_000, target_users=100_000
        )
        for i in range(count // PER_SYSTEM)
    )
    Assessment.objects.bulk_create(
        Assessment(system=system, bank_version=bank_version, title=f"Round {n}", band="100k")
        for system in systems
        for n in range(PER_SYSTEM)
    )


@pytest.fixture
def workspaces(make_member, bank_version):
    """A workspace holding one assessment and one holding 10,000 more; in each, one assessment
    answered as the early-startup profile (about 100 gaps and roadmap items)."""
    measured = {}
    for name in ("one", "large"):
        member = make_member()
        if name == "large":
            add_assessments(member.workspace, bank_version, LARGE)
        assessment = AssessmentFactory(
            system__workspace=member.workspace,
            system__target_users=100_000,
            bank_version=bank_version,
        )
        answers_import(assessment, early_startup(), member.user)
        measured[name] = (member.user, assessment)
    return measured


def statements(client, method, url, data=None, **extra) -> int:
    """Statements a request runs, without the savepoints of the test transaction."""
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data or {}, **extra)
    assert response.status_code == 200, response.content[:300]
    return sum(1 for q in captured if "SAVEPOINT" not in q["sql"])


class Pages:
    """The measured requests of one assessment, with its own logged-in client."""

    def __init__(self, login, user, assessment, key="database.query_performance"):
        self.client = login(user)
        self.assessment = assessment
        question = assessment.bank_version.questions.get(key=key)
        self.answer_url = reverse("answer", args=[assessment.pk, question.key])
        self.version = assessment.answers.get(question=question).version
        self.levels = itertools.cycle(["1", "2", "3"])
        self.urls = {
            "results": reverse("results", args=[assessment.pk]),
            "roadmap": reverse("roadmap", args=[assessment.pk]),
            "area": reverse("assessment_area", args=[assessment.pk, AREA]),
        }

    def get(self, name):
        response = self.client.get(self.urls[name])
        assert response.status_code == 200

    def autosave(self):
        data = {"choice": next(self.levels), "base_version": self.version, "notes": "bench"}
        # Form-encoded, as htmx sends the card's form (the test client would send multipart).
        response = self.client.post(self.answer_url, urlencode(data), FORM, **HTMX)
        assert response.status_code == 200, response.content[:300]
        self.version += 1

    def action(self, name):
        return self.autosave if name == "autosave" else lambda: self.get(name)

    def queries(self) -> dict[str, int]:
        counts = {name: statements(self.client, "get", url) for name, url in self.urls.items()}
        data = {"choice": next(self.levels), "base_version": self.version}
        counts["autosave"] = statements(self.client, "post", self.answer_url, data, **HTMX)
        self.version += 1
        return counts


def test_pages_against_an_authenticated_baseline(settings, workspaces, login):
    """Each page as most requests find it -- kept rendered, its inputs unchanged
    (config/fragments.py) -- and as the first request after a change finds it, scored and
    rendered afresh; the autosave against a one-row write."""
    settings.ROOT_URLCONF = "tests.bench.urls"
    user, assessment = workspaces["one"]
    pages = Pages(login, user, assessment)
    gaps = len(pages.client.get(pages.urls["results"]).context["score"].gaps)
    items = len(pages.client.get(pages.urls["roadmap"]).context["edited"].visible_rows())

    def authenticated_page():
        return pages.client.get("/bench/authenticated-page/")

    def page_rates(rounds, repeat):
        return interleaved_rates(
            {
                "authenticated page": authenticated_page,
                **{name: pages.action(name) for name in ("results", "roadmap", "area")},
            },
            rounds=rounds,
            repeat=repeat,
        )

    kept = page_rates(rounds=5, repeat=20)
    settings.SCALEREADY_FRAGMENT_CACHE = False  # every request scores and renders
    rendered = page_rates(rounds=3, repeat=5)
    settings.SCALEREADY_FRAGMENT_CACHE = True
    writes = interleaved_rates(
        {
            "authenticated write": lambda: pages.client.post("/bench/authenticated-write/"),
            "autosave": pages.action("autosave"),
        },
        rounds=5,
        repeat=20,
    )
    ratios = {
        f"{name} {how}": rates[name] / rates["authenticated page"]
        for how, rates in (("kept", kept), ("rendered", rendered))
        for name in ("results", "roadmap", "area")
    }
    ratios["autosave"] = writes["autosave"] / writes["authenticated write"]
    goals = {"results": 0.15, "roadmap": 0.15, "area": 0.3}
    report(
        "Pages against an authenticated baseline (issue 18)",
        [
            (
                "authenticated page (session, user, minimal template)",
                f"{kept['authenticated page']:.0f} req/s",
            ),
            ("authenticated one-row write", f"{writes['authenticated write']:.0f} req/s"),
            (
                f"results page, {gaps} gaps, kept / rendered",
                f"{kept['results']:.0f} / {rendered['results']:.1f} req/s",
            ),
            (
                f"roadmap page, {items} items, kept / rendered",
                f"{kept['roadmap']:.0f} / {rendered['roadmap']:.1f} req/s",
            ),
            (
                f"area page ({AREA}), shipped bank, kept / rendered",
                f"{kept['area']:.0f} / {rendered['area']:.1f} req/s",
            ),
            ("autosave (htmx POST)", f"{writes['autosave']:.0f} req/s"),
            *(
                (
                    f"ratio {name} / page, kept / rendered",
                    f"{ratios[f'{name} kept']:.3f} / {ratios[f'{name} rendered']:.3f}"
                    f" (goal >= {goal})",
                )
                for name, goal in goals.items()
            ),
            ("ratio autosave / write", f"{ratios['autosave']:.3f} (goal >= 0.5)"),
        ],
    )
    assert gaps >= 90
    assert items >= 90
    # Issue 18's goals: 0.15, 0.15, 0.3 for the pages, 0.5 for the autosave. Kept, the pages
    # measured 0.30-0.33 / 0.25-0.27 / 0.30-0.33 once the access check and the layout's links
    # were built once per process (0.03-0.05 before pages were kept); rendered afresh, as every
    # request was before, 0.02-0.04. The autosave measured 0.18 before its access check and
    # question lookup were made cheaper (issue 18, part 3), 0.23 after, 0.52-0.55 with its
    # statements built once (config/compiled.py). Asserted with room for a busy machine.
    assert ratios["results kept"] >= 0.15
    assert ratios["roadmap kept"] >= 0.15
    assert ratios["area kept"] >= 0.24
    assert ratios["results rendered"] >= 0.015
    assert ratios["roadmap rendered"] >= 0.012
    assert ratios["area rendered"] >= 0.02
    assert ratios["autosave"] >= 0.4


def test_pages_do_not_slow_down_in_a_workspace_of_10000_assessments(workspaces, login):
    one = Pages(login, *workspaces["one"])
    large = Pages(login, *workspaces["large"])
    assert (
        Assessment.objects.filter(system__workspace=large.assessment.system.workspace).count()
        > LARGE
    )
    one.queries(), large.queries()  # warm: the roadmap's first view marks it reviewed
    queries = {"one": one.queries(), "large": large.queries()}
    names = ("results", "roadmap", "area", "autosave")
    # Each ratio: the median of rounds measuring both workspaces back to back; the autosave is
    # ten times faster than a page, so more of them per round.
    ratios = {
        name: median_ratio(
            large.action(name), one.action(name), repeat=25 if name == "autosave" else 4
        )
        for name in names
    }
    report(
        "Pages in a workspace of 10,000 assessments against a workspace of one (issue 18)",
        [
            *(
                (f"{name}: ratio 10,000 / one", f"{ratios[name]:.2f} (goal >= 0.9)")
                for name in names
            ),
            *(
                (
                    f"{name}: SQL queries, one / 10,000",
                    f"{queries['one'][name]} / {queries['large'][name]}",
                )
                for name in names
            ),
        ],
    )
    assert queries["one"] == queries["large"]
    assert all(ratio >= 0.9 for ratio in ratios.values()), ratios


def test_queries_per_page_do_not_depend_on_the_bank_size(owner, bank_version, login):
    """The same pages for an assessment on the shipped bank and on a bank 8 times its size,
    every question answered at level 0 (so every question is a gap with roadmap items)."""
    counts = {}
    for name, bank in (("shipped", bank_version), ("8x", bank_with_copies(bank_version, 8))):
        assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank)
        Answer.objects.bulk_create(
            Answer(
                assessment=assessment,
                question=question,
                state=AnswerState.LEVEL,
                level=0,
                answered_at=timezone.now(),
            )
            for question in bank.questions.all()
        )
        key = bank.questions.filter(area="database").order_by("position").first().key
        pages = Pages(login, owner.user, assessment, key=key)
        pages.queries()  # warm: the roadmap's first view marks it reviewed
        counts[name] = pages.queries() | {"questions": bank.questions.count()}
    shipped, large = counts["shipped"], counts["8x"]
    report(
        "SQL queries per page, shipped bank vs 8 times its size (issue 18)",
        [
            ("questions, shipped / 8x bank", f"{shipped['questions']} / {large['questions']}"),
            *(
                (f"{name}: SQL queries, shipped / 8x bank", f"{shipped[name]} / {large[name]}")
                for name in ("results", "roadmap", "area", "autosave")
            ),
        ],
    )
    assert large.pop("questions") == 8 * shipped.pop("questions")
    assert shipped == large
