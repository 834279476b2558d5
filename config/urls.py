from django.contrib import admin
from django.urls import include, path

from config import health
from config.metrics import metrics_view

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("assessments.urls")),
    path("", include("checks.urls")),
]

handler404 = "assessments.views.errors.page_not_found"
handler500 = "assessments.views.errors.server_error"
handler403 = "assessments.views.errors.permission_denied"
