"""Kept page parts (config/fragments.py): reads compiled once and run with new values, keys
that follow their inputs and the code, and tokens that are each reader's own."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from assessments.questionnaire.models import Answer, AnswerState
from config import fragments
from config.fragments import CompiledRows, cached_fragment, fragment_key
from tests.factories import AnswerFactory, AssessmentFactory

pytestmark = pytest.mark.django_db


def states(assessment_id, area):
    return (
        Answer.objects.filter(assessment=assessment_id, question__area=area)
        .order_by("pk")
        .values_list("pk", "state")
    )


def test_a_read_is_compiled_once_and_runs_with_each_calls_values(bank_version):
    first = AssessmentFactory(bank_version=bank_version)
    second = AssessmentFactory(bank_version=bank_version)
    questions = bank_version.questions.filter(area="database").order_by("pk")[:2]
    for assessment in (first, second):
        for question in questions:
            AnswerFactory(
                assessment=assessment, question=question, state=AnswerState.UNKNOWN, level=None
            )
    rows = CompiledRows(states)
    for assessment in (first, second, first):
        expected = tuple(states(assessment.pk, "database"))
        assert rows(assessment.pk, "database") == expected
        assert len(expected) == 2
    assert rows(first.pk, "security") == ()
    with CaptureQueriesContext(connection) as captured:
        rows(second.pk, "database")
    assert len(captured) == 1
    assert str(second.pk) in captured[0]["sql"]


def test_a_read_that_does_not_use_an_argument_as_a_parameter_is_refused():
    rows = CompiledRows(lambda assessment_id: Answer.objects.order_by("pk").values_list("pk"))
    with pytest.raises(ValueError, match="must be a parameter"):
        rows(1)


def test_keys_follow_the_inputs_and_the_code(monkeypatch):
    key = fragment_key("results", (1, "a"))
    assert key == fragment_key("results", (1, "a"))
    assert key != fragment_key("results", (1, "b"))
    assert key != fragment_key("roadmap", (1, "a"))
    monkeypatch.setattr(fragments, "code_digest", lambda: "another release")
    assert key != fragment_key("results", (1, "a"))


def test_a_kept_part_carries_each_readers_own_csrf_token(settings, tmp_path):
    template = tmp_path / "part.html"
    template.write_text("<form>{% csrf_token %}<p>{{ words }}</p></form>")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], str(tmp_path)]}]
    builds = []

    def build():
        builds.append(1)
        return {"words": "<kept>"}

    pages = []
    for _ in range(2):
        request = RequestFactory().get("/")
        pages.append((request, cached_fragment(request, "part", ("same",), "part.html", build)))
    assert len(builds) == 1  # the second reader was served the kept part
    # ... from the pages' own cache: their numbers never cull the default cache's counters.
    key = fragment_key("part", ("same",))
    assert caches["pages"].get(key) is not None
    assert caches["default"].get(key) is None
    for request, page in pages:
        assert "&lt;kept&gt;" in page
        assert request.META["CSRF_COOKIE"]  # the reader got a token of their own ...
        assert fragments.CSRF_PLACEHOLDER not in page
    assert pages[0][1] != pages[1][1]  # ... written into their copy
