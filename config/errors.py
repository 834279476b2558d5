"""The site's error pages (404, 500, 403).

They render even when the database is down: the 500 page uses no context processors at all,
and the 404 and 403 pages fall back to the signed-out layout when reading the signed-in user
(the session, the user row, the workspace menu) fails.
"""

import logging

from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

logger = logging.getLogger(__name__)


def page_not_found(request, exception=None):
    return render_or_signed_out(request, "404.html", {}, status=404)


def server_error(request):
    # No request, so no context processors: the error may be the database.
    return HttpResponseServerError(loader.get_template("500.html").render())


def permission_denied(request, exception=None):
    return render_or_signed_out(request, "403.html", {"reason": str(exception or "")}, status=403)


def render_or_signed_out(request, template: str, context: dict, status: int) -> HttpResponse:
    try:
        return render(request, template, context, status=status)
    except DatabaseError as exc:
        # Without the request the layout has no user, so it reads nothing from the database.
        logger.warning("error page %s rendered signed out: %r", status, exc)
        return HttpResponse(loader.get_template(template).render(context), status=status)
