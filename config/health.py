"""Health endpoints: /healthz says the process answers, /readyz that its dependencies do.

Both are public, so failures name the part and the error class only; details go to the log.
"""

import logging

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


@require_GET
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def database_problem() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"; the reason is reported
        logger.warning("readyz: database unreachable: %s", exc)
        return f"unreachable ({type(exc).__name__})"
    return None


def broker_problem() -> str | None:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # kombu raises transport-specific errors; report, don't crash
        logger.warning("readyz: broker unreachable: %s", exc)
        return f"unreachable ({type(exc).__name__})"
    return None


@require_GET
@never_cache
def readyz(request):
    checks = {"database": database_problem(), "broker": broker_problem()}
    failing = {name: problem for name, problem in checks.items() if problem}
    body = {
        "status": "unavailable" if failing else "ok",
        "checks": {name: (problem or "ok") for name, problem in checks.items()},
    }
    return JsonResponse(body, status=503 if failing else 200)
