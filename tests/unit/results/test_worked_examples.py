"""Worked examples: three complete profiles (tests/profiles.py) scored with the shipped bank.

The exact values were computed once with the rules of assessments/results/domain/scoring.py
and roadmap.py, then checked by hand (area scores recomputed from weights and credits) and read
as an expert would. A change to the bank or the rules that moves them should be a deliberate
one: update the numbers *and* the reasoning next to them.
"""

import pytest

from assessments.bank.domain.bank import band_for_users
from assessments.bank.domain.loader import load_bank
from assessments.results.domain.roadmap import build_roadmap
from assessments.results.domain.scoring import AnswerValue, EvidenceResult, score_assessment
from checks.engine.ids import CHECK_IDS
from tests.profiles import (
    TARGET_USERS,
    answer_values,
    early_startup,
    growing_product,
    mature_platform,
)

BANK = load_bank()


def run(name, document):
    band = band_for_users(TARGET_USERS[name])
    assert band == document["band"]
    score = score_assessment(BANK.questions, answer_values(document), band)
    return score, build_roadmap(BANK.questions, score)


def top_ids(roadmap):
    return [item.recommendation_id for item in roadmap.top(10)]


def test_profiles_answer_every_question_of_the_bank_in_the_export_format():
    for build in (early_startup, growing_product, mature_platform):
        document = build()
        assert document["format"] == "scaleready.answers"
        assert document["bank_version"] == BANK.version
        assert sorted(row["question"] for row in document["answers"]) == sorted(
            q.id for q in BANK.questions
        )


def test_early_startup_aiming_at_100k():
    # ~800 users on a PaaS, answering at the level today's 1K scale needs, with restores never
    # tried, no alerting and no billing alarm. Against the 100K bar almost everything is short:
    # every one of the 12 critical questions has a gap, so "Not ready" is the only honest
    # verdict. The areas the platform carries (devops via git-push deploys, security via managed
    # TLS and encryption) score best; cost and database, where nothing has been set up, worst.
    # Its "start here" list is the cheap safety net an experienced CTO would put in place
    # first: test a restore, basic golden-signal metrics and a symptom alert, a billing alarm,
    # timeouts, surviving a cache outage, moving sessions out of process so a second instance
    # and a load balancer are possible, a standby database and a one-click rollback -- all
    # critical, mostly small quick wins. Sharding, service extraction and FinOps are nowhere
    # near the top (they are low-severity items of later phases).
    score, roadmap = run("early_startup", early_startup())
    assert score.overall == 24.3
    assert score.verdict == "not_ready"
    assert {a.area: a.score for a in score.areas} == {
        "architecture": 15.4,
        "infrastructure": 27.8,
        "database": 11.1,  # 3 of 27 weight points: only query review, ORM hygiene, backups
        "caching": 16.7,
        "devops": 36.2,
        "security": 41.7,
        "observability": 27.2,
        "product": 31.5,
        "cost": 6.5,
    }
    assert score.gap_counts == {"critical": 12, "high": 14, "medium": 40, "low": 35}
    assert len(score.critical_gaps) == 12
    assert score.verdict_reasons[0] == "Overall score 24.3 is below the At risk threshold of 50."
    assert score.verdict_reasons[-1] == '2 "don\'t know" answers count as level 0.'
    assert len(roadmap.items) == 101
    assert top_ids(roadmap) == [
        "cost.set_up_budget_alerts",
        "database.test_restore",
        "observability.instrument_golden_signals",  # the alert below needs these metrics
        "observability.alert_on_user_symptoms",
        "architecture.set_timeouts_everywhere",
        "caching.fail_open_on_cache_errors",
        "architecture.externalize_session_state",
        "database.add_standby",
        "infrastructure.put_load_balancer_in_front",
        "devops.make_rollback_a_pipeline_action",
    ]
    assert "database.estimate_single_node_runway" not in top_ids(roadmap)
    assert roadmap.item("database.estimate_single_node_runway").severity == "low"
    # Phase-1 audit items that need query statistics pull that work forward from phase 3.
    stats = roadmap.item("database.enable_query_statistics")
    assert (stats.phase, stats.bank_phase) == (1, 3)


def test_growing_product_aiming_at_100k():
    # ~15K users, level 2 nearly everywhere and 3 where incidents taught them (deploys,
    # rollback, alerting, isolation). The 100K bar is mostly level 2, so the average is high
    # (86.1, above the Ready threshold) -- but nobody knows whether the database fails over and
    # restores are not drilled. Those are the two ways this company loses a day of data or a
    # day of uptime at 100K, so the verdict is capped at "At risk", and the reasons say why.
    # The roadmap is short (28 items) and mostly medium: measure before scaling (load test,
    # platform limits, query review, unit cost), then the two critical database items.
    score, roadmap = run("growing_product", growing_product())
    assert score.overall == 86.1
    assert score.verdict == "at_risk"
    assert {a.area: a.score for a in score.areas} == {
        "architecture": 92.9,
        "infrastructure": 82.6,
        "database": 77.8,
        "caching": 100.0,
        "devops": 89.7,
        "security": 76.0,
        "observability": 93.8,
        "product": 90.7,
        "cost": 73.9,
    }
    assert score.gap_counts == {"critical": 2, "high": 0, "medium": 12, "low": 14}
    assert [q.question_id for q in score.critical_gaps] == [
        "database.backups_and_restores",
        "database.primary_failover",  # "don't know" counts as level 0
    ]
    assert score.verdict_reasons == (
        "Overall score 86.1 reaches the Ready threshold of 85.",
        "Capped at At risk: 2 critical questions are below the required level (any critical "
        "gap caps the verdict at At risk): database.backups_and_restores, "
        "database.primary_failover.",
        '4 "don\'t know" answers count as level 0.',
    )
    assert len(roadmap.items) == 28
    assert top_ids(roadmap) == [
        "cost.break_down_the_bill",  # prerequisite of the unit-cost metric
        "cost.track_unit_cost",
        "infrastructure.establish_load_testing",
        "infrastructure.review_platform_limits",
        "database.continuous_query_review",
        "architecture.harden_background_jobs",
        "devops.online_schema_changes",
        "database.add_standby",
        "database.scheduled_restore_drills",
        "security.first_external_pentest",
    ]
    assert [i.recommendation_id for i in roadmap.items if i.critical] == [
        "database.add_standby",
        "database.scheduled_restore_drills",
    ]


def test_mature_platform_aiming_at_1m():
    # ~400K users, at the 1M bar in architecture, infrastructure, security, delivery and
    # observability; cost management stopped at the 100K bar and a few product and data items
    # lag. No critical gap and 95.4 overall: "Ready". What remains is cost discipline
    # (allocation, unit cost by segment, commitments, rightsizing) and preparing a shard key --
    # exactly what a consultant would tell a platform team that has already done the hard
    # reliability work. Nothing in it is a quick win: the easy things were done long ago.
    score, roadmap = run("mature_platform", mature_platform())
    assert score.overall == 95.4
    assert score.verdict == "ready"
    assert score.verdict_reasons == ("Overall score 95.4 reaches the Ready threshold of 85.",)
    assert {a.area: a.score for a in score.areas} == {
        "architecture": 100.0,
        "infrastructure": 100.0,
        "database": 96.3,
        "caching": 95.8,
        "devops": 100.0,
        "security": 100.0,
        "observability": 100.0,
        "product": 92.6,
        "cost": 68.1,  # 15.67 of 23 weight points: mostly two levels of three
    }
    assert score.gap_counts == {"critical": 0, "high": 0, "medium": 2, "low": 12}
    assert len(roadmap.items) == 14
    assert roadmap.quick_wins == ()
    assert top_ids(roadmap) == [
        "cost.allocate_costs_to_owners",
        "cost.unit_cost_by_segment",
        "caching.cache_public_content_at_edge",
        "cost.control_metered_services",
        "cost.cover_baseline_with_commitments",
        "cost.continuous_rightsizing",
        "cost.retention_and_transfer_optimisation",
        "cost.revisit_architecture_costs",
        "cost.scale_to_zero_and_spot",
        "database.prepare_shard_key",
    ]


# --- Evidence: a claim of HTTPS everywhere against a naive, HTTP-only site ------------------------

NAIVE = "http://localhost:8080/"

# Every result `manage.py probe` reports for tests/probe_servers.naive_server, messages shortened
# (tests/integration/results/test_score_command.py does the same through a real probe run).
NAIVE_TARGET_RESULTS = [
    ("https_available", "fail", 0, "The site did not answer over HTTPS."),
    ("http_redirects_to_https", "fail", 0, "Plain HTTP serves content instead of redirecting."),
    ("redirect_chain", "pass", 100, "No redirect chain: the URLs answer directly."),
    ("tls_protocols", "error", 0, "No TLS handshake succeeded."),
    ("tls_forward_secrecy", "error", 0, "No TLS handshake succeeded."),
    ("certificate_valid", "error", 0, "No certificate was read."),
    ("certificate_expiry", "error", 0, "No certificate was read."),
    ("certificate_hostname", "error", 0, "No certificate was read."),
    ("certificate_chain", "error", 0, "No certificate was read."),
    ("hsts", "error", 0, "The HTTPS page could not be fetched, so HSTS could not be checked."),
    ("http2", "error", 0, "The TLS handshake failed."),
    ("csp", "fail", 0, "No Content-Security-Policy is set."),
    ("x_content_type_options", "fail", 0, "No X-Content-Type-Options header is sent."),
    ("frame_protection", "fail", 0, "Neither X-Frame-Options nor frame-ancestors is set."),
    ("referrer_policy", "warn", 60, "No Referrer-Policy is set."),
    ("permissions_policy", "warn", 40, "No Permissions-Policy header is sent."),
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
    answers = answer_values(growing_product())
    answers["security.encryption_in_transit"] = AnswerValue(
        "security.encryption_in_transit", "level", 4
    )
    return answers


def test_a_claim_of_https_everywhere_is_contradicted_by_an_http_only_site():
    # The team says "preloaded HSTS and mutual TLS" (level 4); the site does not even answer on
    # HTTPS and serves content over plain HTTP. The claim is lowered to 1 and shown with what
    # the probe saw; a critical gap appears, so with the two database gaps the verdict drops
    # from "At risk" to "Not ready" although the average barely moves.
    score = score_assessment(BANK.questions, https_everywhere_claim(), "100k", naive_evidence())
    encryption = score.question("security.encryption_in_transit")
    assert (encryption.claimed, encryption.achieved, encryption.gap) == (4, 1, 2)
    assert encryption.confidence == "contradicted"
    assert encryption.severity == "critical"
    contradiction = next(
        c for c in score.contradictions if c.question_id == "security.encryption_in_transit"
    )
    assert contradiction.claimed_label == "Preloaded HSTS and mutual TLS internally"
    assert contradiction.lowered_to == 1
    assert [(o.check_id, o.status, o.target_url) for o in contradiction.observed] == [
        ("https_available", "fail", NAIVE),
        ("http_redirects_to_https", "fail", NAIVE),
    ]
    assert contradiction.observed[0].evidence == {"url": NAIVE}
    assert score.verdict == "not_ready"
    assert score.overall == 81.8
    assert len(score.critical_gaps) == 3


def test_every_claim_the_naive_site_disproves_is_lowered_and_the_rest_stand():
    score = score_assessment(BANK.questions, https_everywhere_claim(), "100k", naive_evidence())
    lowered = {c.question_id: (c.claimed_level, c.lowered_to) for c in score.contradictions}
    assert lowered == {
        "infrastructure.static_and_media_delivery": (2, 1),  # no caching headers on assets
        "infrastructure.edge_tls_dns": (2, 1),  # no HTTPS at the edge
        "caching.http_cache_headers": (2, 1),
        "caching.edge_caching": (2, 1),
        "caching.payload_efficiency": (2, 1),  # uncompressed
        "caching.frontend_assets": (2, 1),
        "security.encryption_in_transit": (4, 1),
        "security.authentication_sessions_cors": (2, 1),  # reflected CORS, unsafe cookie
        "security.information_leakage": (2, 1),  # traceback on the 404 page
        "product.graceful_degradation": (2, 1),
        "cost.storage_and_data_transfer": (2, 1),
    }
    # The team already admitted weak browser headers (level 1): the failures agree with it.
    headers = score.question("security.browser_security_headers")
    assert (headers.achieved, headers.confidence) == (1, "corroborated")
    # A fast page corroborates query-performance answers but does not raise them.
    query = score.question("database.query_performance")
    assert (query.claimed, query.achieved, query.confidence) == (2, 2, "corroborated")
    # Warnings alone (no CDN seen, no security.txt) lower nothing.
    for question_id in ("security.waf_and_ddos", "security.incident_response_disclosure"):
        warned = score.question(question_id)
        assert (warned.achieved, warned.confidence) == (warned.claimed, "unverified")


@pytest.mark.parametrize("build", [early_startup, growing_product, mature_platform])
def test_profiles_are_fresh_documents_each_time(build):
    first = build()
    first["answers"].clear()
    assert build()["answers"]
