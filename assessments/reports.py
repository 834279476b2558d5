"""The assessment report: its content, the PDF rendering and what WeasyPrint may fetch.

One template (``reports/report.html``) is both the in-app report page and the PDF source.
The PDF is rendered by ``report_render`` in a worker; ``report_start`` queues it.
WeasyPrint only ever sees the ``SafeFetcher`` below: the app's own static files and the
workspace's own media, never the file system at large or the network.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import posixpath
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from assessments import audit, roadmap, scoring
from assessments.bank import PHASES
from assessments.models import Assessment, AuditEvent, Branding, ReportFile
from assessments.results import Results
from assessments.roadmap_edits import apply_edits
from checks.runs import latest_evidence_run_id

# WeasyPrint logs every layout step at INFO: hundreds of lines per report.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# WeasyPrint resolves relative URLs against this origin; ``.invalid`` never resolves, and the
# fetcher maps only its /static/ and /media/ paths to files.
REPORT_BASE_URL = "https://report.invalid/"
TOP_RISKS = 5
# Well past the render task's hard time limit (120 s) plus time spent queued.
REPORT_RENDER_DEADLINE = timedelta(minutes=10)
TOP_STEPS = 5
SEVERITY_ORDER = {severity: index for index, severity in enumerate(scoring.SEVERITIES)}
GLOSSARY = (
    ("Area", "A part of the system assessed together, such as Database or Observability."),
    ("Band", "The target scale the system is judged against, in users."),
    ("Maturity level", "How far a practice has come, from 0 (absent) to the top option."),
    ("Required level", "The level a question needs at the target band."),
    ("Gap", "Required level minus the level achieved; zero when the answer is good enough."),
    ("Critical question", "A question whose gap alone can make the system not ready."),
    ("Contradiction", "An answer that automated probe evidence disagrees with; evidence wins."),
    ("Headroom", "Measured sustainable throughput divided by the peak the target needs."),
    ("Quick win", "A roadmap step with small effort and the highest impact."),
    ("Phase", "One of six stages of the roadmap; a step comes after what it depends on."),
    ("Effort", "S, M or L: a rough size of the work for a typical team."),
    ("Impact", "1 to 3: how much the step moves the system toward the target."),
)


class FetchRefused(ValueError):
    """WeasyPrint asked for something outside the app's static files or the workspace's media."""


class SafeFetcher(URLFetcher):
    """Serves the app's static files and one workspace's media files; refuses the rest."""

    def __init__(self, workspace_id: int | None = None):
        super().__init__(allowed_protocols=("data", "https"), allow_redirects=False)
        self.workspace_id = workspace_id
        self.requested: list[str] = []

    def fetch(self, url, headers=None):
        self.requested.append(url)
        if url.startswith("data:"):
            return super().fetch(url, headers)
        path = self.local_path(url)
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    def local_path(self, url: str) -> Path:
        if not url.startswith(REPORT_BASE_URL):
            raise FetchRefused(f"Reports may not fetch {url[:200]!r}.")
        parts = urlsplit(url)
        name = posixpath.normpath(unquote(parts.path)).lstrip("/")
        if ".." in name.split("/") or "\\" in name or "\x00" in name:
            raise FetchRefused(f"Reports may not fetch {url[:200]!r}.")
        static_prefix = "/".join(["", settings.STATIC_URL.strip("/"), ""]).lstrip("/")
        media_prefix = "/".join(["", settings.MEDIA_URL.strip("/"), ""]).lstrip("/")
        if name.startswith(static_prefix):
            found = self.static_file(name.removeprefix(static_prefix))
        elif name.startswith(media_prefix):
            found = self.media_file(name.removeprefix(media_prefix))
        else:
            found = None
        if found is None:
            raise FetchRefused(f"Reports may not fetch {url[:200]!r}.")
        return found

    @staticmethod
    def static_file(name: str) -> Path | None:
        collected = Path(settings.STATIC_ROOT, name).resolve()
        if collected.is_relative_to(Path(settings.STATIC_ROOT).resolve()) and collected.is_file():
            return collected
        found = finders.find(name)
        return Path(found) if found else None

    def media_file(self, name: str) -> Path | None:
        if self.workspace_id is None or not name.startswith(f"workspaces/{self.workspace_id}/"):
            return None
        root = Path(settings.MEDIA_ROOT).resolve()
        path = Path(root, name).resolve()
        return path if path.is_relative_to(root) and path.is_file() else None


# --- Content -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerLine:
    question: object  # bank Question
    score: scoring.QuestionScore
    answer: object | None  # Answer row, or None when unanswered
    answer_label: str
    override: object | None = None  # overrides.AppliedOverride when a consultant re-ranked it


def answer_label(question, answer) -> str:
    if answer is None:
        return "Not answered"
    if answer.state == "na":
        return "Not applicable"
    if answer.state == "unknown":
        return "Don't know"
    label = next((o.label for o in question.options if o.level == answer.level), "")
    return f"Level {answer.level}: {label}" if label else f"Level {answer.level}"


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def branding_of(workspace) -> Branding | None:
    return Branding.objects.filter(workspace=workspace).first()


def logo_data_uri(branding: Branding | None) -> str:
    """The logo inline, so the page, the share page and the PDF show it without a media URL."""
    if branding is None or not branding.logo:
        return ""
    try:
        with branding.logo.open("rb") as logo:
            data = logo.read()
    except FileNotFoundError:
        return ""
    mime_type = mimetypes.guess_type(branding.logo.name)[0] or "image/png"
    return f"data:{mime_type};base64,{base64.b64encode(data).decode()}"


CHART_FILLS = {
    "good": "#12b76a",
    "ok": "#2e90fa",
    "risk": "#f79009",
    "bad": "#f04438",
    "na": "#d0d5dd",
}


def chart_with_fills(chart: dict) -> dict:
    """SVG fills as attributes: WeasyPrint's SVG renderer does not apply page CSS classes."""
    rows = [{**row, "fill": CHART_FILLS[row["band"]]} for row in chart["rows"]]
    return {**chart, "rows": rows}


def override_rows(results: Results) -> list[dict]:
    """The severity overrides in effect, with who set them and when, for the methodology."""
    reviews = results.reviews
    return [
        {
            "override": applied,
            "question": results.questions[key],
            "by": person_name(reviews[key].updated_by) if key in reviews else "",
            "at": reviews[key].updated_at if key in reviews else None,
        }
        for key, applied in results.overrides.items()
    ]


def consultant_notes_rows(results: Results, answers: dict) -> list[dict]:
    """Consultant-only notes on answers and findings, in question order (CONSULT roles only)."""
    finding_notes = {key: review.consultant_notes for key, review in results.reviews.items()}
    rows = []
    for key, question in results.questions.items():
        answer = answers.get(key)
        on_answer = answer.consultant_notes if answer is not None else ""
        on_finding = finding_notes.get(key, "")
        if on_answer or on_finding:
            rows.append({"question": question, "answer": on_answer, "finding": on_finding})
    return rows


def report_context(
    assessment: Assessment, results: Results, *, consultant_notes: bool = False
) -> dict:
    """Everything the report template shows, computed from one ``Results``.

    ``consultant_notes`` adds the consultant-only notes: only for owners and consultants, and
    never for share links (callers decide; the default keeps them out).
    """
    from assessments.milestones import report_milestone
    from assessments.views.results import area_chart

    system = assessment.system
    workspace = system.workspace
    score = results.score
    answers = {a.question.key: a for a in assessment.answers.select_related("question")}
    entries = list(assessment.roadmap_entries.all())
    edited = apply_edits(results.roadmap, entries, None)
    lines = {
        qs.question_id: AnswerLine(
            question=results.questions[qs.question_id],
            score=qs,
            answer=answers.get(qs.question_id),
            answer_label=answer_label(
                results.questions[qs.question_id], answers.get(qs.question_id)
            ),
            override=results.overrides.get(qs.question_id),
        )
        for qs in score.questions
    }
    areas = []
    for area in score.areas:
        area_lines = [line for line in lines.values() if line.score.area == area.area]
        areas.append(
            {
                "id": area.area,
                "title": results.area_titles.get(area.area, area.area),
                "score": area,
                "gaps": sorted(
                    (line for line in area_lines if line.score.gap > 0),
                    key=lambda line: SEVERITY_ORDER[line.score.severity],
                ),
                "noted": [
                    line
                    for line in area_lines
                    if line.answer is not None and (line.answer.notes or line.answer.na_reason)
                ],
            }
        )
    risks = sorted(
        (line for line in lines.values() if line.score.gap > 0),
        key=lambda line: (SEVERITY_ORDER[line.score.severity], -line.score.weight),
    )[:TOP_RISKS]
    visible = {row.key: row for row in edited.visible_rows()}
    next_steps = [
        visible[item.recommendation_id]
        for item in results.roadmap.top(len(results.roadmap.items))
        if item.recommendation_id in visible and visible[item.recommendation_id].status != "done"
    ][:TOP_STEPS]
    evidence = {}
    for question_score in score.questions:
        for result in question_score.evidence:
            evidence.setdefault((result.check_id, result.target_url), result)
    branding = branding_of(workspace)
    return {
        "assessment": assessment,
        "system": system,
        "workspace": workspace,
        "branding": branding,
        "logo": logo_data_uri(branding),
        "generated_on": timezone.localdate(),
        "assessor": person_name(assessment.submitted_by or assessment.created_by),
        "score": score,
        "chart": chart_with_fills(area_chart(results)),
        "areas": areas,
        "risks": risks,
        "next_steps": next_steps,
        "headroom": score.headroom,
        "contradictions": [
            {"c": c, "question": results.questions[c.question_id]} for c in score.contradictions
        ],
        "phases": [
            {"number": n, "title": PHASES[n], "rows": edited.phases.get(n, [])} for n in PHASES
        ],
        "evidence": sorted(evidence.values(), key=lambda r: (r.check_id, r.target_url)),
        "methodology": list(scoring.METHODOLOGY) + list(roadmap.METHODOLOGY),
        "glossary": GLOSSARY,
        "milestone": report_milestone(assessment, results),
        "overrides": override_rows(results),
        "consultant_notes": consultant_notes_rows(results, answers) if consultant_notes else None,
    }


def report_html(
    assessment: Assessment, results: Results, *, consultant_notes: bool = False, **extra
) -> str:
    """The report as a standalone document, for WeasyPrint (and benchmarks)."""
    context = {
        **report_context(assessment, results, consultant_notes=consultant_notes),
        "document": True,
        **extra,
    }
    return render_to_string("reports/report.html", context)


# A user stylesheet, so report.css must not set a size: author rules would win over it.
PAGE_SIZES = {"a4": "A4", "letter": "letter"}


def pdf_from_html(html: str, workspace_id: int | None, page_size: str = "a4") -> bytes:
    fetcher = SafeFetcher(workspace_id)
    stylesheets = [CSS(string=f"@page {{ size: {PAGE_SIZES[page_size]}; }}")]
    return HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher).write_pdf(
        stylesheets=stylesheets
    )


# --- State and files ------------------------------------------------------------------------


def state_fingerprint(assessment: Assessment) -> str:
    """A hash of what the report shows and people edit, to tell a PDF is out of date."""
    digest = hashlib.sha256()
    system = assessment.system
    parts = [
        assessment.title,
        assessment.band,
        assessment.status,
        system.name,
        system.updated_at.isoformat(),
    ]
    parts += [
        f"{key}:{version}:{answered_at.isoformat()}"
        for key, version, answered_at in assessment.answers.order_by("question__key").values_list(
            "question__key", "version", "answered_at"
        )
    ]
    parts += [
        f"{key}:{updated_at.isoformat()}"
        for key, updated_at in assessment.roadmap_entries.order_by("key").values_list(
            "key", "updated_at"
        )
    ]
    # Overrides change severities and the roadmap; notes show in the consultant's copy.
    parts += [
        f"review:{key}:{updated_at.isoformat()}"
        for key, updated_at in assessment.finding_reviews.order_by("question_key").values_list(
            "question_key", "updated_at"
        )
    ]
    notes = assessment.answers.exclude(consultant_notes="").order_by("question__key")
    notes_digest = hashlib.sha256()
    for key, text in notes.values_list("question__key", "consultant_notes"):
        notes_digest.update(f"{key}\0{text}\0".encode())
    parts.append(
        f"consultant-notes:{assessment.include_consultant_notes}:{notes_digest.hexdigest()}"
    )
    # A newer probe run changes the evidence, contradictions and headroom the report shows.
    parts.append(f"probe-run:{latest_evidence_run_id(system)}")
    branding = branding_of(system.workspace_id)
    if branding is not None:
        parts.append(branding.updated_at.isoformat())
    digest.update("\n".join(parts).encode())
    return digest.hexdigest()


def download_name(system_name: str, on: date, extension: str, suffix: str = "") -> str:
    """``checkout-api-2026-11-25.pdf``: only ASCII letters, digits and dashes before the dot."""
    slug = slugify(system_name)[:60].strip("-") or "system"
    return f"{slug}{'-' + suffix if suffix else ''}-{on.isoformat()}.{extension}"


def latest_report(assessment: Assessment) -> ReportFile | None:
    return assessment.reports.order_by("-created_at", "-pk").first()


def report_start(assessment: Assessment, user) -> ReportFile:
    """Queue a PDF rendering, or return the one already queued or rendering."""
    from assessments.tasks import report_render_task

    active = assessment.reports.filter(
        status__in=[ReportFile.Status.QUEUED, ReportFile.Status.RENDERING]
    ).first()
    if active is not None:
        return active
    report = ReportFile.objects.create(
        assessment=assessment,
        requested_by=user,
        state_fingerprint=state_fingerprint(assessment),
        task_id=str(uuid.uuid4()),
    )
    transaction.on_commit(
        lambda: report_render_task.apply_async(args=[report.pk], task_id=report.task_id)
    )
    return report


def reports_sweep(now=None, report_ids=None) -> int:
    """Fail renderings that no worker finished in time (a worker killed mid-render leaves
    its row "rendering" for ever otherwise), so the page offers "try again"."""
    now = now or timezone.now()
    stuck = ReportFile.objects.filter(
        status__in=[ReportFile.Status.QUEUED, ReportFile.Status.RENDERING],
        created_at__lt=now - REPORT_RENDER_DEADLINE,
    )
    if report_ids is not None:
        stuck = stuck.filter(pk__in=report_ids)
    minutes = int(REPORT_RENDER_DEADLINE.total_seconds() // 60)
    return stuck.update(
        status=ReportFile.Status.FAILED,
        error=f"No worker finished this PDF within {minutes} minutes. "
        "Is the worker running? Making the PDF again is safe.",
        finished_at=now,
    )


def consultant_notes_in_pdf_set(assessment: Assessment, include: bool, user) -> None:
    if include == assessment.include_consultant_notes:
        return
    assessment.include_consultant_notes = include
    assessment.save(update_fields=["include_consultant_notes", "updated_at"])
    audit.record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ASSESSMENT,
        subject=assessment.title,
        summary="Consultant notes in the PDF: " + ("on" if include else "off"),
        before={"include_consultant_notes": not include},
        after={"include_consultant_notes": include},
    )


def consultant_copy_name(report: ReportFile) -> str:
    """Where the copy with consultant notes is stored: beside the client PDF, derived from its
    (unique) name, so no field records it. Share links and client roles get the client PDF."""
    stem, _ = posixpath.splitext(report.file.name)
    return f"{stem}-consultant-notes.pdf"


def consultant_copy_save(report: ReportFile, pdf: bytes) -> None:
    name = consultant_copy_name(report)
    storage = report.file.storage
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(pdf))
    if saved != name:
        storage.delete(saved)
        raise RuntimeError(f"Could not store the consultant copy as {name!r}.")


def consultant_copy_exists(report: ReportFile) -> bool:
    return bool(report.file) and report.file.storage.exists(consultant_copy_name(report))


def report_render(report_id: int) -> None:
    """Render one queued report to PDF; a second delivery of the same task does nothing."""
    from assessments.views.results import system_results

    claimed = ReportFile.objects.filter(pk=report_id, status=ReportFile.Status.QUEUED).update(
        status=ReportFile.Status.RENDERING
    )
    if not claimed:
        return
    report = ReportFile.objects.select_related("assessment__system__workspace").get(pk=report_id)
    assessment = report.assessment
    try:
        fingerprint = state_fingerprint(assessment)
        branding = branding_of(assessment.system.workspace_id)
        results = system_results(assessment)
        page_size = branding.page_size if branding else "a4"
        workspace_id = assessment.system.workspace_id
        pdf = pdf_from_html(report_html(assessment, results), workspace_id, page_size)
        report.file.save(
            download_name(assessment.system.name, timezone.localdate(), "pdf"),
            ContentFile(pdf),
            save=False,
        )
        if assessment.include_consultant_notes:
            html = report_html(assessment, results, consultant_notes=True)
            consultant_copy_save(report, pdf_from_html(html, workspace_id, page_size))
    except Exception as exc:
        ReportFile.objects.filter(pk=report_id).update(
            status=ReportFile.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    ReportFile.objects.filter(pk=report_id).update(
        status=ReportFile.Status.READY,
        file=report.file.name,
        state_fingerprint=fingerprint,
        finished_at=timezone.now(),
    )
