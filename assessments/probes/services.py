"""Probe runs people ask for, recorded in the audit log with the run they started."""

from assessments.audit.models import AuditEvent
from assessments.audit.services import audit_record
from checks.models import ProbeRun
from checks.services import probe_run_start


def probe_run_request(system, user, *, run_burst: bool = False, via: str = "") -> ProbeRun:
    """Queue a probe run of ``system`` for ``user`` (``checks.services.probe_run_start``, its
    refusals included) and record who asked for it, in the same transaction as the run.
    ``via``: how it was asked for when not on the pages (``"an API token"``)."""

    def record(run: ProbeRun) -> None:
        urls = len(run.target_urls)
        summary = f"Probe run started on {urls} base URL{'s' if urls != 1 else ''}"
        summary += ", with a capacity burst" if run.run_burst else ""
        summary += f", through {via}" if via else ""
        audit_record(
            system=system,
            actor=user,
            kind=AuditEvent.Kind.PROBE,
            subject=system.name,
            summary=summary,
            after={"base_urls": list(run.target_urls), "capacity_burst": run.run_burst},
        )

    return probe_run_start(system, user, run_burst=run_burst, on_created=record)
