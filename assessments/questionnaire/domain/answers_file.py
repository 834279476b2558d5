"""The answers export format, read the same way by the questionnaire import and `score`.

Pure: callers pass the question ids and the option levels each question offers, so this
works for stored bank versions (with custom questions) and for the shipped bank alike.
Every problem of a file is reported at once. Rows obey the same limits as the answer form
(``answer_limits``), and a file nested deeper than any answers file could be is refused
before it is parsed (a few kilobytes of brackets would otherwise exhaust the parser).
"""

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from assessments.questionnaire.domain.answer_limits import answer_problems

FORMAT = "scaleready.answers"
# An answers file is three levels deep (file, answers, a row's links); anything far deeper
# is not one.
MAX_NESTING = 20
FORMAT_VERSION = 1
LEVEL, NOT_APPLICABLE, UNKNOWN = "level", "na", "unknown"
STATES = (LEVEL, NOT_APPLICABLE, UNKNOWN)
# consultant_notes: only in exports by owners and consultants; only they import it.
ROW_FIELDS = {
    "question",
    "state",
    "level",
    "na_reason",
    "notes",
    "evidence_links",
    "consultant_notes",
}
EXPORT_HINT = "written by the questionnaire's answers export"


@dataclass(frozen=True)
class AnswerRow:
    question: str
    state: str
    level: int | None
    na_reason: str
    notes: str
    evidence_links: tuple[str, ...]


class AnswersFileInvalid(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON ``text``, counted without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load_answers_json(raw: bytes) -> Any:
    """The JSON document in ``raw``; ``AnswersFileInvalid`` names what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AnswersFileInvalid(
            ["this file is not valid JSON (it is not UTF-8 text; export it again)"]
        ) from None
    if nesting_depth(text) > MAX_NESTING:
        raise AnswersFileInvalid(
            [
                f"the file nests lists or objects more than {MAX_NESTING} levels deep, so it is "
                f"not an answers file ({EXPORT_HINT})"
            ]
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswersFileInvalid([f"this file is not valid JSON ({exc})"]) from None


def parse_answers_file(
    document: Any,
    *,
    bank_version: str,
    option_levels: Mapping[str, Collection[int]],
    bank_owner: str = "this assessment's bank",
) -> dict[str, AnswerRow]:
    """Validate an answers document; ``option_levels`` maps each known question id to its
    option levels. ``bank_owner`` names whose bank version the file must match."""
    _check_header(document)
    if document.get("bank_version") != bank_version:
        raise AnswersFileInvalid(
            [
                f"it was exported from question bank {document.get('bank_version')!r}, but "
                f"{bank_owner} is {bank_version!r}; bring both to the same bank version and "
                "export again"
            ]
        )
    rows = document.get("answers")
    if not isinstance(rows, list):
        raise AnswersFileInvalid(["`answers` must be a list"])
    problems: list[str] = []
    parsed: dict[str, AnswerRow] = {}
    for index, row in enumerate(rows, start=1):
        where = f"answers[{index}]"
        if not isinstance(row, dict):
            problems.append(f"{where}: must be an object")
            continue
        key = row.get("question")
        if not isinstance(key, str) or key not in option_levels:
            problems.append(f"{where}: unknown question id {key!r}")
            continue
        where = f"{where} ({key})"
        if key in parsed:
            problems.append(f"{where}: question {key!r} is answered twice")
            continue
        problem = row_problem(row, sorted(option_levels[key]))
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        parsed[key] = AnswerRow(
            question=key,
            state=row["state"],
            level=row.get("level"),
            na_reason=row.get("na_reason", ""),
            notes=row.get("notes", ""),
            evidence_links=tuple(row.get("evidence_links", [])),
        )
    if problems:
        raise AnswersFileInvalid(problems)
    return parsed


def _check_header(document: Any) -> None:
    problem = header_problem(document, FORMAT, FORMAT_VERSION, EXPORT_HINT)
    if problem:
        raise AnswersFileInvalid([problem])


def header_problem(document: Any, format_name: str, version: int, hint: str) -> str | None:
    """What is wrong with a ScaleReady JSON file's format header, or None."""
    if not isinstance(document, dict):
        return f"the file must hold a JSON object, as {hint}"
    if document.get("format") != format_name:
        return f"`format` must be {format_name!r} ({hint}), got {document.get('format')!r}"
    if document.get("format_version") != version:
        return f"`format_version` must be {version}, got {document.get('format_version')!r}"
    return None


def row_problem(row: dict, levels: list[int]) -> str | None:
    """What is wrong with one answer row, or None."""
    unknown = sorted(set(row) - ROW_FIELDS)
    if unknown:
        return f"unknown field(s) {', '.join(unknown)}"
    state = row.get("state")
    if state not in STATES:
        return f"state must be one of {', '.join(STATES)}, got {state!r}"
    level = row.get("level")
    if state == LEVEL and (type(level) is not int or level not in levels):
        return f"level must be one of {levels} for this question, got {level!r}"
    if state != LEVEL and level is not None:
        return f"level must be null when state is {state!r}, got {level!r}"
    problems = answer_problems(
        na_reason=row.get("na_reason", ""),
        notes=row.get("notes", ""),
        evidence_links=row.get("evidence_links", []),
        consultant_notes=row.get("consultant_notes", ""),
    )
    if problems:
        return "; ".join(problems)
    if state == NOT_APPLICABLE and not row.get("na_reason", "").strip():
        return "a 'not applicable' answer needs na_reason"
    return None
