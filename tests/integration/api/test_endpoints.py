"""Every endpoint through a bearer token: systems, assessments, answers (optimistic versions
and the pages' validation), probe runs, results, roadmap, reports."""

import pytest

from assessments.api.models import AcceptedRun
from assessments.audit.models import AuditEvent
from assessments.questionnaire.models import Answer
from assessments.reports.models import ReportFile
from assessments.results.models import RoadmapEntry
from assessments.workspaces.models import Role, person_name
from checks.models import ProbeResult, ProbeRun
from tests.factories import AnswerFactory, AssessmentFactory, SystemFactory, TargetFactory

pytestmark = pytest.mark.django_db


def test_systems_are_listed_with_pagination(owner, api_client):
    for n in range(5):
        SystemFactory(workspace=owner.workspace, name=f"System {n}")
    SystemFactory(name="Elsewhere")  # another workspace
    api = api_client("viewer")
    first = api.get("/api/v1/systems", page_size=2).json()
    assert first["count"] == 5
    assert first["pages"] == 3
    assert len(first["items"]) == 2
    assert first["next"].endswith("?page_size=2&page=2")
    assert first["previous"] is None
    last = api.get("/api/v1/systems", page=3, page_size=2).json()
    assert [s["name"] for s in last["items"]] == ["System 4"]
    bad = api.get("/api/v1/systems", page_size=500)
    assert bad.status_code == 422
    assert bad["Content-Type"] == "application/problem+json"


def test_system_and_assessment_details(assessment, api_client):
    TargetFactory(system=assessment.system, url="https://shop.example/")
    api = api_client("viewer")
    system = api.get(f"/api/v1/systems/{assessment.system_id}").json()
    assert system["base_urls"] == ["https://shop.example/"]
    listed = api.get("/api/v1/assessments", system_id=assessment.system_id).json()
    assert [a["id"] for a in listed["items"]] == [assessment.pk]
    detail = api.get(f"/api/v1/assessments/{assessment.pk}").json()
    assert detail["band"] == assessment.band
    assert detail["status"] == "in_progress"


def test_answers_read_and_write_with_optimistic_versions(assessment, api_client):
    api = api_client("consultant")
    question = assessment.bank_version.questions.first()
    questions = api.get(f"/api/v1/assessments/{assessment.pk}/questions", page_size=1).json()
    assert questions["items"][0]["key"] == question.key
    url = f"/api/v1/assessments/{assessment.pk}/answers/{question.key}"
    level = question.options[0]["level"]
    saved = api.put(url, {"state": "level", "level": level, "base_version": 0})
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == 1
    stale = api.put(url, {"state": "unknown", "base_version": 0})
    assert stale.status_code == 409
    problem = stale.json()
    assert problem["type"].endswith("#problem-answer-conflict")
    assert problem["current"]["version"] == 1
    newer = api.put(url, {"state": "unknown", "base_version": 1})
    assert newer.json()["version"] == 2
    listed = api.get(f"/api/v1/assessments/{assessment.pk}/answers").json()
    assert [(a["question_key"], a["state"]) for a in listed["items"]] == [(question.key, "unknown")]
    assert Answer.objects.get().version == 2


def test_answers_get_the_pages_validation(assessment, api_client):
    api = api_client("owner")
    question = assessment.bank_version.questions.first()
    url = f"/api/v1/assessments/{assessment.pk}/answers/{question.key}"
    no_reason = api.put(url, {"state": "na", "base_version": 0})
    assert no_reason.status_code == 422
    assert "does not apply" in no_reason.json()["detail"]
    bad_link = api.put(
        url, {"state": "unknown", "evidence_links": ["javascript:alert(1)"], "base_version": 0}
    )
    assert bad_link.status_code == 422
    assert "http(s)" in bad_link.json()["detail"]
    bad_level = api.put(url, {"state": "level", "level": 99, "base_version": 0})
    assert bad_level.status_code == 422
    missing = api.put(url, {"state": "maybe"})
    assert missing.status_code == 422
    assert missing.json()["errors"]
    assert not Answer.objects.exists()


def test_viewer_token_cannot_answer(assessment, api_client):
    question = assessment.bank_version.questions.first()
    response = api_client("viewer").put(
        f"/api/v1/assessments/{assessment.pk}/answers/{question.key}",
        {"state": "unknown", "base_version": 0},
    )
    assert response.status_code == 403
    assert "Viewers" in response.json()["detail"]
    assert not Answer.objects.exists()


def test_probe_run_start_refusals_say_why(assessment, api_client, settings):
    api = api_client("consultant")
    url = f"/api/v1/systems/{assessment.system_id}/probe-runs"
    no_targets = api.post(url, {})
    assert no_targets.status_code == 409
    assert no_targets.json()["type"].endswith("#problem-no-targets")
    assert api_client("viewer").post(url, {}).status_code == 403
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PROBE).exists()


def test_a_run_started_through_a_token_is_in_the_audit_log(assessment, api_client, owner):
    TargetFactory(system=assessment.system, url="https://shop.example.com/")
    started = api_client("consultant").post(
        f"/api/v1/systems/{assessment.system_id}/probe-runs", {"run_burst": False}
    )
    assert started.status_code == 202, started.content
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PROBE)
    assert event.actor == owner.user  # the token acts for the owner who made it
    assert event.summary == "Probe run started on 1 base URL, through an API token"
    assert event.after["base_urls"] == ["https://shop.example.com/"]


def test_probe_run_status_results_and_accept(assessment, api_client):
    run = ProbeRun.objects.create(
        system=assessment.system,
        status=ProbeRun.Status.SUCCEEDED,
        target_urls=["https://a.example/"],
    )
    ProbeResult.objects.create(
        run=run,
        target_url="https://a.example/",
        check_id="hsts",
        category="headers",
        status="fail",
        score=0,
        message="No HSTS header.",
    )
    api = api_client("consultant")
    assert api.get(f"/api/v1/probe-runs/{run.pk}").json()["status"] == "succeeded"
    results = api.get(f"/api/v1/probe-runs/{run.pk}/results").json()
    assert results["items"][0]["check_id"] == "hsts"
    assert results["items"][0]["status"] == "fail"
    listed = api.get(f"/api/v1/systems/{assessment.system_id}/probe-runs").json()
    assert [r["id"] for r in listed["items"]] == [run.pk]
    assert api.get(f"/api/v1/systems/{assessment.system_id}/accepted-run").status_code == 404
    assert api_client("viewer").post(f"/api/v1/probe-runs/{run.pk}/accept").status_code == 403
    accepted = api.post(f"/api/v1/probe-runs/{run.pk}/accept")
    assert accepted.status_code == 200
    assert AcceptedRun.objects.get().run == run
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.PROBE).latest("pk")
    assert event.summary.startswith("The probe run of ")
    assert event.summary.endswith(" accepted as the CI gate's baseline")
    baseline = api.get(f"/api/v1/systems/{assessment.system_id}/accepted-run").json()
    assert baseline["run"]["id"] == run.pk


def test_results_carry_verdict_coverage_areas_findings(assessment, api_client):
    question = assessment.bank_version.questions.first()
    AnswerFactory(assessment=assessment, question=question, state="level", level=0)
    body = api_client("viewer").get(f"/api/v1/assessments/{assessment.pk}/results").json()
    assert body["verdict"] in ("ready", "nearly_ready", "at_risk", "not_ready", "insufficient")
    assert body["verdict_label"]
    assert isinstance(body["provisional"], bool)
    assert body["coverage"]["known"] >= 1
    assert body["areas"]
    assert body["reasons"][0]["text"]
    finding_keys = {f["question_key"] for f in body["findings"]}
    assert question.key in finding_keys
    finding = next(f for f in body["findings"] if f["question_key"] == question.key)
    assert finding["finding_id"] == f"scaleready:{assessment.system_id}:{question.key}"
    assert body["contradictions"] == []


def test_results_are_kept_until_what_they_are_built_from_changes(
    assessment, api_client, owner, settings, monkeypatch
):
    """Scored once per change of the results page's inputs (config/fragments.py); a kept body
    is the body a fresh scoring gives, and a change to an answer is seen at once."""
    from assessments.api.views import endpoints

    scorings = []
    real = endpoints.system_results
    monkeypatch.setattr(endpoints, "system_results", lambda a: scorings.append(1) or real(a))
    api, url = api_client("viewer"), f"/api/v1/assessments/{assessment.pk}/results"
    question = assessment.bank_version.questions.first()
    answer = AnswerFactory(assessment=assessment, question=question, state="level", level=0)

    def fresh() -> bytes:
        settings.SCALEREADY_FRAGMENT_CACHE = False
        try:
            return api.get(url).content
        finally:
            settings.SCALEREADY_FRAGMENT_CACHE = True

    first = api.get(url)
    assert first["Content-Type"] == "application/json; charset=utf-8"
    assert api.get(url).content == first.content
    assert len(scorings) == 1  # the second call was answered without scoring
    assert fresh() == first.content

    top = question.options[-1]["level"]
    Answer.objects.filter(pk=answer.pk).update(level=top, version=answer.version + 1)
    changed = api.get(url)
    assert changed.content != first.content
    assert changed.content == fresh()
    assert question.key not in {f["question_key"] for f in changed.json()["findings"]}


def test_roadmap_items_and_status_update(assessment, api_client, owner):
    question = assessment.bank_version.questions.first()
    AnswerFactory(assessment=assessment, question=question, state="level", level=0)
    api = api_client("consultant")
    items = api.get(f"/api/v1/assessments/{assessment.pk}/roadmap").json()["items"]
    assert items
    assert all(i["kind"] in ("fix", "find_out", "custom") for i in items)
    key = items[0]["key"]
    url = f"/api/v1/assessments/{assessment.pk}/roadmap/{key}"
    email = owner.user.email
    updated = api.patch(url, {"status": "doing", "owner": email, "target_date": "2027-01-31"})
    assert updated.status_code == 200, updated.content
    assert updated.json()["status"] == "doing"
    assert updated.json()["owner"] == person_name(owner.user)
    assert updated.json()["owner_email"] == email
    # The owner is a member: a team name or a stranger is refused in words, nothing changes.
    refused = api.patch(url, {"owner": "Ops team", "status": "done"})
    assert refused.status_code == 422
    assert "“Ops team” is not a member who can see this assessment" in refused.json()["detail"]
    entry = RoadmapEntry.objects.get(assessment=assessment, key=key)
    assert entry.status == "doing"
    assert str(entry.target_date) == "2027-01-31"
    assert api.patch(url, {"status": "later"}).status_code == 422
    assert (
        api.patch(
            f"/api/v1/assessments/{assessment.pk}/roadmap/nope", {"status": "done"}
        ).status_code
        == 404
    )
    assert api_client("viewer").patch(url, {"status": "done"}).status_code == 403
    assert RoadmapEntry.objects.get(assessment=assessment, key=key).status == "doing"


def test_report_start_status_and_download(assessment, api_client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    api = api_client("consultant")
    started = api.post(f"/api/v1/assessments/{assessment.pk}/reports")
    assert started.status_code in (202, 503)
    report = ReportFile.objects.get()
    status = api.get(f"/api/v1/reports/{report.pk}").json()
    assert status["id"] == report.pk
    assert status["download_url"] is None
    assert api.get(f"/api/v1/reports/{report.pk}/pdf").status_code == 409
    assert (
        api_client("viewer").post(f"/api/v1/assessments/{assessment.pk}/reports").status_code == 403
    )


def test_openapi_schema_and_docs(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/assessments/{assessment_id}/answers/{question_key}" in schema["paths"]
    assert schema["components"]["securitySchemes"]
    shapes = schema["components"]["schemas"]
    assert {"SystemPage", "AnswerOut", "ProbeRunOut", "ReportOut", "AnswerIn"} <= set(shapes)
    assert shapes["SystemPage"]["properties"]["items"]["items"]["$ref"].endswith("/SystemOut")
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_another_workspace_is_404(assessment, make_member, api_client):
    stranger = make_member(Role.OWNER)
    api = api_client("owner", membership=stranger)
    assert api.get(f"/api/v1/assessments/{assessment.pk}").status_code == 404
    assert AssessmentFactory  # factories stay importable for the sweep


def test_a_method_a_route_does_not_take_is_a_405_problem(api_client):
    response = api_client("viewer").client.delete(
        "/api/v1/systems", headers=api_client("viewer").headers
    )
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "GET"


def test_the_api_root_points_to_its_docs_and_unknown_paths_answer_as_the_api(client, db):
    root = client.get("/api/v1/")
    assert root.status_code == 200
    assert root.json()["docs"] == "http://testserver/api/v1/docs"
    assert root.json()["openapi"] == "http://testserver/api/v1/openapi.json"
    for path in ("/api/v1/nothing-here", "/api/v2/systems", "/api/"):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert missing["Content-Type"] == "application/problem+json"
        assert "/api/v1/openapi.json" in missing.json()["detail"]
