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
from .headers import HSTS_MIN_MAX_AGE, MalformedHeader, parse_hsts

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


def is_credential_like(cookie: SetCookie) -> bool:
    """A cookie whose name says it carries a session or credential (CSRF tokens excluded:
    frameworks expect scripts to read them, and they are not credentials by themselves)."""
    return bool(SESSION_LIKE_NAME.search(cookie.name)) and not SCRIPT_READABLE_NAME.search(
        cookie.name
    )


@dataclass(frozen=True)
class HstsCover:
    """What the HTTPS page's HSTS policy guarantees cookies: no plain-HTTP request to this
    host (``host``) and, with includeSubDomains, to its subdomains (``subdomains``)."""

    host: bool = False
    subdomains: bool = False


def hsts_cover(artifacts: TargetArtifacts) -> HstsCover:
    page = artifacts.scheme_https
    if not answered(page):
        return HstsCover()
    values = page.header_all("strict-transport-security")
    if not values:
        return HstsCover()
    try:
        directives = parse_hsts(values[0])  # RFC 6797 8.1: the first header wins
    except MalformedHeader:
        return HstsCover()
    if int(directives["max-age"]) < HSTS_MIN_MAX_AGE:
        return HstsCover()
    return HstsCover(host=True, subdomains="includesubdomains" in directives)


def cookie_issues(cookie: SetCookie, cover: HstsCover = HstsCover()) -> tuple[list[str], list[str]]:
    """(failures, warnings) for one cookie, following RFC 6265bis.

    - Secure (6265bis 4.1.2.5) keeps a cookie off plain HTTP. HSTS already stops the browser
      from sending plain-HTTP requests to the host -- and to its subdomains with
      includeSubDomains, which a Domain= cookie also reaches. A credential cookie relying on
      HSTS alone is a warning (first visits, HSTS-less clients), without HSTS a failure; a
      cookie carrying no credential only needs Secure when HSTS does not cover it.
    - HttpOnly (4.1.2.6) matters for credentials, which scripts must not read.
    - SameSite (4.1.2.7) matters for cookies that carry credentials: it is what keeps them off
      cross-site requests (CSRF). A ``lang`` cookie without it is fine.
    - SameSite=None without Secure is rejected by browsers (5.7 step 20): the cookie is lost.
    """
    failures, warnings = [], []
    credential = is_credential_like(cookie)
    covered = cover.subdomains if "domain" in cookie.attributes else cover.host
    if not cookie.secure:
        if credential and covered:
            warnings.append("not Secure (only HSTS keeps it off plain HTTP)")
        elif credential:
            failures.append("not Secure, and no HSTS keeps it off plain HTTP")
        elif not covered:
            warnings.append("not Secure")
    if credential and not cookie.http_only:
        failures.append("carries credentials but is not HttpOnly")
    same_site = cookie.same_site
    if same_site == "none" and not cookie.secure:
        warnings.append("SameSite=None without Secure, so browsers reject it")
    elif credential and same_site is None:
        warnings.append("carries credentials but has no SameSite")
    elif credential and same_site not in SAMESITE_VALUES:
        warnings.append(f"invalid SameSite={cookie.attributes['samesite']}")
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
        "https://datatracker.ietf.org/doc/draft-ietf-httpbis-rfc6265bis/",
    ),
    informs=(SESSIONS_QUESTION,),
)
def cookie_security(artifacts: TargetArtifacts) -> Outcome:
    """Where we depart from Observatory: it asks Secure of every cookie and SameSite of every
    cookie for its bonus; we ask SameSite and HttpOnly only of credential-like cookies, and
    judge Secure together with HSTS (Observatory's "protected by HSTS" rows, applied per
    cookie and with includeSubDomains for Domain= cookies)."""
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
    cover = hsts_cover(artifacts)
    report, score, worst = [], 100, "pass"
    for url, cookie in cookies.values():
        failures, warnings = cookie_issues(cookie, cover)
        score -= COOKIE_FAIL_PENALTY * len(failures) + COOKIE_WARN_PENALTY * len(warnings)
        if failures:
            worst = "fail"
        elif warnings and worst == "pass":
            worst = "warn"
        report.append(
            {
                "name": cookie.name,
                "url": url,
                "credential_like": is_credential_like(cookie),
                "secure": cookie.secure,
                "http_only": cookie.http_only,
                "same_site": cookie.attributes.get("samesite"),
                "issues": failures + warnings,
            }
        )
    evidence: dict[str, Any] = {"cookies": report, "hsts_covers_host": cover.host}
    flagged = [
        f"{c['name'] or '(unnamed)'}: {', '.join(c['issues'])}" for c in report if c["issues"]
    ]
    if worst == "pass":
        return passed(f"All {len(report)} cookie(s) are set safely.", **evidence)
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
        "https://fetch.spec.whatwg.org/#cors-check",
    ),
    informs=(SESSIONS_QUESTION,),
)
def cors(artifacts: TargetArtifacts) -> Outcome:
    """Judged by what the Fetch "CORS check" (Fetch 4.10) lets another site's script read.

    - ``*`` with ``Allow-Credentials: true``: the CORS check fails for credentialed requests
      when the origin is ``*``, so only public (cookie-less) responses are readable -- the
      same as ``*`` alone. A misconfiguration, not a vulnerability.
    - Reflecting any Origin *without* credentials exposes no more than ``*``.
    - Reflecting any Origin (or allowing ``null``, the origin of sandboxed frames on any
      site) *with* credentials lets every site read signed-in users' responses: a failure.
    - Origins and the credentials value are compared byte for byte, as the CORS check does:
      ``Allow-Credentials: TRUE`` grants nothing.

    Observatory fails any reflected origin; we follow the CORS check, because a finding must
    name a read another site can actually make.
    """
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
    credentials = (exchange.header("access-control-allow-credentials") or "").strip()
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
    if len(values) > 1 or "," in values[0]:
        return warned(
            "Access-Control-Allow-Origin has several values, which browsers reject, so "
            "cross-origin reads fail for everyone.",
            score=70,
            **evidence,
        )
    allowed = values[0]
    if allowed in (origin, "null"):
        who = f"any Origin ({origin})" if allowed == origin else "the 'null' origin"
        if with_credentials:
            return failed(
                f"The server allows {who} with credentials, so any website can read what a "
                "signed-in user sees.",
                **evidence,
            )
        return passed(
            f"The server allows {who}, but without credentials: like *, only public "
            "responses can be read.",
            score=90,
            **evidence,
        )
    if allowed == "*":
        if with_credentials:
            return passed(
                "Access-Control-Allow-Origin is * with Allow-Credentials: true; browsers refuse "
                "credentialed reads with *, so only public responses can be read (the "
                "credentials header has no effect).",
                score=90,
                **evidence,
            )
        return passed("Any origin may read public responses, but without credentials.", **evidence)
    return passed(f"Only a fixed origin ({allowed}) is allowed.", **evidence)


CHECKS = (cookie_security, cors)
