"""Response headers Django's SecurityMiddleware does not set itself, and the 405 page."""

from django.conf import settings
from django.shortcuts import render


class PermissionsPolicyMiddleware:
    """Deny powerful browser features we never use, so injected content cannot ask for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class MethodNotAllowedPageMiddleware:
    """Django answers a GET to a POST-only action (``require_POST``) with an empty 405; a
    person who lands there gets a page saying what to do instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or response.content:
            return response
        page = render(request, "405.html", status=405)
        page["Allow"] = response["Allow"]
        return page
