"""The API's endpoints: each resolves its objects through the token's access rule
(``assessments.api.access``), calls the same service or selector as the page, and returns
JSON. Writes take the pages' validation (their forms) and their optimistic versions."""

from django.http import FileResponse, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Status

from assessments.api.access import TokenRead, get_for_token, in_scope
from assessments.api.domain.backlog import (
    UNCHANGED,
    BacklogItem,
    actions,
    github_issues,
    jira_csv,
)
from assessments.api.domain.findings import finding_id
from assessments.api.domain.problems import ApiProblem
from assessments.api.selectors import accepted_run_of, exported_hashes, exported_times
from assessments.api.services import backlog_exports_record, probe_run_accept
from assessments.api.views.core import api, paginate
from assessments.api.views.schemas import (
    AcceptedRunOut,
    AnswerIn,
    AnswerOut,
    AssessmentOut,
    BacklogExportIn,
    CheckResultOut,
    ProbeRunIn,
    ProbeRunOut,
    QuestionOut,
    ReportOut,
    RoadmapItemIn,
    SystemOut,
    page_of,
)
from assessments.bank.domain.bank import PHASES
from assessments.bank.models import Question
from assessments.downloads import download_name
from assessments.probes.services import probe_run_request
from assessments.questionnaire.forms import AnswerForm
from assessments.questionnaire.models import Answer
from assessments.questionnaire.selectors import answer_refusal, question_to_save
from assessments.questionnaire.services import AnswerConflict, AnswerInvalid, answer_save
from assessments.reports.models import ReportFile
from assessments.reports.selectors import consultant_copy_exists, consultant_copy_name
from assessments.reports.services import report_start, reports_sweep
from assessments.results.domain import scoring
from assessments.results.domain.edited_roadmap import apply_edits
from assessments.results.forms import RoadmapEntryForm
from assessments.results.selectors import item_titles, page_inputs, system_results
from assessments.results.services import entry_for, entry_snapshot, roadmap_entry_save
from assessments.workspaces import access
from assessments.workspaces.models import Assessment, System, person_name
from assessments.workspaces.selectors import members_who_can_see
from checks.engine.ids import CHECK_TITLES
from checks.models import ProbeRun
from checks.selectors import grade_runs
from checks.services import (
    CooldownActive,
    NoTargets,
    ProbeRunRefused,
    QueueUnavailable,
    probe_runs_sweep,
)
from config.fragments import kept_text

ASSESSMENTS = Assessment.objects.select_related("system__workspace", "bank_version")
ASSESSMENT_BY_TOKEN = TokenRead(lambda: ASSESSMENTS.all())
SYSTEM_PAGE, ASSESSMENT_PAGE = page_of(SystemOut), page_of(AssessmentOut)
QUESTION_PAGE, ANSWER_PAGE = page_of(QuestionOut), page_of(AnswerOut)
RUN_PAGE, RESULT_PAGE = page_of(ProbeRunOut), page_of(CheckResultOut)


def iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def person(user) -> str | None:
    if user is None:
        return None
    return person_name(user)


# --- Systems and assessments -----------------------------------------------------------


def system_json(system: System) -> dict:
    return {
        "id": system.pk,
        "name": system.name,
        "description": system.description,
        "client": system.client.name if system.client else None,
        "current_users": system.current_users,
        "target_users": system.target_users,
        "peak_rps": system.peak_rps,
        "base_urls": [target.url for target in system.targets.all()],
        "updated_at": iso(system.updated_at),
    }


@api.get(
    "/systems",
    tags=["systems"],
    summary="The workspace's systems",
    response=SYSTEM_PAGE,
)
def systems_list(request, page: int | None = None, page_size: int | None = None):
    systems = in_scope(request.principal, System.objects.select_related("client"))
    systems = systems.prefetch_related("targets").order_by("name", "pk")
    return paginate(request, systems, system_json, page, page_size)


@api.get(
    "/systems/{system_id}",
    tags=["systems"],
    summary="One system",
    response=SystemOut,
)
def system_detail(request, system_id: int):
    systems = System.objects.select_related("client").prefetch_related("targets")
    return system_json(get_for_token(request.principal, systems, pk=system_id))


def assessment_json(assessment: Assessment) -> dict:
    return {
        "id": assessment.pk,
        "system_id": assessment.system_id,
        "title": assessment.title,
        "band": assessment.band,
        "status": assessment.status,
        "bank_version": assessment.bank_version.version,
        "created_at": iso(assessment.created_at),
        "submitted_at": iso(assessment.submitted_at),
    }


@api.get(
    "/assessments",
    tags=["assessments"],
    summary="The workspace's assessments",
    response=ASSESSMENT_PAGE,
)
def assessments_list(
    request, system_id: int | None = None, page: int | None = None, page_size: int | None = None
):
    assessments = in_scope(request.principal, ASSESSMENTS)
    if system_id is not None:
        assessments = assessments.filter(system_id=system_id)
    return paginate(
        request, assessments.order_by("-created_at", "-pk"), assessment_json, page, page_size
    )


@api.get(
    "/assessments/{assessment_id}",
    tags=["assessments"],
    summary="One assessment",
    response=AssessmentOut,
)
def assessment_detail(request, assessment_id: int):
    return assessment_json(get_for_token(request.principal, ASSESSMENT_BY_TOKEN, pk=assessment_id))


# --- Questions and answers -------------------------------------------------------------


def question_json(question: Question) -> dict:
    return {
        "key": question.key,
        "area": question.area,
        "text": question.text,
        "options": [{"level": o["level"], "label": o["label"]} for o in question.options],
    }


@api.get(
    "/assessments/{assessment_id}/questions",
    tags=["answers"],
    summary="Its questions",
    response=QUESTION_PAGE,
)
def questions_list(
    request, assessment_id: int, page: int | None = None, page_size: int | None = None
):
    assessment = get_for_token(request.principal, ASSESSMENT_BY_TOKEN, pk=assessment_id)
    questions = Question.objects.for_assessment(assessment)
    return paginate(request, questions, question_json, page, page_size)


def answer_json(answer: Answer, question_key: str | None = None) -> dict:
    return {
        "question_key": question_key or answer.question.key,
        "state": answer.state,
        "level": answer.level,
        "na_reason": answer.na_reason,
        "notes": answer.notes,
        "evidence_links": list(answer.evidence_links),
        "carried_over": answer.carried_over,
        "version": answer.version,
        "answered_at": iso(answer.answered_at),
        "answered_by": person(answer.answered_by),
    }


@api.get(
    "/assessments/{assessment_id}/answers",
    tags=["answers"],
    summary="Its answers",
    response=ANSWER_PAGE,
)
def answers_list(
    request, assessment_id: int, page: int | None = None, page_size: int | None = None
):
    assessment = get_for_token(request.principal, ASSESSMENT_BY_TOKEN, pk=assessment_id)
    answers = assessment.answers.select_related("question", "answered_by").order_by(
        "question__position", "pk"
    )
    return paginate(request, answers, answer_json, page, page_size)


@api.put(
    "/assessments/{assessment_id}/answers/{question_key}",
    tags=["answers"],
    response=AnswerOut,
    summary="Save an answer (optimistic: 409 when base_version is not the current one)",
)
def answer_put(request, assessment_id: int, question_key: str, payload: AnswerIn):
    principal = request.principal
    assessment = get_for_token(principal, ASSESSMENT_BY_TOKEN, pk=assessment_id)
    question = question_to_save(assessment, question_key, area_counts=False)
    if question is None:
        raise ApiProblem(404, "No such question in this assessment.")
    if refusal := answer_refusal(assessment, principal.user, question.area):
        raise ApiProblem(403, refusal, "answer-refused")
    choice = str(payload.level) if payload.state == "level" else payload.state
    form = AnswerForm(
        {
            "choice": choice,
            "na_reason": payload.na_reason,
            "notes": payload.notes,
            "evidence_links": "\n".join(payload.evidence_links),
            "base_version": payload.base_version,
        },
        question=question,
    )
    if not form.is_valid():
        errors = [
            {"field": "level" if name == "choice" else name, "message": message}
            for name, messages in form.errors.items()
            for message in messages
        ]
        detail = " ".join(error["message"] for error in errors)
        raise ApiProblem(422, detail, "invalid-answer", errors=errors)
    try:
        answer = answer_save(
            assessment=assessment,
            question=question,
            user=principal.user,
            data=form.answer_input(),
            base_version=payload.base_version,
        )
    except AnswerConflict as conflict:
        current = conflict.current
        raise ApiProblem(
            409,
            "Someone saved this answer after the version you sent; read it and send again "
            "with its version if you still want yours.",
            "answer-conflict",
            current=answer_json(current, question.key) if current else None,
        ) from None
    except AnswerInvalid as invalid:
        raise ApiProblem(422, "; ".join(invalid.problems), "invalid-answer") from None
    return answer_json(answer, question.key)


# --- Probe runs ------------------------------------------------------------------------

RUNS = ProbeRun.objects.select_related("system")


def run_json(run: ProbeRun) -> dict:
    """A run as JSON; its grade once it succeeded (``grade_runs`` loads it, once per page)."""
    graded = None
    if run.status == ProbeRun.Status.SUCCEEDED:
        if not hasattr(run, "grade"):
            grade_runs([run])
        graded = run.grade
    return {
        "grade": graded.letter if graded else None,
        "grade_score": graded.score if graded else None,
        "id": run.pk,
        "system_id": run.system_id,
        "status": run.status,
        "active": run.is_active,
        "run_burst": run.run_burst,
        "base_urls": list(run.target_urls),
        "created_at": iso(run.created_at),
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "error": run.error,
    }


@api.post(
    "/systems/{system_id}/probe-runs",
    tags=["probe runs"],
    response={202: ProbeRunOut},
    summary="Start a probe run of the system's base URLs",
)
def probe_run_create(request, system_id: int, payload: ProbeRunIn):
    principal = request.principal
    system = get_for_token(principal, System, access.EDIT, pk=system_id)
    try:
        run = probe_run_request(
            system, principal.user, run_burst=payload.run_burst, via="an API token"
        )
    except QueueUnavailable as exc:
        raise ApiProblem(503, f"The run could not be queued: {exc}", "queue-unavailable") from None
    except CooldownActive as exc:
        raise ApiProblem(409, str(exc), "cooldown", retry_after=exc.seconds_left) from None
    except NoTargets as exc:
        raise ApiProblem(409, str(exc), "no-targets") from None
    except ProbeRunRefused as exc:
        raise ApiProblem(409, str(exc), "run-in-progress") from None
    return Status(202, run_json(run))


@api.get(
    "/systems/{system_id}/probe-runs",
    tags=["probe runs"],
    summary="The system's runs",
    response=RUN_PAGE,
)
def probe_runs_list(request, system_id: int, page: int | None = None, page_size: int | None = None):
    system = get_for_token(request.principal, System, pk=system_id)
    runs = system.probe_runs.order_by("-created_at", "-pk")
    return paginate(request, runs, run_json, page, page_size, prepare=grade_runs)


@api.get(
    "/probe-runs/{run_id}",
    tags=["probe runs"],
    summary="A run's status",
    response=ProbeRunOut,
)
def probe_run_detail(request, run_id: int):
    run = get_for_token(request.principal, RUNS, pk=run_id)
    if run.is_active and run.stale_reason(timezone.now()):
        probe_runs_sweep(run_ids=[run.pk])  # as the run page does, so a dead run ends
        run.refresh_from_db()
    return run_json(run)


def result_json(result) -> dict:
    return {
        "target_url": result.target_url,
        "check_id": result.check_id,
        "title": CHECK_TITLES.get(result.check_id, result.check_id),
        "category": result.category,
        "status": result.status,
        "score": result.score,
        "message": result.message,
    }


@api.get(
    "/probe-runs/{run_id}/results",
    tags=["probe runs"],
    summary="A run's check results",
    response=RESULT_PAGE,
)
def probe_run_results(request, run_id: int, page: int | None = None, page_size: int | None = None):
    run = get_for_token(request.principal, RUNS, pk=run_id)
    results = run.results.order_by("target_url", "check_id", "pk")
    return paginate(request, results, result_json, page, page_size)


@api.post(
    "/probe-runs/{run_id}/accept",
    tags=["probe runs"],
    summary="Accept a finished run as the baseline the CI gate compares with",
    response=AcceptedRunOut,
)
def probe_run_accept_view(request, run_id: int):
    run = get_for_token(request.principal, RUNS, access.EDIT, pk=run_id)
    if run.status != ProbeRun.Status.SUCCEEDED:
        raise ApiProblem(409, "Only a run that succeeded can be accepted.", "run-not-succeeded")
    accepted = probe_run_accept(run.system, run, request.principal.user)
    return {
        "system_id": run.system_id,
        "run": run_json(run),
        "accepted_at": iso(accepted.accepted_at),
    }


@api.get(
    "/systems/{system_id}/accepted-run",
    tags=["probe runs"],
    summary="The run the team accepted as the baseline (404 when none)",
    response=AcceptedRunOut,
)
def accepted_run_detail(request, system_id: int):
    system = get_for_token(request.principal, System, pk=system_id)
    accepted = accepted_run_of(system)
    if accepted is None:
        raise ApiProblem(404, "No run of this system was accepted yet.", "no-accepted-run")
    return {
        "system_id": system.pk,
        "run": run_json(accepted.run),
        "accepted_at": iso(accepted.accepted_at),
    }


# --- Results and roadmap -----------------------------------------------------------------


def results_json(assessment: Assessment, results) -> dict:
    score = results.score
    coverage = score.coverage
    system_id = assessment.system_id
    return {
        "assessment_id": assessment.pk,
        "band": score.band,
        "verdict": score.verdict,
        "verdict_label": scoring.VERDICT_LABELS.get(score.verdict, score.verdict),
        "provisional": score.provisional,
        "overall": score.overall,
        "coverage": {
            "applicable": coverage.applicable,
            "known": coverage.known,
            "dont_know": coverage.dont_know,
            "unanswered": coverage.unanswered,
            "critical": coverage.critical,
            "critical_known": coverage.critical_known,
        },
        "reasons": [
            {"theme": r.theme, "text": r.text, "question_keys": list(r.question_ids)}
            for r in score.reasons
        ],
        "areas": [
            {
                "area": a.area,
                "title": results.area_titles.get(a.area, a.area),
                "score": a.score,
                "total": a.total,
                "answered": a.answered,
                "known": a.known,
                "gaps": a.gaps,
            }
            for a in score.areas
        ],
        "gap_counts": dict(score.gap_counts),
        "findings": [
            {
                "finding_id": finding_id(system_id, q.question_id),
                "question_key": q.question_id,
                "area": q.area,
                "practice": q.topic,
                "severity": q.severity,
                "critical": q.critical,
                "required": q.required,
                "achieved": q.achieved,
                "confidence": q.confidence,
            }
            for q in score.gaps
        ],
        "contradictions": [
            {
                "question_key": c.question_id,
                "claimed_level": c.claimed_level,
                "claimed": c.claimed_label,
                "lowered_to": c.lowered_to,
                "observed": [
                    {
                        "check_id": o.check_id,
                        "title": CHECK_TITLES.get(o.check_id, o.check_id),
                        "status": o.status,
                        "message": o.message,
                        "target_url": o.target_url,
                    }
                    for o in c.observed
                ],
            }
            for c in score.contradictions
        ],
    }


@api.get("/assessments/{assessment_id}/results", tags=["results"], summary="Verdict and findings")
def results_detail(request, assessment_id: int):
    """Scored once per change of what the results page is built from (``page_inputs``): a
    pipeline polling for its verdict is answered from the cache (config/fragments.py)."""
    assessment = get_for_token(request.principal, ASSESSMENT_BY_TOKEN, pk=assessment_id)
    body = kept_text(
        "api-results",
        page_inputs(assessment),
        lambda: api.renderer.render(
            request, results_json(assessment, system_results(assessment)), response_status=200
        ),
    )
    return HttpResponse(body, content_type=api.get_content_type())


def row_json(system_id: int, row, exported_at=None) -> dict:
    entry = row.entry
    return {
        "key": row.key,
        "finding_id": finding_id(system_id, row.key),
        "kind": row.kind,
        "title": row.title,
        "why": row.why,
        "phase": row.phase,
        "severity": row.severity,
        "effort": row.effort,
        "impact": row.impact,
        "quick_win": row.quick_win,
        "critical": row.critical,
        "question_keys": list(row.question_ids),
        "depends_on": list(row.depends_on),
        "status": row.status,
        "owner": entry.owner if entry else "",
        "owner_email": entry.owner_member.user.email if entry and entry.owner_member_id else None,
        "target_date": entry.target_date.isoformat() if entry and entry.target_date else None,
        "hidden": row.hidden,
        "exported_at": iso(exported_at),
    }


def edited_roadmap(assessment: Assessment, results=None):
    results = results or system_results(assessment)
    entries = list(assessment.roadmap_entries.select_related("owner_member__user"))
    return apply_edits(
        results.roadmap, entries, assessment.roadmap_seen, known_titles=item_titles(results)
    )


@api.get("/assessments/{assessment_id}/roadmap", tags=["roadmap"], summary="The edited roadmap")
def roadmap_detail(request, assessment_id: int):
    assessment = get_for_token(request.principal, ASSESSMENT_BY_TOKEN, pk=assessment_id)
    edited = edited_roadmap(assessment)
    rows = edited.all_rows()
    exported = exported_times(assessment.system)
    return {
        "assessment_id": assessment.pk,
        "items": [row_json(assessment.system_id, row, exported.get(row.key)) for row in rows],
    }


@api.patch(
    "/assessments/{assessment_id}/roadmap/{key}",
    tags=["roadmap"],
    summary="Set an item's status, owner or target date",
)
def roadmap_item_patch(request, assessment_id: int, key: str, payload: RoadmapItemIn):
    principal = request.principal
    assessment = get_for_token(principal, ASSESSMENT_BY_TOKEN, access.EDIT, pk=assessment_id)
    edited = edited_roadmap(assessment)
    row = edited.row(key)
    if row is None:
        raise ApiProblem(404, "No such item in this assessment's roadmap.")
    entry = entry_for(assessment, key)
    before = entry_snapshot(entry)
    changes = payload.dict(exclude_unset=True)
    data = {
        "status": entry.status,
        "owner": entry.owner_value,
        "target_date": entry.target_date,
        "hidden": entry.hidden,
        "hidden_reason": entry.hidden_reason,
        **dict(changes.items()),
    }
    data = {name: "" if value is None else value for name, value in data.items()}
    if not data["hidden"]:
        data.pop("hidden")  # a checkbox form: absent means unchecked
    form = RoadmapEntryForm(data, instance=entry, members=members_who_can_see(assessment))
    if not form.is_valid():
        detail = " ".join(e for errors in form.errors.values() for e in errors)
        raise ApiProblem(422, detail, "invalid-roadmap-item")
    roadmap_entry_save(assessment, form.save(commit=False), principal.user, before)
    edited = edited_roadmap(assessment)
    updated = edited.row(key)
    return row_json(assessment.system_id, updated, exported_times(assessment.system).get(key))


# --- Backlog exports -------------------------------------------------------------------


def backlog_items(assessment: Assessment) -> list[BacklogItem]:
    """The plan's visible items as tracker tickets (hidden ones stay out of trackers)."""
    results = system_results(assessment)
    items = []
    for row in edited_roadmap(assessment, results).visible_rows():
        entry = row.entry
        items.append(
            BacklogItem(
                finding_id=finding_id(assessment.system_id, row.key),
                key=row.key,
                title=row.title,
                why=row.why,
                how=tuple(row.how),
                phase=row.phase,
                phase_title=PHASES.get(row.phase, ""),
                severity=row.severity,
                effort=row.effort,
                impact=row.impact,
                quick_win=row.quick_win,
                status=row.status,
                owner=entry.owner if entry else "",
                target_date=entry.target_date.isoformat() if entry and entry.target_date else None,
                practices=tuple(
                    results.questions[q].topic for q in row.question_ids if q in results.questions
                ),
            )
        )
    return items


@api.post(
    "/assessments/{assessment_id}/backlog-exports",
    tags=["roadmap"],
    summary="Export the roadmap for Jira (CSV) or GitHub issues (JSON), by stable finding id",
    response={200: None},
)
def backlog_export(request, assessment_id: int, payload: BacklogExportIn):
    assessment = get_for_token(
        request.principal, ASSESSMENT_BY_TOKEN, access.EDIT, pk=assessment_id
    )
    items = backlog_items(assessment)
    item_actions = actions(items, exported_hashes(assessment.system, payload.format))
    if payload.changed_only:
        items = [item for item in items if item_actions[item.finding_id] != UNCHANGED]
    backlog_exports_record(assessment.system, items, payload.format, request.principal.user)
    if payload.format == "jira_csv":
        name = download_name(assessment.system.name, timezone.localdate(), "csv", "jira")
        response = HttpResponse(jira_csv(items, item_actions), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return JsonResponse(
        {"assessment_id": assessment.pk, "issues": github_issues(items, item_actions)}
    )


# --- Reports ---------------------------------------------------------------------------

REPORTS = ReportFile.objects.select_related("assessment__system")


def report_json(request, report: ReportFile) -> dict:
    ready = report.is_ready
    return {
        "id": report.pk,
        "assessment_id": report.assessment_id,
        "status": report.status,
        "error": report.error,
        "created_at": iso(report.created_at),
        "finished_at": iso(report.finished_at),
        "download_url": request.build_absolute_uri(f"/api/v1/reports/{report.pk}/pdf")
        if ready
        else None,
    }


@api.post(
    "/assessments/{assessment_id}/reports",
    tags=["reports"],
    response={202: ReportOut},
    summary="Start making the PDF (or join the one being made)",
)
def report_create(request, assessment_id: int):
    assessment = get_for_token(
        request.principal, ASSESSMENT_BY_TOKEN, access.EDIT, pk=assessment_id
    )
    report = report_start(assessment, request.principal.user)
    if report.status == ReportFile.Status.FAILED:
        raise ApiProblem(503, f"The PDF was not started: {report.error}", "queue-unavailable")
    return Status(202, report_json(request, report))


@api.get(
    "/reports/{report_id}",
    tags=["reports"],
    summary="A PDF's status",
    response=ReportOut,
)
def report_detail(request, report_id: int):
    report = get_for_token(request.principal, REPORTS, pk=report_id)
    if report.is_active and reports_sweep(report_ids=[report.pk]):
        report.refresh_from_db()
    return report_json(request, report)


@api.get(
    "/reports/{report_id}/pdf",
    tags=["reports"],
    summary="Download the PDF (owners and consultants get the copy with their notes)",
    response={200: None},
)
def report_pdf(request, report_id: int):
    report = get_for_token(request.principal, REPORTS, pk=report_id)
    if not report.is_ready:
        raise ApiProblem(409, "This PDF is not ready.", "report-not-ready")
    name = download_name(report.assessment.system.name, report.created_at.date(), "pdf")
    if access.role_allows(report.member_role, access.CONSULT) and consultant_copy_exists(report):
        name = download_name(
            report.assessment.system.name, report.created_at.date(), "pdf", "consultant"
        )
        file = report.file.storage.open(consultant_copy_name(report), "rb")
    else:
        file = report.file.open("rb")
    return FileResponse(file, as_attachment=True, filename=name, content_type="application/pdf")
