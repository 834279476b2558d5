from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.bank.domain.bank import BankError
from assessments.bank.domain.loader import load_bank
from assessments.bank.services import BankVersionConflict, bank_version_store


class Command(BaseCommand):
    help = "Validate the question bank and store its version (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, help="Load a bank from another folder.")

    def handle(self, *args, directory=None, **options):
        try:
            bank = load_bank(directory)
            version, created = bank_version_store(bank)
        except BankError as exc:
            raise CommandError("The question bank is invalid:\n" + str(exc)) from None
        except BankVersionConflict as exc:
            raise CommandError(str(exc)) from None
        state = "loaded" if created else "already loaded, nothing changed"
        self.stdout.write(
            f"Bank {version.version}: {len(bank.questions)} questions in "
            f"{len(bank.areas)} areas — {state}."
        )
