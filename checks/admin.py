from django.contrib import admin

from checks.models import ProbeRun, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["url", "system", "verified_at", "created_at"]
    list_select_related = ["system"]


@admin.register(ProbeRun)
class ProbeRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "system", "status", "run_burst", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["system"]
    readonly_fields = ["progress", "target_urls", "error"]
