from django.apps import AppConfig


class ProbesConfig(AppConfig):
    """The pages of probing a system: start a run, follow it, verify ownership. Engine and
    records: checks/.
    """

    name = "assessments.probes"
    verbose_name = "Probes"
