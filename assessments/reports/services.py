"""Report operations: queueing and rendering the PDF (with the consultant's copy), sweeping
renderings no worker finished, share links, branding, consultant notes in the PDF.

One rendering per assessment at a time: the database refuses a second active row, so
simultaneous "Make PDF" clicks share one rendering; a rendering whose worker went silent
(``SCALEREADY_REPORT_HEARTBEAT_TIMEOUT_SECONDS``) is failed and replaced by the next request
instead of blocking it; a rendering whose task cannot be queued fails at once with a reason.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.audit.models import AuditEvent
from assessments.audit.services import audit_record
from assessments.downloads import download_name
from assessments.reports.models import Branding, ConsultantSummary, ReportFile, ShareLink
from assessments.reports.pdf import pdf_from_html, report_html
from assessments.reports.selectors import branding_of, consultant_copy_name, state_fingerprint
from assessments.results.selectors import system_results
from assessments.workspaces.models import Assessment
from config.enqueue import enqueue_on_commit

logger = logging.getLogger(__name__)
# The task (``assessments.reports.tasks``) is sent by name: tasks call services, never the reverse.
REPORT_RENDER_TASK = "reports.render_report"
REPORTS_SWEEP_TASK = "reports.sweep_reports"
Status = ReportFile.Status


def report_start(assessment: Assessment, user) -> ReportFile:
    """Queue a PDF rendering, or return the one already queued or rendering.

    A rendering that will never finish (``ReportFile.stale_reason``) is failed and replaced.
    When the task cannot be queued the new row comes back failed, its ``error`` saying so.
    """
    for _attempt in range(2):
        with transaction.atomic():
            active = active_report(assessment)
            if active is not None and not report_fail_if_stale(active, timezone.now()):
                return active
            try:
                with transaction.atomic():
                    report = ReportFile.objects.create(
                        assessment=assessment,
                        requested_by=user,
                        state_fingerprint=state_fingerprint(assessment),
                        task_id=str(uuid.uuid4()),
                    )
            except IntegrityError:  # a simultaneous request queued one: share it
                continue
            ticket = enqueue_on_commit(
                REPORT_RENDER_TASK,
                [report.pk],
                task_id=report.task_id,
                on_failure=lambda reason, pk=report.pk: report_fail(pk, reason),
            )
        if ticket.error:
            report.refresh_from_db()
        return report
    # Both attempts met a rendering another request was queueing, which then rolled back.
    raise RuntimeError("Another request was making this PDF at the same moment; try again.")


def active_report(assessment: Assessment) -> ReportFile | None:
    return ReportFile.objects.filter(assessment=assessment, status__in=ReportFile.ACTIVE).first()


def report_fail(report_id: int, reason: str) -> bool:
    """Fail a queued or rendering PDF with ``reason``; False if it had already ended."""
    return bool(
        ReportFile.objects.filter(pk=report_id, status__in=ReportFile.ACTIVE).update(
            status=Status.FAILED, error=reason, finished_at=timezone.now()
        )
    )


def report_fail_if_stale(report: ReportFile, now) -> bool:
    """Fail ``report`` if it will never finish; the WHERE keeps one that moved on as it is."""
    reason = report.stale_reason(now)
    if reason is None:
        return False
    return bool(
        ReportFile.objects.filter(
            pk=report.pk, status=report.status, heartbeat_at=report.heartbeat_at
        ).update(status=Status.FAILED, error=reason, finished_at=now)
    )


def reports_sweep(now=None, report_ids=None) -> int:
    """Fail renderings that will never finish (a worker killed mid-render, a task nobody took)
    so the page offers "try again"; returns how many."""
    now = now or timezone.now()
    active = ReportFile.objects.filter(status__in=ReportFile.ACTIVE)
    if report_ids is not None:
        active = active.filter(pk__in=report_ids)
    fields = ("status", "created_at", "started_at", "heartbeat_at")
    failed = sum(report_fail_if_stale(report, now) for report in active.only(*fields))
    if failed:
        logger.warning("reports sweep: %d PDF rendering(s) marked failed", failed)
    return failed


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


def consultant_summary_save(assessment: Assessment, text: str, user) -> bool:
    """Store the consultant's summary for the client; False when nothing changed."""
    summary, _ = ConsultantSummary.objects.get_or_create(assessment=assessment)
    if summary.text == text:
        return False
    before = summary.text
    summary.text = text
    summary.updated_by = user
    summary.save()
    audit_record(
        assessment=assessment,
        actor=user,
        kind=AuditEvent.Kind.ASSESSMENT,
        subject=assessment.title,
        summary="Consultant summary edited" if text else "Consultant summary removed",
        before={"consultant_summary": before},
        after={"consultant_summary": text},
    )
    return True


def consultant_copy_save(report: ReportFile, pdf: bytes) -> None:
    name = consultant_copy_name(report)
    storage = report.file.storage
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(pdf))
    if saved != name:
        storage.delete(saved)
        raise RuntimeError(f"Could not store the consultant copy as {name!r}.")


def report_heartbeat(report_id: int) -> bool:
    """The worker is still at it; False once the rendering is no longer ours (superseded)."""
    rendering = ReportFile.objects.filter(pk=report_id, status=Status.RENDERING)
    return bool(rendering.update(heartbeat_at=timezone.now()))


def report_render(report_id: int) -> None:
    """Render one queued report to PDF; a second delivery of the same task does nothing.

    The heartbeat is written when the rendering is claimed and after each step; a rendering
    failed or superseded meanwhile keeps its reason and its file is dropped.
    """
    now = timezone.now()
    claimed = ReportFile.objects.filter(pk=report_id, status=Status.QUEUED).update(
        status=Status.RENDERING, started_at=now, heartbeat_at=now
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
        report_heartbeat(report_id)
        pdf = pdf_from_html(report_html(assessment, results), workspace_id, page_size)
        report_heartbeat(report_id)
        report.file.save(
            download_name(assessment.system.name, timezone.localdate(), "pdf"),
            ContentFile(pdf),
            save=False,
        )
        if assessment.include_consultant_notes:
            html = report_html(assessment, results, consultant_notes=True)
            consultant_copy_save(report, pdf_from_html(html, workspace_id, page_size))
    except SoftTimeLimitExceeded:
        seconds = settings.SCALEREADY_REPORT_SOFT_TIME_LIMIT
        report_fail(
            report_id,
            f"Making the PDF took longer than its {seconds}-second limit and was stopped. "
            "Making it again is safe.",
        )
        raise
    except Exception as exc:
        report_fail(report_id, f"{type(exc).__name__}: {exc}"[:2000])
        raise
    finished = ReportFile.objects.filter(pk=report_id, status=Status.RENDERING).update(
        status=Status.READY,
        file=report.file.name,
        state_fingerprint=fingerprint,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if not finished:
        logger.warning("PDF %s was failed while it rendered; its file is dropped", report_id)
        report.file.storage.delete(report.file.name)


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
