"""API fixtures: tokens made through the service the tokens page uses, and a client that
sends one as a bearer token (no session, no CSRF token)."""

import pytest
from django.test import Client

from assessments.api.services import api_token_create


class ApiClient:
    def __init__(self, secret: str):
        self.client = Client()  # no cookies: token calls never use the session
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path, data=None):
        return self.client.post(
            path, data or {}, content_type="application/json", headers=self.headers
        )

    def put(self, path, data):
        return self.client.put(path, data, content_type="application/json", headers=self.headers)

    def patch(self, path, data):
        return self.client.patch(path, data, content_type="application/json", headers=self.headers)


@pytest.fixture
def api_client(owner):
    """``api_client(role)``: a client with a new token of ``owner``'s workspace."""

    def make(role="owner", membership=None, **fields) -> ApiClient:
        membership = membership or owner
        new = api_token_create(
            workspace=membership.workspace, user=membership.user, name="CI", role=role, **fields
        )
        return ApiClient(new.secret)

    return make


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Rate-limit counters in a fresh in-memory cache, so runs never share windows."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api"},
    }
