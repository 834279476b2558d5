from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API: workspace API tokens and endpoints over every other app's services."""

    name = "assessments.api"
    label = "api"
    verbose_name = "API"
