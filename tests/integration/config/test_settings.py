"""Production configuration, checked the way an operator would start the app."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "p" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
    "ALLOWED_HOSTS": "scaleready.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
}


def run_django(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    # A clean operator's environment: nothing the test session itself exported.
    test_only = (
        "DEBUG",
        "SECRET_KEY",
        "SCALEREADY_ALLOW_LOOPBACK_TARGETS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    )
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = run_django(
        {**PRODUCTION_ENV, "SCALEREADY_VAR_DIR": str(tmp_path)},
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_turns_on_hsts_secure_cookies_and_https_redirect(tmp_path):
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.DEBUG, "
        "s.SCALEREADY_ALLOW_LOOPBACK_TARGETS]))"
    )
    result = run_django(
        {
            **PRODUCTION_ENV,
            "SCALEREADY_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
        "-c",
        code,
    )
    assert result.returncode == 0, result.stderr
    hsts, subdomains, session_secure, csrf_secure, ssl_redirect, debug, loopback = json.loads(
        result.stdout.strip().splitlines()[-1]
    )
    assert hsts >= 180 * 24 * 3600
    assert subdomains
    assert session_secure
    assert csrf_secure
    assert ssl_redirect
    assert debug is False
    assert loopback is False


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_django({**env, "SCALEREADY_VAR_DIR": str(tmp_path)}, "manage.py", "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_loopback_targets_are_refused_when_debug_is_off(tmp_path):
    env = {
        **PRODUCTION_ENV,
        "SCALEREADY_VAR_DIR": str(tmp_path),
        "SCALEREADY_ALLOW_LOOPBACK_TARGETS": "1",
    }
    result = run_django(env, "manage.py", "check")
    assert result.returncode != 0
    assert "SCALEREADY_ALLOW_LOOPBACK_TARGETS is for local development only" in result.stderr
