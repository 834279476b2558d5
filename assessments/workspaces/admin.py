"""Workspaces, members, invitations, clients and systems in the admin."""

from django.contrib import admin

from assessments.workspaces.models import (
    Client,
    Invitation,
    Membership,
    System,
    Workspace,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "is_personal", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "workspace",
        "role",
        "email",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_select_related = ["workspace"]
    exclude = ["token"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace"]
    list_select_related = ["workspace"]
    search_fields = ["name"]


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "client", "current_users", "target_users"]
    list_select_related = ["workspace", "client"]
    search_fields = ["name"]
