"""``{% drift_watch system can_edit %}``: the drift watch panel of the system page (owned by
``workspaces``, which sits below this app): status, the form, the history chart and alerts."""

from django import template

from assessments.watch.forms import WatchForm
from assessments.watch.selectors import watch_panel

register = template.Library()


@register.inclusion_tag("watch/_panel.html")
def drift_watch(system, can_edit: bool) -> dict:
    panel = watch_panel(system)
    form = WatchForm(watch=panel.watch) if can_edit else None
    return {"system": system, "panel": panel, "form": form, "can_edit": can_edit}
