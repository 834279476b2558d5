"""Proving ownership of a target, the pure part: token format, where a token is published
(a file, a ``<meta>`` tag, a DNS TXT record) and how a published token is recognised.
The requests that look for it are in ``checks.engine.gatherers.ownership``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

META_NAME = "scaleready-verification"
TXT_PREFIX = "scaleready-verification="
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,128}")


@dataclass(frozen=True)
class VerificationResult:
    verified: bool
    method: str | None  # "file", "meta" or "dns_txt" when verified
    detail: str


def verification_path(token: str) -> str:
    return f"/.well-known/scaleready-{token}.txt"


def file_has_token(body: str, token: str) -> bool:
    """The token on a line of its own (surrounding whitespace ignored)."""
    return any(line.strip() == token for line in body.splitlines())


class _MetaFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.contents: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        if values.get("name", "").strip().lower() == META_NAME:
            self.contents.append(values.get("content", "").strip())


def meta_tokens(html: str) -> tuple[str, ...]:
    """The content of every ``<meta name="scaleready-verification">`` tag, in order."""
    finder = _MetaFinder()
    finder.feed(html)
    finder.close()
    return tuple(finder.contents)


def txt_has_token(records: Iterable[str], token: str) -> bool:
    expected = f"{TXT_PREFIX}{token}"
    return any(record.strip().strip('"').strip() == expected for record in records)
