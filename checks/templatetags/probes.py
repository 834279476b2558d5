"""Probe data for pages owned by other apps (the system page includes its probes section)."""

from django import template

from checks.models import ProbeRun

register = template.Library()


@register.simple_tag
def recent_probe_runs(system, limit: int = 5) -> list[ProbeRun]:
    """The latest runs of ``system``, newest first, in one query."""
    runs = ProbeRun.objects.filter(system=system).select_related("requested_by")
    return list(runs.order_by("-created_at", "-pk")[:limit])
