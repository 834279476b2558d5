"""Browser security headers on the base page, one small parser and check per header.

Parsing follows what browsers do, not what a header "looks like": the first
Strict-Transport-Security header wins (RFC 6797 8.1); every enforced CSP applies (so one strict
policy is enough); X-Content-Type-Options reads the first comma-separated value (Fetch);
X-Frame-Options treats conflicting values as "deny" (HTML); Referrer-Policy takes the last
recognised token (Referrer Policy spec).
"""

from __future__ import annotations

import re
from typing import Any

from checks.engine.artifacts import HttpExchange, TargetArtifacts
from checks.engine.causes import HTTPS

from .base import (
    Outcome,
    check,
    errored,
    failed,
    main_page,
    missing_page,
    not_applicable,
    page_evidence,
    passed,
    warned,
)

HEADERS_QUESTION = "security.browser_security_headers"
OBSERVATORY = "https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring"

HSTS_MIN_MAX_AGE = 15_552_000  # 180 days, Mozilla Observatory's bar
HSTS_PRELOAD_MIN_MAX_AGE = 31_536_000  # 1 year, hstspreload.org's bar

CSP_WARN_BASE_SCORE = 80
CSP_SCORE_PER_ISSUE = 15
CSP_MIN_WARN_SCORE = 30
CSP_REPORT_ONLY_SCORE = 40

REFERRER_POLICIES = (
    "no-referrer",
    "no-referrer-when-downgrade",
    "same-origin",
    "origin",
    "strict-origin",
    "origin-when-cross-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
)
PRIVATE_REFERRER_POLICIES = frozenset(
    {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
)
REFERRER_POLICY_SCORES = {
    "origin": 70,
    "origin-when-cross-origin": 70,
    "no-referrer-when-downgrade": 50,
    "unsafe-url": 30,
}
REFERRER_MISSING_SCORE = 60
REFERRER_INVALID_SCORE = 40


def _joined(page: HttpExchange, name: str) -> str:
    """All lines of a header folded into one value, as a recipient may (RFC 9110 5.3)."""
    return ", ".join(page.header_all(name))


def _comma_tokens(value: str) -> list[str]:
    return [token.strip().lower() for token in value.split(",") if token.strip()]


def _meta_content(body: str, attribute: str, value: str) -> str | None:
    """The content of the first ``<meta attribute="value" content="...">`` in the body."""
    for tag in re.findall(r"<meta\b[^>]*>", body, flags=re.IGNORECASE):
        named = re.search(rf"""\b{attribute}\s*=\s*["']?{re.escape(value)}["'\s/>]""", tag, re.I)
        if not named:
            continue
        content = re.search(r"""\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag, re.IGNORECASE)
        if content:
            return content.group(1) if content.group(1) is not None else content.group(2)
    return None


# --- Strict-Transport-Security ----------------------------------------------------------
class MalformedHeader(ValueError):
    """A header value browsers would ignore; the message says why."""


def parse_hsts(value: str) -> dict[str, str | None]:
    """Directive name -> value (None for valueless ones). Raises ``MalformedHeader`` where a
    browser would ignore the header: a repeated directive or a missing/invalid max-age."""
    directives: dict[str, str | None] = {}
    for part in value.split(";"):
        name, has_value, raw = part.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        if name in directives:
            raise MalformedHeader(f"the {name} directive appears twice")
        directives[name] = raw.strip().strip('"') if has_value else None
    max_age = directives.get("max-age")
    if max_age is None or not max_age.isdigit():
        raise MalformedHeader("max-age is missing or not a whole number of seconds")
    return directives


@check(
    id="hsts",
    category="headers",
    why=(
        "HSTS makes browsers use HTTPS for the domain without first trying plain HTTP, removing "
        "the redirect round trip and the window for SSL-stripping attacks on every later visit."
    ),
    how_to_fix=(
        "Send 'Strict-Transport-Security: max-age=31536000; includeSubDomains' on HTTPS "
        "responses; add 'preload' and submit to hstspreload.org once every subdomain is HTTPS."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Strict-Transport-Security",
        "https://www.rfc-editor.org/rfc/rfc6797",
        "https://hstspreload.org/",
        OBSERVATORY,
    ),
    informs=("security.encryption_in_transit",),
    needs=(HTTPS,),
)
def hsts(artifacts: TargetArtifacts) -> Outcome:
    page = artifacts.scheme_https
    if page is None:
        return not_applicable("The HTTPS URL was not probed, so HSTS was not checked.")
    if not page.ok:
        return errored("The HTTPS page could not be fetched, so HSTS could not be checked.")
    values = page.header_all("strict-transport-security")
    evidence: dict[str, Any] = {**page_evidence(page), "header_count": len(values)}
    if not values:
        return failed("No Strict-Transport-Security header is sent.", **evidence)
    evidence["value"] = values[0]
    try:
        directives = parse_hsts(values[0])
    except MalformedHeader as exc:
        return failed(f"The Strict-Transport-Security header is ignored: {exc}.", **evidence)
    max_age = int(directives["max-age"])
    subdomains = "includesubdomains" in directives
    preload = "preload" in directives
    evidence |= {
        "max_age": max_age,
        "include_subdomains": subdomains,
        "preload": preload,
        "preload_ready": max_age >= HSTS_PRELOAD_MIN_MAX_AGE and subdomains and preload,
    }
    missing = [n for n, on in (("includeSubDomains", subdomains), ("preload", preload)) if not on]
    suffix = f" (without {' and '.join(missing)})" if missing else ""
    if max_age == 0:
        return failed("HSTS is switched off (max-age=0).", **evidence)
    if max_age < HSTS_MIN_MAX_AGE:
        return warned(
            f"HSTS max-age is {max_age} s, below 180 days{suffix}.",
            score=40 + 5 * subdomains + 5 * preload,
            **evidence,
        )
    return passed(
        f"HSTS is set for {max_age // 86400} days{suffix}.",
        score=80 + 10 * subdomains + 10 * preload,
        **evidence,
    )


# --- Content-Security-Policy ------------------------------------------------------------
Policy = dict[str, tuple[str, ...]]

_DIRECTIVE_NAME = re.compile(r"^[a-z0-9-]+$")
_NONCE_OR_HASH = ("'nonce-", "'sha256-", "'sha384-", "'sha512-")
_ANY_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?\*(?::[0-9*]+)?/?$")
_SCHEME_ONLY = frozenset({"http:", "https:", "data:"})


def parse_csp(value: str) -> list[Policy]:
    """A header value -> its policies (comma-separated), each directive name -> sources.

    As in CSP3: names are case-insensitive, a repeated directive is ignored (the first wins),
    invalid names are skipped, and a policy with no directives is dropped.
    """
    policies = []
    for serialized in value.split(","):
        policy: Policy = {}
        for token in serialized.split(";"):
            parts = token.split()
            if not parts:
                continue
            name = parts[0].lower()
            if _DIRECTIVE_NAME.match(name) and name not in policy:
                policy[name] = tuple(parts[1:])
        if policy:
            policies.append(policy)
    return policies


def _is_wildcard_source(source: str) -> bool:
    return source in _SCHEME_ONLY or bool(_ANY_HOST.match(source))


def script_issues(policy: Policy) -> list[str]:
    """What lets untrusted script run under this policy (an empty list: nothing found)."""
    name = next((d for d in ("script-src", "default-src") if d in policy), None)
    if name is None:
        return ["no script-src or default-src, so scripts may load from anywhere"]
    sources = [s.lower() for s in policy[name]]
    locked = any(s.startswith(_NONCE_OR_HASH) for s in sources)
    issues = []
    if "'unsafe-inline'" in sources and not locked:
        issues.append(f"'unsafe-inline' in {name} without a nonce or hash")
    if "'unsafe-eval'" in sources:
        issues.append(f"'unsafe-eval' in {name}")
    # With 'strict-dynamic' and a nonce/hash, CSP3 browsers ignore host and scheme sources.
    if not (locked and "'strict-dynamic'" in sources):
        wildcards = [s for s in sources if _is_wildcard_source(s)]
        if wildcards:
            issues.append(f"wildcard sources {' '.join(wildcards)} in {name}")
    return issues


def _csp_values(page: HttpExchange) -> tuple[list[str], str]:
    headers = [v for v in page.header_all("content-security-policy") if v.strip()]
    if headers:
        return headers, "header"
    meta = _meta_content(page.body_sample, "http-equiv", "content-security-policy")
    return ([meta] if meta and meta.strip() else []), "meta"


@check(
    id="csp",
    category="headers",
    why=(
        "A strict Content-Security-Policy stops injected scripts from running, so one XSS bug "
        "does not become account takeover for every user; it is the main defence in depth."
    ),
    how_to_fix=(
        "Send an enforced Content-Security-Policy with a nonce- or hash-based script-src "
        "(optionally 'strict-dynamic'), no 'unsafe-inline'/'unsafe-eval', and object-src 'none'; "
        "roll it out in Report-Only mode first."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP",
        "https://www.w3.org/TR/CSP3/",
        "https://cheatsheetseries.owasp.org/cheatsheets/Content_Security_Policy_Cheat_Sheet.html",
        OBSERVATORY,
    ),
    informs=(HEADERS_QUESTION,),
)
def csp(artifacts: TargetArtifacts) -> Outcome:
    page = main_page(artifacts)
    if page is None:
        return missing_page(artifacts)
    values, source = _csp_values(page)
    report_only = _joined(page, "content-security-policy-report-only") or None
    evidence: dict[str, Any] = {
        **page_evidence(page),
        "policies": values,
        "source": source if values else None,
        "report_only": report_only,
    }
    if not values:
        if report_only:
            return warned(
                "Content-Security-Policy is only in Report-Only mode, so nothing is blocked.",
                score=CSP_REPORT_ONLY_SCORE,
                **evidence,
            )
        return failed("No Content-Security-Policy is set.", **evidence)
    policies = [policy for value in values for policy in parse_csp(value)]
    if not policies:
        return failed("The Content-Security-Policy has no valid directives.", **evidence)
    issues = min((script_issues(policy) for policy in policies), key=len)
    evidence["issues"] = issues
    if issues:
        score = CSP_WARN_BASE_SCORE - CSP_SCORE_PER_ISSUE * (len(issues) - 1)
        return warned(
            f"The Content-Security-Policy is weak: {'; '.join(issues)}.",
            score=max(CSP_MIN_WARN_SCORE, score),
            **evidence,
        )
    return passed("An enforced Content-Security-Policy restricts scripts.", **evidence)


# --- X-Content-Type-Options -------------------------------------------------------------
@check(
    id="x_content_type_options",
    category="headers",
    why=(
        "Without nosniff, browsers may guess that an uploaded file or API response is script "
        "or HTML and run it, turning user content into cross-site scripting."
    ),
    how_to_fix="Send 'X-Content-Type-Options: nosniff' on every response (one line at the edge).",
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Content-Type-Options",
        "https://fetch.spec.whatwg.org/#x-content-type-options-header",
        OBSERVATORY,
    ),
    informs=(HEADERS_QUESTION,),
)
def x_content_type_options(artifacts: TargetArtifacts) -> Outcome:
    page = main_page(artifacts)
    if page is None:
        return missing_page(artifacts)
    value = _joined(page, "x-content-type-options")
    evidence = {**page_evidence(page), "value": value or None}
    if not page.header_all("x-content-type-options"):
        return failed("No X-Content-Type-Options header is sent.", **evidence)
    # Fetch: only the first comma-separated value counts, compared case-insensitively.
    first = value.split(",")[0].strip().lower()
    if first != "nosniff":
        return failed(f"X-Content-Type-Options is “{value}”, not “nosniff”.", **evidence)
    return passed("X-Content-Type-Options: nosniff is set.", **evidence)


# --- Framing ----------------------------------------------------------------------------
_PERMISSIVE_ANCESTORS = frozenset({"*", "http:", "https:"})


def _frame_ancestors(page: HttpExchange) -> list[tuple[str, ...]]:
    """frame-ancestors of every enforced header policy (it is ignored in meta and Report-Only)."""
    policies = [p for v in page.header_all("content-security-policy") for p in parse_csp(v)]
    return [policy["frame-ancestors"] for policy in policies if "frame-ancestors" in policy]


@check(
    id="frame_protection",
    category="headers",
    why=(
        "A page that any site may frame can be overlaid with a decoy (clickjacking) to trick "
        "signed-in users into clicking buttons they cannot see."
    ),
    how_to_fix=(
        "Send \"Content-Security-Policy: frame-ancestors 'none'\" (or 'self'), and "
        "'X-Frame-Options: DENY' (or SAMEORIGIN) for older browsers."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Frame-Options",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy/frame-ancestors",
        "https://cheatsheetseries.owasp.org/cheatsheets/Clickjacking_Defense_Cheat_Sheet.html",
    ),
    informs=(HEADERS_QUESTION,),
)
def frame_protection(artifacts: TargetArtifacts) -> Outcome:
    page = main_page(artifacts)
    if page is None:
        return missing_page(artifacts)
    ancestors = _frame_ancestors(page)
    xfo_value = _joined(page, "x-frame-options")
    xfo = set(_comma_tokens(xfo_value))
    evidence = {
        **page_evidence(page),
        "frame_ancestors": [" ".join(a) for a in ancestors],
        "x_frame_options": xfo_value or None,
    }
    if ancestors:
        # Several enforced policies all apply, so one restrictive list is enough.
        if any(not {s.lower() for s in a} & _PERMISSIVE_ANCESTORS for a in ancestors):
            return passed("CSP frame-ancestors restricts who may frame the page.", **evidence)
        return failed(
            "CSP frame-ancestors allows any site to frame the page (it overrides X-Frame-Options).",
            **evidence,
        )
    if not xfo:
        return failed("Neither X-Frame-Options nor CSP frame-ancestors is set.", **evidence)
    if xfo in ({"deny"}, {"sameorigin"}):
        return passed(f"X-Frame-Options is {xfo_value.strip()}.", **evidence)
    if len(xfo) > 1 and xfo & {"deny", "sameorigin", "allowall"}:
        return warned(
            f"X-Frame-Options has conflicting values ({xfo_value}); current browsers then block "
            "framing, but send one value.",
            score=70,
            **evidence,
        )
    if any(token.startswith("allow-from") for token in xfo):
        return failed(
            "X-Frame-Options ALLOW-FROM is obsolete and ignored, so framing is allowed.",
            **evidence,
        )
    return failed(f"X-Frame-Options “{xfo_value}” is not a value browsers honour.", **evidence)


# --- Referrer-Policy --------------------------------------------------------------------
def effective_referrer_policy(value: str) -> str | None:
    """The policy a browser applies: the last recognised token (unknown ones are skipped so
    that newer values can be listed after fallbacks)."""
    known = [token for token in _comma_tokens(value) if token in REFERRER_POLICIES]
    return known[-1] if known else None


@check(
    id="referrer_policy",
    category="headers",
    why=(
        "Full URLs in the Referer header leak paths, ids and tokens to every third party the "
        "page loads from or links to."
    ),
    how_to_fix="Send 'Referrer-Policy: strict-origin-when-cross-origin' (or stricter).",
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Referrer-Policy",
        "https://www.w3.org/TR/referrer-policy/",
        OBSERVATORY,
    ),
    informs=(HEADERS_QUESTION,),
)
def referrer_policy(artifacts: TargetArtifacts) -> Outcome:
    page = main_page(artifacts)
    if page is None:
        return missing_page(artifacts)
    value, source = _joined(page, "referrer-policy"), "header"
    if not value.strip():
        value, source = _meta_content(page.body_sample, "name", "referrer") or "", "meta"
    policy = effective_referrer_policy(value)
    evidence = {
        **page_evidence(page),
        "value": value or None,
        "source": source if value else None,
        "policy": policy,
    }
    if not value.strip():
        return warned(
            "No Referrer-Policy is set; current browsers default to "
            "strict-origin-when-cross-origin, older ones send full URLs.",
            score=REFERRER_MISSING_SCORE,
            **evidence,
        )
    if policy is None:
        return warned(
            f"Referrer-Policy “{value}” is not recognised, so browsers use their default.",
            score=REFERRER_INVALID_SCORE,
            **evidence,
        )
    if policy in PRIVATE_REFERRER_POLICIES:
        return passed(f"Referrer-Policy is {policy}.", **evidence)
    return warned(
        f"Referrer-Policy {policy} sends more of the URL to other sites than needed.",
        score=REFERRER_POLICY_SCORES[policy],
        **evidence,
    )


# --- Permissions-Policy -----------------------------------------------------------------
_PP_KEY = re.compile(r"^[a-z*][a-z0-9_.*-]*$")
_SF_ITEM = r'(?:\*|self|src|[A-Za-z][A-Za-z0-9:/!#$%&*+.^_`|~-]*|"[^"\\]*")'
_PP_VALUE = re.compile(rf"^(?:{_SF_ITEM}|\((?:\s*{_SF_ITEM})*\s*\))$")


def _split_top_level(value: str, separator: str) -> list[str]:
    """Split on a separator outside parentheses and double quotes."""
    parts, depth, quoted, current = [], 0, False, []
    for char in value:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == separator and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_permissions_policy(value: str) -> dict[str, str]:
    """Feature -> allowlist for a Structured-Fields dictionary. Raises ``MalformedHeader``
    when browsers would drop the whole header (e.g. Feature-Policy syntax)."""
    features: dict[str, str] = {}
    for member in _split_top_level(value, ","):
        member = member.strip()
        if not member:
            raise MalformedHeader("it has an empty member")
        item = _split_top_level(member, ";")[0].strip()  # drop parameters (report-to=...)
        key, has_value, allowlist = item.partition("=")
        key, allowlist = key.strip(), allowlist.strip()
        if not _PP_KEY.match(key):
            raise MalformedHeader(f"“{key}” is not a valid feature name")
        if has_value and not _PP_VALUE.match(allowlist):
            raise MalformedHeader(f"the allowlist of {key} (“{allowlist}”) is not valid")
        features[key] = allowlist if has_value else "?1"
    return features


@check(
    id="permissions_policy",
    category="headers",
    why=(
        "Permissions-Policy switches off powerful browser features (camera, geolocation, "
        "payment...) the site does not use, so injected or third-party code cannot use them."
    ),
    how_to_fix=(
        "Send a Permissions-Policy disabling unused features, e.g. "
        "'Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=()'."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Permissions-Policy",
        "https://www.w3.org/TR/permissions-policy/",
        "https://owasp.org/www-project-secure-headers/",
    ),
    informs=(HEADERS_QUESTION,),
)
def permissions_policy(artifacts: TargetArtifacts) -> Outcome:
    page = main_page(artifacts)
    if page is None:
        return missing_page(artifacts)
    value = _joined(page, "permissions-policy")
    legacy = _joined(page, "feature-policy") or None
    evidence: dict[str, Any] = {
        **page_evidence(page),
        "value": value or None,
        "feature_policy": legacy,
    }
    if not value.strip():
        if legacy:
            return warned(
                "Only the obsolete Feature-Policy header is sent; browsers now read "
                "Permissions-Policy.",
                **evidence,
            )
        return warned("No Permissions-Policy header is sent.", score=40, **evidence)
    try:
        features = parse_permissions_policy(value)
    except MalformedHeader as exc:
        return warned(
            f"Permissions-Policy is malformed and ignored by browsers: {exc}.",
            score=30,
            **evidence,
        )
    evidence["features"] = features
    evidence["disabled"] = sorted(k for k, v in features.items() if v.replace(" ", "") == "()")
    return passed(f"Permissions-Policy controls {len(features)} feature(s).", **evidence)


CHECKS = (
    hsts,
    csp,
    x_content_type_options,
    frame_protection,
    referrer_policy,
    permissions_policy,
)
