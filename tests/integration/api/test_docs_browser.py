"""The browsable API docs work in a real browser under the site's strict CSP: Swagger UI
loads from our own static files and lists the endpoints, with no CSP violation."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_under_the_csp(page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/api/v1/docs")
    expect(page.get_by_text("ScaleReady API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/assessments/{assessment_id}/results").first).to_be_visible()
    assert problems == []
