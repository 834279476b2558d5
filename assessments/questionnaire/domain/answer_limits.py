"""What an answer may hold, said once: the answer form, the answers import, the model's
validators and the database constraints all read these limits.

Pure: no Django. Each check returns the problems in words (empty when all is well), so a
form shows them beside its fields and an import lists every one of them.
"""

from collections.abc import Sequence
from urllib.parse import urlsplit

MAX_NA_REASON = 1000
MAX_NOTES = 5000
MAX_CONSULTANT_NOTES = 5000
MAX_EVIDENCE_LINKS = 10
MAX_LINK_LENGTH = 2000
LINK_SCHEMES = ("http", "https")
TEXT_LIMITS = {
    "na_reason": MAX_NA_REASON,
    "notes": MAX_NOTES,
    "consultant_notes": MAX_CONSULTANT_NOTES,
}
TEXT_LABELS = {
    "na_reason": "the reason it does not apply",
    "notes": "the notes",
    "consultant_notes": "the consultant notes",
}


def text_problems(texts: dict[str, object]) -> list[str]:
    """Problems with the free texts of an answer (``na_reason``, ``notes``,
    ``consultant_notes``): each must be text within its length."""
    problems = []
    for name, value in texts.items():
        limit = TEXT_LIMITS[name]
        if not isinstance(value, str):
            problems.append(f"{TEXT_LABELS[name]} must be text")
        elif len(value) > limit:
            problems.append(
                f"{TEXT_LABELS[name]} are {len(value):,} characters long; at most {limit:,}"
                if name.endswith("notes")
                else f"{TEXT_LABELS[name]} is {len(value):,} characters long; at most {limit:,}"
            )
    return problems


def link_problem(link: object) -> str | None:
    """Why ``link`` is not an evidence link we keep: an http(s) URL with a host."""
    if not isinstance(link, str):
        return "every evidence link must be text"
    shown = link if len(link) <= 80 else link[:79] + "…"
    if len(link) > MAX_LINK_LENGTH:
        return f"“{shown}” is longer than {MAX_LINK_LENGTH:,} characters"
    if any(char.isspace() or ord(char) < 32 for char in link):
        return f"“{shown}” contains spaces or control characters"
    try:
        parts = urlsplit(link)
    except ValueError:
        return f"“{shown}” is not a valid link"
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.hostname:
        return f"“{shown}” is not an http(s) link"
    return None


def evidence_link_problems(links: object) -> list[str]:
    """Problems with a list of evidence links: at most ``MAX_EVIDENCE_LINKS``, each http(s)."""
    if not isinstance(links, list | tuple):
        return ["evidence links must be a list of links"]
    problems = []
    if len(links) > MAX_EVIDENCE_LINKS:
        problems.append(f"{len(links)} evidence links; at most {MAX_EVIDENCE_LINKS}")
    problems.extend(problem for link in links if (problem := link_problem(link)))
    return problems


def answer_problems(
    *, na_reason: object, notes: object, evidence_links: Sequence[object] | object, **more: object
) -> list[str]:
    """Every problem with an answer's texts and links (``consultant_notes`` may be given)."""
    texts = {"na_reason": na_reason, "notes": notes}
    if "consultant_notes" in more:
        texts["consultant_notes"] = more["consultant_notes"]
    return text_problems(texts) + evidence_link_problems(evidence_links)
