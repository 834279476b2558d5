"""``manage.py score`` end to end: answers exports and probe reports on disk; no database."""

import copy
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assessments.bank.domain.loader import load_bank
from checks.engine.probe import ProbeOptions, probe_and_evaluate, report_to_dict
from tests.probe_servers import loopback_only, naive_server
from tests.profiles import early_startup, growing_product
from tests.unit.results.test_worked_examples import NAIVE_TARGET_RESULTS


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def score(*args):
    out = StringIO()
    call_command("score", *map(str, args), stdout=out)
    return out.getvalue()


def probe_report(targets):
    return {"format": "scaleready.probe", "format_version": 1, "targets": targets}


def target(url="https://www.example/", results=(), burst=None):
    return {"url": url, "artifacts": {"target_url": url, "burst": burst}, "results": list(results)}


def check(check_id, status, score_=0, message="observed"):
    return {
        "check_id": check_id,
        "status": status,
        "score": score_,
        "message": message,
        "evidence": {},
    }


@pytest.fixture
def startup_file(tmp_path):
    return write(tmp_path, "startup.json", early_startup())


def ids_in(text: str) -> set[str]:
    """Question and recommendation ids that leaked into text meant for people."""
    bank = load_bank()
    ids = {q.id for q in bank.questions} | {r.id for r in bank.recommendations}
    return {i for i in ids if i in text}


def test_prints_the_verdict_reasons_areas_headroom_and_top_items(startup_file):
    out = score(startup_file, "--target-users", "100000")
    assert "Scaling readiness for 100,000 users (Up to 100K users)" in out
    # Nearly everything is known, and twelve critical practices are absent or two levels short.
    assert "Verdict: NOT READY - maturity of what is known 22.8/100" in out
    assert (
        "Not ready: 12 critical practices are missing or far short of what a system of up to "
        "100K users needs." in out
    )
    assert "Tested database restores: 2 levels short. Today: “Automated backups, never" in out
    assert "provisional" not in out  # 98 % known: nothing rests on guesses
    assert "Known: 105 of 107 applicable questions (98%), 13 of 13 critical" in out
    assert re.search(r"Database & data +11\.1 +12/12 known, 12 gap\(s\)", out)
    assert "Claims contradicted by evidence\n  None." in out
    assert "= 500.0 requests/s. Not measured" in out
    assert "Start here: 10 of 103 roadmap items" in out
    # Safety basics lead, whatever chapter of the scaling plan the bank files them under.
    assert re.search(
        r"\n   1\. \[phase 1 Audit & baseline\] Page a person when users are affected "
        r"\(safety basic, effort S, impact 3, priority \d+, quick win\)",
        out,
    )
    assert "Restore a backup end to end and time it (safety basic" in out
    assert not ids_in(out)


def test_target_users_choose_the_band(startup_file):
    out = score(startup_file, "--target-users", "900")
    assert "(Up to 1K users)" in out
    # Nearly everything meets today's bar, but plain HTTP and nobody paged are absent safety
    # basics: not ready whatever the average. The untested restore is one step short on its
    # own, which alone would only cap the verdict at At risk.
    assert "Verdict: NOT READY - maturity of what is known 91.6/100" in out
    assert "Not ready: 2 critical practices are missing or far short" in out
    assert "HTTPS with redirect: not in place." in out
    assert "Tested database restores: one step short." in out


def test_json_output_holds_the_score_and_the_whole_roadmap(startup_file):
    document = json.loads(score(startup_file, "--target-users", "100000", "--json"))
    assert document["format"] == "scaleready.score"
    assert (document["verdict"], document["overall"], document["band"]) == (
        "not_ready",
        22.8,
        "100k",
    )
    assert document["provisional"] is False
    assert document["coverage"] == {
        "applicable": 107,
        "known": 105,
        "dont_know": 2,
        "unanswered": 0,
        "critical": 13,
        "critical_known": 13,
        "critical_unknown": 0,
        "share": 0.981,
    }
    first = document["reasons"][0]
    assert first["theme"] == "critical_gap"
    assert "database.backups_and_restores" in first["question_ids"]
    assert len(document["questions"]) == len(load_bank().questions)
    assert len(document["roadmap"]["items"]) == 103
    assert {i["kind"] for i in document["roadmap"]["items"]} == {"fix"}  # nothing to find out
    assert document["roadmap"]["top"][:3] == [
        "observability.alert_on_user_symptoms",
        "security.https_everywhere",
        "database.test_restore",
    ]
    assert document["headroom"]["needed_peak_rps"] == 500.0


def test_json_output_marks_a_half_answered_assessment_provisional_with_find_out_steps(tmp_path):
    answers = write(tmp_path, "growing.json", growing_product())
    document = json.loads(score(answers, "--target-users", "100000", "--json"))
    assert document["provisional"] is True
    assert document["coverage"]["critical_unknown"] == 5
    unknown = next(r for r in document["reasons"] if r["theme"] == "unknown")
    assert "architecture.stateless_app_tier" in unknown["question_ids"]
    assert "Stateless application servers" in unknown["text"]
    find_out = [i for i in document["roadmap"]["items"] if i["kind"] == "find_out"]
    assert "architecture.stateless_app_tier.find_out" in {i["recommendation_id"] for i in find_out}
    assert all(i["phase"] == 1 for i in find_out)  # learn the truth before planning around it


def test_rpm_and_peak_factor_change_the_capacity_estimate(startup_file):
    document = json.loads(
        score(
            startup_file, "--target-users", "100000", "--rpm", "6", "--peak-factor", "2", "--json"
        )
    )
    assert document["headroom"]["needed_peak_rps"] == 1000.0  # 100,000 x 5 % x 6 / 60 x 2


def test_probe_results_lower_contradicted_claims_and_a_burst_gives_headroom(tmp_path):
    answers = write(tmp_path, "growing.json", growing_product())
    report = probe_report(
        [
            target(
                "https://www.example/",
                [check("https_available", "pass", 100), check("compression", "fail")],
                burst={"verified": True, "sustained_rps": 900.0, "p95_ms": 120.0},
            ),
            target(
                "https://api.example/",
                [check("https_available", "fail", message="No answer on 443.")],
                burst={"verified": True, "sustained_rps": 600.0, "p95_ms": 250.0},
            ),
        ]
    )
    checks = write(tmp_path, "probe.json", report)
    out = score(answers, "--target-users", "100000", "--checks", checks)
    # No answer on 443 at all: a claim of HTTPS everywhere falls to plain HTTP.
    assert (
        'HTTPS with redirect: claimed level 2 ("HTTPS everywhere, redirected, renewed '
        'automatically"), lowered to 0' in out
    )
    assert "FAIL HTTPS is served on https://api.example/: No answer on 443." in out
    assert not ids_in(out)
    # The slower target's burst counts: 600 / 500 needed.
    assert (
        "Measured: 600.0 requests/s sustained in the bounded burst (p95 250 ms), headroom x1.20"
        in out
    )


def test_a_real_probe_of_the_naive_site_contradicts_a_claim_of_https_everywhere(tmp_path):
    with loopback_only(), naive_server() as server:
        reports = probe_and_evaluate(
            [server.url], ProbeOptions(allow_loopback=True, latency_samples=3)
        )
    # The worked examples' fixture of this site says what a real probe says, status by status.
    assert {r.check_id: r.status for r in reports[0].results} == {
        check_id: status for check_id, status, _score, _message in NAIVE_TARGET_RESULTS
    }
    checks = write(tmp_path, "naive.json", report_to_dict(reports))
    document = growing_product()
    row = next(r for r in document["answers"] if r["question"] == "security.encryption_in_transit")
    row["level"] = 4
    answers = write(tmp_path, "claims.json", document)
    result = json.loads(score(answers, "--target-users", "100000", "--checks", checks, "--json"))
    lowered = {c["question_id"]: c for c in result["contradictions"]}
    encryption = lowered["security.encryption_in_transit"]
    # A site with no HTTPS listener claimed to be preloaded with HSTS: counted as plain HTTP.
    assert (encryption["claimed_level"], encryption["lowered_to"]) == (4, 0)
    assert [o["check_id"] for o in encryption["observed"]] == [
        "https_available",
        "http_redirects_to_https",
    ]
    assert encryption["observed"][0]["target_url"] == server.url
    # Only the claims these checks can speak to are lowered; latency and burst results say
    # nothing about query hygiene or background work.
    assert sorted(lowered) == [
        "caching.http_cache_headers",
        "infrastructure.edge_tls_dns",
        "security.authentication_sessions_cors",
        "security.browser_security_headers",
        "security.encryption_in_transit",
        "security.incident_response_disclosure",
        "security.information_leakage",
    ]
    assert result["verdict"] == "not_ready"
    assert result["headroom"]["status"] == "not_measured"


# --- Bad files ----------------------------------------------------------------------------------


def broken(mutate):
    document = early_startup()
    mutate(document)
    return document


def set_row(index, **fields):
    return lambda document: document["answers"][index].update(fields)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"not JSON \(Expecting property name"),
        ("[]", "must hold a JSON object"),
        ("[" * 1000 + "]" * 1000, "nests lists or objects more than 20 levels deep"),
        ({"format": "something.else"}, "`format` must be 'scaleready.answers'"),
        (broken(lambda d: d.update(format_version=2)), "`format_version` must be 1, got 2"),
        (
            broken(lambda d: d.update(bank_version="2020.1.1")),
            "exported from question bank '2020.1.1', but the shipped bank is",
        ),
        (broken(lambda d: d.update(answers={})), "`answers` must be a list"),
        (
            broken(set_row(0, question="architecture.no_such_thing")),
            r"answers\[1\]: unknown question id 'architecture.no_such_thing'",
        ),
        (broken(set_row(3, state="maybe")), r"answers\[4\] \(.*\): state must be one of"),
        (broken(set_row(3, state="level", level=9)), "level must be one of"),
        (broken(set_row(3, state="unknown", level=2)), "level must be null when state is"),
        (broken(set_row(3, colour="blue")), r"unknown field\(s\) colour"),
        (
            broken(lambda d: d["answers"].append(copy.deepcopy(d["answers"][0]))),
            "is answered twice",
        ),
    ],
)
def test_a_bad_answers_file_is_refused_naming_the_file_and_the_problem(tmp_path, content, message):
    path = write(tmp_path, "answers.json", content)
    with pytest.raises(CommandError, match=message) as refused:
        score(path, "--target-users", "1000")
    assert str(refused.value).startswith(f"{path}: not a valid answers file:")
    assert refused.value.returncode == 1


def test_every_problem_of_an_answers_file_is_reported_at_once(tmp_path):
    document = early_startup()
    document["answers"][0]["question"] = "nope.one"
    document["answers"][5]["state"] = "perhaps"
    path = write(tmp_path, "answers.json", document)
    with pytest.raises(CommandError) as refused:
        score(path, "--target-users", "1000")
    assert str(refused.value).count("\n  - ") == 2


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        score(tmp_path / "absent.json", "--target-users", "1000")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<html>", "not JSON"),
        ('{"targets": ' + "[" * 1000 + "]" * 1000 + "}", "more than 20 levels deep"),
        (
            {"format": "scaleready.answers", "format_version": 1},
            "`format` must be 'scaleready.probe'",
        ),
        (probe_report({}), "`targets` must be a list"),
        (probe_report([{"results": []}]), r"targets\[1\]: must be an object with a `url`"),
        (probe_report([target(results=[check("no_such_check", "pass")])]), "unknown check id"),
        (probe_report([target(results=[check("cdn", "great")])]), "cdn: status must be one of"),
        (probe_report([target(results=[check("cdn", "pass", 140)])]), "score must be an integer"),
        (
            probe_report([target(burst={"verified": True, "sustained_rps": "fast"})]),
            r"targets\[1\].artifacts: burst.sustained_rps must be a non-negative number",
        ),
    ],
)
def test_a_bad_probe_file_is_refused_naming_the_file_and_the_problem(
    tmp_path, startup_file, content, message
):
    path = write(tmp_path, "probe.json", content)
    with pytest.raises(CommandError, match=message) as refused:
        score(startup_file, "--target-users", "1000", "--checks", path)
    assert str(refused.value).startswith(f"{path}: not a valid probe report:")


def test_an_unverified_or_refused_burst_is_not_a_measurement(tmp_path, startup_file):
    report = probe_report(
        [
            target(burst={"verified": False, "sustained_rps": 50.0}),
            target(burst={"verified": True, "refused_reason": "cooldown", "sustained_rps": None}),
        ]
    )
    path = write(tmp_path, "probe.json", report)
    document = json.loads(score(startup_file, "--target-users", "1000", "--checks", path, "--json"))
    assert document["headroom"]["status"] == "not_measured"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target-users", "-5"], "cannot be negative"),
        (["--target-users", "10", "--rpm", "0"], "--rpm must be a positive number"),
        (["--target-users", "10", "--peak-factor", "nan"], "--peak-factor must be a positive"),
    ],
)
def test_bad_options_are_usage_errors(startup_file, args, message):
    with pytest.raises(CommandError, match=message):
        score(startup_file, *args)
