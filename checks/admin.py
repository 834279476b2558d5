from django.contrib import admin

from checks.models import Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["url", "system", "created_at"]
    list_select_related = ["system"]
