"""Browser security headers on the base page, one small parser and check per header.

Parsing follows what browsers do, not what a header "looks like": the first
Strict-Transport-Security header wins (RFC 6797 8.1); every enforced CSP applies (so one strict
policy is enough); X-Content-Type-Options reads the first comma-separated value (Fetch);
X-Frame-Options treats conflicting values as "deny" (HTML); Referrer-Policy takes the last
recognised token (Referrer Policy spec).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

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
CSP_REPORT_ONLY_SCORE = 10  # better than nothing only in that violations get reported

# CSP3 directives (plus CSP2 ones browsers still honour) that restrict something; anything
# else is skipped by browsers. report-uri and report-to only report.
ENFORCING_DIRECTIVES = frozenset(
    {
        "default-src",
        "script-src",
        "script-src-elem",
        "script-src-attr",
        "style-src",
        "style-src-elem",
        "style-src-attr",
        "img-src",
        "font-src",
        "connect-src",
        "media-src",
        "object-src",
        "frame-src",
        "child-src",
        "worker-src",
        "manifest-src",
        "fenced-frame-src",
        "base-uri",
        "form-action",
        "frame-ancestors",
        "sandbox",
        "upgrade-insecure-requests",
        "block-all-mixed-content",
        "require-trusted-types-for",
        "trusted-types",
        "webrtc",
    }
)

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


def _permissive(sources: tuple[str, ...]) -> bool:
    lowered = [s.lower() for s in sources]
    return "'none'" not in lowered and any(_is_wildcard_source(s) for s in lowered)


def hardening_issues(policy: Policy) -> dict[str, str]:
    """object-src and base-uri, the two directives a script policy leans on.

    - ``object-src`` falls back to ``default-src`` (CSP3 6.1.3 "object-src"); absent both,
      or with a wildcard/scheme source, ``<object>``/``<embed>`` may load active content
      from anywhere.
    - ``base-uri`` has no fallback (CSP3 6.3.1): without it an injected ``<base href>``
      re-points every relative script URL. That matters when scripts are allowed by nonce or
      hash (the nonce travels with the tag); a host allowlist still blocks the new host, so
      then a missing base-uri is no issue. Observatory's grade ignores base-uri entirely;
      Google's strict-CSP guidance and CSP3 both name this bypass, so we follow them.
    """
    issues = {}
    objects = policy.get("object-src", policy.get("default-src"))
    if objects is None:
        issues["object-src"] = "no object-src (nor default-src), so plugins load from anywhere"
    elif _permissive(objects):
        issues["object-src"] = "object-src allows any host"
    scripts = policy.get("script-src", policy.get("default-src", ()))
    nonce_based = any(s.lower().startswith(_NONCE_OR_HASH) for s in scripts)
    base = policy.get("base-uri")
    if nonce_based and (base is None or _permissive(base)):
        issues["base-uri"] = "no restrictive base-uri, so an injected <base> re-points scripts"
    return issues


def enforces_something(policy: Policy) -> bool:
    """Whether any directive of the policy restricts something (CSP3 6: unknown names are
    ignored, and report-uri/report-to only report)."""
    return any(name in ENFORCING_DIRECTIVES for name in policy)


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
        "(optionally 'strict-dynamic'), no 'unsafe-inline'/'unsafe-eval', object-src 'none' "
        "and base-uri 'none'; roll it out in Report-Only mode first, then enforce it."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP",
        "https://www.w3.org/TR/CSP3/",
        "https://web.dev/articles/strict-csp",
        "https://cheatsheetseries.owasp.org/cheatsheets/Content_Security_Policy_Cheat_Sheet.html",
        OBSERVATORY,
    ),
    informs=(HEADERS_QUESTION,),
)
def csp(artifacts: TargetArtifacts) -> Outcome:
    """Every enforced policy applies (CSP3 4.2.1), so the strictest one is judged.

    Departures from Observatory, on purpose:
    - A policy sent only as Content-Security-Policy-Report-Only *fails*: CSP3 3.2 says a
      report-only policy is never enforced, so it blocks nothing; a team claiming a strict
      CSP must then be contradicted, not half-credited.
    - A policy whose directives are all unrecognised (or only report-uri/report-to) fails:
      browsers skip unknown names (CSP3 2.2.1), so it enforces nothing.
    - base-uri is evaluated for nonce/hash policies (see ``hardening_issues``).
    """
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
            return failed(
                "Content-Security-Policy is sent only in Report-Only mode, which blocks "
                "nothing: browsers report violations but still run the scripts.",
                score=CSP_REPORT_ONLY_SCORE,
                **evidence,
            )
        return failed("No Content-Security-Policy is set.", **evidence)
    policies = [policy for value in values for policy in parse_csp(value)]
    enforcing = [policy for policy in policies if enforces_something(policy)]
    if not enforcing:
        names = sorted({name for policy in policies for name in policy})
        evidence["directives"] = names
        shown = ", ".join(names) if names else "none"
        return failed(
            "The Content-Security-Policy enforces nothing: browsers ignore its directives "
            f"({shown}).",
            **evidence,
        )
    # A resource must pass every policy: a gap counts only when no policy closes it.
    issues = min((script_issues(policy) for policy in enforcing), key=len)
    gaps = [hardening_issues(policy) for policy in enforcing]
    issues += [text for kind, text in gaps[0].items() if all(kind in g for g in gaps)]
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


# --- Cross-origin isolation: COOP and CORP ---------------------------------------------------
COOP_VALUES = {
    "same-origin": 100,
    "noopener-allow-popups": 100,
    "same-origin-allow-popups": 90,
}
COOP_MISSING_SCORE = 60


def _structured_token(value: str) -> str | None:
    """A Structured Fields token with its parameters dropped (RFC 8941 4.2.6); None when the
    value is not one token (then the header is ignored)."""
    item = value.split(";")[0].strip()
    return item if re.fullmatch(r"[A-Za-z*][A-Za-z0-9:/!#$%&'*+.^_`|~-]*", item) else None


@check(
    id="cross_origin_opener_policy",
    category="headers",
    why=(
        "Without Cross-Origin-Opener-Policy, any site that opens yours in a popup (or that you "
        "open) keeps a handle on your window: it can navigate it and probe it (XS-Leaks), and "
        "the page cannot be process-isolated from it."
    ),
    how_to_fix=(
        "Send 'Cross-Origin-Opener-Policy: same-origin' on HTML pages; use "
        "'same-origin-allow-popups' if the page opens OAuth or payment popups it must talk to."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cross-Origin-Opener-Policy",
        "https://html.spec.whatwg.org/multipage/browsers.html#cross-origin-opener-policies",
        "https://xsleaks.dev/docs/defenses/opt-in/coop/",
    ),
    informs=(),
)
def cross_origin_opener_policy(artifacts: TargetArtifacts) -> Outcome:
    """HTML 7.1.3 "obtain a cross-origin opener policy": the header is a Structured Fields
    token; an unknown or unparsable value means ``unsafe-none`` (no isolation). Observatory
    does not grade COOP; we warn (never fail) when it is missing, as it is hardening."""
    page = main_page(artifacts)
    if page is None:
        return missing_page(artifacts)
    raw = page.header("cross-origin-opener-policy")
    evidence = {**page_evidence(page), "value": raw}
    if raw is None or not raw.strip():
        return warned(
            "No Cross-Origin-Opener-Policy is sent, so other sites keep a handle on this window.",
            score=COOP_MISSING_SCORE,
            **evidence,
        )
    policy = _structured_token(raw)
    if policy not in COOP_VALUES:
        shown = f"“{raw.strip()}”, which browsers ignore"
        if policy == "unsafe-none":
            shown = "unsafe-none"
        return warned(
            f"Cross-Origin-Opener-Policy is {shown}: the window is not isolated.",
            score=COOP_MISSING_SCORE - 10,
            **evidence,
        )
    return passed(f"Cross-Origin-Opener-Policy is {policy}.", score=COOP_VALUES[policy], **evidence)


CORP_VALUES = ("same-origin", "same-site", "cross-origin")


@check(
    id="cross_origin_resource_policy",
    category="headers",
    why=(
        "Cross-Origin-Resource-Policy stops other sites from loading your responses into their "
        "pages with <img>/<script> tags, which side channels such as Spectre can then read."
    ),
    how_to_fix=(
        "Send 'Cross-Origin-Resource-Policy: same-origin' (or same-site) on pages and private "
        "resources; keep 'cross-origin' only for assets meant to be embedded anywhere."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cross-Origin-Resource-Policy",
        "https://fetch.spec.whatwg.org/#cross-origin-resource-policy-header",
        OBSERVATORY,
    ),
    informs=(),
)
def cross_origin_resource_policy(artifacts: TargetArtifacts) -> Outcome:
    """Fetch 3.7: the value must be exactly ``same-origin``, ``same-site`` or
    ``cross-origin`` (byte for byte: ``Same-Origin`` is ignored). Observatory reports a
    missing header without penalty; we warn, because the page answers with user data to any
    site's no-cors request."""
    page = main_page(artifacts)
    if page is None:
        return missing_page(artifacts)
    raw = page.header("cross-origin-resource-policy")
    value = raw.strip() if raw else None
    evidence = {**page_evidence(page), "value": raw}
    if not value:
        return warned(
            "No Cross-Origin-Resource-Policy is sent, so any site may embed this response.",
            score=60,
            **evidence,
        )
    if value not in CORP_VALUES:
        return warned(
            f"Cross-Origin-Resource-Policy “{value}” is not a value browsers recognise, so it "
            "is ignored.",
            score=50,
            **evidence,
        )
    if value == "cross-origin":
        return passed(
            "Cross-Origin-Resource-Policy is cross-origin: any site may embed this page "
            "(fine for public assets, loose for pages).",
            score=80,
            **evidence,
        )
    return passed(f"Cross-Origin-Resource-Policy is {value}.", **evidence)


# --- Subresource Integrity ------------------------------------------------------------------
_SRI_HASH = re.compile(r"^sha(?:256|384|512)-[A-Za-z0-9+/_-]+={0,2}$")


class _ScriptFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        values = {name.lower(): value for name, value in attrs}
        if values.get("src"):
            self.scripts.append(values)


def external_scripts(html: str, page_url: str) -> list[dict[str, Any]]:
    """Every ``<script src>`` on another origin: its URL, integrity and crossorigin."""
    finder = _ScriptFinder()
    finder.feed(html)
    finder.close()
    page_origin = _origin(page_url)
    found = []
    for script in finder.scripts:
        url = urljoin(page_url, (script.get("src") or "").strip())
        if urlsplit(url).scheme not in ("http", "https") or _origin(url) == page_origin:
            continue
        integrity = (script.get("integrity") or "").split()
        found.append(
            {
                "url": url,
                "integrity": any(_SRI_HASH.match(token) for token in integrity),
                "crossorigin": "crossorigin" in script,
                "over_https": urlsplit(url).scheme == "https",
            }
        )
    return found


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), parts.port or default)


@check(
    id="subresource_integrity",
    category="headers",
    why=(
        "A script loaded from another origin (a CDN, an analytics vendor) runs with full access "
        "to your pages: if that host is compromised, so is every user. Integrity hashes make "
        "the browser refuse a script that changed."
    ),
    how_to_fix=(
        'Add integrity="sha384-…" and crossorigin="anonymous" to every <script> '
        "loaded from another origin (pinned versions), or self-host the script."
    ),
    references=(
        "https://developer.mozilla.org/en-US/docs/Web/Security/Subresource_Integrity",
        "https://www.w3.org/TR/SRI/",
        OBSERVATORY,
    ),
    informs=(),
)
def subresource_integrity(artifacts: TargetArtifacts) -> Outcome:
    """SRI 3.3.5: an ``integrity`` attribute with at least one sha256/384/512 hash protects
    the script; a cross-origin script fetched without ``crossorigin`` is an opaque response,
    which fails the integrity check (SRI 3.3.3), so the browser blocks it -- breakage, noted as
    a warning. Like Observatory, scripts over plain http are the worst case (anyone on the path
    may swap them); unlike it we only read the first part of the page we sampled, and say so.
    """
    page = main_page(artifacts)
    if page is None:
        return missing_page(artifacts)
    scripts = external_scripts(page.body_sample, page.url)
    evidence: dict[str, Any] = {
        **page_evidence(page),
        "scripts": scripts,
        "truncated": page.truncated,
    }
    if not scripts:
        return passed("No scripts are loaded from other origins.", **evidence)
    unprotected = [s for s in scripts if not s["integrity"]]
    insecure = [s for s in unprotected if not s["over_https"]]
    blocked = [s for s in scripts if s["integrity"] and not s["crossorigin"]]
    if insecure:
        return failed(
            f"{len(insecure)} cross-origin script(s) load over plain HTTP without integrity, so "
            "anyone on the network path can replace them.",
            **evidence,
        )
    if unprotected:
        return warned(
            f"{len(unprotected)} of {len(scripts)} cross-origin script(s) have no integrity "
            "hash: a compromise of their host runs code on every page.",
            score=60,
            **evidence,
        )
    if blocked:
        return warned(
            f"{len(blocked)} script(s) have an integrity hash but no crossorigin attribute, so "
            "browsers refuse to run them.",
            score=70,
            **evidence,
        )
    return passed(f"All {len(scripts)} cross-origin script(s) carry an integrity hash.", **evidence)


CHECKS = (
    hsts,
    csp,
    x_content_type_options,
    frame_protection,
    referrer_policy,
    permissions_policy,
    cross_origin_opener_policy,
    cross_origin_resource_policy,
    subresource_integrity,
)
