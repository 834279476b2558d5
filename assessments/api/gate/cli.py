"""``scaleready-gate``: the CI gate's command line and its API client (``requests`` only).

Exit status: 0 the gate passed, 1 it failed (a threshold), 2 it could not judge (bad options,
an unreachable or refusing server, a run that failed or did not finish in time).
"""

import argparse
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import requests

from assessments.api.gate.evaluation import (
    GRADES,
    VERDICTS,
    GateError,
    Outcome,
    Thresholds,
    check_results,
    judge,
    junit_xml,
    summary,
    validate,
)

PASSED, FAILED, ERROR = 0, 1, 2
USER_AGENT = "scaleready-gate/1"
RATE_LIMIT_RETRIES = 6
MAX_RATE_LIMIT_WAIT = 120.0  # seconds; a longer Retry-After is reported, not waited out
NO_GRADES = "--min-grade: this ScaleReady server does not grade probe runs yet"


class Api:
    """The few calls the gate makes; problem+json errors become ``GateError``."""

    def __init__(self, url: str, token: str, timeout: float = 30.0):
        self.base = url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.trust_env = True  # CI proxies apply to the gate (not to probes)
        self.session.headers.update({"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT})
        self.timeout = timeout

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        """One request; when the token's rate limit answers 429, wait as long as the server
        asks (``Retry-After``) and try again, a few times."""
        url = path if path.startswith("http") else self.base + path
        for _attempt in range(RATE_LIMIT_RETRIES):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                raise GateError(f"cannot reach ScaleReady at {self.base}: {exc}") from None
            wait = retry_after(response)
            if response.status_code != 429 or wait is None or wait > MAX_RATE_LIMIT_WAIT:
                return response
            time.sleep(wait)  # the server's own instruction, not a guess
        return response

    def json(self, method: str, path: str, ok: Sequence[int] = (200,), **kwargs) -> dict:
        response = self.call(method, path, **kwargs)
        if response.status_code not in ok:
            raise GateError(problem_text(response))
        return response.json()

    def pages(self, path: str) -> Iterator[dict]:
        url: str | None = f"{path}?page_size=200"
        while url:
            page = self.json("GET", url)
            yield from page["items"]
            url = page["next"]


def retry_after(response: requests.Response) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds; None when absent or a date."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def problem_text(response: requests.Response) -> str:
    try:
        body = response.json()
        return f"{response.status_code} {body.get('title', '')}: {body.get('detail', '')}"
    except ValueError:
        return f"{response.status_code} from {response.url}"


def start_run(api: Api, system: int, burst: bool, deadline: float, poll: float) -> dict:
    """Start a run; a host still in its cooldown is waited for (once per refusal)."""
    while True:
        response = api.call("POST", f"/systems/{system}/probe-runs", json={"run_burst": burst})
        if response.status_code == 202:
            return response.json()
        body = response.json() if "json" in response.headers.get("Content-Type", "") else {}
        wait = body.get("retry_after") if body.get("type", "").endswith("-cooldown") else None
        if wait is None or time.monotonic() + wait > deadline:
            raise GateError(f"the probe run was not started: {problem_text(response)}")
        time.sleep(max(wait, poll))


def wait_for(api: Api, run: dict, deadline: float, poll: float) -> dict:
    while run["active"]:
        if time.monotonic() > deadline:
            raise GateError(f"probe run {run['id']} did not finish in time (still {run['status']})")
        time.sleep(poll)
        run = api.json("GET", f"/probe-runs/{run['id']}")
    return run


def run_gate(
    api: Api,
    *,
    system: int,
    thresholds: Thresholds,
    assessment: int | None = None,
    burst: bool = False,
    timeout: float = 900.0,
    poll: float = 5.0,
    accept_on_pass: bool = False,
) -> Outcome:
    validate(thresholds)
    if thresholds.max_verdict is not None and assessment is None:
        raise GateError("--max-verdict needs --assessment: the verdict is an assessment's")
    if thresholds.min_grade is not None:
        # Refused before probing when the server's runs carry no grade at all.
        latest = api.json("GET", f"/systems/{system}/probe-runs?page_size=1")["items"]
        if latest and "grade" not in latest[0]:
            raise GateError(NO_GRADES)
    deadline = time.monotonic() + timeout
    run = start_run(api, system, burst, deadline, poll)
    if thresholds.min_grade is not None and "grade" not in run:
        raise GateError(NO_GRADES)
    # The baseline does not depend on the new run: read it while the run is going.
    baseline, baseline_id = None, None
    accepted = api.call("GET", f"/systems/{system}/accepted-run")
    if accepted.status_code == 200:
        baseline_id = accepted.json()["run"]["id"]
        baseline = check_results(api.pages(f"/probe-runs/{baseline_id}/results"))
    elif accepted.status_code != 404:
        raise GateError(problem_text(accepted))
    run = wait_for(api, run, deadline, poll)
    if run["status"] != "succeeded":
        raise GateError(f"probe run {run['id']} {run['status']}: {run.get('error') or 'no reason'}")
    checks = check_results(api.pages(f"/probe-runs/{run['id']}/results"))
    verdict = label = None
    if assessment is not None:
        results = api.json("GET", f"/assessments/{assessment}/results")
        verdict, label = results["verdict"], results["verdict_label"]
    outcome = judge(
        run=run,
        checks=checks,
        thresholds=thresholds,
        baseline=baseline,
        baseline_run_id=baseline_id,
        verdict=verdict,
        verdict_label=label,
    )
    if outcome.passed and accept_on_pass:
        api.json("POST", f"/probe-runs/{run['id']}/accept")
    return outcome


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url", default=os.environ.get("SCALEREADY_URL"), help="ScaleReady's address"
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("SCALEREADY_TOKEN"),
        help="a workspace API token (default: $SCALEREADY_TOKEN; prefer the variable)",
    )
    parser.add_argument("--system", type=int, required=True, help="the system to probe (its id)")
    parser.add_argument("--assessment", type=int, help="the assessment whose verdict to judge")
    parser.add_argument("--max-verdict", choices=VERDICTS, help="the worst verdict that passes")
    parser.add_argument("--min-grade", choices=GRADES, help="the lowest probe grade that passes")
    parser.add_argument(
        "--allow-regressions",
        action="store_true",
        help="report checks worse than in the accepted run without failing",
    )
    parser.add_argument(
        "--accept-on-pass",
        action="store_true",
        help="make this run the accepted baseline when the gate passes (e.g. on main)",
    )
    parser.add_argument("--burst", action="store_true", help="include the capacity burst")
    parser.add_argument("--junit", type=Path, help="write JUnit XML here")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait in all")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between status checks")


def run_from_options(options: argparse.Namespace, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    if not options.url or not options.token:
        print("scaleready-gate: give --url and a token (SCALEREADY_TOKEN)", file=err)
        return ERROR
    thresholds = Thresholds(
        fail_on_regression=not options.allow_regressions,
        max_verdict=options.max_verdict,
        min_grade=options.min_grade,
    )
    try:
        outcome = run_gate(
            Api(options.url, options.token),
            system=options.system,
            thresholds=thresholds,
            assessment=options.assessment,
            burst=options.burst,
            timeout=options.timeout,
            poll=options.poll,
            accept_on_pass=options.accept_on_pass,
        )
    except GateError as exc:
        print(f"scaleready-gate: {exc}", file=err)
        return ERROR
    print(summary(outcome), file=out)
    if options.junit:
        options.junit.write_text(junit_xml(outcome), encoding="utf-8")
    return PASSED if outcome.passed else FAILED


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scaleready-gate", description="Probe a system through ScaleReady and gate on it."
    )
    add_arguments(parser)
    return run_from_options(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
