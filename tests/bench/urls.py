"""The app's URLs plus baseline views every page benchmark is measured against."""

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpResponse
from django.template import engines
from django.urls import path

from assessments.workspaces.models import Membership
from config.urls import urlpatterns as app_urlpatterns


def hello(request):
    """The bare view: Django's request/response cycle and middleware, nothing else."""
    return HttpResponse("hello")


@login_required
def authenticated_write(request):
    """The floor of any autosave: a logged-in request that writes one row."""
    Membership.objects.filter(user=request.user).update(role=F("role"))
    return HttpResponse("ok")


MINIMAL_PAGE = engines["django"].from_string(
    "<!doctype html><title>Signed in</title><p>Signed in as {{ request.user.email }}.</p>"
)


@login_required
def authenticated_page(request):
    """The floor of any page: a logged-in request (session and user) rendering a template."""
    return HttpResponse(MINIMAL_PAGE.render({}, request))


urlpatterns = [
    *app_urlpatterns,
    path("bench/hello/", hello),
    path("bench/authenticated-write/", authenticated_write),
    path("bench/authenticated-page/", authenticated_page),
]
