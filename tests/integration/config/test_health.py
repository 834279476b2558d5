import pytest
from celery import Celery

from config import health


def test_healthz_answers_without_touching_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_database_and_broker_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_and_names_the_broker_when_it_is_unreachable(client, monkeypatch):
    # Same app code, pointed at loopback port 1 where nothing listens: refused at once.
    # Celery prefers CELERY_BROKER_URL from the environment over the constructor's broker.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    unreachable = Celery("scaleready", broker="redis://127.0.0.1:1/0")
    monkeypatch.setattr(health, "celery_app", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unreachable")


@pytest.mark.django_db
def test_pages_carry_strict_security_headers(client):
    response = client.get("/accounts/login/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
