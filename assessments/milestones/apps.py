from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    """Assessments over time: starting from the previous one, comparing two."""

    name = "assessments.milestones"
    verbose_name = "Milestones"
