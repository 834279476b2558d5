"""Assessments and their answers in the admin."""

from django.contrib import admin

from assessments.questionnaire.models import Answer
from assessments.workspaces.models import (
    Assessment,
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
