from django.contrib import admin
from django.utils.html import format_html_join

from assessments.bank import BAND_TITLES
from assessments.models import (
    Answer,
    Assessment,
    BankVersion,
    Client,
    Invitation,
    Membership,
    Question,
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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Bank rows are written by `load_bank` only; the admin shows them, never edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BankVersion)
class BankVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "question_count", "loaded_at"]

    @admin.display(description="Questions")
    def question_count(self, obj):
        return obj.questions.count()


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ["key", "area", "weight", "critical", "bank_version"]
    list_filter = ["bank_version", "area", "critical", "weight"]
    list_select_related = ["bank_version"]
    search_fields = ["key", "text"]
    fields = [
        "bank_version",
        "key",
        "area",
        "text",
        "help",
        "weight",
        "critical",
        "checks_list",
        "required_levels",
        "options_table",
        "recommendation_titles",
    ]
    readonly_fields = fields

    @admin.display(description="Checks")
    def checks_list(self, obj):
        return ", ".join(obj.checks) or "—"

    @admin.display(description="Required level per band")
    def required_levels(self, obj):
        return " · ".join(f"{BAND_TITLES[band]}: {level}" for band, level in obj.required.items())

    @admin.display(description="Options")
    def options_table(self, obj):
        return format_html_join(
            "",
            "<p><strong>{}. {}</strong><br>{}</p>",
            ((o["level"], o["label"], o["description"]) for o in obj.options),
        )

    @admin.display(description="Recommendations")
    def recommendation_titles(self, obj):
        return format_html_join(
            "",
            "<p>{} (levels {}; effort {}, impact {}, phase {})</p>",
            (
                (r["title"], r["levels"], r["effort"], r["impact"], r["phase"])
                for r in obj.recommendations
            ),
        )


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ["question", "state", "level", "na_reason", "answered_by", "answered_at", "version"]
    readonly_fields = fields
    can_delete = False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["title", "system", "band", "status", "bank_version", "created_at"]
    list_select_related = ["system", "bank_version"]
    list_filter = ["status", "band"]
    inlines = [AnswerInline]
    raw_id_fields = ["system", "created_by", "submitted_by"]
