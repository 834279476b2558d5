"""``manage.py report ANSWERS.json --target-users N [--checks PROBE.json] --pdf OUT.pdf
[--docx OUT.docx]``.

Renders the deliverable (the same PDF and Word document the app makes) from an answers export
and, optionally, a ``manage.py probe --json`` report, for people who script their audits. It
runs on whatever database the settings name: by default the embedded SQLite file under
``var/``, migrated first when it is behind. The assessment it scores exists only inside a
transaction that is rolled back, so nothing is left in the database. Refused input exits
with status 2 and says what is wrong.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from assessments.bank.domain.bank import band_for_users
from assessments.bank.services import shipped_bank_version
from assessments.questionnaire.services import AnswersImportError, answers_import
from assessments.reports.pdf import pdf_from_html, report_html
from assessments.reports.word import report_docx
from assessments.results.domain.score_files import InvalidFile, parse_probe, read_json
from assessments.results.selectors import assessment_results
from assessments.workspaces.models import MAX_USERS, Assessment, System, Workspace

REFUSED = 2  # exit status for input the command cannot use


class Rollback(Exception):
    """Leaves the transaction holding the scratch assessment, on purpose."""


class Command(BaseCommand):
    help = (
        "Render the report (PDF, and optionally an editable DOCX) from an answers export and "
        "an optional `probe --json` report."
    )

    def add_arguments(self, parser):
        parser.add_argument("answers", type=Path, metavar="ANSWERS.json")
        parser.add_argument("--target-users", type=int, required=True, metavar="N")
        parser.add_argument("--checks", type=Path, metavar="PROBE.json")
        parser.add_argument("--pdf", type=Path, required=True, metavar="OUT.pdf")
        parser.add_argument("--docx", type=Path, metavar="OUT.docx")
        parser.add_argument("--system", help="The system's name on the cover.")

    def refuse(self, message: str) -> CommandError:
        return CommandError(message, returncode=REFUSED)

    def handle(self, *args, **options):
        target_users = options["target_users"]
        if not 0 < target_users <= MAX_USERS:
            raise self.refuse("--target-users must be a whole number of users above 0")
        outputs = [(options["pdf"], ".pdf"), (options["docx"], ".docx")]
        for path, suffix in outputs:
            if path is None:
                continue
            if path.suffix.lower() != suffix:
                raise self.refuse(f"{path}: the file name must end in {suffix}")
            if not path.parent.is_dir():
                raise self.refuse(f"{path}: the folder {path.parent} does not exist")
        try:
            document = read_json(options["answers"], "answers file")
            evidence, burst = [], None
            if options["checks"] is not None:
                evidence, burst = parse_probe(
                    read_json(options["checks"], "probe report"), options["checks"]
                )
        except InvalidFile as exc:
            raise self.refuse(str(exc)) from None
        if not isinstance(document, dict):
            raise self.refuse(f"{options['answers']}: not an answers file (export it again)")
        self.migrate_if_behind()
        name = options["system"] or str(document.get("system") or "") or "System"
        scratch = {
            "name": name[:120],
            "target_users": target_users,
            "evidence": evidence,
            "burst": SimpleNamespace(sustained_rps=burst[0], p95_ms=burst[1]) if burst else None,
            "answers_path": options["answers"],
            "docx": options["docx"] is not None,
        }
        bank_version = shipped_bank_version()  # stored once, as `load_bank` would
        try:
            with transaction.atomic():
                pdf, docx = self.render(document, bank_version, **scratch)
                raise Rollback
        except Rollback:
            pass
        options["pdf"].write_bytes(pdf)
        written = [str(options["pdf"])]
        if options["docx"] is not None:
            options["docx"].write_bytes(docx)
            written.append(str(options["docx"]))
        self.stdout.write(f"Wrote {' and '.join(written)}.")

    def render(
        self, document, bank_version, *, name, target_users, evidence, burst, answers_path, docx
    ) -> tuple[bytes, bytes]:
        """Both files from a scratch workspace, system and assessment (the caller rolls back)."""
        workspace = Workspace.objects.create(name="Command line")
        system = System.objects.create(
            workspace=workspace, name=name, current_users=0, target_users=target_users
        )
        assessment = Assessment.objects.create(
            system=system,
            bank_version=bank_version,
            title=str(document.get("assessment") or "Assessment")[:120],
            band=band_for_users(target_users),
        )
        try:
            answers_import(assessment, document, None)
        except AnswersImportError as exc:
            lines = "\n".join(f"  - {problem}" for problem in exc.problems)
            raise self.refuse(f"{answers_path}: not a valid answers file:\n{lines}") from None
        results = assessment_results(assessment, evidence, burst)
        pdf = pdf_from_html(report_html(assessment, results), workspace.pk)
        return pdf, report_docx(assessment, results) if docx else b""

    def migrate_if_behind(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stderr.write("Preparing the database (first use)...")
            call_command("migrate", verbosity=0, interactive=False)
