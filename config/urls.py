from django.contrib import admin
from django.urls import include, path

from config import health
from config.metrics import metrics_view

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("assessments.workspaces.urls")),
    path("", include("assessments.audit.urls")),
    path("", include("assessments.questionnaire.urls")),
    path("", include("assessments.probes.urls")),
    path("", include("assessments.results.urls")),
    path("", include("assessments.milestones.urls")),
    path("", include("assessments.reports.urls")),
    path("", include("assessments.portfolio.urls")),
    path("", include("assessments.watch.urls")),
    path("", include("assessments.api.urls")),
]

handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
handler403 = "config.errors.permission_denied"
