"""Validate the question bank, so a broken bank fails CI rather than a page view."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.bank.domain.bank import BankError
from assessments.bank.domain.loader import load_bank


class Command(BaseCommand):
    help = "Load the question bank, report every problem in it, exit 1 if it is invalid."

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            type=Path,
            default=None,
            help="Validate the bank in this directory instead of the shipped one.",
        )

    def handle(self, *args, directory=None, **options):
        try:
            bank = load_bank(directory)
        except BankError as exc:
            for line in exc.problems:
                self.stderr.write(line)
            raise CommandError(
                f"the question bank has {len(exc.problems)} problem(s)", returncode=1
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Bank {bank.version}: {len(bank.questions)} questions in "
                f"{len(bank.areas)} areas, {len(bank.recommendations)} recommendations — valid"
            )
        )
