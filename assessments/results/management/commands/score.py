"""``manage.py score ANSWERS.json --target-users N [--checks PROBE.json] [--json]``.

Scores an answers export (the questionnaire's "Export answers" file) with the shipped question
bank, optionally with a ``manage.py probe --json`` report as evidence, and prints the verdict
with its reasons, the area scores, contradictions, capacity headroom and the roadmap items to
start with. No database is needed. Every problem in a file is reported at once, naming the
file; any of them exits with status 1.
"""

import json
import math
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.bank.domain.bank import BAND_TITLES, Bank, band_for_users
from assessments.bank.domain.loader import load_bank
from assessments.results.domain.roadmap import DEFAULT_TOP, Roadmap, build_roadmap
from assessments.results.domain.score_files import (
    InvalidFile,
    parse_answers,
    parse_probe,
    read_json,
)
from assessments.results.domain.scoring import (
    VERDICT_LABELS,
    CapacityInputs,
    EvidenceResult,
    ScoreResult,
    score_assessment,
)
from checks.engine.ids import CHECK_TITLES

OUTPUT_FORMAT = "scaleready.score"
OUTPUT_FORMAT_VERSION = 1


class Command(BaseCommand):
    # Reads files and prints: the system checks would import every view and check nothing
    # this command uses.
    requires_system_checks: list[str] = []
    help = (
        "Score an answers export (and optionally a `probe --json` report) with the shipped "
        "question bank; print the verdict, area scores, contradictions, headroom and roadmap."
    )

    def add_arguments(self, parser):
        parser.add_argument("answers", type=Path, metavar="ANSWERS.json")
        parser.add_argument(
            "--target-users",
            type=int,
            required=True,
            metavar="N",
            help="The number of users to be ready for; sets the target-scale band.",
        )
        parser.add_argument(
            "--checks",
            type=Path,
            metavar="RESULTS.json",
            help="A `manage.py probe --json` report to use as evidence.",
        )
        parser.add_argument(
            "--rpm", type=float, help="Requests per online user per minute (capacity estimate)."
        )
        parser.add_argument(
            "--peak-factor", type=float, help="Peak over busy-hour load (capacity estimate)."
        )
        parser.add_argument("--json", action="store_true", help="Print everything as JSON.")

    def handle(self, *args, **options):
        target_users = options["target_users"]
        if target_users < 0:
            raise CommandError("--target-users cannot be negative")
        for name in ("rpm", "peak_factor"):
            value = options[name]
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise CommandError(f"--{name.replace('_', '-')} must be a positive number")
        bank = load_bank()
        band = band_for_users(target_users)
        answers_path, checks_path = options["answers"], options["checks"]
        try:
            answers = parse_answers(read_json(answers_path, "answers file"), bank, answers_path)
        except InvalidFile as exc:
            raise CommandError(str(exc)) from exc
        evidence: list[EvidenceResult] = []
        burst = None
        if checks_path is not None:
            try:
                evidence, burst = parse_probe(read_json(checks_path, "probe report"), checks_path)
            except InvalidFile as exc:
                raise CommandError(str(exc)) from exc
        capacity = CapacityInputs(
            target_users=target_users,
            requests_per_user_per_minute=options["rpm"],
            peak_factor=options["peak_factor"],
            measured_rps=burst[0] if burst else None,
            measured_p95_ms=burst[1] if burst else None,
        )
        score = score_assessment(bank.questions, answers, band, evidence, capacity)
        roadmap = build_roadmap(bank.questions, score)
        if options["json"]:
            document = {
                "format": OUTPUT_FORMAT,
                "format_version": OUTPUT_FORMAT_VERSION,
                "bank_version": bank.version,
                "target_users": target_users,
                **score.to_dict(),
                "roadmap": roadmap.to_dict(),
            }
            self.stdout.write(json.dumps(document, indent=2))
            return
        self._print(bank, score, roadmap, target_users)

    # --- Text output -------------------------------------------------------------------------

    def _print(self, bank: Bank, score: ScoreResult, roadmap: Roadmap, target_users: int) -> None:
        write = self.stdout.write
        write(
            self.style.MIGRATE_HEADING(
                f"Scaling readiness for {target_users:,} users ({BAND_TITLES[score.band]}), "
                f"question bank {bank.version}"
            )
        )
        verdict = VERDICT_LABELS[score.verdict].upper()
        if score.provisional:
            verdict += " (provisional)"
        if score.overall is not None:
            verdict += f" - maturity of what is known {score.overall:.1f}/100"
        write(f"\nVerdict: {self._verdict_style(score.verdict)(verdict)}")
        for reason in score.reasons:
            write(f"  - {reason.text}")
        coverage = score.coverage
        write(
            f"  Known: {coverage.known} of {coverage.applicable} applicable questions "
            f"({coverage.percent}%), {coverage.critical_known} of {coverage.critical} critical"
        )
        counts = ", ".join(f"{n} {severity}" for severity, n in score.gap_counts.items())
        write(f"  Known gaps by severity: {counts}")

        write(self.style.MIGRATE_HEADING("\nArea scores"))
        for area in score.areas:
            title = bank.area(area.area).title
            value = "  n/a" if area.score is None else f"{area.score:5.1f}"
            write(
                f"  {title:<28} {value}   {area.known}/{area.applicable} known, "
                f"{area.gaps} gap(s), {area.unknown} don't know, {area.not_applicable} N/A"
            )

        write(self.style.MIGRATE_HEADING("\nClaims contradicted by evidence"))
        if not score.contradictions:
            write("  None.")
        for item in score.contradictions:
            write(
                f"  {bank.question(item.question_id).topic}: claimed level {item.claimed_level} "
                f'("{item.claimed_label}"), lowered to {item.lowered_to}'
            )
            for result in item.observed:
                title = CHECK_TITLES.get(result.check_id, result.check_id)
                write(
                    f"    {result.status.upper()} {title} on {result.target_url}: {result.message}"
                )

        write(self.style.MIGRATE_HEADING("\nCapacity headroom"))
        if score.headroom is not None:
            write(f"  {score.headroom.explanation}")

        top = roadmap.top(DEFAULT_TOP)
        write(
            self.style.MIGRATE_HEADING(
                f"\nStart here: {len(top)} of {len(roadmap.items)} roadmap items"
            )
        )
        for number, item in enumerate(top, start=1):
            marks = ", quick win" if item.quick_win else ""
            kind = (
                "find out"
                if item.kind == "find_out"
                else "safety basic"
                if item.foundation
                else item.severity
            )
            write(
                f"  {number:2}. [phase {item.phase} {item.phase_title}] {item.title} "
                f"({kind}, effort {item.effort}, impact {item.impact}, "
                f"priority {item.priority}{marks})"
            )
        if roadmap.uncovered:
            topics = ", ".join(bank.question(qid).topic for qid in roadmap.uncovered)
            write(f"  Gaps without a recommendation: {topics}")

    def _verdict_style(self, verdict: str):
        return {
            "ready": self.style.SUCCESS,
            "nearly_ready": self.style.WARNING,
            "at_risk": self.style.WARNING,
            "not_ready": self.style.ERROR,
            "insufficient": self.style.WARNING,
        }[verdict]
