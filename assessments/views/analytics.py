"""The portfolio dashboard, its exports, and the per-area box chart drawn server-side."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from assessments import access, analytics, exports
from assessments.analytics import TABLES, PortfolioFilters
from assessments.bank import BAND_TITLES, BANDS
from assessments.models import Workspace
from assessments.reports import download_name
from assessments.views.results import CHART_BAR_WIDTH, CHART_ROW_HEIGHT, score_band

TOP_ROWS = 15  # rows of the gap and recommendation tables shown; exports have them all
LONG_ROWS = 100  # rows of the per-system and per-client tables shown
CHART_LEFT = 200  # px for the area titles, as on the results page
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PortfolioFilterForm(forms.Form):
    client = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    band = forms.ChoiceField(
        required=False,
        label="Target scale",
        choices=[("", "All scales")] + [(band, BAND_TITLES[band]) for band in BANDS],
    )
    date_from = forms.DateField(
        required=False,
        label="Created from",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a start date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        required=False,
        label="Created until",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter an end date as YYYY-MM-DD."},
    )

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", "All clients")] + [
            (str(pk), name) for pk, name in clients
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                "The start date is after the end date: swap them or clear one."
            )
        return data

    def filters(self) -> PortfolioFilters:
        """The filters that are valid; an invalid field is ignored (its error is shown)."""
        data = self.cleaned_data if self.is_valid() else self._valid_part()
        return PortfolioFilters(
            client_id=data.get("client"),
            band=data.get("band") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    def _valid_part(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        if "__all__" in self.errors:  # a reversed range: keep neither end
            data.pop("date_from", None)
            data.pop("date_to", None)
        return data


def workspace_and_filters(request, workspace_id):
    workspace = access.get_for_user(request.user, Workspace, pk=workspace_id)
    clients = list(workspace.clients.order_by("name").values_list("pk", "name"))
    form = PortfolioFilterForm(request.GET or None, clients=clients)
    filters = form.filters() if form.is_bound else PortfolioFilters()
    return workspace, form, filters


def distribution_chart(distribution) -> dict:
    """Per area a range line (min-max), a box (Q1-Q3) and a median tick, in SVG units."""

    def x(score: float) -> float:
        return round(CHART_LEFT + score * CHART_BAR_WIDTH / 100, 1)

    rows = []
    for index, row in enumerate(distribution.to_dict("records")):
        rows.append(
            {
                "title": row["Area"],
                "y": index * CHART_ROW_HEIGHT,
                "min": x(row["Min"]),
                "max": x(row["Max"]),
                "q1": x(row["Q1"]),
                "box": max(1.0, round(x(row["Q3"]) - x(row["Q1"]), 1)),
                "median": x(row["Median"]),
                "median_score": row["Median"],
                "band": score_band(row["Median"]),
                "systems": row["Systems"],
            }
        )
    return {
        "rows": rows,
        "height": len(rows) * CHART_ROW_HEIGHT,
        "left": CHART_LEFT,
        "bar_width": CHART_BAR_WIDTH,
        "width": CHART_LEFT + CHART_BAR_WIDTH + 60,
        "ticks": [{"x": x(v), "label": v} for v in (0, 25, 50, 75, 100)],
    }


def table_rows(frame, limit: int | None = None) -> dict:
    shown = frame if limit is None else frame.head(limit)
    return {
        "columns": list(shown.columns),
        "rows": shown.astype(object).where(shown.notna(), None).values.tolist(),
        "total": len(frame),
    }


@login_required
def dashboard(request, workspace_id):
    workspace, form, filters = workspace_and_filters(request, workspace_id)
    board = analytics.portfolio(workspace.pk, filters)
    query = request.GET.urlencode()
    latest = board.latest.drop(columns=["Assessment ID", "System ID"], errors="ignore")
    context = {
        "workspace": workspace,
        "form": form,
        "filters": filters,
        "board": board,
        "query": query,
        "chart": distribution_chart(board.distribution),
        "latest": table_rows(latest, LONG_ROWS),
        "distribution": table_rows(board.distribution.drop(columns=["Area ID"])),
        "weakest": table_rows(board.weakest_areas.drop(columns=["Area ID"], errors="ignore")),
        "gaps": table_rows(board.gaps, TOP_ROWS),
        "recommendations": table_rows(board.recommendations, TOP_ROWS),
        "trend": table_rows(board.trend),
        "trend_by_client": table_rows(board.trend_by_client, LONG_ROWS),
    }
    return render(request, "analytics/dashboard.html", context)


def export_names() -> set[str]:
    return {f"{name}.csv" for name in TABLES} | {f"{name}.xlsx" for name in TABLES} | {"all.xlsx"}


@login_required
def export(request, workspace_id, export):
    workspace, _, filters = workspace_and_filters(request, workspace_id)
    if export not in export_names():
        raise Http404("No such export.")
    board = analytics.portfolio(workspace.pk, filters)
    stem, extension = export.rsplit(".", 1)
    tables = board.tables() if stem == "all" else {stem: board.tables()[stem]}
    if extension == "csv":
        content, content_type = exports.to_csv(tables[stem]), "text/csv; charset=utf-8"
    else:
        sheets = {TABLES[name]: frame for name, frame in tables.items()}
        content, content_type = exports.to_xlsx(sheets), XLSX
    suffix = "portfolio" if stem == "all" else f"portfolio-{stem.replace('_', '-')}"
    name = download_name(workspace.name, timezone.localdate(), extension, suffix)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
