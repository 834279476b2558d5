"""The workspace's audit log (owners and consultants): a filterable page and the same as CSV."""

import json

import pandas as pd
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from assessments.audit.forms import AuditFilterForm
from assessments.audit.selectors import change_text, event_rows, events_for
from assessments.downloads import download_name, to_csv
from assessments.workspaces import access
from assessments.workspaces.models import Workspace

PAGE_SIZE = 50
CSV_COLUMNS = [
    "When",
    "Who",
    "What",
    "Assessment",
    "Subject",
    "Summary",
    "Change",
    "Subject id",
    "Before",
    "After",
]


def filtered_events(request, workspace):
    form = AuditFilterForm(request.GET or None, workspace=workspace)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, events_for(workspace, **form.filters())


@login_required
def audit_log(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, access.CONSULT, pk=workspace_id)
    form, events = filtered_events(request, workspace)
    page = (
        Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        if events is not None
        else None
    )
    rows = event_rows(workspace, page.object_list) if page is not None else []
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "workspace": workspace,
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "filtered": bool(form.is_bound and form.filters()),
    }
    return render(request, "audit/audit_log.html", context, status=400 if events is None else 200)


def who(user) -> str:
    """Name and e-mail: names repeat, and a log must say exactly who."""
    if user is None:
        return ""
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email


def json_text(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@login_required
def audit_log_csv(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, access.CONSULT, pk=workspace_id)
    form, events = filtered_events(request, workspace)
    if events is None:
        errors = " ".join(e for field_errors in form.errors.values() for e in field_errors)
        return HttpResponse(f"Fix the filters: {errors}", status=400, content_type="text/plain")
    rows = [
        {
            "When": timezone.localtime(row["event"].at).isoformat(timespec="seconds"),
            "Who": who(row["event"].actor),
            "What": row["event"].get_kind_display(),
            "Assessment": row["event"].assessment.title if row["event"].assessment else "",
            "Subject": row["subject"],
            "Summary": row["event"].summary,
            "Change": change_text(row["changes"]),
            # The stored forms stay, for machines reading the file.
            "Subject id": row["event"].subject,
            "Before": json_text(row["event"].before),
            "After": json_text(row["event"].after),
        }
        for row in event_rows(workspace, events.iterator(chunk_size=2000))
    ]
    content = to_csv(pd.DataFrame(rows, columns=CSV_COLUMNS))
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    name = download_name(workspace.name, timezone.localdate(), "csv", "audit-log")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
