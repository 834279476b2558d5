"""Tags for the layout every page shares (templates/base.html)."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@register.simple_tag
def layout_url(name: str, *args) -> str:
    """``{% url %}`` for the layout's links: every page renders the same dozen, and reversing
    them was a third of the layout's cost, so each is reversed once per process (and URL
    configuration and script prefix, which are part of what it is remembered by)."""
    return _reversed(settings.ROOT_URLCONF, get_urlconf(), get_script_prefix(), name, args)


@lru_cache(maxsize=4096)
def _reversed(root_urlconf, urlconf, prefix: str, name: str, args: tuple) -> str:
    return reverse(name, args=args, urlconf=urlconf)


@register.simple_tag
def layout_static(path: str) -> str:
    """``{% static %}`` for the layout's stylesheet, scripts and logo, looked up once per
    process (and static URL): the same on every page."""
    return _static(settings.STATIC_URL, path)


@lru_cache(maxsize=64)
def _static(static_url: str, path: str) -> str:
    return static(path)
