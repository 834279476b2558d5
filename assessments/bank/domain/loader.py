"""Reading the question bank: one TOML file per area plus a manifest, validated on load.

The bank is data, not code, so authors edit it without touching Python. The shipped bank
(``assessments/bank/data/``) is read once per process. Pure: scoring, the roadmap, the
management commands and the tests all load it the same way.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from assessments.bank.domain.bank import Bank, BankError
from assessments.bank.domain.validator import MANIFEST_FILE, Problems, build_bank

BANK_DIR = Path(__file__).resolve().parent.parent / "data"


def load_bank(directory: Path | None = None) -> Bank:
    """Load and validate a bank; the shipped bank (no directory) is loaded once per process."""
    if directory is None:
        return _load_shipped_bank()
    return load_bank_from_directory(directory)


@functools.cache
def _load_shipped_bank() -> Bank:
    return load_bank_from_directory(BANK_DIR)


def load_bank_from_directory(directory: Path | str) -> Bank:
    """Read every ``*.toml`` file of `directory` and validate them as one bank (no caching)."""
    directory = Path(directory)
    problems = Problems()
    documents: dict[str, dict[str, Any]] = {}
    unreadable: set[str] = set()
    for path in sorted(directory.glob("*.toml")):
        try:
            documents[path.name] = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            problems.add(path.name, None, "toml", f"syntax error: {exc}")
            unreadable.add(path.name)
        except (OSError, UnicodeDecodeError) as exc:
            problems.add(path.name, None, "file", f"cannot be read: {exc}")
            unreadable.add(path.name)
    manifest = documents.pop(MANIFEST_FILE, None)
    if manifest is None:
        if MANIFEST_FILE not in unreadable:
            problems.add(MANIFEST_FILE, None, "file", f"missing from {directory}")
        raise BankError(problems.lines)
    return build_bank(manifest, documents, problems, unreadable)
