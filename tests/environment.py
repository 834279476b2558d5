"""Loaded with ``-p tests.environment`` before Django settings are imported.

Tests run the app in its local-development configuration (no HTTPS redirect, a throwaway
secret key); production security settings are tested explicitly with their own environment.
DATABASE_URL and CELERY_BROKER_URL come from the caller (CI points them at PostgreSQL and
Redis); without them the embedded defaults are used, in a temporary directory.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "1"
os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("SCALEREADY_VAR_DIR", tempfile.mkdtemp(prefix="scaleready-tests-"))
os.environ.pop("SCALEREADY_ALLOW_LOOPBACK_TARGETS", None)
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"scaleready-tests-{os.getpid()}"
