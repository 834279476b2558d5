from django.urls import path

from assessments.reports import views

urlpatterns = [
    path("assessments/<int:assessment_id>/report/", views.report_view, name="report"),
    path(
        "assessments/<int:assessment_id>/report/pdf/",
        views.report_generate,
        name="report_generate",
    ),
    path(
        "assessments/<int:assessment_id>/report/consultant-notes/",
        views.report_consultant_notes,
        name="report_consultant_notes",
    ),
    path(
        "assessments/<int:assessment_id>/report/consultant-summary/",
        views.report_consultant_summary,
        name="report_consultant_summary",
    ),
    path("assessments/<int:assessment_id>/report/docx/", views.report_word, name="report_word"),
    path("reports/<int:report_id>/", views.report_status, name="report_status"),
    path("reports/<int:report_id>/download/", views.report_download, name="report_download"),
    path("assessments/<int:assessment_id>/shares/", views.share_create, name="share_create"),
    path("shares/<int:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    path("share/<str:token>/", views.share_view, name="share"),
    path("share/<str:token>/report.pdf", views.share_pdf, name="share_pdf"),
    path(
        "assessments/<int:assessment_id>/exports/<str:export>",
        views.export_file,
        name="assessment_export_file",
    ),
    path("w/<int:workspace_id>/branding/", views.branding_edit, name="branding"),
]
