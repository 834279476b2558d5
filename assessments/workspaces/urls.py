from django.contrib.auth import views as auth_views
from django.urls import path

from assessments.workspaces.forms import LoginForm
from assessments.workspaces.views import accounts, members, systems, workspaces

urlpatterns = [
    path("", workspaces.home, name="home"),
    # Accounts
    path("accounts/signup/", accounts.signup, name="signup"),
    path(
        "accounts/signup/confirm/<uidb64>/<token>/",
        accounts.signup_confirm_view,
        name="signup_confirm",
    ),
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
    path("accounts/password/reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
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
    path("w/<int:workspace_id>/members/", members.members, name="members"),
    path("members/<int:membership_id>/role/", members.membership_role, name="membership_role"),
    path(
        "members/<int:membership_id>/remove/", members.membership_delete, name="membership_remove"
    ),
    path(
        "invitations/<int:invitation_id>/revoke/",
        members.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", members.invitation_accept_view, name="invitation_accept"),
    # Clients and systems
    path("clients/<int:client_id>/edit/", systems.client_edit, name="client_edit"),
    path("clients/<int:client_id>/delete/", systems.client_delete, name="client_delete"),
    path("w/<int:workspace_id>/systems/new/", systems.system_create, name="system_create"),
    path("systems/<int:system_id>/", systems.system_detail, name="system_detail"),
    path("systems/<int:system_id>/edit/", systems.system_edit, name="system_edit"),
    path("systems/<int:system_id>/delete/", systems.system_delete, name="system_delete"),
]
