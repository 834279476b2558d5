from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """The report: page, PDF, share links, exports, branding."""

    name = "assessments.reports"
    verbose_name = "Reports"
