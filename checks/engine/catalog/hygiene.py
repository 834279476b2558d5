"""What the site gives away (versions, stack traces) and the small files it should publish."""

from __future__ import annotations

import re
from typing import Any

from checks.engine.artifacts import HttpExchange, TargetArtifacts
from checks.engine.causes import plain_failure

from .base import (
    Outcome,
    answered,
    check,
    errored,
    failed,
    not_applicable,
    passed,
    warned,
)

LEAKAGE_QUESTION = "security.information_leakage"

VERSION_HEADERS = (
    "server",
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "x-generator",
)
ALWAYS_VERSION_HEADERS = frozenset({"x-aspnet-version", "x-aspnetmvc-version"})
# "nginx/1.25.3", "PHP/8.2", "Jetty(9.4.z)", "Drupal 10": a version, not an opaque id
# such as "ECS (dcb/7F84)".
VERSION_PATTERN = re.compile(r"[/ (]v?\d+(?:\.\d+)*\b|\b\d+\.\d+")
VERSION_DISCLOSURE_SCORE = 50

# (what leaked, pattern) searched in the body of a page that should be a plain 404.
LEAK_SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("Python traceback", r"Traceback \(most recent call last\)"),
        ("Python stack frame", r'File "[^"]+", line \d+, in '),
        ("Django debug page", r"You(?:&#x27;|&#39;|')re seeing this error because you have"),
        ("Django URLconf listing", r"Using the URLconf defined in|Django tried these URL patterns"),
        ("Werkzeug debugger", r"Werkzeug Debugger|The debugger caught an exception"),
        ("Rails debug page", r"Rails\.root:|Action Controller: Exception caught"),
        ("Rails routing error", r"No route matches \[[A-Z]+\]"),
        ("Ruby stack frame", r"\.rb:\d+:in [`']"),
        ("Laravel/Symfony stack trace", r"Illuminate\\[A-Z]|Symfony\\Component\\|vendor/laravel/"),
        ("Laravel Ignition page", r"ignition-[a-z]|facade/ignition|spatie/laravel-ignition"),
        (
            "PHP error",
            (r"(?:Fatal error|Parse error|Warning|Notice)(?:</b>)?:.{0,300}? on line (?:<b>)?\d+"),
        ),
        ("Express/Node stack trace", r"at Layer\.handle|node_modules[/\\]express[/\\]"),
        ("Node stack frame", r"at [\w.<>]+ \((?:/|[A-Z]:\\)[^)]+\.[cm]?js:\d+:\d+\)"),
        ("Java stack trace", r"\bat (?:java|javax|jakarta|sun|org\.springframework|org\.apache)\."),
        (
            "Java exception",
            (
                r'Exception in thread "'
                r"|(?-i:\b[a-z]{2,}(?:\.[a-z]{2,})+\.[A-Z]\w*(?:Exception|Error)(?::|\s+at\s))"
            ),
        ),
        ("ASP.NET error page", r"Server Error in '[^']*' Application|\[HttpException"),
        ("ASP.NET stack trace", r"System\.Web\.|Stack Trace:\s*</b>"),
        ("Go panic", r"goroutine \d+ \[running\]|panic: runtime error"),
        (
            "SQL error",
            (
                r"You have an error in your SQL syntax|SQLSTATE\[|ORA-\d{5}|PG::\w+Error"
                r"|psycopg2?\.errors|sqlite3\.OperationalError|PSQLException"
                r"|Unclosed quotation mark after the character string"
            ),
        ),
        (
            "server file path",
            (
                r"(?:/var/www|/home/[\w.-]+|/usr/(?:local/)?lib|/opt|/srv)/[\w./-]*\.(?:py|php|rb|java|go|cs)\b"
                r"|site-packages/|[A-Z]:\\(?:inetpub|Users|Program Files)\\"
            ),
        ),
    )
)
DEBUG_HEADERS = ("x-debug-token", "x-debug-token-link")  # the Symfony profiler is on
LEAK_EXCERPT_CHARS = 80

SECURITY_TXT_CONTACT = re.compile(r"^\s*contact\s*:\s*\S", re.IGNORECASE | re.MULTILINE)
SECURITY_TXT_EXPIRES = re.compile(r"^\s*expires\s*:\s*(\S.*)$", re.IGNORECASE | re.MULTILINE)
HTML_START = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body)", re.IGNORECASE)


@check(
    id="version_disclosure",
    category="hygiene",
    why=(
        "Exact server and framework versions let scanners match the site to known CVEs in "
        "seconds, and tell attackers which patches are missing."
    ),
    how_to_fix=(
        "Hide versions: nginx 'server_tokens off', Apache 'ServerTokens Prod', PHP "
        "'expose_php = Off', remove X-Powered-By / X-AspNet-Version at the proxy."
    ),
    references=(
        "https://owasp.org/www-project-web-security-testing-guide/latest/4-Web_Application_Security_Testing/01-Information_Gathering/02-Fingerprint_Web_Server",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Server",
    ),
    informs=(LEAKAGE_QUESTION,),
)
def version_disclosure(artifacts: TargetArtifacts) -> Outcome:
    exchanges = [
        e
        for e in (artifacts.scheme_https, artifacts.plain_http, artifacts.not_found)
        if answered(e)
    ]
    if not exchanges:
        return not_applicable("No response was collected to look for version headers.")
    seen: dict[str, str] = {}
    disclosed: dict[str, str] = {}
    for exchange in exchanges:
        for name in VERSION_HEADERS:
            for value in exchange.header_all(name):
                seen.setdefault(name, value)
                if name in ALWAYS_VERSION_HEADERS or VERSION_PATTERN.search(value):
                    disclosed.setdefault(name, value)
    evidence = {"headers": seen, "disclosed": disclosed}
    if disclosed:
        listed = ", ".join(f"{k}: {v}" for k, v in disclosed.items())
        return warned(
            f"Software versions are disclosed ({listed}).",
            score=VERSION_DISCLOSURE_SCORE,
            **evidence,
        )
    return passed("No server or framework version numbers are disclosed.", **evidence)


def find_leaks(body: str) -> list[dict[str, str]]:
    """Every signature found in a body, with a short excerpt around the first match."""
    leaks = []
    for name, pattern in LEAK_SIGNATURES:
        match = pattern.search(body)
        if match:
            start = max(0, match.start() - 20)
            excerpt = body[start : match.end() + LEAK_EXCERPT_CHARS]
            leaks.append({"signature": name, "excerpt": " ".join(excerpt.split())})
    return leaks


@check(
    id="error_page_leaks",
    category="hygiene",
    why=(
        "Debug pages and stack traces reveal code paths, settings, SQL and sometimes secrets; "
        "a debug mode left on in production is also much slower under load."
    ),
    how_to_fix=(
        "Turn debug mode off in production (Django DEBUG=False, Rails production env, "
        "APP_DEBUG=false) and serve plain custom 404/500 pages; send traces to error tracking."
    ),
    references=(
        "https://owasp.org/www-community/Improper_Error_Handling",
        "https://cheatsheetseries.owasp.org/cheatsheets/Error_Handling_Cheat_Sheet.html",
        "https://docs.djangoproject.com/en/stable/howto/deployment/checklist/#debug",
    ),
    informs=(LEAKAGE_QUESTION, "product.graceful_degradation"),
)
def error_page_leaks(artifacts: TargetArtifacts) -> Outcome:
    page = artifacts.not_found
    if page is None:
        return not_applicable("No missing page was requested.")
    if not page.ok:
        return errored(
            f"The request for a missing page failed: {plain_failure(page.error)}.",
            technical_detail=page.error,
        )
    leaks = find_leaks(page.body_sample)
    debug_headers = {h: v for h in DEBUG_HEADERS if (v := page.header(h))}
    evidence: dict[str, Any] = {
        "url": page.url,
        "status": page.status,
        "leaks": leaks,
        "debug_headers": debug_headers,
        "body_checked_bytes": len(page.body_sample),
        "truncated": page.truncated,
    }
    if leaks or debug_headers:
        names = [leak["signature"] for leak in leaks] + [f"{h} header" for h in debug_headers]
        return failed(f"The error page leaks internals: {', '.join(names)}.", **evidence)
    if page.status >= 500:
        return warned(
            f"A request for a missing page caused a server error ({page.status}) instead of a 404.",
            **evidence,
        )
    return passed(f"The error page (status {page.status}) shows no debug output.", **evidence)


def _text_file_problem(exchange: HttpExchange) -> str | None:
    """Why a fetched /robots.txt or security.txt is not really that file, or None."""
    if exchange.status != 200:
        return f"answers {exchange.status}"
    content_type = (exchange.header("content-type") or "").split(";")[0].strip().lower()
    if content_type == "text/html" or HTML_START.match(exchange.body_sample):
        return "returns an HTML page (probably a catch-all route), not a text file"
    if content_type and content_type != "text/plain":
        return f"is served as {content_type}, not text/plain"
    return None


@check(
    id="robots_txt",
    category="hygiene",
    why=(
        "robots.txt keeps well-behaved crawlers away from expensive or private paths (search, "
        "filters, admin), which otherwise add load that grows with the site."
    ),
    how_to_fix=(
        "Serve /robots.txt as text/plain with 200, disallowing expensive endpoints and "
        "listing the sitemap."
    ),
    references=(
        "https://www.rfc-editor.org/rfc/rfc9309",
        "https://developers.google.com/search/docs/crawling-indexing/robots/intro",
    ),
    informs=(),
)
def robots_txt(artifacts: TargetArtifacts) -> Outcome:
    exchange = artifacts.robots
    if exchange is None:
        return not_applicable("/robots.txt was not requested.")
    if not exchange.ok:
        return errored(
            f"The request for /robots.txt failed: {plain_failure(exchange.error)}.",
            technical_detail=exchange.error,
        )
    evidence = {
        "url": exchange.url,
        "status": exchange.status,
        "content_type": exchange.header("content-type"),
        "bytes": exchange.body_bytes,
    }
    problem = _text_file_problem(exchange)
    if problem:
        return warned(f"/robots.txt {problem}.", **evidence)
    return passed("/robots.txt is served as plain text.", **evidence)


@check(
    id="security_txt",
    category="hygiene",
    why=(
        "security.txt tells researchers where to report a vulnerability, so reports reach "
        "the team instead of social media or nobody."
    ),
    how_to_fix=(
        "Publish /.well-known/security.txt (text/plain) with at least 'Contact:' and "
        "'Expires:' fields, as in RFC 9116; securitytxt.org generates one."
    ),
    references=("https://www.rfc-editor.org/rfc/rfc9116", "https://securitytxt.org/"),
    informs=("security.incident_response_disclosure",),
)
def security_txt(artifacts: TargetArtifacts) -> Outcome:
    exchange = artifacts.security_txt
    if exchange is None:
        return not_applicable("/.well-known/security.txt was not requested.")
    if not exchange.ok:
        return errored(
            f"The request for security.txt failed: {plain_failure(exchange.error)}.",
            technical_detail=exchange.error,
        )
    expires = SECURITY_TXT_EXPIRES.search(exchange.body_sample)
    evidence = {
        "url": exchange.url,
        "status": exchange.status,
        "content_type": exchange.header("content-type"),
        "has_contact": bool(SECURITY_TXT_CONTACT.search(exchange.body_sample)),
        "expires": expires.group(1).strip() if expires else None,
    }
    problem = _text_file_problem(exchange)
    if problem:
        return warned(f"/.well-known/security.txt {problem}.", score=30, **evidence)
    if not evidence["has_contact"]:
        return warned("security.txt is published but has no Contact: field.", **evidence)
    if not expires:
        return passed(
            "security.txt is published with a Contact, but without the required Expires field.",
            score=90,
            **evidence,
        )
    return passed("security.txt is published with a Contact and an Expires date.", **evidence)


CHECKS = (version_disclosure, error_page_leaks, robots_txt, security_txt)
