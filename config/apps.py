from django.apps import AppConfig
from django.core.checks import Tags, register

from config.database_checks import recorded_migrations_exist


class ProjectConfig(AppConfig):
    """Project-wide pieces that belong to no feature app: system checks of the database."""

    name = "config"
    verbose_name = "ScaleReady"

    def ready(self):
        # Database checks run with `migrate` (so `make run`) and `check --database default`.
        register(recorded_migrations_exist, Tags.database)
