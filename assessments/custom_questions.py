"""A workspace's own questions, validated by the same rules as the shipped bank.

A custom question is turned into the bank's TOML shape and run through the bank validator,
so it cannot hold anything a shipped question could not, and it is scored like the rest.
"""

import secrets

from django.db import transaction
from django.utils.text import slugify

from assessments.bank import BANDS, BankError, load_bank, parse_bank
from assessments.bank_records import question_fields
from assessments.models import Answer, Question, Workspace

CUSTOM_POSITION_START = 1_000_000  # after every bank question of the area


class CustomQuestionInvalid(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def custom_question_document(area: str, fields: dict) -> dict:
    """The bank-shaped question for the form's fields (see CustomQuestionForm)."""
    slug = slugify(fields["text"])[:40].strip("-").replace("-", "_") or "question"
    key = f"{area}.custom_{slug}_{secrets.token_hex(2)}"
    options = [
        {"level": level, "label": label, "description": label}
        for level, label in enumerate(fields["option_labels"])
        if label
    ]
    required = {band: fields["required"][band] for band in BANDS}
    question = {
        "id": key,
        "text": fields["text"],
        "help": fields["help"],
        "weight": fields["weight"],
        "critical": fields["critical"],
        "checks": [],
        "required": required,
        "option": options,
    }
    gap_levels = list(range(max(required.values())))
    if gap_levels:
        question["recommendation"] = [
            {
                "id": f"{key}_fix",
                "levels": gap_levels,
                "title": fields["rec_title"],
                "why": fields["rec_why"],
                "how": fields["rec_how"],
                "effort": fields["rec_effort"],
                "impact": fields["rec_impact"],
                "phase": fields["rec_phase"],
            }
        ]
    return question


def validate_custom_question(area: str, document: dict):
    """Run one question through the bank validator; return the parsed bank Question."""
    shipped = load_bank().area(area)
    manifest = {"version": "custom", "areas": [area]}
    area_document = {
        "area": {"id": area, "title": shipped.title, "description": shipped.description},
        "question": [document],
    }
    try:
        bank = parse_bank(manifest, {f"{area}.toml": area_document})
    except BankError as exc:
        # "<file>: question <id>: <field>: <message>" → "<field>: <message>"
        raise CustomQuestionInvalid([line.split(": ", 2)[-1] for line in exc.problems]) from None
    return bank.questions[0]


def custom_question_create(workspace: Workspace, area: str, fields: dict) -> Question:
    parsed = validate_custom_question(area, custom_question_document(area, fields))
    position = CUSTOM_POSITION_START + workspace.custom_questions.count()
    return Question.objects.create(
        workspace=workspace, position=position, **question_fields(parsed)
    )


@transaction.atomic
def custom_question_delete(question: Question) -> int:
    """Delete a custom question and the answers given to it; returns how many answers."""
    removed, _ = Answer.objects.filter(question=question).delete()
    question.delete()
    return removed
