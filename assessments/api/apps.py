from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API: workspace API tokens and endpoints over every other app's services."""

    name = "assessments.api"
    label = "api"
    verbose_name = "API"

    def ready(self):
        from assessments.api.selectors import export_rows
        from config.fragments import add_page_input

        # The roadmap shows when each item was last exported (``{% exported_when %}``).
        add_page_input("roadmap", lambda assessment: export_rows(assessment.system_id))
