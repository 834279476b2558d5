"""The portfolio dashboard, its exports, the clients page, and where one assessment stands."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from assessments.downloads import download_name, to_csv, to_xlsx
from assessments.portfolio.domain.tables import TABLES, system_history
from assessments.portfolio.forms import PortfolioFilterForm
from assessments.portfolio.selectors import (
    PortfolioFilters,
    assessment_percentiles_of,
    client_overview,
    data_stamp,
    portfolio,
)
from assessments.portfolio.services import portfolio_current, portfolio_shown
from assessments.results.domain.charts import distribution_chart, trend_chart
from assessments.results.selectors import system_results
from assessments.workspaces import access
from assessments.workspaces.forms import ClientForm
from assessments.workspaces.models import Workspace
from assessments.workspaces.selectors import assessment_for
from config.fragments import cached_fragment, row_values

TOP_ROWS = 15  # rows of the gap and recommendation tables shown; exports have them all
LONG_ROWS = 100  # rows of the per-system and per-client tables shown
DASHBOARD_PAGE = "portfolio/dashboard.html"
DASHBOARD_BODY = "portfolio/_dashboard_body.html"  # the page's content and its partial
PERCENTILES_PAGE = "portfolio/percentiles.html"
TREND_PAGE = "portfolio/system_trend.html"
YES_NO = {True: "yes", False: "no"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workspace_and_filters(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, pk=workspace_id)
    clients = list(workspace.clients.order_by("name").values_list("pk", "name"))
    form = PortfolioFilterForm(request.GET or None, clients=clients)
    filters = form.filters() if form.is_bound else PortfolioFilters()
    return workspace, form, filters


def table_rows(frame, limit: int | None = None) -> dict:
    """Rows of a table as the page shows them: yes/no for flags, None for a missing value."""
    shown = frame if limit is None else frame.head(limit)
    rows = shown.astype(object).where(shown.notna(), None).values.tolist()
    return {
        "columns": list(shown.columns),
        # In words here, once, rather than tested in the template for every cell.
        "rows": [
            [YES_NO.get(cell, cell) if type(cell) is bool else cell for cell in row] for row in rows
        ],
        "total": len(frame),
    }


@login_required
def dashboard(request, workspace_id):
    """The tables are rendered once per build (``portfolio_shown``) and kept: at 10,000
    assessments loading and laying them out costs more than the rest of the request, and
    most views find the build the previous one showed -- right after a save too, when the
    page shows the latest build while a worker rebuilds (config/fragments.py). Only the line
    saying how fresh they are is rendered on every request."""
    workspace, form, filters = workspace_and_filters(request, workspace_id)
    stamp = data_stamp(workspace.pk)
    shown = portfolio_shown(workspace.pk, filters, stamp)
    query = request.GET.urlencode()
    if shown is None:  # the workspace's first build, made in this request
        context = dashboard_context(workspace, form, filters, query, stamp)
        return render(request, DASHBOARD_PAGE, context | {"shown": context["board"]})
    # What the tables part shows: the workspace's name, the filter form (its client choices
    # and what was asked) and the build.
    inputs = (row_values(workspace), form.fields["client"].choices, query, shown.built_at)
    body = cached_fragment(
        request,
        "portfolio",
        inputs,
        DASHBOARD_BODY,
        lambda: dashboard_context(workspace, form, filters, query, stamp),
        subject=workspace,
    )
    context = {"workspace": workspace, "query": query, "shown": shown, "body": body}
    return render(request, DASHBOARD_PAGE, context)


def dashboard_context(workspace, form, filters, query: str, stamp: str) -> dict:
    board = portfolio_current(workspace.pk, filters, stamp)
    latest = board.latest.drop(columns=["Assessment ID", "System ID"], errors="ignore")
    return {
        "workspace": workspace,
        "form": form,
        "filters": filters,
        "board": board,
        "query": query,
        "chart": distribution_chart(board.distribution.to_dict("records")),
        "latest": table_rows(latest, LONG_ROWS),
        "distribution": table_rows(board.distribution.drop(columns=["Area ID"])),
        "weakest": table_rows(board.weakest_areas.drop(columns=["Area ID"], errors="ignore")),
        # Ids stay in the exports (machine columns); people read the questions in words.
        "gaps": table_rows(board.gaps.drop(columns=["Question ID"], errors="ignore"), TOP_ROWS),
        "recommendations": table_rows(
            board.recommendations.drop(columns=["Recommendation ID"], errors="ignore"), TOP_ROWS
        ),
        "trend": table_rows(board.trend),
        "trend_chart": trend_chart(
            zip(board.trend["Month"], board.trend["Mean overall"], strict=True)
        ),
        "trend_by_client": table_rows(board.trend_by_client, LONG_ROWS),
    }


def export_names() -> set[str]:
    return {f"{name}.csv" for name in TABLES} | {f"{name}.xlsx" for name in TABLES} | {"all.xlsx"}


@login_required
def export(request, workspace_id, export):
    workspace, _, filters = workspace_and_filters(request, workspace_id)
    if export not in export_names():
        raise Http404("No such export.")
    board = portfolio(workspace.pk, filters)
    stem, extension = export.rsplit(".", 1)
    tables = board.tables() if stem == "all" else {stem: board.tables()[stem]}
    if extension == "csv":
        content, content_type = to_csv(tables[stem]), "text/csv; charset=utf-8"
    else:
        sheets = {TABLES[name]: frame for name, frame in tables.items()}
        content, content_type = to_xlsx(sheets), XLSX
    suffix = "portfolio" if stem == "all" else f"portfolio-{stem.replace('_', '-')}"
    name = download_name(workspace.name, timezone.localdate(), extension, suffix)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def client_list(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, pk=workspace_id)
    can_edit = access.role_allows(workspace.member_role, access.EDIT)
    form = ClientForm(request.POST or None, workspace=workspace)
    if request.method == "POST":
        access.get_for_user(request.user, Workspace, access.EDIT, pk=workspace_id)
        if form.is_valid():
            client = form.save()
            messages.success(request, f"Client “{client.name}” added.")
            return redirect("client_list", workspace.pk)
    clients = list(workspace.clients.order_by("name", "pk"))
    context = {
        "workspace": workspace,
        "groups": client_overview(workspace.pk, clients, portfolio_current(workspace.pk)),
        "has_clients": bool(clients),
        "form": form,
        "can_edit": can_edit,
    }
    return render(request, "portfolio/client_list.html", context)


@login_required
def assessment_percentiles(request, assessment_id):
    """Where this assessment's answers put the system among the workspace's other systems.

    The results page loads this as a fragment (htmx) so its own request never builds the
    portfolio; without JavaScript the link opens it as a page. Members limited to a client
    or an assessment never see the rest of the workspace, so they are refused.
    """
    assessment = assessment_for(request.user, assessment_id)
    if access.is_limited(assessment):
        raise PermissionDenied(
            "Percentiles compare this system with the rest of the workspace, "
            "which your access does not include."
        )
    context = {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "percentiles": assessment_percentiles_of(
            assessment,
            system_results(assessment),
            portfolio_current(assessment.system.workspace_id),
        ),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{PERCENTILES_PAGE}#percentiles", context)
    return render(request, PERCENTILES_PAGE, context)


@login_required
def system_trend(request, assessment_id):
    """The overall score of every assessment of this assessment's system, as a line.

    The compare page loads it as a fragment (htmx) from the maintained portfolio, so no
    request scores each assessment again. It shows one system only, so anyone who may read
    the assessment may read it (client staff included).
    """
    assessment = assessment_for(request.user, assessment_id)
    board = portfolio_current(assessment.system.workspace_id)
    points = system_history(board, assessment.system_id)
    context = {
        "assessment": assessment,
        "system": assessment.system,
        "workspace": assessment.system.workspace,
        "chart": trend_chart(points),
        "points": points,
        "board": board,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{TREND_PAGE}#trend", context)
    return render(request, TREND_PAGE, context)
