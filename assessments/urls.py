from django.contrib.auth import views as auth_views
from django.urls import path

from assessments.forms import LoginForm
from assessments.views import (
    accounts,
    analytics,
    audit,
    engagements,
    milestones,
    questionnaire,
    reports,
    results,
    systems,
    workspaces,
)

urlpatterns = [
    path("", workspaces.home, name="home"),
    # Accounts
    path("accounts/signup/", accounts.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # Workspaces, members, invitations
    path("workspaces/new/", workspaces.workspace_create_view, name="workspace_create"),
    path("w/<int:workspace_id>/", workspaces.workspace_detail, name="workspace_detail"),
    path(
        "w/<int:workspace_id>/settings/", workspaces.workspace_settings, name="workspace_settings"
    ),
    path("w/<int:workspace_id>/members/", workspaces.members, name="members"),
    path("members/<int:membership_id>/role/", workspaces.membership_role, name="membership_role"),
    path(
        "members/<int:membership_id>/remove/",
        workspaces.membership_delete,
        name="membership_remove",
    ),
    path(
        "invitations/<int:invitation_id>/revoke/",
        workspaces.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", workspaces.invitation_accept_view, name="invitation_accept"),
    # Clients and systems
    path("w/<int:workspace_id>/clients/", systems.client_list, name="client_list"),
    # Portfolio analytics
    path("w/<int:workspace_id>/analytics/", analytics.dashboard, name="analytics"),
    path(
        "w/<int:workspace_id>/analytics/exports/<str:export>",
        analytics.export,
        name="analytics_export",
    ),
    path(
        "w/<int:workspace_id>/engagements/new/", engagements.engagement_new, name="engagement_new"
    ),
    path("clients/<int:client_id>/edit/", systems.client_edit, name="client_edit"),
    path("clients/<int:client_id>/delete/", systems.client_delete, name="client_delete"),
    path("w/<int:workspace_id>/systems/new/", systems.system_create, name="system_create"),
    path("systems/<int:system_id>/", systems.system_detail, name="system_detail"),
    path("systems/<int:system_id>/edit/", systems.system_edit, name="system_edit"),
    path("systems/<int:system_id>/delete/", systems.system_delete, name="system_delete"),
    path(
        "w/<int:workspace_id>/questions/", systems.custom_question_list, name="custom_question_list"
    ),
    path(
        "questions/<int:question_id>/delete/",
        systems.custom_question_delete_view,
        name="custom_question_delete",
    ),
    # Assessments and the questionnaire
    path(
        "systems/<int:system_id>/assessments/new/",
        questionnaire.assessment_create,
        name="assessment_create",
    ),
    path(
        "assessments/<int:assessment_id>/",
        questionnaire.assessment_overview,
        name="assessment_overview",
    ),
    path(
        "assessments/<int:assessment_id>/areas/<slug:area>/",
        questionnaire.assessment_area,
        name="assessment_area",
    ),
    path(
        "assessments/<int:assessment_id>/answers/<str:question_key>/",
        questionnaire.answer_view,
        name="answer",
    ),
    path(
        "assessments/<int:assessment_id>/submit/",
        questionnaire.assessment_submit_view,
        name="assessment_submit",
    ),
    path(
        "assessments/<int:assessment_id>/reopen/",
        questionnaire.assessment_reopen_view,
        name="assessment_reopen",
    ),
    path(
        "assessments/<int:assessment_id>/assign/",
        questionnaire.assessment_assign,
        name="assessment_assign",
    ),
    path(
        "assessments/<int:assessment_id>/export.json",
        questionnaire.assessment_export,
        name="assessment_export",
    ),
    path(
        "assessments/<int:assessment_id>/import/",
        questionnaire.assessment_import,
        name="assessment_import",
    ),
    path("assessments/<int:assessment_id>/results/", results.results_view, name="results"),
    path("assessments/<int:assessment_id>/roadmap/", results.roadmap_view, name="roadmap"),
    path(
        "assessments/<int:assessment_id>/roadmap/items/<str:key>/",
        results.roadmap_item_update,
        name="roadmap_item_update",
    ),
    path(
        "assessments/<int:assessment_id>/roadmap/items/<str:key>/move/",
        results.roadmap_item_move,
        name="roadmap_item_move",
    ),
    path(
        "assessments/<int:assessment_id>/roadmap/custom/",
        results.roadmap_custom_add,
        name="roadmap_custom_add",
    ),
    path(
        "assessments/<int:assessment_id>/roadmap/reviewed/",
        results.roadmap_reviewed,
        name="roadmap_reviewed",
    ),
    path("methodology/", results.methodology, name="methodology"),
    # Consultant notes, severity overrides and the audit log (owners and consultants)
    path(
        "assessments/<int:assessment_id>/consultant-notes/<str:question_key>/",
        questionnaire.answer_consultant_notes,
        name="answer_consultant_notes",
    ),
    path(
        "assessments/<int:assessment_id>/findings/<str:question_key>/",
        results.finding_review,
        name="finding_review",
    ),
    path(
        "assessments/<int:assessment_id>/report/consultant-notes/",
        reports.report_consultant_notes,
        name="report_consultant_notes",
    ),
    path("w/<int:workspace_id>/audit/", audit.audit_log, name="audit_log"),
    path("w/<int:workspace_id>/audit.csv", audit.audit_log_csv, name="audit_log_csv"),
    # Reports, PDFs, share links and exports
    path("assessments/<int:assessment_id>/report/", reports.report_view, name="report"),
    path(
        "assessments/<int:assessment_id>/report/pdf/",
        reports.report_generate,
        name="report_generate",
    ),
    path("reports/<int:report_id>/", reports.report_status, name="report_status"),
    path("reports/<int:report_id>/download/", reports.report_download, name="report_download"),
    path("assessments/<int:assessment_id>/shares/", reports.share_create, name="share_create"),
    path("shares/<int:share_id>/revoke/", reports.share_revoke, name="share_revoke"),
    path("w/<int:workspace_id>/branding/", reports.branding_edit, name="branding"),
    path("share/<str:token>/", reports.share_view, name="share"),
    path("share/<str:token>/report.pdf", reports.share_pdf, name="share_pdf"),
    path(
        "assessments/<int:assessment_id>/exports/<str:export>",
        reports.export_file,
        name="assessment_export_file",
    ),
    path(
        "assessments/<int:assessment_id>/upgrade/",
        questionnaire.assessment_upgrade_view,
        name="assessment_upgrade",
    ),
    # Milestones: carried-over answers and comparing two assessments of one system
    path(
        "assessments/<int:assessment_id>/answers/<str:question_key>/confirm/",
        milestones.answer_confirm,
        name="answer_confirm",
    ),
    path(
        "assessments/<int:assessment_id>/areas/<slug:area>/confirm/",
        milestones.area_confirm,
        name="area_confirm",
    ),
    path(
        "assessments/<int:assessment_id>/compare/",
        milestones.milestone_pick,
        name="milestone_pick",
    ),
    path(
        "assessments/<int:assessment_id>/compare/<int:other_id>/",
        milestones.milestone_compare_view,
        name="milestone_compare",
    ),
]
