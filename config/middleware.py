"""Response headers Django's SecurityMiddleware does not set itself, session lifetimes,
the 405 page, and the app's 404 page under ``DEBUG``."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404
from django.shortcuts import render

from config.errors import page_not_found

# Session keys: when the session signed in, and when it last made a request.
SESSION_STARTED = "scaleready_session_started"
SESSION_LAST_SEEN = "scaleready_last_seen"
# ``last seen`` is written at most this often, so a busy page does not write its session on
# every request; the idle timeout is therefore exact to within this many seconds.
LAST_SEEN_RESOLUTION_SECONDS = 60


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


class FriendlyNotFoundMiddleware:
    """With ``DEBUG`` on (``make run``), Django answers a missing page with its technical 404,
    which lists every URL pattern. People running the app locally should see the app's own
    page, like in production; ``SCALEREADY_DEBUG_TECHNICAL_404=1`` brings Django's back for
    someone debugging URL routing. Without ``DEBUG`` this does nothing: ``handler404`` serves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def active(self) -> bool:
        return settings.DEBUG and not settings.DEBUG_TECHNICAL_404

    def __call__(self, request):
        response = self.get_response(request)
        # No resolver match: no URL pattern matched, so the 404 is Django's technical page.
        if response.status_code == 404 and request.resolver_match is None and self.active():
            return page_not_found(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and self.active():
            return page_not_found(request)
        return None


def session_started(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: the absolute session lifetime counts from here."""
    now = int(time.time())
    request.session[SESSION_STARTED] = now
    request.session[SESSION_LAST_SEEN] = now


class SessionLifetimeMiddleware:
    """Sign a session out after ``SESSION_IDLE_TIMEOUT_SECONDS`` without a request and after
    ``SESSION_COOKIE_AGE`` since it signed in, whichever comes first (ASVS V3.3).

    Django's own expiry slides with every write to the session, so it cannot be the absolute
    limit by itself; both limits are checked here against times kept in the session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self.check(request)
        return self.get_response(request)

    def check(self, request) -> None:
        session = request.session
        now = int(time.time())
        started = session.get(SESSION_STARTED, now)
        last_seen = session.get(SESSION_LAST_SEEN, now)
        if now - last_seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
            reason = "You were signed out after a while without activity. Log in again."
        elif now - started > settings.SESSION_COOKIE_AGE:
            reason = "Your session reached its maximum length. Log in again."
        else:
            if SESSION_STARTED not in session:
                session[SESSION_STARTED] = now
            if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS or SESSION_LAST_SEEN not in session:
                session[SESSION_LAST_SEEN] = now
            return
        logout(request)
        messages.info(request, reason)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every page and download the app makes (ASVS V8.2.1):
    signed-in pages, exports, PDFs and share pages must not stay in a browser's or a proxy's
    cache. Static files never get here (WhiteNoise answers them, cacheable, before)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        return response
