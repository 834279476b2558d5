"""Reads of the stored question bank."""

from assessments.bank.models import BankVersion


def latest_bank_version() -> BankVersion | None:
    """The newest bank version loaded, which assessments on older ones may move to."""
    return BankVersion.objects.order_by("-loaded_at", "-pk").first()
