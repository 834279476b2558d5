"""The question bank in the admin: read only, since rows are written by ``load_bank`` only."""

from django.contrib import admin
from django.utils.html import format_html_join

from assessments.bank.domain.bank import BAND_TITLES
from assessments.bank.models import BankVersion, Question


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
    list_display = ["key", "topic", "area", "weight", "critical_from", "bank_version"]
    list_filter = ["bank_version", "area", "critical_from", "weight"]
    list_select_related = ["bank_version"]
    search_fields = ["key", "topic", "text"]
    fields = [
        "bank_version",
        "key",
        "area",
        "topic",
        "text",
        "help",
        "weight",
        "critical_band",
        "checks_list",
        "evidence_caps",
        "required_levels",
        "find_out_steps",
        "options_table",
        "recommendation_titles",
    ]
    readonly_fields = fields

    @admin.display(description="Critical")
    def critical_band(self, obj):
        if not obj.critical_from:
            return "Never"
        return f"From the band “{BAND_TITLES[obj.critical_from]}” up"

    @admin.display(description="Checks")
    def checks_list(self, obj):
        return ", ".join(obj.checks) or "—"

    @admin.display(description="Evidence caps")
    def evidence_caps(self, obj):
        rules = [
            f"{check} {status} → at most level {level}"
            for check, caps in obj.check_caps.items()
            for status, level in caps.items()
        ]
        return "; ".join(rules) or "—"

    @admin.display(description="Required level per band")
    def required_levels(self, obj):
        return " · ".join(f"{BAND_TITLES[band]}: {level}" for band, level in obj.required.items())

    @admin.display(description="How to find out")
    def find_out_steps(self, obj):
        return format_html_join("", "<p>{}</p>", ((step,) for step in obj.find_out)) or "—"

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
            "<p>{}{} (levels {}; effort {}, impact {}, phase {})</p>",
            (
                (
                    r["title"],
                    " — foundation" if r.get("foundation") else "",
                    r["levels"],
                    r["effort"],
                    r["impact"],
                    r["phase"],
                )
                for r in obj.recommendations
            ),
        )
