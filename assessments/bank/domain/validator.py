"""Validating a question bank: every rule an author can break, every problem reported at once.

``build_bank`` turns parsed TOML documents into a ``Bank`` or raises ``BankError`` with one
line per problem, naming the file, the question and the field, so a broken bank is fixed in
one pass. Pure: the loader reads files, this module only judges their content.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assessments.bank.domain.bank import (
    BANDS,
    CAPPED_STATUSES,
    EFFORTS,
    MAX_LEVEL,
    MIN_LEVEL,
    PHASES,
    Area,
    Bank,
    BankError,
    Option,
    Question,
    Recommendation,
)
from checks.engine.ids import CHECK_IDS

MANIFEST_FILE = "manifest.toml"  # the file that names the version and lists the areas
_AREA_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_DOTTED_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
TOPIC_LENGTH = (3, 60)  # a finding's name: a few words, never a sentence
FIND_OUT_STEPS = (2, 4)


def parse_bank(
    manifest: Mapping[str, Any],
    documents: Mapping[str, Mapping[str, Any]],
    *,
    require_find_out: bool = True,
) -> Bank:
    """Validate already-parsed TOML documents: `documents` maps file names to area documents.

    `require_find_out=False` lets critical and weight-3 questions leave `find_out` empty, as a
    workspace's custom questions may; the shipped bank always requires it.
    """
    return build_bank(manifest, documents, Problems(), set(), require_find_out=require_find_out)


class Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, file: str, question: str | None, field_path: str, message: str) -> None:
        where = f"{file}: question {question}" if question else file
        self.lines.append(f"{where}: {field_path}: {message}")


@dataclass(frozen=True)
class _Kind:
    name: str
    accepts: Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_STR = _Kind("a string", lambda v: isinstance(v, str))
_INT = _Kind("an integer", _is_int)
_BOOL = _Kind("true or false", lambda v: isinstance(v, bool))
_STRS = _Kind(
    "an array of strings", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)
)
_INTS = _Kind("an array of integers", lambda v: isinstance(v, list) and all(_is_int(x) for x in v))
_TABLE = _Kind("a table", lambda v: isinstance(v, dict))
_TABLES = _Kind(
    "an array of tables", lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v)
)
_CRITICAL = _Kind(
    f"true, false or a band id ({', '.join(BANDS)})", lambda v: isinstance(v, bool | str)
)
_REQUIRED = object()

_TOML_TYPE_NAMES = {
    "str": "a string",
    "int": "an integer",
    "float": "a float",
    "bool": "a boolean",
    "list": "an array",
    "dict": "a table",
}

# key -> (kind, default); _REQUIRED marks keys an author must write.
_MANIFEST_SCHEMA = {"version": (_STR, _REQUIRED), "areas": (_STRS, _REQUIRED)}
_DOCUMENT_SCHEMA = {"area": (_TABLE, _REQUIRED), "question": (_TABLES, _REQUIRED)}
_AREA_SCHEMA = {
    "id": (_STR, _REQUIRED),
    "title": (_STR, _REQUIRED),
    "description": (_STR, _REQUIRED),
}
_QUESTION_SCHEMA = {
    "id": (_STR, _REQUIRED),
    "topic": (_STR, _REQUIRED),
    "text": (_STR, _REQUIRED),
    "help": (_STR, _REQUIRED),
    "weight": (_INT, _REQUIRED),
    "critical": (_CRITICAL, False),
    "checks": (_STRS, []),
    "check_caps": (_TABLE, {}),
    "required": (_TABLE, _REQUIRED),
    "find_out": (_STRS, []),
    "option": (_TABLES, _REQUIRED),
    "recommendation": (_TABLES, []),
}
_OPTION_SCHEMA = {
    "level": (_INT, _REQUIRED),
    "label": (_STR, _REQUIRED),
    "description": (_STR, _REQUIRED),
}
_RECOMMENDATION_SCHEMA = {
    "id": (_STR, _REQUIRED),
    "levels": (_INTS, _REQUIRED),
    "title": (_STR, _REQUIRED),
    "why": (_STR, _REQUIRED),
    "how": (_STRS, _REQUIRED),
    "effort": (_STR, _REQUIRED),
    "impact": (_INT, _REQUIRED),
    "phase": (_INT, _REQUIRED),
    "depends_on": (_STRS, []),
    "foundation": (_BOOL, False),
}


@dataclass(frozen=True)
class _Where:
    """Where a table sits, so every problem inside it can name file, question and field."""

    problems: Problems
    file: str
    question: str | None = None
    prefix: str = ""

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def add(self, key: str, message: str) -> None:
        self.problems.add(self.file, self.question, self.path(key), message)


def _take(raw: Mapping[str, Any], schema: dict, where: _Where) -> dict[str, Any]:
    """Keys of `raw` with the expected type (or their defaults); report all the others."""
    for key in raw:
        if key not in schema:
            where.add(key, f"unknown key (allowed: {', '.join(schema)})")
    values: dict[str, Any] = {}
    for key, (kind, default) in schema.items():
        if key not in raw:
            if default is _REQUIRED:
                where.add(key, "missing required key")
            else:
                values[key] = default
            continue
        value = raw[key]
        if kind.accepts(value):
            values[key] = value
        else:
            got = _TOML_TYPE_NAMES.get(type(value).__name__, type(value).__name__)
            if isinstance(value, list) and kind in (_STRS, _INTS, _TABLES):
                got = "an array with other elements"
            where.add(key, f"must be {kind.name}, got {got}")
    return values


def _text(values: dict[str, Any], key: str, where: _Where) -> str:
    value = values.get(key, "")
    if key in values and not value.strip():
        where.add(key, "must not be empty")
    return value.strip()


def _in_range(values: dict[str, Any], key: str, low: int, high: int, where: _Where) -> int:
    value = values.get(key, low)
    if not low <= value <= high:
        where.add(key, f"must be between {low} and {high}, got {value}")
    return value


def build_bank(
    manifest: Mapping[str, Any],
    documents: Mapping[str, Mapping[str, Any]],
    problems: Problems,
    unreadable: set[str],
    *,
    require_find_out: bool = True,
) -> Bank:
    version, area_ids = _parse_manifest(manifest, problems)
    for name in sorted(set(documents) - {f"{a}.toml" for a in area_ids}):
        problems.add(name, None, "file", f"is not listed in {MANIFEST_FILE} areas")
    areas: list[Area] = []
    questions: list[Question] = []
    for order, area_id in enumerate(area_ids, start=1):
        name = f"{area_id}.toml"
        if name in unreadable:
            continue
        if name not in documents:
            problems.add(MANIFEST_FILE, None, "areas", f"lists {area_id!r} but {name} is missing")
            continue
        area, area_questions = _parse_area_document(
            documents[name], area_id, order, _Where(problems, name), require_find_out
        )
        areas.append(area)
        questions.extend(area_questions)
    _check_unique_ids(questions, problems)
    _check_dependencies(questions, problems)
    recommendations = [r for q in questions for r in q.recommendations]
    if problems.lines:
        raise BankError(problems.lines)
    return Bank(version, tuple(areas), tuple(questions), tuple(recommendations))


def _parse_manifest(manifest: Mapping[str, Any], problems: Problems) -> tuple[str, list[str]]:
    where = _Where(problems, MANIFEST_FILE)
    values = _take(manifest, _MANIFEST_SCHEMA, where)
    version = _text(values, "version", where)
    area_ids: list[str] = []
    for area_id in values.get("areas", []):
        if not _AREA_ID.match(area_id):
            where.add("areas", f"{area_id!r} is not a snake_case area id")
        elif area_id in area_ids:
            where.add("areas", f"{area_id!r} is listed twice")
        else:
            area_ids.append(area_id)
    if "areas" in values and not values["areas"]:
        where.add("areas", "must list at least one area")
    return version, area_ids


def _parse_area_document(
    document: Mapping[str, Any], area_id: str, order: int, where: _Where, require_find_out: bool
) -> tuple[Area, list[Question]]:
    values = _take(document, _DOCUMENT_SCHEMA, where)
    area_where = _Where(where.problems, where.file, prefix="area")
    area_values = _take(values.get("area", {}), _AREA_SCHEMA, area_where)
    if "id" in area_values and area_values["id"] != area_id:
        area_where.add(
            "id", f"must equal the file name stem {area_id!r}, got {area_values['id']!r}"
        )
    area = Area(
        id=area_id,
        title=_text(area_values, "title", area_where),
        description=_text(area_values, "description", area_where),
        order=order,
    )
    if "question" in values and not values["question"]:
        where.add("question", "the area has no questions")
    questions = [
        _parse_question(raw, area_id, index, where, require_find_out)
        for index, raw in enumerate(values.get("question", []))
    ]
    return area, questions


def _parse_question(
    raw: Mapping[str, Any], area_id: str, index: int, file_where: _Where, require_find_out: bool
) -> Question:
    raw_id = raw.get("id")
    label = raw_id if isinstance(raw_id, str) and raw_id else f"#{index + 1} (no id)"
    where = _Where(file_where.problems, file_where.file, label)
    values = _take(raw, _QUESTION_SCHEMA, where)
    question_id = values.get("id", "")
    if "id" in values:
        if not question_id.startswith(f"{area_id}."):
            where.add("id", f"must be prefixed by its area, as in '{area_id}.<snake_case>'")
        elif not _DOTTED_ID.match(question_id):
            where.add("id", f"must be '{area_id}.<snake_case>'")
    checks = values.get("checks", [])
    for check_id in checks:
        if check_id not in CHECK_IDS:
            where.add("checks", f"unknown check id {check_id!r}")
    for check_id in sorted({c for c in checks if checks.count(c) > 1}):
        where.add("checks", f"check id {check_id!r} is listed twice")
    options = _parse_options(values.get("option"), where)
    required = _parse_required(values.get("required"), options, where)
    recommendations = tuple(
        _parse_recommendation(raw_rec, question_id, index, where)
        for index, raw_rec in enumerate(values.get("recommendation", []))
    )
    _check_coverage(required, recommendations, where)
    weight = _in_range(values, "weight", 1, 3, where)
    critical_from = _parse_critical(values.get("critical", False), where)
    find_out = _parse_find_out(values, where)
    if require_find_out and not find_out and (critical_from is not None or weight == 3):
        where.add(
            "find_out",
            "is required for a question that is critical or has weight 3: write "
            f"{FIND_OUT_STEPS[0]} to {FIND_OUT_STEPS[1]} steps saying whom to ask or what "
            "to look at to learn the true answer",
        )
    return Question(
        id=question_id,
        area=area_id,
        text=_text(values, "text", where),
        help=_text(values, "help", where),
        weight=weight,
        checks=tuple(checks),
        required=required,
        options=options,
        recommendations=recommendations,
        topic=_parse_topic(values, where),
        find_out=find_out,
        critical_from=critical_from,
        check_caps=_parse_check_caps(values.get("check_caps", {}), checks, options, where),
    )


def _parse_topic(values: dict[str, Any], where: _Where) -> str:
    """The practice in a few words, as a finding names it: "Tested database restores"."""
    if "topic" not in values:
        return ""
    topic = values["topic"].strip()
    low, high = TOPIC_LENGTH
    if not low <= len(topic) <= high:
        where.add("topic", f"must be {low} to {high} characters, got {len(topic)}")
        return topic
    if topic.endswith("."):
        where.add("topic", "must not end with a period: it is a name, not a sentence")
    if not _is_sentence_case(topic):
        where.add(
            "topic",
            "must be in sentence case (a capital first letter, then capitals only for "
            f"names and acronyms), got {topic!r}",
        )
    return topic


def _is_sentence_case(topic: str) -> bool:
    first = topic[0]
    if first.isalpha() and not first.isupper():
        return False
    # Title Case gives itself away when every longer word after the first is capitalised
    # (acronyms such as CDN or HTTPS excepted).
    words = [w for w in topic.split()[1:] if len(w) > 3 and w[0].isalpha()]
    capitalised = [w for w in words if w[0].isupper() and not w.isupper()]
    return len(words) < 2 or len(capitalised) < len(words)


def _parse_find_out(values: dict[str, Any], where: _Where) -> tuple[str, ...]:
    steps = [step.strip() for step in values.get("find_out", [])]
    if not steps:
        return ()
    low, high = FIND_OUT_STEPS
    if not low <= len(steps) <= high:
        where.add("find_out", f"must have {low} to {high} steps, got {len(steps)}")
    if any(not step for step in steps):
        where.add("find_out", "a step must not be empty")
    return tuple(steps)


def _parse_critical(value: bool | str, where: _Where) -> str | None:
    """`true` means critical at every band, a band id from that band up, `false` never."""
    if value is True:
        return BANDS[0]
    if value is False:
        return None
    if value not in BANDS:
        where.add("critical", f"unknown band {value!r} (bands: {', '.join(BANDS)})")
        return None
    return value


def _parse_check_caps(
    raw: dict[str, Any], checks: list[str], options: tuple[Option, ...], where: _Where
) -> dict[str, dict[str, int]]:
    """This question's own evidence rules: check id -> status -> highest level allowed."""
    levels = [o.level for o in options if o.level >= 0]
    low, high = (min(levels), max(levels)) if levels else (MIN_LEVEL, MAX_LEVEL)
    caps: dict[str, dict[str, int]] = {}
    for check_id, statuses in raw.items():
        if check_id not in checks:
            where.add(
                "check_caps",
                f"{check_id!r} is not among this question's checks; list it in checks first",
            )
            continue
        if not isinstance(statuses, dict):
            where.add(f"check_caps.{check_id}", "must be a table of status = highest level")
            continue
        caps[check_id] = {}
        for status, level in statuses.items():
            path = f"check_caps.{check_id}.{status}"
            if status not in CAPPED_STATUSES:
                where.add(
                    f"check_caps.{check_id}",
                    f"unknown status {status!r} (statuses: {', '.join(CAPPED_STATUSES)})",
                )
            elif not _is_int(level) or not low <= level <= high:
                where.add(
                    path, f"must be one of this question's levels {low}..{high}, got {level!r}"
                )
            else:
                caps[check_id][status] = level
    return caps


def _parse_options(raw_options: list | None, where: _Where) -> tuple[Option, ...]:
    if raw_options is None:
        return ()
    if not 3 <= len(raw_options) <= 5:
        where.add("option", f"must have 3 to 5 options, got {len(raw_options)}")
    options: list[Option] = []
    seen: dict[int, int] = {}
    for index, raw in enumerate(raw_options):
        option_where = _Where(where.problems, where.file, where.question, f"option[{index}]")
        values = _take(raw, _OPTION_SCHEMA, option_where)
        level = values.get("level")
        if level is not None:
            if not MIN_LEVEL <= level <= MAX_LEVEL:
                option_where.add(
                    "level", f"must be between {MIN_LEVEL} and {MAX_LEVEL}, got {level}"
                )
            elif level in seen:
                option_where.add("level", f"duplicate level {level} (also option[{seen[level]}])")
            else:
                seen[level] = index
        options.append(
            Option(
                level=level if level is not None else -1,
                label=_text(values, "label", option_where),
                description=_text(values, "description", option_where),
            )
        )
    if raw_options and 0 not in seen:
        where.add("option", "needs an option with level 0 (nothing in place yet)")
    return tuple(sorted(options, key=lambda o: o.level))


def _parse_required(raw: dict | None, options: tuple[Option, ...], where: _Where) -> dict[str, int]:
    if raw is None:
        return dict.fromkeys(BANDS, 0)
    for band in raw:
        if band not in BANDS:
            where.add("required", f"unknown band {band!r} (bands: {', '.join(BANDS)})")
    required: dict[str, int] = {}
    for band in BANDS:
        if band not in raw:
            where.add("required", f"missing band {band!r}")
            continue
        level = raw[band]
        if not _is_int(level) or not MIN_LEVEL <= level <= MAX_LEVEL:
            where.add(
                "required",
                f"level for {band!r} must be an integer {MIN_LEVEL}..{MAX_LEVEL}, got {level!r}",
            )
            continue
        required[band] = level
    present = [b for b in BANDS if b in required]
    for lower, higher in itertools.pairwise(present):
        if required[higher] < required[lower]:
            where.add(
                "required",
                f"must not decrease across bands: {lower!r} = {required[lower]} "
                f"but {higher!r} = {required[higher]}",
            )
    highest_option = max((o.level for o in options), default=MAX_LEVEL)
    for band in present:
        if required[band] > highest_option:
            where.add(
                "required",
                f"level {required[band]} for {band!r} is above the highest option level "
                f"{highest_option}",
            )
    return {band: required.get(band, 0) for band in BANDS}


def _parse_recommendation(
    raw: Mapping[str, Any], question_id: str, index: int, question_where: _Where
) -> Recommendation:
    raw_id = raw.get("id")
    name = raw_id if isinstance(raw_id, str) and raw_id else str(index)
    where = _Where(
        question_where.problems,
        question_where.file,
        question_where.question,
        f"recommendation[{name}]",
    )
    values = _take(raw, _RECOMMENDATION_SCHEMA, where)
    if "id" in values and not _DOTTED_ID.match(values["id"]):
        where.add("id", "must be '<area>.<snake_case>'")
    levels = values.get("levels", [])
    if "levels" in values and not levels:
        where.add("levels", "must name at least one achieved level")
    for level in levels:
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            where.add("levels", f"must be between {MIN_LEVEL} and {MAX_LEVEL}, got {level}")
    if len(set(levels)) != len(levels):
        where.add("levels", "lists a level twice")
    how = [step.strip() for step in values.get("how", [])]
    if "how" in values:
        if not how:
            where.add("how", "must not be empty")
        elif not 2 <= len(how) <= 5:
            where.add("how", f"must have 2 to 5 steps, got {len(how)}")
        if any(not step for step in how):
            where.add("how", "a step must not be empty")
    effort = values.get("effort", "M")
    if effort not in EFFORTS:
        where.add("effort", f"must be one of {', '.join(EFFORTS)}, got {effort!r}")
    phase = values.get("phase", 1)
    if phase not in PHASES:
        where.add("phase", f"must be between {min(PHASES)} and {max(PHASES)}, got {phase}")
    return Recommendation(
        id=values.get("id", ""),
        question_id=question_id,
        levels=tuple(sorted(levels)),
        title=_text(values, "title", where),
        why=_text(values, "why", where),
        how=tuple(how),
        effort=effort,
        impact=_in_range(values, "impact", 1, 3, where),
        phase=phase,
        depends_on=tuple(values.get("depends_on", [])),
        foundation=values.get("foundation", False),
    )


def _check_coverage(
    required: dict[str, int], recommendations: tuple[Recommendation, ...], where: _Where
) -> None:
    """A team below the bar at any level must be told what to do next."""
    covered = {level for r in recommendations for level in r.levels}
    highest = max(required.values(), default=0)
    missing = [level for level in range(highest) if level not in covered]
    if missing:
        where.add(
            "recommendation.levels",
            f"no recommendation covers achieved level(s) {', '.join(map(str, missing))}; "
            f"every level below the highest required level {highest} needs one",
        )


def _check_unique_ids(questions: list[Question], problems: Problems) -> None:
    first_question: dict[str, str] = {}
    first_recommendation: dict[str, str] = {}
    for question in questions:
        file = f"{question.area}.toml"
        if question.id in first_question:
            problems.add(
                file,
                question.id,
                "id",
                f"duplicate question id (first defined in {first_question[question.id]})",
            )
        elif question.id:
            first_question[question.id] = file
        for rec in question.recommendations:
            if rec.id in first_recommendation:
                problems.add(
                    file,
                    question.id,
                    f"recommendation[{rec.id}].id",
                    "duplicate recommendation id "
                    f"(first defined under question {first_recommendation[rec.id]})",
                )
            elif rec.id:
                first_recommendation[rec.id] = question.id


def _check_dependencies(questions: list[Question], problems: Problems) -> None:
    owners: dict[str, tuple[Question, Recommendation]] = {}
    for question in questions:
        for rec in question.recommendations:
            owners.setdefault(rec.id, (question, rec))

    def report(rec_id: str, message: str) -> None:
        question, _ = owners[rec_id]
        problems.add(
            f"{question.area}.toml", question.id, f"recommendation[{rec_id}].depends_on", message
        )

    graph: dict[str, list[str]] = {}
    for rec_id, (_, rec) in owners.items():
        for dependency in rec.depends_on:
            if dependency not in owners:
                report(rec_id, f"unknown recommendation {dependency!r}")
        graph[rec_id] = [d for d in rec.depends_on if d in owners]
    for cycle in _find_cycles(graph):
        report(cycle[0], f"dependency cycle: {' -> '.join(cycle)}")


def _find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each distinct cycle once, as a path that starts and ends on its smallest id."""
    state: dict[str, str] = {}  # "open" while on the DFS path, "done" afterwards
    path: list[str] = []
    found: dict[tuple[str, ...], list[str]] = {}

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                loop = path[path.index(nxt) :]
                start = loop.index(min(loop))
                loop = loop[start:] + loop[:start]
                found.setdefault(tuple(loop), [*loop, loop[0]])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node)
    return list(found.values())
