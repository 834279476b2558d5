"""``{% drift_watch system can_edit %}``: the drift watch panel of the system page (owned by
``workspaces``, which sits below this app): status, the form, the history chart and alerts."""

from django import template

from assessments.watch.forms import WatchForm, watch_initial
from assessments.watch.selectors import watch_panel

register = template.Library()


@register.inclusion_tag("watch/_panel.html")
def drift_watch(system, can_edit: bool) -> dict:
    panel = watch_panel(system)
    form = (
        WatchForm(initial=watch_initial(panel.watch), has_secret=bool(panel.watch.webhook_secret))
        if can_edit
        else None
    )
    return {"system": system, "panel": panel, "form": form, "can_edit": can_edit}
