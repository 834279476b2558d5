from django.apps import AppConfig


class BankConfig(AppConfig):
    """The question bank: TOML files, their validation, and bank versions stored as rows."""

    name = "assessments.bank"
    verbose_name = "Question bank"
