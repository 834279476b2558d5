from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.core.checks import Tags, register

from config.database_checks import recorded_migrations_exist
from config.middleware import session_started


class ProjectConfig(AppConfig):
    """Project-wide pieces that belong to no feature app: system checks of the database,
    and the start of a session's absolute lifetime."""

    name = "config"
    verbose_name = "ScaleReady"

    def ready(self):
        # Database checks run with `migrate` (so `make run`) and `check --database default`.
        register(recorded_migrations_exist, Tags.database)
        user_logged_in.connect(session_started, dispatch_uid="scaleready-session-started")
