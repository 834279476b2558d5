"""Probe evidence as people read it: grouped by cause (one group per check, every target it
was seen on), worst first, details as short "what: value" lines. Pure.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

STATUS_ORDER = {"fail": 0, "warn": 1, "error": 2, "pass": 3, "not_applicable": 4}
STATUS_WORDS = {
    "fail": "Failed",
    "warn": "Needs attention",
    "error": "Could not be judged",
    "pass": "Passed",
    "not_applicable": "Does not apply",
}
MAX_DETAIL_CHARS = 160
MAX_DETAILS = 6


@dataclass(frozen=True)
class EvidenceGroup:
    title: str  # the check, in words
    status: str  # the worst status seen
    status_words: str
    targets: tuple[str, ...]
    messages: tuple[str, ...]  # distinct findings, in the order seen
    details: tuple[str, ...]  # "what: value" lines of the worst result


def detail_value(value: object) -> str:
    """A value as text, never a Python repr: lists joined, mappings as "key value" pairs."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{detail_key(k)} {detail_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return ", ".join(detail_value(v) for v in value) or "none"
    return str(value)


def detail_key(key: object) -> str:
    return str(key).replace("_", " ")


def detail_lines(evidence: Mapping) -> tuple[str, ...]:
    lines = []
    for key, value in list(evidence.items())[:MAX_DETAILS]:
        text = f"{detail_key(key)}: {detail_value(value)}"
        if len(text) > MAX_DETAIL_CHARS:
            text = text[: MAX_DETAIL_CHARS - 1] + "…"
        lines.append(text)
    return tuple(lines)


def evidence_groups(results: Iterable, titles: Mapping[str, str]) -> list[EvidenceGroup]:
    """One group per check (``check_id``, ``status``, ``message``, ``evidence``,
    ``target_url``), worst status first, then by title."""
    by_check: dict[str, list] = {}
    for result in results:
        by_check.setdefault(result.check_id, []).append(result)
    groups = []
    for check_id, seen in by_check.items():
        worst = min(seen, key=lambda r: STATUS_ORDER.get(r.status, len(STATUS_ORDER)))
        messages = tuple(dict.fromkeys(r.message for r in seen if r.message))
        groups.append(
            EvidenceGroup(
                title=titles.get(check_id, "A probe check"),
                status=worst.status,
                status_words=STATUS_WORDS.get(worst.status, "Seen"),
                targets=tuple(dict.fromkeys(r.target_url for r in seen if r.target_url)),
                messages=messages,
                details=detail_lines(worst.evidence or {}),
            )
        )
    groups.sort(key=lambda g: (STATUS_ORDER.get(g.status, len(STATUS_ORDER)), g.title))
    return groups
