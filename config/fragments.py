"""Rendered page parts kept in the cache under a digest of everything they are built from.

The results, roadmap and area pages score an assessment and render a hundred rows; most
requests show the same thing again. Each such part is stored under a key made of a digest of
its inputs, read from the database on every request (cheap rows, no scoring), and of the
code that renders it. A change to any input makes a new key, so a stored part is never stale:
it is only never asked for again (and expires). Nothing has to remember to invalidate it.

A part is rendered without the request, so it cannot depend on anything its key leaves out;
CSRF tokens are written as a placeholder and the request's own token is put in on the way out.
"""

import hashlib
import zlib
from collections.abc import Callable
from functools import cache as once
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

CSRF_PLACEHOLDER = "csrf-token-placeholder-7c1e"
SOURCES = ("assessments", "checks", "config", "templates")
SOURCE_SUFFIXES = {".py", ".html", ".toml"}


@once
def code_digest() -> str:
    """A digest of the code and templates that render pages, computed once per process: a
    deploy that changes how a part looks never serves a part the old code rendered."""
    digest = hashlib.sha256()
    for top in SOURCES:
        for path in sorted(Path(settings.BASE_DIR, top).rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and "migrations" not in path.parts:
                digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def row_values(obj) -> tuple:
    """Every stored field of a model instance as read: a page's inputs name the rows they
    hold this way, so a field added later is part of them without anyone listing it."""
    return tuple(getattr(obj, field.attname) for field in obj._meta.concrete_fields)


PERSON_FIELDS = ("email", "first_name", "last_name")  # what pages show of a person


def fields_and_people(model, person: str) -> list[str]:
    """Every stored field of ``model`` and the name and e-mail of the person at ``person``
    (a lookup path to a user): a kept page's read of rows that name people."""
    return [field.attname for field in model._meta.concrete_fields] + [
        f"{person}__{field}" for field in PERSON_FIELDS
    ]


# Inputs that apps above a page's own app add to it: when a template tag of theirs shows
# something on the page (the API's "exported" tags on the roadmap), what it shows is one of
# the page's inputs too. Registered from the app's ``ready()``.
ADDED_INPUTS: dict[str, list[Callable]] = {}


def add_page_input(name: str, read: Callable) -> None:
    """Make ``read(subject)`` one of the inputs of page ``name``."""
    ADDED_INPUTS.setdefault(name, []).append(read)


def added_inputs(name: str, subject) -> tuple:
    """What other apps add to page ``name``'s inputs for ``subject`` (an assessment)."""
    return tuple(read(subject) for read in ADDED_INPUTS.get(name, ()))


def fragment_key(name: str, inputs) -> str:
    """The cache key of part ``name`` built from ``inputs`` (plain values: their ``repr`` is
    what is hashed, so everything in them must have a faithful, stable one)."""
    digest = hashlib.sha256(code_digest().encode())
    digest.update(repr(inputs).encode())
    return f"fragment:{name}:{digest.hexdigest()}"


def kept_text(name: str, inputs, build: Callable[[], str]) -> str:
    """``build()``, from the cache when ``inputs`` are the same as when it last ran: any text
    made only from them (a page's part, an API response's body)."""
    key = fragment_key(name, inputs)
    pages = caches["pages"]
    kept = pages.get(key) if settings.SCALEREADY_FRAGMENT_CACHE else None
    if kept is not None:
        return zlib.decompress(kept).decode()
    text = build()
    if settings.SCALEREADY_FRAGMENT_CACHE:
        # Pages are repetitive markup: compressed they take a tenth of the memory.
        pages.set(key, zlib.compress(text.encode(), 1), settings.SCALEREADY_FRAGMENT_CACHE_SECONDS)
    return text


def cached_fragment(
    request, name: str, inputs, template: str, build_context: Callable[[], dict], *, subject
) -> SafeString:
    """``template`` rendered with ``build_context()``, from the cache when ``inputs`` -- and
    what other apps add to page ``name`` for ``subject`` (``add_page_input``) -- are the same
    as when it was last rendered; ``build_context`` runs only when they are not."""
    html = kept_text(
        name,
        (inputs, added_inputs(name, subject)),
        lambda: render_to_string(template, build_context() | {"csrf_token": CSRF_PLACEHOLDER}),
    )
    # Our own templates rendered it, escaping as they do: the markup is safe as it stands.
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308
