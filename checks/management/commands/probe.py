"""``manage.py probe URL [URL ...]``: run the automated probes now, without a database.

Prints the check results grouped by category, or the ``--json`` report that the scoring
command reads. A target the SSRF guard refuses is reported on stderr and the command exits
with status 2 without probing anything. Loopback targets are refused unless
``SCALEREADY_ALLOW_LOOPBACK_TARGETS`` is on.
"""

import argparse
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from checks.engine.catalog import CATEGORIES, CHECKS
from checks.engine.gatherers import DEFAULT_SAMPLES
from checks.engine.probe import (
    ProbeOptions,
    TargetReport,
    TargetsRefused,
    probe_and_evaluate,
    report_to_dict,
)
from checks.engine.targets import InvalidTarget, normalize_base_url

REFUSED_EXIT_STATUS = 2
STATUS_LABELS = {
    "pass": "PASS",
    "warn": "WARN",
    "fail": "FAIL",
    "error": "ERROR",
    "not_applicable": "N/A",
}


class Command(BaseCommand):
    help = "Probe target base URLs (TLS, headers, caching, latency...) and print the results."
    # No database, no URLs, no templates: the system checks would import every view (pandas,
    # WeasyPrint) and check nothing this command uses.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="+", metavar="URL", help="Base URL(s) to probe.")
        parser.add_argument("--json", action="store_true", help="Print the JSON report.")
        parser.add_argument(
            "--burst",
            action="store_true",
            help="Also run the bounded capacity burst (needs --token; ownership is verified).",
        )
        parser.add_argument("--token", help="The ownership verification token of the target.")
        parser.add_argument(
            "--latency-samples",
            type=int,
            default=DEFAULT_SAMPLES,
            help="Sequential GETs to time, after two warm-up requests (20 can claim a p95).",
        )
        # Tests only: trust a local CA instead of the system store.
        parser.add_argument("--ca-bundle", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["burst"] and not options["token"]:
            raise CommandError("--burst needs --token: a burst runs only on verified targets")
        allow_loopback = settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS
        urls = self._normalized(options["urls"], allow_loopback)
        probe_options = ProbeOptions(
            allow_loopback=allow_loopback,
            latency_samples=options["latency_samples"],
            run_burst=options["burst"],
            verification_token=options["token"],
            ca_bundle=options["ca_bundle"],
        )
        try:
            reports = probe_and_evaluate(urls, probe_options)
        except TargetsRefused as exc:
            self._refuse(exc.refusals)
        if options["json"]:
            self.stdout.write(json.dumps(report_to_dict(reports), indent=2))
            return
        for report in reports:
            self._print_report(report)

    def _normalized(self, raw_urls: list[str], allow_loopback: bool) -> list[str]:
        urls, refused = [], []
        for raw in raw_urls:
            try:
                urls.append(normalize_base_url(raw, allow_loopback=allow_loopback))
            except InvalidTarget as exc:
                refused.append((raw, str(exc)))
        if refused:
            self._refuse(refused)
        return list(dict.fromkeys(urls))

    def _refuse(self, refusals) -> None:
        for url, reason in refusals:
            self.stderr.write(f"Refused: {url}: {reason}")
        raise CommandError(
            f"nothing was probed: {len(refusals)} target(s) refused",
            returncode=REFUSED_EXIT_STATUS,
        )

    def _print_report(self, report: TargetReport) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(report.url))
        by_category: dict[str, list] = {key: [] for key in CATEGORIES}
        for result in report.results:
            check = CHECKS.get(result.check_id)
            category = check.category if check else "other"
            by_category.setdefault(category, []).append((check, result))
        for category, entries in by_category.items():
            if not entries:
                continue
            self.stdout.write(f"  {CATEGORIES.get(category, 'Other')}")
            for check, result in entries:
                title = check.title if check else result.check_id
                label = self._styled(result.status, f"{STATUS_LABELS.get(result.status, '?'):5}")
                self.stdout.write(f"    {label} {title}: {result.message}")
        self.stdout.write(self._summary(report))

    def _styled(self, status: str, text: str) -> str:
        style = {
            "pass": self.style.SUCCESS,
            "warn": self.style.WARNING,
            "fail": self.style.ERROR,
            "error": self.style.ERROR,
        }.get(status)
        return style(text) if style else text

    def _summary(self, report: TargetReport) -> str:
        counts: dict[str, int] = {}
        for result in report.results:
            counts[result.status] = counts.get(result.status, 0) + 1
        parts = [f"{counts[s]} {STATUS_LABELS[s].lower()}" for s in STATUS_LABELS if s in counts]
        return "  " + (", ".join(parts) or "no checks evaluated") + "\n"
