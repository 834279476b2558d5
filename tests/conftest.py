import os
import shutil
from pathlib import Path

import pytest
from django.test import Client as DjangoClient

from assessments.workspaces.models import Role
from tests.factories import AssessmentFactory, MembershipFactory, UserFactory
from tests.probe_servers import LocalCA, loopback_only

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with empty shared caches: test databases reuse row ids, and
    cached tables, rate-limit counters, lock-outs and kept pages are keyed by them."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=False):
        cache.clear()


@pytest.fixture
def make_member(db):
    """Create a user with a role in a workspace (a new workspace unless one is given)."""

    def make(role: str = Role.OWNER, workspace=None, **user_fields):
        kwargs = {"role": role, "user": UserFactory(**user_fields)}
        if workspace is not None:
            kwargs["workspace"] = workspace
        return MembershipFactory(**kwargs)

    return make


@pytest.fixture
def owner(make_member):
    return make_member(Role.OWNER)


@pytest.fixture
def bank_version(db):
    """The shipped question bank, stored as it is by `manage.py load_bank`."""
    from assessments.bank.services import shipped_bank_version

    return shipped_bank_version()


@pytest.fixture
def assessment(owner, bank_version):
    """An assessment in the ``owner``'s workspace, on the shipped bank."""
    return AssessmentFactory(system__workspace=owner.workspace, bank_version=bank_version)


@pytest.fixture
def login():
    """A Django test client logged in as the given user."""

    def log_in(user) -> DjangoClient:
        client = DjangoClient()
        client.force_login(user)
        return client

    return log_in


# --- Probe servers -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def local_ca(tmp_path_factory) -> LocalCA:
    """One local CA for the whole run: it signs the test servers' certificates."""
    return LocalCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def loopback_network():
    """Fail any connection beyond loopback, from any thread, for the whole module.

    Modules that probe local servers declare
    ``pytestmark = pytest.mark.usefixtures("loopback_network")``.
    """
    with loopback_only():
        yield


@pytest.fixture
def probe_settings(settings, local_ca):
    """Settings for probing the local servers: loopback targets allowed, the local CA
    trusted, no cooldown between runs. Returns ``settings`` for further changes."""
    settings.SCALEREADY_ALLOW_LOOPBACK_TARGETS = True
    settings.SCALEREADY_PROBE_CA_BUNDLE = local_ca.bundle
    settings.SCALEREADY_PROBE_COOLDOWN_SECONDS = 0
    return settings


# --- Celery ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real Celery worker (in a thread) consuming from the configured broker.

    It shares the test database, so tests using it need ``transactional_db`` for their
    rows to be visible to the worker. Startup waits on a ping round-trip, not a sleep.
    """
    import celery.contrib.testing.tasks  # noqa: F401  registers celery.ping for the ping check
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with (
        django_db_blocker.unblock(),
        start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=20) as worker,
    ):
        yield worker


# --- Browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; Playwright never downloads a browser."""
    if not CHROMIUM.exists() or not shutil.which(str(CHROMIUM)):
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"Browser tests must run in CI: {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls made beside it
    # are still synchronous, so Django's async-safety guard must stand down for the session.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test, pointed at the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
