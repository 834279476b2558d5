"""The report page (the same document as the PDF), making and downloading the PDF, share
links, exports and branding.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from assessments.downloads import download_name
from assessments.reports.exports import EXPORTS, export_content
from assessments.reports.forms import BrandingForm, ConsultantSummaryForm
from assessments.reports.models import MAX_CONSULTANT_SUMMARY, Branding, ReportFile, ShareLink
from assessments.reports.selectors import (
    branding_of,
    consultant_copy_exists,
    consultant_copy_name,
    latest_ready_report,
    latest_report,
    logo_data_uri,
    report_context,
    shared_link,
    state_fingerprint,
)
from assessments.reports.services import (
    branding_save,
    consultant_notes_in_pdf_set,
    consultant_summary_save,
    report_start,
    reports_sweep,
    share_link_create,
    share_link_revoke,
)
from assessments.reports.word import report_docx
from assessments.results.selectors import system_results
from assessments.workspaces import access
from assessments.workspaces.models import Workspace
from assessments.workspaces.selectors import assessment_for

REPORT_PAGE = "reports/report.html"
SHARE_DAYS = (1, 7, 30, 90)
SHARE_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def pdf_status_context(assessment, report, member_role) -> dict:
    return {
        "assessment": assessment,
        "assessment_id": assessment.pk,
        "report": report,
        "stale": bool(report and report.is_ready)
        and report.state_fingerprint != state_fingerprint(assessment),
        "can_edit": access.role_allows(member_role, access.EDIT),
    }


@login_required
def report_view(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id)
    status = pdf_status_context(assessment, latest_report(assessment), assessment.member_role)
    can_consult = access.role_allows(assessment.member_role, access.CONSULT)
    # The page shows what the consultant's PDF shows; other roles never get the notes.
    with_notes = can_consult and assessment.include_consultant_notes
    context = {
        **report_context(assessment, system_results(assessment), consultant_notes=with_notes),
        **status,
        "can_consult": can_consult,
        "base_template": "base.html",
        # Links are credentials: only those who may create and revoke them see them.
        "share_links": assessment.share_links.all()[:20] if status["can_edit"] else [],
        "share_days": SHARE_DAYS,
        "site_url": settings.SITE_URL.rstrip("/"),
        "exports": EXPORTS,
        "consultant_summary_limit": MAX_CONSULTANT_SUMMARY,
    }
    return render(request, REPORT_PAGE, context)


@login_required
@require_POST
def report_generate(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    report = report_start(assessment, request.user)
    if request.htmx:
        # A rendering that could not be queued comes back failed: the fragment says why
        # and offers the button again.
        context = pdf_status_context(assessment, report, assessment.member_role)
        return render(request, f"{REPORT_PAGE}#pdf_status", context)
    if report.status == ReportFile.Status.FAILED:
        messages.error(request, f"The PDF was not started: {report.error}")
    else:
        messages.success(request, "The PDF is being made; it appears here when it is ready.")
    return redirect("report", assessment.pk)


@login_required
def report_status(request, report_id):
    report = access.get_for_user(
        request.user, ReportFile.objects.select_related("assessment__system"), pk=report_id
    )
    if report.is_active and reports_sweep(report_ids=[report.pk]):  # works without beat too
        report.refresh_from_db()
    context = pdf_status_context(report.assessment, report, report.member_role)
    if request.htmx:
        return render(request, f"{REPORT_PAGE}#pdf_status", context)
    return redirect("report", report.assessment_id)


def pdf_response(report: ReportFile) -> FileResponse:
    if not report.is_ready:
        raise Http404("This PDF is not ready.")
    name = download_name(report.assessment.system.name, report.created_at.date(), "pdf")
    return FileResponse(
        report.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )


@login_required
def report_download(request, report_id):
    """The PDF; owners and consultants get the copy with consultant notes when there is one."""
    report = access.get_for_user(
        request.user, ReportFile.objects.select_related("assessment__system"), pk=report_id
    )
    if (
        report.is_ready
        and access.role_allows(report.member_role, access.CONSULT)
        and consultant_copy_exists(report)
    ):
        name = download_name(
            report.assessment.system.name, report.created_at.date(), "pdf", "consultant"
        )
        return FileResponse(
            report.file.storage.open(consultant_copy_name(report), "rb"),
            as_attachment=True,
            filename=name,
            content_type="application/pdf",
        )
    return pdf_response(report)


@login_required
@require_POST
def report_consultant_summary(request, assessment_id):
    """Owners and consultants write the summary the PDF and the DOCX print for the client."""
    assessment = assessment_for(request.user, assessment_id, access.CONSULT)
    form = ConsultantSummaryForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["text"]))
    elif consultant_summary_save(assessment, form.cleaned_data["text"], request.user):
        messages.success(request, "Summary saved. Regenerate the PDF to print it.")
    return redirect("report", assessment.pk)


@login_required
@require_POST
def report_consultant_notes(request, assessment_id):
    """Owners and consultants choose whether their PDF prints consultant-only notes."""
    assessment = assessment_for(request.user, assessment_id, access.CONSULT)
    include = request.POST.get("include_consultant_notes") == "on"
    consultant_notes_in_pdf_set(assessment, include, request.user)
    messages.success(
        request,
        "Consultant notes will be printed in your PDF (never in the shared one). Regenerate it."
        if include
        else "Consultant notes are left out of the PDF.",
    )
    return redirect("report", assessment.pk)


@login_required
@require_POST
def share_create(request, assessment_id):
    assessment = assessment_for(request.user, assessment_id, access.EDIT)
    try:
        days = int(request.POST.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in SHARE_DAYS else 30
    share_link_create(assessment, request.user, days)
    messages.success(request, f"Share link created, valid for {days} days.")
    return redirect("report", assessment.pk)


@login_required
@require_POST
def share_revoke(request, share_id):
    link = access.get_for_user(request.user, ShareLink, access.EDIT, pk=share_id)
    share_link_revoke(link)
    messages.success(request, "Share link revoked: it no longer opens the report.")
    return redirect("report", link.assessment_id)


def with_share_headers(response: HttpResponse) -> HttpResponse:
    for header, value in SHARE_HEADERS.items():
        response[header] = value
    return response


def share_gone(request) -> HttpResponse:
    response = render(request, "reports/share_gone.html", {"noindex": True}, status=404)
    return with_share_headers(response)


@require_safe
def share_view(request, token):
    """The report, read only, for whoever holds a live link; nothing here can change data."""
    link = shared_link(token)
    if link is None:
        return share_gone(request)
    assessment = link.assessment
    context = {
        **report_context(assessment, system_results(assessment)),
        "share": link,
        "report": latest_ready_report(assessment),
        "noindex": True,
    }
    return with_share_headers(render(request, REPORT_PAGE, context))


@require_safe
def share_pdf(request, token):
    link = shared_link(token)
    if link is None:
        return share_gone(request)
    ready = latest_ready_report(link.assessment)
    if ready is None:
        return share_gone(request)
    return with_share_headers(pdf_response(ready))


@login_required
def export_file(request, assessment_id, export):
    assessment = assessment_for(request.user, assessment_id)
    if export not in dict(EXPORTS):
        raise Http404("No such export.")
    content, content_type = export_content(assessment, system_results(assessment), export)
    stem, extension = export.rsplit(".", 1)
    name = download_name(
        assessment.system.name,
        timezone.localdate(),
        extension,
        "" if stem == "all" else stem,
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def report_word(request, assessment_id):
    """The report as an editable Word file; consultant notes as in the consultant's PDF."""
    assessment = assessment_for(request.user, assessment_id)
    can_consult = access.role_allows(assessment.member_role, access.CONSULT)
    with_notes = can_consult and assessment.include_consultant_notes
    content = report_docx(assessment, system_results(assessment), consultant_notes=with_notes)
    name = download_name(assessment.system.name, timezone.localdate(), "docx")
    response = HttpResponse(content, content_type=DOCX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def branding_edit(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, access.EDIT, pk=workspace_id)
    branding = branding_of(workspace) or Branding(workspace=workspace)
    previous_logo = branding.logo.name if branding.pk else ""
    form = BrandingForm(request.POST or None, request.FILES or None, instance=branding)
    if request.method == "POST" and form.is_valid():
        branding = branding_save(form, previous_logo)
        messages.success(request, "Branding saved: new reports use it.")
        return redirect("branding", workspace.pk)
    context = {"form": form, "workspace": workspace, "logo": logo_data_uri(branding)}
    return render(request, "reports/branding.html", context, status=422 if form.errors else 200)
