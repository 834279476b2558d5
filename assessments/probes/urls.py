from django.urls import path

from assessments.probes import views

urlpatterns = [
    path(
        "systems/<int:system_id>/probe-runs/new/",
        views.probe_run_start_view,
        name="probe_run_start",
    ),
    path("probe-runs/<int:run_id>/", views.probe_run_detail, name="probe_run_detail"),
    path("targets/<int:target_id>/verify/", views.target_verify_view, name="target_verify"),
]
