"""Per-finding severity overrides: set with a reason on the results page, used by results,
roadmap, report and exports alike, cleared back to the computed severity, and audited."""

import io

import pandas as pd
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessments.audit.models import AuditEvent
from assessments.questionnaire.services import answers_import
from assessments.reports.pdf import report_html
from assessments.results.domain.roadmap import priority_score
from assessments.results.models import FindingReview
from assessments.results.selectors import system_results
from assessments.workspaces.models import Role
from tests.factories import AssessmentFactory
from tests.profiles import early_startup

REASON = "Payments stop when this fails"


@pytest.fixture
def setup(make_member, bank_version):
    owner = make_member(Role.OWNER)
    consultant = make_member(Role.CONSULTANT, workspace=owner.workspace).user
    contributor = make_member(Role.CONTRIBUTOR, workspace=owner.workspace).user
    assessment = AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)
    answers_import(assessment, early_startup(), owner.user)
    return assessment, consultant, contributor


def low_gap_with_an_item(assessment):
    """A low-severity gap whose roadmap item no other item of its phase must follow."""
    results = system_results(assessment)
    for gap in results.score.gaps:
        if gap.severity != "low":
            continue
        items = [i for i in results.roadmap.items if gap.question_id in i.question_ids]
        if len(items) == 1 and not items[0].depends_on and items[0].severity == "low":
            return gap.question_id, items[0].recommendation_id
    raise AssertionError("the profile has no low gap with an independent roadmap item")


def override(client, assessment, key, severity, reason="", notes=""):
    return client.post(
        reverse("finding_review", args=[assessment.pk, key]),
        {"severity": severity, "reason": reason, "consultant_notes": notes},
    )


def phase_index(roadmap, rec_id):
    item = roadmap.item(rec_id)
    same_phase = [i.recommendation_id for i in roadmap.items if i.phase == item.phase]
    return same_phase.index(rec_id)


def test_an_override_without_a_reason_is_refused_with_the_input_kept(setup, login):
    assessment, consultant, _ = setup
    key, _ = low_gap_with_an_item(assessment)
    response = override(login(consultant), assessment, key, "critical", "  ", notes="Keep me")
    assert response.status_code == 422
    page = response.content.decode()
    assert "Say why the severity is overridden" in page
    assert "Keep me" in page
    assert '<option value="critical" selected>' in page
    assert not FindingReview.objects.exists()
    assert not AuditEvent.objects.filter(kind="override").exists()


def test_an_unknown_severity_is_refused(setup, login):
    assessment, consultant, _ = setup
    key, _ = low_gap_with_an_item(assessment)
    response = override(login(consultant), assessment, key, "none", REASON)
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not FindingReview.objects.exists()


def test_an_override_changes_counts_roadmap_and_pages_and_clearing_restores_them(setup, login):
    assessment, consultant, contributor = setup
    key, rec_id = low_gap_with_an_item(assessment)
    before = system_results(assessment)
    counts = dict(before.score.gap_counts)
    old_index = phase_index(before.roadmap, rec_id)
    item = before.roadmap.item(rec_id)

    client = login(consultant)
    response = override(client, assessment, key, "critical", REASON)
    assert response.status_code == 302
    assert response.url.endswith(f"#q-{key.replace('.', '--')}")
    review = FindingReview.objects.get(assessment=assessment, question_key=key)
    assert (review.severity, review.reason, review.updated_by) == ("critical", REASON, consultant)

    after = system_results(assessment)
    expected = {**counts, "low": counts["low"] - 1, "critical": counts["critical"] + 1}
    assert after.score.gap_counts == expected
    assert after.score.question(key).severity == "critical"
    assert after.score.overall == before.score.overall
    assert after.score.verdict == before.score.verdict
    moved = after.roadmap.item(rec_id)
    assert moved.severity == "critical"
    distance = after.score.question(key).gap
    assert moved.priority == priority_score("critical", item.impact, item.effort, distance)
    assert moved.priority > item.priority  # the same distance, impact and effort; worse severity
    # It depends on nothing, so within its phase only urgent items (safety basics, find-outs)
    # and items of at least its priority precede it.
    assert not moved.urgent
    assert phase_index(after.roadmap, rec_id) < old_index
    phase = [i for i in after.roadmap.items if i.phase == moved.phase]
    ahead = phase[: phase_index(after.roadmap, rec_id)]
    assert all(i.urgent or i.priority >= moved.priority for i in ahead)
    behind = phase[phase_index(after.roadmap, rec_id) + 1 :]
    assert any(i.priority < moved.priority for i in behind) or not behind

    note = f"severity overridden: low → critical ({REASON})"
    for who in (consultant, contributor):  # the override is not secret: clients see why
        page = login(who).get(reverse("results", args=[assessment.pk])).content.decode()
        assert note in page
        assert f"{expected['critical']} critical" in page
    findings = login(contributor).get(
        reverse("assessment_export_file", args=[assessment.pk, "findings.csv"])
    )
    frame = pd.read_csv(io.StringIO(findings.content.decode())).set_index("Question ID")
    assert frame.loc[key, "Severity"] == "critical"
    assert frame.loc[key, "Computed severity"] == "low"
    assert frame.loc[key, "Override reason"] == REASON

    cleared = override(client, assessment, key, "", REASON)
    assert cleared.status_code == 302
    review.refresh_from_db()
    assert (review.severity, review.reason) == ("", "")
    restored = system_results(assessment)
    assert restored.score.gap_counts == counts
    assert restored.roadmap.item(rec_id).priority == item.priority
    assert phase_index(restored.roadmap, rec_id) == old_index
    assert restored.overrides == {}
    assert (
        note not in login(consultant).get(reverse("results", args=[assessment.pk])).content.decode()
    )


def test_the_report_lists_overrides_in_its_methodology_with_reason_who_and_when(setup, login):
    assessment, consultant, _ = setup
    consultant.first_name, consultant.last_name = "Cora", "Consult"
    consultant.save()
    key, _ = low_gap_with_an_item(assessment)
    override(login(consultant), assessment, key, "high", REASON)
    review = FindingReview.objects.get(question_key=key)
    html = report_html(assessment, system_results(assessment))
    methodology = html[html.index('id="methodology"') : html.index('id="glossary"')]
    assert "Severity overrides" in methodology
    assert REASON in methodology
    assert "Cora Consult" in methodology
    assert f"{review.updated_at:%-d %b %Y}" in methodology
    assert "low → high" in methodology
    summary = html[html.index('id="summary"') : html.index('id="scores"')]
    counts = system_results(assessment).score.gap_counts
    assert f"{counts['high']} high" in summary
    assert f"severity overridden: low → high ({REASON})" in html


def test_without_overrides_the_methodology_says_none_were_made(setup):
    assessment, _, _ = setup
    html = report_html(assessment, system_results(assessment))
    methodology = html[html.index('id="methodology"') : html.index('id="glossary"')]
    assert "none was overridden" in methodology


def test_overrides_are_recorded_in_the_audit_log(setup, login):
    assessment, consultant, _ = setup
    key, _ = low_gap_with_an_item(assessment)
    client = login(consultant)
    override(client, assessment, key, "medium", REASON)
    override(client, assessment, key, "medium", REASON)  # unchanged: no second event
    override(client, assessment, key, "", "")
    events = list(AuditEvent.objects.filter(kind="override").order_by("at", "pk"))
    assert [e.summary for e in events] == [
        f"Severity overridden: low → medium ({REASON})",
        "Severity override cleared: back to low",
    ]
    assert events[0].before == {"severity": "", "reason": ""}
    assert events[0].after == {"severity": "medium", "reason": REASON}
    assert all(e.actor == consultant and e.subject == key for e in events)
    log = client.get(reverse("audit_log", args=[assessment.system.workspace_id])).content.decode()
    assert f"Severity overridden: low → medium ({REASON})" in log


def test_a_question_without_a_gap_cannot_be_reviewed(setup, login):
    assessment, consultant, _ = setup
    results = system_results(assessment)
    key = next(q.question_id for q in results.score.questions if not q.is_gap)
    response = override(login(consultant), assessment, key, "high", REASON)
    assert response.status_code == 302
    assert not FindingReview.objects.exists()
    unknown = override(login(consultant), assessment, "no.such_question", "high", REASON)
    assert unknown.status_code == 404
    # From a row (htmx) the whole page reloads, saying why, rather than a page inside the row.
    url = reverse("finding_review", args=[assessment.pk, key])
    from_row = login(consultant).get(url, HTTP_HX_REQUEST="true")
    assert from_row.status_code == 200
    assert from_row["HX-Redirect"].startswith(reverse("results", args=[assessment.pk]))


def test_contributors_see_overrides_but_not_the_review_form(setup, login):
    assessment, consultant, contributor = setup
    key, _ = low_gap_with_an_item(assessment)
    override(login(consultant), assessment, key, "high", REASON)
    page = login(contributor).get(reverse("results", args=[assessment.pk])).content.decode()
    assert REASON in page
    assert reverse("finding_review", args=[assessment.pk, key]) not in page
    consultant_page = login(consultant).get(reverse("results", args=[assessment.pk]))
    assert reverse("finding_review", args=[assessment.pk, key]) in consultant_page.content.decode()


HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_results_page_renders_no_review_forms_until_one_is_asked_for(setup, login):
    assessment, consultant, _ = setup
    key, _ = low_gap_with_an_item(assessment)
    client = login(consultant)
    page = client.get(reverse("results", args=[assessment.pk])).content.decode()
    url = reverse("finding_review", args=[assessment.pk, key])
    assert "Save review" not in page
    assert f'hx-get="{url}"' in page  # each row's "Review" button fetches its form
    fragment = client.get(url, **HTMX)
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert html.lstrip().startswith("<tr")  # the row, swapped in place of the plain one
    assert "Save review" in html
    assert f'hx-post="{url}"' in html
    # Without JavaScript the same URL is a page of its own.
    page = client.get(url).content.decode()
    assert "<h1>Review a finding</h1>" in page
    assert 'hx-boost="false"' in page  # a plain POST, answered with a redirect
    assert "Save review" in page
    assert "hx-post" not in page


def test_a_refused_review_comes_back_in_its_row_with_the_error_beside_the_field(setup, login):
    assessment, consultant, _ = setup
    key, _ = low_gap_with_an_item(assessment)
    url = reverse("finding_review", args=[assessment.pk, key])
    data = {"severity": "critical", "reason": "", "consultant_notes": "Keep me"}
    response = login(consultant).post(url, data, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith("<tr")
    reason = html[html.index('name="reason"') :]
    assert "Say why the severity is overridden" in reason[: reason.index("</div>")]
    assert "Keep me" in html
    assert '<option value="critical" selected>' in html
    assert not list(get_messages(response.wsgi_request))
    assert not FindingReview.objects.exists()


def test_a_saved_review_returns_the_updated_row(setup, login):
    assessment, consultant, _ = setup
    key, _ = low_gap_with_an_item(assessment)
    url = reverse("finding_review", args=[assessment.pk, key])
    response = login(consultant).post(
        url, {"severity": "high", "reason": REASON, "consultant_notes": ""}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<tr")
    assert "Finding review saved." in html
    assert "severity overridden: low → high" in html
    assert '<span class="sev sev-high">high</span>' in html
    assert "Save review" not in html  # back to plain markup, with its "Review" button
    assert f'hx-get="{url}"' in html
    assert FindingReview.objects.get(question_key=key).severity == "high"


@pytest.mark.parametrize("role", ["contributor", "viewer"])
def test_only_owners_and_consultants_open_a_review_form(role, setup, make_member, login):
    assessment = setup[0]
    member = make_member(getattr(Role, role.upper()), workspace=assessment.system.workspace)
    key, _ = low_gap_with_an_item(assessment)
    url = reverse("finding_review", args=[assessment.pk, key])
    assert login(member.user).get(url, **HTMX).status_code == 403
