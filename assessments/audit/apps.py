from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The audit log: who changed what and when."""

    name = "assessments.audit"
    verbose_name = "Audit log"
