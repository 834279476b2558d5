from django.apps import AppConfig


class ResultsConfig(AppConfig):
    """Scoring, the verdict, findings, contradictions, headroom and the editable roadmap."""

    name = "assessments.results"
    verbose_name = "Results"
