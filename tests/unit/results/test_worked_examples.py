"""Worked examples: four written profiles of teams (tests/profiles.py) scored with the shipped
bank, end to end: verdict, reasons, first steps.

The exact values were computed with the rules of assessments/results/domain/scoring.py and
roadmap.py, then read as a consultant would; the reasoning for each expectation is in
docs/methodology.md. A change to the bank or the rules that moves them should be a deliberate
one: update the numbers *and* the reasoning.
"""

import pytest

from assessments.bank.domain.bank import band_for_users
from assessments.bank.domain.loader import load_bank
from assessments.results.domain.roadmap import build_roadmap
from assessments.results.domain.scoring import AnswerValue, EvidenceResult, score_assessment
from checks.engine.ids import CHECK_IDS
from tests.profiles import (
    PROFILES,
    TARGET_USERS,
    answer_values,
    early_startup,
    growing_product,
    mature_platform,
    mid_maturity_team,
)

BANK = load_bank()


def run(name, document):
    band = band_for_users(TARGET_USERS[name])
    assert band == document["band"]
    score = score_assessment(BANK.questions, answer_values(document), band)
    return score, build_roadmap(BANK.questions, score)


def top_ids(roadmap):
    return [item.recommendation_id for item in roadmap.top(10)]


def test_profiles_are_export_documents_and_answer_what_they_say():
    every = sorted(q.id for q in BANK.questions)
    for build in PROFILES.values():
        document = build()
        assert document["format"] == "scaleready.answers"
        assert document["bank_version"] == BANK.version
    for build in (early_startup, mid_maturity_team, mature_platform):
        assert sorted(row["question"] for row in build()["answers"]) == every
    answered = [row for row in growing_product()["answers"] if row["state"] != "unknown"]
    assert 0.45 <= len(answered) / len(every) <= 0.6  # about half


def gap_topics(score):
    """The practices the verdict's reasons name as known critical gaps, in reason order."""
    return [
        score.question(reason.question_ids[0]).topic
        for reason in score.reasons
        if reason.theme == "critical_gap" and len(reason.question_ids) == 1
    ]


def first_steps(roadmap):
    return [item.title for item in roadmap.top(5)]


def no_raw_ids(score, roadmap):
    """Reasons and first steps speak in words: no question or recommendation id in them."""
    text = " ".join(r.text for r in score.reasons) + " ".join(i.title for i in roadmap.items)
    ids = {q.id for q in BANK.questions} | {r.id for r in BANK.recommendations}
    return not [i for i in ids if i in text]


def test_the_weekend_launch_is_not_ready_and_starts_with_the_safety_basics():
    # docs/methodology.md, "The weekend launch". Backups never restored, plain HTTP beside
    # HTTPS, secrets in the repository, no CI, nobody paged: absent or far-short critical
    # practices make it Not ready whatever else is known, and not provisionally: answering
    # the two "don't know"s cannot change that. The plan opens with exactly those basics,
    # before any load balancer, standby or second zone.
    score, roadmap = run("early_startup", early_startup())
    assert (score.verdict, score.provisional) == ("not_ready", False)
    assert score.overall == 22.8
    assert (score.coverage.known, score.coverage.applicable) == (105, 107)
    assert score.reasons[0].text == (
        "Not ready: 12 critical practices are missing or far short of what a system of up to "
        "100K users needs."
    )
    assert gap_topics(score) == [
        "Stateless application servers",
        "Timeouts and contained failures",
        "Load-balanced application servers",
        "Tested database restores",
        "Automatic database failover",
        "Surviving a cache outage",
        "Fast, practised rollback",
        "Tenant data isolation",
        "HTTPS with redirect",
        "Secrets kept out of code",
        "Alerting that reaches a person",
        "Alerts on unexpected spend",
        "Back-office interfaces closed to the internet",  # the one step short
    ]
    assert first_steps(roadmap) == [
        "Page a person when users are affected",
        "Serve every hostname over HTTPS and redirect plain HTTP",
        "Restore a backup end to end and time it",
        "Get application secrets out of the code and rotate them",
        "Make a green build the price of admission to main",
    ]
    assert all(item.foundation and item.phase == 1 for item in roadmap.top(5))
    https = roadmap.item("security.https_everywhere")
    assert (https.phase, https.foundation, https.quick_win) == (1, True, True)
    assert no_raw_ids(score, roadmap)


def test_the_growing_saas_that_answered_half_is_at_risk_provisionally():
    # docs/methodology.md, "The growing SaaS". What it knows is mature (72.8, above the Nearly
    # ready threshold) but five critical practices are one step short and five are unknown:
    # At risk, provisional, and the verdict says which practices it rests on. The first
    # steps find out the unknown critical practices: cheap, and they decide the verdict.
    score, roadmap = run("growing_product", growing_product())
    assert (score.verdict, score.provisional) == ("at_risk", True)
    assert score.overall == 72.8
    coverage = score.coverage
    assert (coverage.known, coverage.applicable, coverage.unanswered) == (56, 108, 51)
    assert (coverage.critical_known, coverage.critical) == (8, 13)
    assert score.reasons[0].text == (
        "Maturity of what is known: 72.8/100, reaching the Nearly ready threshold of 70; "
        "capped at At risk (below)."
    )
    assert gap_topics(score) == [
        "Load-balanced application servers",
        "Fast, practised rollback",
        "Back-office interfaces closed to the internet",
        "Tenant data isolation",
        "HTTPS with redirect",
    ]
    [unknowns] = [r for r in score.reasons if r.theme == "unknown"]
    assert unknowns.text == (
        "Provisional: 5 of 13 critical practices at this scale are not known yet: Stateless "
        "application servers, Timeouts and contained failures, Automatic database failover, "
        "Surviving a cache outage, Alerts on unexpected spend. Until they are found out the "
        "verdict is at most At risk."
    )
    assert first_steps(roadmap) == [
        "Find out: Timeouts and contained failures",
        "Find out: Stateless application servers",
        "Find out: Surviving a cache outage",
        "Find out: Alerts on unexpected spend",
        "Find out: Automatic database failover",
    ]
    # An unknown never yields the level-0 fix.
    planned = {qid for item in roadmap.items if item.kind == "fix" for qid in item.question_ids}
    assert not planned & {q.question_id for q in score.unknowns}
    assert no_raw_ids(score, roadmap)


def test_a_fully_answered_mid_maturity_team_is_at_risk_not_not_ready():
    # docs/methodology.md, "The mid-maturity team". Every critical practice is in place and
    # one step short of the 100K bar: a risk to fix, not a missing foundation. At risk, not
    # provisional (everything is known). The plan starts with the critical steps that have
    # the most impact for their effort.
    score, roadmap = run("mid_maturity_team", mid_maturity_team())
    assert (score.verdict, score.provisional) == ("at_risk", False)
    assert score.overall == 60.2
    assert score.coverage.share == 1.0
    assert len(gap_topics(score)) == 11
    assert {q.shortfall for q in score.critical_gaps} == {"one_short"}
    assert (
        score.reasons[-2].text == "At most At risk while 11 critical practices are one step short."
    )
    assert first_steps(roadmap) == [
        "Alert on SLO burn rate and prune noisy alerts",
        "Make cache failures fall back safely and separate critical data",
        "Contain failures with circuit breakers, bulkheads and load shedding",
        "Get files and scheduled jobs off individual servers",
        "Switch to automatic failover behind a stable endpoint",
    ]
    assert all(item.critical for item in roadmap.top(5))
    assert no_raw_ids(score, roadmap)


def test_a_mature_platform_aiming_at_5m_users_is_ready():
    # docs/methodology.md, "The mature platform". The top band asks for the top option only
    # where it is truly needed, so a team with SOC 2, canary releases and SLOs with error
    # budgets reaches it; what is left are four low-severity improvements.
    score, roadmap = run("mature_platform", mature_platform())
    assert (score.verdict, score.provisional) == ("ready", False)
    assert score.overall == 98.9
    assert score.critical_gaps == ()
    assert score.gap_counts == {"critical": 0, "high": 0, "medium": 0, "low": 4}
    assert first_steps(roadmap) == [
        "Manage commitments as a portfolio and negotiate",
        "Split data by function or shard key before the primary saturates",
        "Commit to WCAG AA and audit against it",
        "Invest in self-service and a clear escalation path",
    ]
    assert no_raw_ids(score, roadmap)


# --- Evidence: a claim of HTTPS everywhere against a naive, HTTP-only site ------------------------

NAIVE = "http://localhost:8080/"

# Every result `manage.py probe` reports for tests/probe_servers.naive_server, messages shortened
# (tests/integration/results/test_score_command.py does the same through a real probe run).
# One cause, one finding: with no HTTPS listener, what needs a handshake is "not applicable".
NO_HTTPS = "Not checked: HTTPS is not served: the HTTPS port does not speak TLS."
NAIVE_TARGET_RESULTS = [
    ("https_available", "fail", 0, "HTTPS is not served: the HTTPS port does not speak TLS."),
    ("http_redirects_to_https", "fail", 0, "Plain HTTP serves content instead of redirecting."),
    ("redirect_chain", "pass", 100, "No redirect chain: the URLs answer directly."),
    ("tls_protocols", "not_applicable", 0, NO_HTTPS),
    ("tls_forward_secrecy", "not_applicable", 0, NO_HTTPS),
    ("certificate_valid", "not_applicable", 0, NO_HTTPS),
    ("certificate_expiry", "not_applicable", 0, NO_HTTPS),
    ("certificate_hostname", "not_applicable", 0, NO_HTTPS),
    ("certificate_chain", "not_applicable", 0, NO_HTTPS),
    ("hsts", "not_applicable", 0, NO_HTTPS),
    ("http2", "not_applicable", 0, NO_HTTPS),
    ("csp", "fail", 0, "No Content-Security-Policy is set."),
    ("x_content_type_options", "fail", 0, "No X-Content-Type-Options header is sent."),
    ("frame_protection", "fail", 0, "Neither X-Frame-Options nor frame-ancestors is set."),
    ("referrer_policy", "warn", 60, "No Referrer-Policy is set."),
    ("permissions_policy", "warn", 40, "No Permissions-Policy header is sent."),
    ("cross_origin_opener_policy", "warn", 60, "No Cross-Origin-Opener-Policy is sent."),
    ("cross_origin_resource_policy", "warn", 60, "No Cross-Origin-Resource-Policy is sent."),
    ("subresource_integrity", "pass", 100, "No scripts are loaded from other origins."),
    ("cookie_security", "fail", 30, "Some cookies are unsafe."),
    ("cors", "fail", 0, "The server reflects any Origin and allows credentials."),
    ("compression", "fail", 0, "The page is sent uncompressed."),
    ("static_caching", "fail", 0, "The static asset carries no caching headers at all."),
    ("conditional_requests", "warn", 30, "The static asset has no ETag or Last-Modified."),
    ("cdn", "warn", 40, "No CDN or edge cache was detected in front of the site."),
    ("error_page_leaks", "fail", 0, "The error page leaks internals: Python traceback."),
    ("version_disclosure", "warn", 50, "Software versions are disclosed."),
    ("ttfb", "pass", 100, "Median time to first byte is 3 ms."),
    ("latency_percentiles", "not_applicable", 0, "Only 3 sample(s) were taken."),
    ("robots_txt", "warn", 50, "/robots.txt answers 404."),
    ("security_txt", "warn", 30, "/.well-known/security.txt answers 404."),
    ("rate_limit_signalling", "not_applicable", 0, "No burst was run against this target."),
    ("burst_capacity", "not_applicable", 0, "No burst was run against this target."),
]


def naive_evidence():
    assert {r[0] for r in NAIVE_TARGET_RESULTS} == CHECK_IDS
    return [
        EvidenceResult(check_id, status, score, message, {"url": NAIVE}, NAIVE)
        for check_id, status, score, message in NAIVE_TARGET_RESULTS
    ]


def https_everywhere_claim():
    answers = answer_values(mid_maturity_team())
    answers["security.encryption_in_transit"] = AnswerValue(
        "security.encryption_in_transit", "level", 4
    )
    return answers


def test_a_claim_of_https_everywhere_is_contradicted_by_an_http_only_site():
    # The mid-maturity team says "HSTS preloaded, TLS tested continuously" (level 4); the site
    # does not even answer on HTTPS and serves content over plain HTTP. The claim is lowered to
    # "some traffic is still plain HTTP" (0) and shown with what the probe saw; the practice is
    # now absent, so the verdict drops from At risk to Not ready and says why in words.
    score = score_assessment(BANK.questions, https_everywhere_claim(), "100k", naive_evidence())
    encryption = score.question("security.encryption_in_transit")
    assert (encryption.claimed, encryption.achieved, encryption.gap) == (4, 0, 3)
    assert (encryption.confidence, encryption.severity, encryption.shortfall) == (
        "contradicted",
        "critical",
        "absent",
    )
    contradiction = next(
        c for c in score.contradictions if c.question_id == "security.encryption_in_transit"
    )
    assert contradiction.claimed_label == "HSTS preloaded, TLS tested continuously"
    assert contradiction.lowered_to == 0
    assert [(o.check_id, o.status, o.target_url) for o in contradiction.observed] == [
        ("https_available", "fail", NAIVE),
        ("http_redirects_to_https", "fail", NAIVE),
    ]
    assert contradiction.observed[0].evidence == {"url": NAIVE}
    assert score.verdict == "not_ready"
    assert score.overall == 54.9
    assert score.reasons[1].text == (
        "HTTPS with redirect: not in place (the probes contradict the answer “HSTS preloaded, "
        "TLS tested continuously”). Today: “Some traffic is still plain HTTP”; a system of up "
        "to 100K users needs “HSTS, forward-secret ciphers, monitored expiry”. Critical."
    )


def test_every_claim_the_naive_site_disproves_is_lowered_and_the_rest_stand():
    score = score_assessment(BANK.questions, https_everywhere_claim(), "100k", naive_evidence())
    lowered = {c.question_id: (c.claimed_level, c.lowered_to) for c in score.contradictions}
    assert lowered == {
        "infrastructure.static_and_media_delivery": (2, 1),  # no caching headers on assets
        "infrastructure.edge_tls_dns": (2, 0),  # no HTTPS at the edge at all
        "caching.http_cache_headers": (1, 0),  # static assets carry no caching headers
        "caching.payload_efficiency": (2, 1),  # uncompressed
        "security.encryption_in_transit": (4, 0),
        "security.browser_security_headers": (2, 0),  # no X-Content-Type-Options, no framing
        "security.authentication_sessions_cors": (2, 1),  # reflected CORS, unsafe cookie
        "security.incident_response_disclosure": (2, 1),  # no security.txt to report to
        "security.information_leakage": (2, 0),  # traceback on the 404 page
        "product.graceful_degradation": (1, 0),  # users see the traceback too
    }
    # The page is fast, but speed alone says nothing about how queries are watched.
    query = score.question("database.query_performance")
    assert (query.claimed, query.achieved, query.confidence) == (2, 2, "unverified")
    # Warnings that do not speak to a claim (no CDN in front of an app that claims a WAF)
    # lower nothing.
    waf = score.question("security.waf_and_ddos")
    assert (waf.achieved, waf.confidence) == (waf.claimed, "unverified")


@pytest.mark.parametrize("build", list(PROFILES.values()))
def test_profiles_are_fresh_documents_each_time(build):
    first = build()
    first["answers"].clear()
    assert build()["answers"]
