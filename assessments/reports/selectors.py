"""What the report shows, read once from one ``Results``: its content, whether a PDF is out of
date, the latest PDF, the branding.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import posixpath

from django.utils import timezone

from assessments.bank.domain.bank import PHASES
from assessments.milestones.selectors import report_milestone
from assessments.reports.domain.charts import radar_axes, radar_chart
from assessments.reports.domain.content import (
    GLOSSARY,
    SEVERITY_ORDER,
    TOP_RISKS,
    TOP_STEPS,
    AnswerLine,
    answer_label,
    person_name,
    required_label,
)
from assessments.reports.domain.evidence import evidence_groups
from assessments.reports.models import Branding, ConsultantSummary, ReportFile, ShareLink
from assessments.results.domain.charts import area_chart
from assessments.results.domain.edited_roadmap import EditedRoadmap, apply_edits
from assessments.results.domain.methodology import METHODOLOGY
from assessments.results.domain.results import Results
from assessments.results.selectors import (
    contradiction_rows,
    unknowns_to_find_out,
    verdict_context,
)
from assessments.workspaces.models import Assessment
from checks.engine.ids import CHECK_TITLES
from checks.selectors import latest_evidence_run_id, latest_grade

TIMELINE_ROWS = 4  # steps named per phase on the one-page timeline; the tables list them all


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


def next_steps_in_team_order(edited: EditedRoadmap, count: int = TOP_STEPS) -> list:
    """The first steps not done, in the order the roadmap shows them (the team's own, with
    their moves), hidden steps left out."""
    return [row for row in edited.visible_rows() if row.status != "done"][:count]


def exception_rows(edited: EditedRoadmap) -> list[dict]:
    """Hidden roadmap steps: the team accepted the risk; say why and who decided."""
    return [
        {
            "row": row,
            "reason": row.entry.hidden_reason,
            "by": person_name(row.entry.updated_by),
            "on": row.entry.updated_at,
        }
        for row in edited.hidden
    ]


def timeline_phases(edited: EditedRoadmap) -> list[dict]:
    phases = []
    for number, title in PHASES.items():
        rows = edited.phases.get(number, [])
        phases.append(
            {
                "number": number,
                "title": title,
                "rows": rows[:TIMELINE_ROWS],
                "more": max(0, len(rows) - TIMELINE_ROWS),
                "count": len(rows),
                "done": sum(row.status == "done" for row in rows),
            }
        )
    return phases


def consultant_summary_of(assessment: Assessment) -> ConsultantSummary | None:
    return ConsultantSummary.objects.filter(assessment=assessment).first()


def report_context(
    assessment: Assessment, results: Results, *, consultant_notes: bool = False
) -> dict:
    """Everything the report (page, PDF and DOCX) shows, computed from one ``Results``.

    ``consultant_notes`` adds the consultant-only notes: only for owners and consultants, and
    never for share links (callers decide; the default keeps them out).
    """
    system = assessment.system
    workspace = system.workspace
    score = results.score
    answers = {a.question.key: a for a in assessment.answers.select_related("question")}
    entries = list(assessment.roadmap_entries.select_related("updated_by"))
    edited = apply_edits(results.roadmap, entries, None)
    lines = {}
    for qs in score.questions:
        question = results.questions[qs.question_id]
        answer = answers.get(qs.question_id)
        lines[qs.question_id] = AnswerLine(
            question=question,
            score=qs,
            answer=answer,
            answer_label=answer_label(question, answer),
            override=results.overrides.get(qs.question_id),
            required_label=required_label(question, qs.required),
        )
    areas = []
    for area in score.areas:
        area_lines = [line for line in lines.values() if line.score.area == area.area]
        gaps = sorted(
            (line for line in area_lines if line.score.gap > 0),
            key=lambda line: SEVERITY_ORDER[line.score.severity],
        )
        areas.append(
            {
                "id": area.area,
                "title": results.area_titles.get(area.area, area.area),
                "score": area,
                "gaps": gaps,
                "noted": [line for line in area_lines if line.score.gap == 0 and line.has_remarks],
            }
        )
    risks = sorted(
        (line for line in lines.values() if line.score.gap > 0),
        key=lambda line: (SEVERITY_ORDER[line.score.severity], -line.score.weight),
    )[:TOP_RISKS]
    evidence = {}
    for question_score in score.questions:
        for result in question_score.evidence:
            evidence.setdefault((result.check_id, result.target_url), result)
    evidence_rows = sorted(evidence.values(), key=lambda r: (r.check_id, r.target_url))
    branding = branding_of(workspace)
    summary = consultant_summary_of(assessment)
    return {
        "assessment": assessment,
        "system": system,
        "workspace": workspace,
        "client": system.client,
        "branding": branding,
        "brand_colour": branding.primary_colour if branding else "#1d4ed8",
        "logo": logo_data_uri(branding),
        "generated_on": timezone.localdate(),
        "assessor": person_name(assessment.submitted_by or assessment.created_by),
        "score": score,
        "coverage": score.coverage,
        "chart": area_chart(score.areas, results.area_titles),
        "radar": radar_chart(radar_axes(score.questions, score.areas, results.area_titles)),
        "areas": areas,
        "risks": risks,
        "next_steps": next_steps_in_team_order(edited),
        "headroom": score.headroom,
        "contradictions": contradiction_rows(results),
        "timeline": timeline_phases(edited),
        "phases": [
            {"number": n, "title": PHASES[n], "rows": edited.phases.get(n, [])} for n in PHASES
        ],
        "exceptions": exception_rows(edited),
        "evidence": [
            {"result": result, "title": CHECK_TITLES.get(result.check_id, "A probe check")}
            for result in evidence_rows
        ],
        "evidence_groups": evidence_groups(evidence_rows, CHECK_TITLES),
        # The latest succeeded probe run's grade and its category scores (None without one).
        "probe_grade": latest_grade(system),
        "verdict": verdict_context(assessment, results),
        "to_find_out": unknowns_to_find_out(assessment, results),
        "methodology": METHODOLOGY,
        "glossary": GLOSSARY,
        "milestone": report_milestone(assessment, results),
        "overrides": override_rows(results),
        "consultant_notes": consultant_notes_rows(results, answers) if consultant_notes else None,
        "consultant_summary": summary.text if summary else "",
    }


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
    summary = consultant_summary_of(assessment)
    if summary is not None:
        parts.append(f"summary:{summary.updated_at.isoformat()}")
    # A newer probe run changes the evidence, contradictions and headroom the report shows.
    parts.append(f"probe-run:{latest_evidence_run_id(system)}")
    branding = branding_of(system.workspace_id)
    if branding is not None:
        parts.append(branding.updated_at.isoformat())
    digest.update("\n".join(parts).encode())
    return digest.hexdigest()


def latest_report(assessment: Assessment) -> ReportFile | None:
    return assessment.reports.order_by("-created_at", "-pk").first()


def consultant_copy_name(report: ReportFile) -> str:
    """Where the copy with consultant notes is stored: beside the client PDF, derived from its
    (unique) name, so no field records it. Share links and client roles get the client PDF."""
    stem, _ = posixpath.splitext(report.file.name)
    return f"{stem}-consultant-notes.pdf"


def consultant_copy_exists(report: ReportFile) -> bool:
    return bool(report.file) and report.file.storage.exists(consultant_copy_name(report))


def latest_ready_report(assessment) -> ReportFile | None:
    return assessment.reports.filter(status=ReportFile.Status.READY).exclude(file="").first()


def shared_link(token: str) -> ShareLink | None:
    link = (
        ShareLink.objects.select_related("assessment__system__workspace")
        .filter(token=token)
        .first()
    )
    return link if link is not None and link.is_live else None
