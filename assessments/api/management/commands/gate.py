"""``manage.py gate``: the CI gate (``scaleready-gate``) with this site's address as default."""

from argparse import Namespace

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.api.gate.cli import ERROR, FAILED, add_arguments, run_from_options


class Command(BaseCommand):
    help = (
        "Start a probe run of a system through the API, wait for it, print a summary; exit 1 "
        "on a regression, a verdict or a grade below the thresholds (docs/ci-gate.md)."
    )

    def add_arguments(self, parser):
        add_arguments(parser)
        parser.set_defaults(url=parser.get_default("url") or settings.SITE_URL)

    def handle(self, *args, **options):
        status = run_from_options(Namespace(**options), out=self.stdout, err=self.stderr)
        if status == FAILED:
            raise CommandError("The gate failed.", returncode=FAILED)
        if status == ERROR:
            raise CommandError("The gate could not judge the run.", returncode=ERROR)
