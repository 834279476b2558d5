"""Backlog exports: the same finding id across re-scoring and milestones, create/update/
unchanged on the next export, Jira CSV and GitHub-issue JSON, exported times on the roadmap."""

import csv
import io

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from assessments.api.models import BacklogExport
from assessments.workspaces.models import Assessment
from tests.factories import AnswerFactory, AssessmentFactory

pytestmark = pytest.mark.django_db


def with_gaps(assessment, count=3):
    for question in assessment.bank_version.questions.all()[:count]:
        AnswerFactory(assessment=assessment, question=question, state="level", level=0)
    return assessment


def export(api, assessment, fmt="github_json", **options):
    return api.post(
        f"/api/v1/assessments/{assessment.pk}/backlog-exports", {"format": fmt, **options}
    )


def test_github_issues_carry_the_finding_id_and_a_second_export_updates_not_duplicates(
    assessment, api_client
):
    with_gaps(assessment)
    api = api_client("consultant")
    first = export(api, assessment).json()["issues"]
    assert first
    assert {issue["action"] for issue in first} == {"create"}
    for issue in first:
        assert issue["external_id"].startswith(f"scaleready:{assessment.system_id}:")
        assert f"<!-- scaleready-finding: {issue['external_id']} -->" in issue["body"]
    key = first[0]["external_id"].rsplit(":", 1)[1]
    changed = api.patch(f"/api/v1/assessments/{assessment.pk}/roadmap/{key}", {"status": "done"})
    assert changed.status_code == 200
    second = export(api, assessment).json()["issues"]
    assert [i["external_id"] for i in second] == [i["external_id"] for i in first]
    by_id = {issue["external_id"]: issue for issue in second}
    assert by_id[first[0]["external_id"]]["action"] == "update"
    assert by_id[first[0]["external_id"]]["state"] == "closed"
    assert sum(issue["action"] == "unchanged" for issue in second) == len(first) - 1
    only_changed = export(api, assessment, changed_only=True).json()["issues"]
    assert only_changed == []  # nothing changed since the second export
    assert BacklogExport.objects.count() == len(first)


def test_the_finding_id_survives_a_new_assessment_of_the_system(assessment, api_client):
    with_gaps(assessment)
    api = api_client("owner")
    first = {i["external_id"] for i in export(api, assessment).json()["issues"]}
    later = with_gaps(
        AssessmentFactory(system=assessment.system, bank_version=assessment.bank_version)
    )
    issues = export(api, later).json()["issues"]
    assert {i["external_id"] for i in issues} == first
    assert {i["action"] for i in issues} == {"unchanged"}


def test_jira_csv_has_the_import_columns_and_the_external_id(assessment, api_client):
    with_gaps(assessment)
    response = export(api_client("consultant"), assessment, "jira_csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows
    assert {"External ID", "Summary", "Description", "Priority", "Labels", "Due Date"} <= set(
        rows[0]
    )
    assert all(row["External ID"].startswith("scaleready:") for row in rows)
    assert {row["Priority"] for row in rows} <= {"Highest", "High", "Medium", "Low"}


def test_the_roadmap_says_when_an_item_was_exported(assessment, api_client):
    with_gaps(assessment)
    api = api_client("consultant")
    url = f"/api/v1/assessments/{assessment.pk}/roadmap"
    assert all(item["exported_at"] is None for item in api.get(url).json()["items"])
    export(api, assessment, "jira_csv")
    items = api.get(url).json()["items"]
    assert all(item["exported_at"] for item in items if not item["hidden"])


def test_the_roadmap_page_shows_which_items_were_exported_and_when(
    assessment, api_client, owner, login
):
    with_gaps(assessment)
    page_url = reverse("roadmap", args=[assessment.pk])
    before = login(owner.user).get(page_url).content.decode()
    assert "exported " not in before
    export(api_client("consultant"), assessment, "github_json")
    after = login(owner.user).get(page_url).content.decode()
    today = date_format(timezone.localdate(), "j M Y")
    assert f'<span class="tag">exported {today}</span>' in after


def test_viewers_cannot_export_and_nothing_is_recorded(assessment, api_client):
    with_gaps(assessment)
    assert export(api_client("viewer"), assessment).status_code == 403
    assert not BacklogExport.objects.exists()


def test_an_unknown_format_is_refused(assessment, api_client):
    response = export(api_client("owner"), assessment, "excel")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_the_roadmap_tag_says_when_each_item_was_exported_in_one_query(
    assessment, api_client, django_assert_num_queries
):
    with_gaps(assessment)
    issues = export(api_client("consultant"), assessment).json()["issues"]
    keys = [issue["external_id"].rsplit(":", 1)[1] for issue in issues]
    page = Template(
        "{% load backlog %}{% for key in keys %}[{% exported_when assessment key %}]{% endfor %}"
        "[{% exported_when assessment 'never-exported' %}]"
    )
    fresh = Assessment.objects.select_related("system").get(pk=assessment.pk)
    with django_assert_num_queries(1):
        text = page.render(Context({"assessment": fresh, "keys": keys}))
    assert text.count("exported ") == len(keys)
    assert text.endswith("[]")
