"""Reading the files ``manage.py score`` and ``manage.py report`` take: an answers export and a
``probe --json`` report, validated with every problem reported at once, naming the file.

Pure: no Django.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from assessments.bank.domain.bank import Bank
from assessments.questionnaire.domain.answers_file import (
    MAX_NESTING,
    AnswersFileInvalid,
    header_problem,
    nesting_depth,
    parse_answers_file,
)
from assessments.results.domain.scoring import AnswerValue, EvidenceResult
from checks.engine.catalog.base import STATUSES
from checks.engine.ids import CHECK_IDS

PROBE_FORMAT = "scaleready.probe"  # as written by checks.engine.probe.report_to_dict
PROBE_FORMAT_VERSION = 1


class InvalidFile(Exception):
    """A file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, path: Path, what: str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: not a valid {what}:\n{lines}")


def read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidFile(path, what, ["the file does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidFile(path, what, [f"the file cannot be read: {exc}"]) from None
    if nesting_depth(text) > MAX_NESTING:
        # Refused before parsing: a deeply nested file would exhaust the parser's recursion.
        raise InvalidFile(
            path, what, [f"the file nests lists or objects more than {MAX_NESTING} levels deep"]
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidFile(
            path, what, [f"not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"]
        ) from None


def _check_header(
    document: Any, path: Path, what: str, format_name: str, version: int, export_hint: str
) -> None:
    problem = header_problem(document, format_name, version, export_hint)
    if problem:
        raise InvalidFile(path, what, [problem])


def parse_answers(document: Any, bank: Bank, path: Path | None = None) -> dict[str, AnswerValue]:
    """Validate an answers export against ``bank``: every problem is reported at once."""
    option_levels = {q.id: [o.level for o in q.options] for q in bank.questions}
    try:
        rows = parse_answers_file(
            document,
            bank_version=bank.version,
            option_levels=option_levels,
            bank_owner="the shipped bank",
        )
    except AnswersFileInvalid as exc:
        raise InvalidFile(path or Path("<answers>"), "answers file", exc.problems) from None
    return {key: AnswerValue(key, row.state, row.level) for key, row in rows.items()}


def parse_probe(
    document: Any, path: Path | None = None
) -> tuple[list[EvidenceResult], tuple[float, float | None] | None]:
    """Check results of every target, and the burst measurement (lowest sustained RPS across
    targets, with its p95) when a burst ran on a verified target."""
    what = "probe report"
    path = path or Path("<probe>")
    _check_header(
        document, path, what, PROBE_FORMAT, PROBE_FORMAT_VERSION, "written by `probe --json`"
    )
    targets = document.get("targets")
    if not isinstance(targets, list):
        raise InvalidFile(path, what, ["`targets` must be a list"])
    problems: list[str] = []
    evidence: list[EvidenceResult] = []
    bursts: list[tuple[float, float | None]] = []
    for index, target in enumerate(targets, start=1):
        where = f"targets[{index}]"
        if not isinstance(target, dict) or not isinstance(target.get("url"), str):
            problems.append(f"{where}: must be an object with a `url` string")
            continue
        url = target["url"]
        results = target.get("results")
        if not isinstance(results, list):
            problems.append(f"{where}: `results` must be a list")
            continue
        for number, raw in enumerate(results, start=1):
            result, problem = _evidence(raw, url)
            if problem:
                problems.append(f"{where}.results[{number}]: {problem}")
            else:
                evidence.append(result)
        burst, problem = _burst(target.get("artifacts"))
        if problem:
            problems.append(f"{where}.artifacts: {problem}")
        elif burst is not None:
            bursts.append(burst)
    if problems:
        raise InvalidFile(path, what, problems)
    return evidence, min(bursts, default=None)


def _evidence(raw: Any, url: str) -> tuple[EvidenceResult | None, str | None]:
    if not isinstance(raw, dict):
        return None, "must be an object"
    check_id, status, score = raw.get("check_id"), raw.get("status"), raw.get("score")
    if check_id not in CHECK_IDS:
        return None, f"unknown check id {check_id!r}"
    if status not in STATUSES:
        return None, f"{check_id}: status must be one of {', '.join(STATUSES)}, got {status!r}"
    if type(score) is not int or not 0 <= score <= 100:
        return None, f"{check_id}: score must be an integer 0-100, got {score!r}"
    message, evidence = raw.get("message", ""), raw.get("evidence", {})
    if not isinstance(message, str) or not isinstance(evidence, dict):
        return None, f"{check_id}: `message` must be text and `evidence` an object"
    return EvidenceResult(check_id, status, score, message, evidence, url), None


def _number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and value >= 0


def _burst(artifacts: Any) -> tuple[tuple[float, float | None] | None, str | None]:
    if artifacts is None:
        return None, None
    if not isinstance(artifacts, dict):
        return None, "must be an object"
    burst = artifacts.get("burst")
    if burst is None:
        return None, None
    if not isinstance(burst, dict):
        return None, "`burst` must be an object or null"
    rps, p95 = burst.get("sustained_rps"), burst.get("p95_ms")
    if rps is not None and not _number(rps):
        return None, f"burst.sustained_rps must be a non-negative number, got {rps!r}"
    if p95 is not None and not _number(p95):
        return None, f"burst.p95_ms must be a non-negative number, got {p95!r}"
    ran = burst.get("verified") is True and not burst.get("refused_reason")
    if not ran or rps is None:
        return None, None
    return (float(rps), None if p95 is None else float(p95)), None
