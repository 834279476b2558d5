"""Drift between two probe runs of one system, and the signature of the webhook that reports it.

The pure half of watching a system between audits (issue 14, part 7): ``compare_runs`` takes
two runs' stored results and returns the regressions a person should hear about, in words;
``webhook_signature``/``webhook_signature_valid`` sign and check a notification body with
HMAC-SHA256 over a timestamp, so a receiver can refuse forged and replayed calls;
``retry_delays`` is the backoff between delivery attempts. Scheduling (Celery beat), storing
events, e-mail and delivery are the Django side: ``assessments.watch``.

Regressions, each judged per base URL:

- a check got worse (pass -> warn -> fail); "error" and "not applicable" say nothing, so a
  check that could not judge this time is no regression;
- the grade dropped a letter or more;
- the certificate came within ``CERT_EXPIRY_ALERT_DAYS`` of expiry (once, when it crosses);
- the judged latency percentile grew by ``LATENCY_DEGRADATION_FACTOR`` and at least
  ``LATENCY_DEGRADATION_MIN_MS`` (both, so 4 ms -> 8 ms on a local app is no alarm);
- sustained throughput under the burst fell below ``CAPACITY_DEGRADATION_SHARE`` of before.

Pure: no Django.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from checks.engine.grade import LETTERS, Grade, grade, judged_from_evidence
from checks.engine.ids import CHECK_TITLES

STATUS_RANK = {"pass": 0, "warn": 1, "fail": 2}
CERT_EXPIRY_ALERT_DAYS = 21
LATENCY_DEGRADATION_FACTOR = 1.5
LATENCY_DEGRADATION_MIN_MS = 100.0
CAPACITY_DEGRADATION_SHARE = 0.8
WEBHOOK_TOLERANCE_SECONDS = 300
WEBHOOK_RETRY_BASE_SECONDS = 30
WEBHOOK_ATTEMPTS = 5


@dataclass(frozen=True)
class RunSnapshot:
    """What comparing needs of one run, keyed by base URL."""

    grade: Grade | None
    statuses: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (url, check)
    cert_days_left: Mapping[str, int] = field(default_factory=dict)
    latency_ms: Mapping[str, float] = field(default_factory=dict)
    sustained_rps: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Regression:
    kind: str  # check, grade, certificate, latency, capacity
    target_url: str  # "" for the run as a whole (the grade)
    summary: str  # in words, for the event list, the e-mail and the webhook
    check_id: str = ""


def _number(evidence: Mapping[str, Any], key: str) -> float | None:
    value = evidence.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def snapshot(rows: Iterable[Mapping[str, Any]]) -> RunSnapshot:
    """A run's stored results (``ProbeResult.as_evidence()`` dicts) as a ``RunSnapshot``."""
    rows = list(rows)
    statuses, cert, latency, rps = {}, {}, {}, {}
    for row in rows:
        url, check_id, evidence = row["target_url"], row["check_id"], row.get("evidence") or {}
        statuses[(url, check_id)] = row["status"]
        if (
            check_id == "certificate_expiry"
            and (days := _number(evidence, "days_left")) is not None
        ):
            cert[url] = int(days)
        judged = _number(evidence, "judged_ms")
        if check_id == "latency_percentiles" and row["status"] in STATUS_RANK and judged:
            latency[url] = judged
        if check_id == "burst_capacity" and (value := _number(evidence, "sustained_rps")):
            rps[url] = value
    return RunSnapshot(grade(judged_from_evidence(rows)), statuses, cert, latency, rps)


def compare_runs(previous: RunSnapshot, current: RunSnapshot) -> list[Regression]:
    """What got worse from ``previous`` to ``current``, grade first, then per URL."""
    found = []
    if previous.grade and current.grade:
        before, after = previous.grade.letter, current.grade.letter
        if LETTERS.index(after) > LETTERS.index(before):
            found.append(
                Regression("grade", "", f"The probe grade dropped from {before} to {after}.")
            )
    for (url, check_id), status in current.statuses.items():
        was = previous.statuses.get((url, check_id))
        if status in STATUS_RANK and was in STATUS_RANK and STATUS_RANK[status] > STATUS_RANK[was]:
            title = CHECK_TITLES.get(check_id, "A check")
            summary = f"{title}: {was} before, {status} now ({url})."
            found.append(Regression("check", url, summary, check_id))
    for url, days in current.cert_days_left.items():
        before_days = previous.cert_days_left.get(url)
        crossed = before_days is None or before_days > CERT_EXPIRY_ALERT_DAYS
        if days <= CERT_EXPIRY_ALERT_DAYS and crossed:
            summary = f"The certificate of {url} expires in {days} day(s)."
            found.append(Regression("certificate", url, summary, "certificate_expiry"))
    for url, now_ms in current.latency_ms.items():
        was_ms = previous.latency_ms.get(url)
        if was_ms is None:
            continue
        if (
            now_ms >= was_ms * LATENCY_DEGRADATION_FACTOR
            and now_ms - was_ms >= LATENCY_DEGRADATION_MIN_MS
        ):
            summary = f"Latency of {url} grew from {was_ms:.0f} ms to {now_ms:.0f} ms."
            found.append(Regression("latency", url, summary, "latency_percentiles"))
    for url, now_rps in current.sustained_rps.items():
        was_rps = previous.sustained_rps.get(url)
        if was_rps and now_rps < was_rps * CAPACITY_DEGRADATION_SHARE:
            summary = (
                f"Sustained throughput of {url} fell from {was_rps:.0f} to {now_rps:.0f} "
                "requests/s."
            )
            found.append(Regression("capacity", url, summary, "burst_capacity"))
    return found


# --- Webhook signatures ---------------------------------------------------------------------


def webhook_signature(secret: bytes, body: bytes, timestamp: int) -> str:
    """The ``ScaleReady-Signature`` header value: ``t=<unix time>,v1=<hex HMAC-SHA256>`` of
    ``"<t>." + body``; the timestamp inside the MAC stops replays of old bodies."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def webhook_signature_valid(
    secret: bytes, body: bytes, header: str, now: int, tolerance: int = WEBHOOK_TOLERANCE_SECONDS
) -> bool:
    """What a receiver checks: a well-formed header, a fresh timestamp, a matching MAC
    (compared in constant time)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp = parts.get("t", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    expected = webhook_signature(secret, body, int(timestamp))
    return hmac.compare_digest(expected, f"t={timestamp},v1={parts.get('v1', '')}")


def retry_delays(
    attempts: int = WEBHOOK_ATTEMPTS, base: int = WEBHOOK_RETRY_BASE_SECONDS
) -> tuple[int, ...]:
    """Seconds to wait before each retry after the first attempt: base, 2x, 4x..."""
    return tuple(base * 2**n for n in range(attempts - 1))
