from django.apps import AppConfig


class WatchConfig(AppConfig):
    """The drift watch: systems re-probed daily or weekly, each run compared with the one
    before, regressions stored and notified (e-mail, signed webhook)."""

    name = "assessments.watch"
    verbose_name = "Drift watch"

    def ready(self) -> None:
        from assessments.watch import receivers  # noqa: F401  connects to checks' signal
