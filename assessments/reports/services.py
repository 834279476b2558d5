"""Report operations: queueing and rendering the PDF (with the consultant's copy), sweeping
renderings no worker finished, share links, branding, consultant notes in the PDF.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from celery import current_app
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from assessments.audit.models import AuditEvent
from assessments.audit.services import audit_record
from assessments.downloads import download_name
from assessments.reports.models import Branding, ReportFile, ShareLink
from assessments.reports.pdf import pdf_from_html, report_html
from assessments.reports.selectors import branding_of, consultant_copy_name, state_fingerprint
from assessments.results.selectors import system_results
from assessments.workspaces.models import Assessment

# The task (``assessments.reports.tasks``) is sent by name: tasks call services, never the reverse.
REPORT_RENDER_TASK = "reports.render_report"
REPORTS_SWEEP_TASK = "reports.sweep_reports"
# Well past the render task's hard time limit (``SCALEREADY_REPORT_TIME_LIMIT``) plus time
# spent queued: a rendering older than this is never going to finish.
REPORT_RENDER_DEADLINE = timedelta(minutes=10)


def report_start(assessment: Assessment, user) -> ReportFile:
    """Queue a PDF rendering, or return the one already queued or rendering."""
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
        lambda: current_app.send_task(REPORT_RENDER_TASK, args=[report.pk], task_id=report.task_id)
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
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ASSESSMENT,
        subject=assessment.title,
        summary="Consultant notes in the PDF: " + ("on" if include else "off"),
        before={"include_consultant_notes": not include},
        after={"include_consultant_notes": include},
    )


def consultant_copy_save(report: ReportFile, pdf: bytes) -> None:
    name = consultant_copy_name(report)
    storage = report.file.storage
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(pdf))
    if saved != name:
        storage.delete(saved)
        raise RuntimeError(f"Could not store the consultant copy as {name!r}.")


def report_render(report_id: int) -> None:
    """Render one queued report to PDF; a second delivery of the same task does nothing."""
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


def share_link_create(assessment: Assessment, user, days: int) -> ShareLink:
    """A read-only link to the report, valid for ``days``."""
    return ShareLink.objects.create(
        assessment=assessment, created_by=user, expires_at=timezone.now() + timedelta(days=days)
    )


def share_link_revoke(link: ShareLink) -> None:
    """The link stops opening the report at once; revoking twice changes nothing."""
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def branding_save(form, previous_logo: str) -> Branding:
    """Save a valid branding form; the file of a replaced logo (``previous_logo``, its name
    before the form was bound) is deleted."""
    branding = form.save()
    if previous_logo and previous_logo != branding.logo.name:
        branding.logo.storage.delete(previous_logo)
    return branding
