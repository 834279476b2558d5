"""Probe reads: the latest evidence and burst a system has (scoring reads them), a run's live
progress and its results grouped for the run page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Subquery

from checks.engine.artifacts import BurstResult
from checks.engine.catalog import CATEGORIES, CHECKS
from checks.engine.grade import Grade, grade, judged_from_evidence
from checks.engine.presentation import EvidenceTable, artifact_tables, evidence_tables, raw_json
from checks.models import ProbedTarget, ProbeResult, ProbeRun


def latest_run(system) -> ProbeRun | None:
    """The most recently requested run of ``system``, whatever its status."""
    return ProbeRun.objects.filter(system=system).order_by("-created_at", "-pk").first()


def _latest_succeeded(system, before: datetime | None = None):
    runs = ProbeRun.objects.filter(system=system, status=ProbeRun.Status.SUCCEEDED)
    if before is not None:
        runs = runs.filter(finished_at__lte=before)
    return runs.order_by("-finished_at", "-pk")


def latest_evidence_run_id(system) -> int | None:
    """The run whose results are the system's evidence now: what a stale report compares."""
    return _latest_succeeded(system).values_list("pk", flat=True).first()


_EVIDENCE_MEMO = "_latest_probe_evidence"


def latest_results(system, before: datetime | None = None):
    """The results of the latest succeeded run (finished by ``before``, if given)."""
    latest = _latest_succeeded(system, before).values("pk")[:1]
    return ProbeResult.objects.filter(run_id=Subquery(latest)).order_by("pk")


def latest_evidence(system, before: datetime | None = None) -> list[dict[str, Any]]:
    """Every check result of the latest succeeded run (finished by ``before``, if given), as
    plain dicts (check_id, status, score, message, evidence, target_url); [] when no run has
    succeeded (by then). One query. ``system`` may be a System or its id.

    The answer for "now" is kept on the System instance for the rest of the request, so the
    grade shown beside the scores (``latest_grade``) costs no second query."""
    rows = [result.as_evidence() for result in latest_results(system, before)]
    if before is None and hasattr(system, "__dict__"):
        system.__dict__[_EVIDENCE_MEMO] = rows
    return rows


def latest_grade(system) -> Grade | None:
    """The grade (A+ to F, per-category scores) of the system's latest succeeded run; None
    when no run succeeded or nothing could be judged. The results page and the PDF call this;
    one query, none when ``latest_evidence`` already ran for this System instance."""
    rows = getattr(system, "__dict__", {}).get(_EVIDENCE_MEMO)
    if rows is None:
        rows = latest_evidence(system)
    return grade(judged_from_evidence(rows))


def run_grade(run: ProbeRun) -> Grade | None:
    """The grade of one run (one query)."""
    rows = run.results.values("check_id", "category", "status", "score")
    return grade(judged_from_evidence(rows))


def latest_burst(system) -> BurstResult | None:
    """The burst of the most recent succeeded run in which a burst actually ran (first
    target in order with one); None when no burst ever ran. A later run without a burst does
    not hide an earlier measurement. One query."""
    burst = burst_measurements(system).first()
    return None if burst is None else BurstResult.from_dict(burst)


def burst_measurements(system):
    """Every verified burst of the system's succeeded runs, the latest first."""
    return (
        ProbedTarget.objects.filter(
            run__system=system,
            run__status=ProbeRun.Status.SUCCEEDED,
            run__run_burst=True,
            artifacts__burst__verified=True,
            artifacts__burst__requests_sent__gt=0,
        )
        .order_by("-run__finished_at", "-run_id", "pk")
        .values_list("artifacts__burst", flat=True)
    )


GATHERER_LABELS = {
    "http": "HTTP requests",
    "tls": "TLS handshakes",
    "dns": "DNS lookup",
    "latency": "Latency samples",
    "verification": "Ownership re-check",
    "burst": "Capacity burst",
}
STATUS_LABELS = {
    "pass": "Pass",
    "warn": "Warn",
    "fail": "Fail",
    "error": "Error",
    "not_applicable": "N/A",
}


@dataclass(frozen=True)
class TargetProgress:
    url: str
    state: str  # waiting, running, done, refused
    running: tuple[str, ...]  # labels of the gatherers at work
    done: int
    total: int
    note: str = ""


@dataclass(frozen=True)
class ProgressView:
    targets: tuple[TargetProgress, ...]

    @property
    def targets_done(self) -> int:
        return sum(1 for t in self.targets if t.state in ("done", "refused"))

    @property
    def gatherers_done(self) -> int:
        return sum(t.done for t in self.targets)

    @property
    def gatherers_total(self) -> int:
        return sum(t.total for t in self.targets)


def run_progress(run: ProbeRun) -> ProgressView:
    """What the run page shows while a run is going: per target, which gatherers run, how
    many are done. A queued run lists its targets as waiting."""
    entries = (run.progress or {}).get("targets")
    if not entries:
        return ProgressView(
            tuple(TargetProgress(url, "waiting", (), 0, 0) for url in run.target_urls)
        )
    rows = []
    for entry in entries:
        gatherers = entry.get("gatherers", {})
        running = tuple(
            GATHERER_LABELS.get(name, name) for name, state in gatherers.items() if state != "done"
        )
        done = sum(1 for state in gatherers.values() if state == "done")
        total = max(len(entry.get("expected", ())), len(gatherers))
        rows.append(
            TargetProgress(
                entry["url"],
                entry.get("state", "waiting"),
                running,
                done,
                total,
                entry.get("note", ""),
            )
        )
    return ProgressView(tuple(rows))


@dataclass(frozen=True)
class ResultRow:
    check_id: str
    title: str
    status: str
    status_label: str
    score: int
    message: str
    evidence: tuple[EvidenceTable, ...]  # labelled tables for people
    evidence_json: str  # the raw form, shown only in a collapsed block
    why: str
    how_to_fix: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class CategoryResults:
    key: str
    title: str
    results: tuple[ResultRow, ...]


@dataclass(frozen=True)
class TargetResults:
    url: str
    note: str
    probed: bool
    counts: tuple[tuple[str, str, int], ...]  # (status, label, how many)
    categories: tuple[CategoryResults, ...]
    seen: tuple[EvidenceTable, ...] = ()  # per artifact: certificate, headers, cookies...


def results_by_target(run: ProbeRun) -> list[TargetResults]:
    """A finished run's results: per target, grouped by category in catalog order (2 queries)."""
    by_url: dict[str, list[ProbeResult]] = {}
    for result in run.results.order_by("pk"):
        by_url.setdefault(result.target_url, []).append(result)
    reports = []
    for probed in run.probed_targets.order_by("pk"):
        results = by_url.get(probed.url, [])
        statuses = [result.status for result in results]
        counts = tuple(
            (status, label, statuses.count(status))
            for status, label in STATUS_LABELS.items()
            if status in statuses
        )
        reports.append(
            TargetResults(
                url=probed.url,
                note=probed.note,
                probed=bool(results),
                counts=counts,
                categories=_by_category(results),
                seen=_seen(probed),
            )
        )
    return reports


def _seen(probed: ProbedTarget) -> tuple[EvidenceTable, ...]:
    artifacts = probed.load_artifacts()
    return () if artifacts is None else tuple(artifact_tables(artifacts))


def _by_category(results: Sequence[ProbeResult]) -> tuple[CategoryResults, ...]:
    grouped: dict[str, list[ResultRow]] = {key: [] for key in CATEGORIES}
    for result in results:
        check = CHECKS.get(result.check_id)
        grouped.setdefault(result.category, []).append(
            ResultRow(
                check_id=result.check_id,
                title=check.title if check else "A check no longer in the catalog",
                status=result.status,
                status_label=STATUS_LABELS.get(result.status, result.status),
                score=result.score,
                message=result.message,
                evidence=tuple(evidence_tables(result.evidence)),
                evidence_json=raw_json(result.evidence),
                why=check.why if check else "",
                how_to_fix=check.how_to_fix if check else "",
                references=check.references if check else (),
            )
        )
    return tuple(
        CategoryResults(key, CATEGORIES.get(key, "Other"), tuple(rows))
        for key, rows in grouped.items()
        if rows
    )


def recent_runs(system, limit: int = 5) -> list[ProbeRun]:
    """The latest runs of ``system``, newest first, each with its ``grade`` (None until it
    succeeded), in two queries (the system page shows them)."""
    runs = ProbeRun.objects.filter(system=system).select_related("requested_by")
    return grade_runs(list(runs.order_by("-created_at", "-pk")[:limit]))


# What grading a run reads of its results, and what comparing two runs reads
# (``checks.engine.drift.snapshot``: the grade, and the evidence of each base URL).
GRADE_FIELDS = ("check_id", "category", "status", "score")
SNAPSHOT_FIELDS = (*GRADE_FIELDS, "evidence", "target_url")


def result_rows(
    run_ids, fields: Sequence[str] = GRADE_FIELDS, **filters
) -> dict[int, list[dict[str, Any]]]:
    """Each run's stored results as plain dicts of ``fields`` (and ``run_id``), keyed by run,
    in one query for all of them; ``filters`` narrow the results (say, to one check)."""
    rows: dict[int, list[dict[str, Any]]] = {pk: [] for pk in run_ids}
    results = ProbeResult.objects.filter(run_id__in=list(rows), **filters)
    for row in results.values("run_id", *fields):
        rows[row["run_id"]].append(row)
    return rows


def grade_runs(runs: list[ProbeRun]) -> list[ProbeRun]:
    """Set ``grade`` on each of ``runs`` from its results, in one query for all of them (none
    for an empty list); returns ``runs``."""
    rows = result_rows([run.pk for run in runs])  # an empty list asks the database nothing
    for run in runs:
        run.grade = grade(judged_from_evidence(rows[run.pk]))
    return runs
