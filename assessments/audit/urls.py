from django.urls import path

from assessments.audit import views

urlpatterns = [
    path("w/<int:workspace_id>/audit/", views.audit_log, name="audit_log"),
    path("w/<int:workspace_id>/audit.csv", views.audit_log_csv, name="audit_log_csv"),
]
