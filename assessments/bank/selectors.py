"""Reads of the stored question bank."""

from assessments.bank.models import BankVersion, Question
from config.compiled import CompiledRows


def latest_bank_version() -> BankVersion | None:
    """The newest bank version loaded, which assessments on older ones may move to."""
    return BankVersion.objects.order_by("-loaded_at", "-pk").first()


# A workspace's custom questions as stored, by workspace id: an input of the pages built from
# them (config/fragments.py).
custom_question_rows = CompiledRows(
    lambda workspace_id: (
        Question.objects.filter(workspace=workspace_id).order_by("pk").values_list()
    )
)
