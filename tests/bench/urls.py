"""The app's URLs plus a bare view: the baseline every page benchmark is measured against."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns


def hello(request):
    return HttpResponse("hello")


urlpatterns = [*app_urlpatterns, path("bench/hello/", hello)]
