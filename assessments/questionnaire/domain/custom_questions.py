"""A workspace's own questions, validated by the same rules as the shipped bank.

A custom question is turned into the bank's TOML shape and run through the bank validator,
so it cannot hold anything a shipped question could not, and it is scored like the rest.
"""

import secrets

from assessments.bank.domain.bank import BANDS, BankError
from assessments.bank.domain.loader import load_bank
from assessments.bank.domain.validator import parse_bank
from assessments.downloads import slug_of

CUSTOM_POSITION_START = 1_000_000  # after every bank question of the area


class CustomQuestionInvalid(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def custom_question_document(area: str, fields: dict) -> dict:
    """The bank-shaped question for the form's fields (see CustomQuestionForm)."""
    slug = slug_of(fields["text"])[:40].strip("-").replace("-", "_") or "question"
    key = f"{area}.custom_{slug}_{secrets.token_hex(2)}"
    options = [
        {"level": level, "label": label, "description": label}
        for level, label in enumerate(fields["option_labels"])
        if label
    ]
    required = {band: fields["required"][band] for band in BANDS}
    question = {
        "id": key,
        "topic": fields["topic"],
        "text": fields["text"],
        "help": fields["help"],
        "weight": fields["weight"],
        "critical": fields["critical_from"] or False,  # a band id, or never
        "checks": [],
        "required": required,
        "find_out": fields["find_out"],
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
    """Run one question through the bank validator; return the parsed bank Question.

    Unlike a shipped question, a custom one may leave "how to find out" empty even when it is
    critical or weighs 3: a workspace adds questions for its own context and may not know yet.
    """
    shipped = load_bank().area(area)
    manifest = {"version": "custom", "areas": [area]}
    area_document = {
        "area": {"id": area, "title": shipped.title, "description": shipped.description},
        "question": [document],
    }
    try:
        bank = parse_bank(manifest, {f"{area}.toml": area_document}, require_find_out=False)
    except BankError as exc:
        # "<file>: question <id>: <field>: <message>" → "<field>: <message>"
        raise CustomQuestionInvalid([line.split(": ", 2)[-1] for line in exc.problems]) from None
    return bank.questions[0]
