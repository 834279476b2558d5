"""Create (or reuse) the demo login, workspace and system that `make run` prints."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assessments.workspaces.models import Membership, System
from assessments.workspaces.services import system_save, user_signup

DEMO_EMAIL = "demo@scaleready.local"
DEMO_PASSWORD = "scaleready-demo"  # noqa: S105  local demo account, printed on purpose


class Command(BaseCommand):
    help = "Create the local demo account, workspace and a system that points at this app."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default=settings.SITE_URL)

    def handle(self, *args, base_url, **options):
        if not settings.DEBUG:
            raise CommandError("demo_setup is for local development only (DEBUG is off).")
        user = get_user_model().objects.filter(username=DEMO_EMAIL).first()
        if user is None:
            user = user_signup(email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Demo")
        workspace = (
            Membership.objects.filter(user=user).select_related("workspace").first().workspace
        )
        if not workspace.systems.exists():
            system = System(
                workspace=workspace,
                name="ScaleReady (this app)",
                description="The app you are looking at, so probes can be tried at once.",
                current_users=50,
                target_users=100_000,
            )
            system_save(system, [base_url.rstrip("/") + "/"])
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  ScaleReady is starting at {base_url}\n"
                f"  Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
            )
        )
