from django.urls import path

# ``endpoints`` is imported for its routes: each endpoint registers itself on ``core.api``.
from assessments.api.views import core, endpoints, tokens  # noqa: F401

urlpatterns = [
    path("w/<int:workspace_id>/api-tokens/", tokens.api_tokens, name="api_tokens"),
    path("api/v1/", core.api_urls()),
    path("api/", core.unknown_path),
    path("api/<path:rest>", core.unknown_path),
]
