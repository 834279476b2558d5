from django.urls import path

from assessments.api.views import endpoints, tokens  # endpoints registers the API's routes

urlpatterns = [
    path("w/<int:workspace_id>/api-tokens/", tokens.api_tokens, name="api_tokens"),
    path("api/v1/", endpoints.api.urls),
]
