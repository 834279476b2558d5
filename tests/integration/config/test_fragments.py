"""Kept page parts (config/fragments.py): keys that follow their inputs and the code, and
tokens that are each reader's own."""

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from config import fragments
from config.fragments import cached_fragment, fragment_key

pytestmark = pytest.mark.django_db


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
        page = cached_fragment(request, "part", ("same",), "part.html", build, subject=None)
        pages.append((request, page))
    assert len(builds) == 1  # the second reader was served the kept part
    # ... from the pages' own cache: their numbers never cull the default cache's counters.
    key = fragment_key("part", (("same",), ()))  # nothing added by other apps
    assert caches["pages"].get(key) is not None
    assert caches["default"].get(key) is None
    for request, page in pages:
        assert "&lt;kept&gt;" in page
        assert request.META["CSRF_COOKIE"]  # the reader got a token of their own ...
        assert fragments.CSRF_PLACEHOLDER not in page
    assert pages[0][1] != pages[1][1]  # ... written into their copy


def test_what_other_apps_add_to_a_page_is_part_of_its_key(settings, tmp_path, monkeypatch):
    template = tmp_path / "part.html"
    template.write_text("<p>{{ words }}</p>")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], str(tmp_path)]}]
    shown = {"subject": "first"}
    monkeypatch.setattr(fragments, "ADDED_INPUTS", {})
    fragments.add_page_input("part", lambda subject: shown[subject])

    def served() -> str:
        request = RequestFactory().get("/")
        context = {"words": shown["subject"]}
        return cached_fragment(request, "part", (), "part.html", lambda: context, subject="subject")

    assert served() == "<p>first</p>"
    shown["subject"] = "second"  # what another app shows on the page changed
    assert served() == "<p>second</p>"
