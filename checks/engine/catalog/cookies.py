"""Cookie attributes and CORS: what lets another site ride on a user's session."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from checks.engine.artifacts import CORS_PROBE_ORIGIN, TargetArtifacts
from checks.engine.causes import plain_failure

from .base import (
    Outcome,
    answered,
    check,
    clamp,
    errored,
    failed,
    not_applicable,
    passed,
    warned,
)

SESSIONS_QUESTION = "security.authentication_sessions_cors"

# Names that usually carry a session or credential, which scripts must not read. CSRF tokens
# are deliberately excluded: frameworks expect JavaScript to read them.
SESSION_LIKE_NAME = re.compile(r"sess|sid|auth|token|jwt|login|remember|identity", re.IGNORECASE)
SCRIPT_READABLE_NAME = re.compile(r"csrf|xsrf", re.IGNORECASE)
SAMESITE_VALUES = frozenset({"strict", "lax", "none"})
COOKIE_FAIL_PENALTY = 30
COOKIE_WARN_PENALTY = 10
EXPIRED_BEFORE_YEAR = 2000  # an Expires this old is a deletion, not a cookie being set


@dataclass(frozen=True)
class SetCookie:
    name: str
    attributes: dict[str, str]  # lower-case attribute name -> value ("" for flags)
    raw: str

    @property
    def secure(self) -> bool:
        return "secure" in self.attributes

    @property
    def http_only(self) -> bool:
        return "httponly" in self.attributes

    @property
    def same_site(self) -> str | None:
        value = self.attributes.get("samesite")
        return None if value is None else value.lower()

    @property
    def is_deletion(self) -> bool:
        max_age = self.attributes.get("max-age", "").strip()
        if re.fullmatch(r"-?\d+", max_age):
            return int(max_age) <= 0
        try:
            expires = parsedate_to_datetime(self.attributes.get("expires", ""))
        except (TypeError, ValueError, IndexError):
            return False
        return expires.year < EXPIRED_BEFORE_YEAR


def parse_set_cookie(line: str) -> SetCookie:
    """RFC 6265 5.2: name=value, then attributes; for a repeated attribute the last wins."""
    pair, *raw_attributes = line.split(";")
    name, has_equals, _value = pair.partition("=")
    attributes = {}
    for raw in raw_attributes:
        key, _, value = raw.strip().partition("=")
        if key.strip():
            attributes[key.strip().lower()] = value.strip()
    return SetCookie(name=name.strip() if has_equals else "", attributes=attributes, raw=line)


def cookie_issues(cookie: SetCookie) -> tuple[list[str], list[str]]:
    """(failures, warnings) for one cookie."""
    failures, warnings = [], []
    if not cookie.secure:
        failures.append("not Secure")
    session_like = SESSION_LIKE_NAME.search(cookie.name) and not SCRIPT_READABLE_NAME.search(
        cookie.name
    )
    if session_like and not cookie.http_only:
        failures.append("session-like but not HttpOnly")
    same_site = cookie.same_site
    if same_site is None:
        warnings.append("no SameSite")
    elif same_site not in SAMESITE_VALUES:
        warnings.append(f"invalid SameSite={cookie.attributes['samesite']}")
    elif same_site == "none" and not cookie.secure:
        failures.append("SameSite=None without Secure (browsers reject it)")
    return failures, warnings


@check(
    id="cookie_security",
    category="cookies_cors",
    why=(
        "A session cookie without Secure leaks over plain HTTP, without HttpOnly it can be "
        "stolen by any injected script, and without SameSite it rides along on cross-site "
        "requests (CSRF)."
    ),
    how_to_fix=(
        "Set session cookies with 'Secure; HttpOnly; SameSite=Lax' (or Strict), ideally with "
        "the __Host- prefix; in Django: SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Cookies#security",
        "https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html",
        "https://www.rfc-editor.org/rfc/rfc6265",
    ),
    informs=(SESSIONS_QUESTION,),
)
def cookie_security(artifacts: TargetArtifacts) -> Outcome:
    sources = [e for e in (artifacts.scheme_https, artifacts.plain_http) if answered(e)]
    if not sources:
        return not_applicable("No page was fetched, so no cookies were seen.")
    cookies: dict[str, tuple[str, SetCookie]] = {}
    for exchange in sources:
        for line in exchange.header_all("set-cookie"):
            cookie = parse_set_cookie(line)
            if not cookie.is_deletion:
                cookies.setdefault(cookie.name, (exchange.url, cookie))
    if not cookies:
        return not_applicable("No cookies are set on the pages fetched.")
    report, score, worst = [], 100, "pass"
    for url, cookie in cookies.values():
        failures, warnings = cookie_issues(cookie)
        score -= COOKIE_FAIL_PENALTY * len(failures) + COOKIE_WARN_PENALTY * len(warnings)
        if failures:
            worst = "fail"
        elif warnings and worst == "pass":
            worst = "warn"
        report.append({"name": cookie.name, "url": url, "issues": failures + warnings})
    evidence: dict[str, Any] = {"cookies": report}
    flagged = [
        f"{c['name'] or '(unnamed)'}: {', '.join(c['issues'])}" for c in report if c["issues"]
    ]
    if worst == "pass":
        return passed(f"All {len(report)} cookie(s) are Secure and carry SameSite.", **evidence)
    summary = "; ".join(flagged)
    if worst == "warn":
        return warned(f"Some cookies lack attributes ({summary}).", score=clamp(score), **evidence)
    return failed(f"Some cookies are unsafe ({summary}).", score=clamp(min(score, 40)), **evidence)


@check(
    id="cors",
    category="cookies_cors",
    why=(
        "A server that grants any Origin access, with credentials, lets every website a "
        "signed-in user visits read that user's data through the API."
    ),
    how_to_fix=(
        "Allow only an explicit list of trusted origins, never echo the request's Origin "
        "unchecked, and send Access-Control-Allow-Credentials only for those origins."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS",
        "https://portswigger.net/web-security/cors",
        "https://fetch.spec.whatwg.org/#http-cors-protocol",
    ),
    informs=(SESSIONS_QUESTION,),
)
def cors(artifacts: TargetArtifacts) -> Outcome:
    exchange = artifacts.cors_preflight
    if exchange is None:
        return not_applicable("No cross-origin request was sent.")
    if not exchange.ok:
        return errored(
            f"The cross-origin request failed: {plain_failure(exchange.error)}.",
            technical_detail=exchange.error,
        )
    origin = next(
        (v for k, v in exchange.request_headers if k.lower() == "origin"), CORS_PROBE_ORIGIN
    )
    values = [v.strip() for v in exchange.header_all("access-control-allow-origin")]
    credentials = (exchange.header("access-control-allow-credentials") or "").strip().lower()
    with_credentials = credentials == "true"
    evidence = {
        "url": exchange.url,
        "origin_sent": origin,
        "allow_origin": values,
        "allow_credentials": with_credentials,
        "vary": exchange.header("vary"),
    }
    if not values:
        return passed("Cross-origin requests from an unknown origin are not granted.", **evidence)
    allowed = {token.strip().lower() for value in values for token in value.split(",")}
    if origin.lower() in allowed:
        if with_credentials:
            return failed(
                f"The server reflects any Origin ({origin}) and allows credentials.", **evidence
            )
        return failed(f"The server reflects any Origin ({origin}) back as allowed.", **evidence)
    if "*" in allowed and with_credentials:
        return failed(
            "Access-Control-Allow-Origin is * together with Allow-Credentials: true.", **evidence
        )
    if "null" in allowed:
        if with_credentials:
            return failed("The 'null' origin is allowed with credentials.", **evidence)
        return warned(
            "The 'null' origin (sandboxed frames, local files) is allowed.", score=60, **evidence
        )
    if len(values) > 1 or len(allowed) > 1:
        return warned(
            "Access-Control-Allow-Origin has several values, which browsers reject.",
            score=70,
            **evidence,
        )
    if "*" in allowed:
        return passed("Any origin may read public responses, but without credentials.", **evidence)
    return passed(f"Only a fixed origin ({values[0]}) is allowed.", **evidence)


CHECKS = (cookie_security, cors)
