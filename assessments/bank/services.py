"""Storing bank versions as rows, so an assessment keeps the exact questions it started with."""

import dataclasses
import hashlib
import json

from django.db import transaction

from assessments.bank.domain.bank import Bank
from assessments.bank.domain.loader import load_bank
from assessments.bank.models import BankVersion, Question


class BankVersionConflict(Exception):
    """A version already loaded with different content: the manifest version was not bumped."""


def question_fields(question) -> dict:
    data = dataclasses.asdict(question)
    return {
        "key": data.pop("id"),
        "area": data["area"],
        "topic": data["topic"],
        "text": data["text"],
        "help": data["help"],
        "weight": data["weight"],
        "critical_from": data["critical_from"] or "",
        "checks": list(data["checks"]),
        "check_caps": data["check_caps"],
        "required": data["required"],
        "find_out": list(data["find_out"]),
        "options": data["options"],
        "recommendations": data["recommendations"],
    }


def content_hash(bank: Bank) -> str:
    payload = {
        "areas": [dataclasses.asdict(area) for area in bank.areas],
        "questions": [question_fields(q) for q in bank.questions],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def bank_version_store(bank: Bank) -> tuple[BankVersion, bool]:
    """Load a bank version into the database once; loading it again changes nothing."""
    digest = content_hash(bank)
    existing = BankVersion.objects.filter(version=bank.version).first()
    if existing is not None:
        if existing.content_hash != digest:
            raise BankVersionConflict(
                f"Bank version {bank.version} is already loaded with different content. "
                "Bump `version` in assessments/bank/data/manifest.toml when questions change."
            )
        return existing, False
    version = BankVersion.objects.create(
        version=bank.version,
        content_hash=digest,
        areas=[{"id": a.id, "title": a.title, "description": a.description} for a in bank.areas],
    )
    Question.objects.bulk_create(
        Question(bank_version=version, position=position, **question_fields(q))
        for position, q in enumerate(bank.questions)
    )
    return version, True


def shipped_bank_version() -> BankVersion:
    """The row for the bank shipped with the code, loaded on first use."""
    bank = load_bank()
    existing = BankVersion.objects.filter(version=bank.version).first()
    if existing is not None:
        return existing
    return bank_version_store(bank)[0]
