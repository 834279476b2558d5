"""``{% exported_when assessment row.key %}``: when a roadmap item was last exported to a
tracker (" · exported 4 Dec 2026"), for the roadmap page. One query per page: the export
times of the system are read once and kept on the assessment for the rest of the loop."""

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html

from assessments.api.selectors import exported_times

register = template.Library()


@register.simple_tag
def exported_when(assessment, key: str) -> str:
    times = getattr(assessment, "_api_exported_times", None)
    if times is None:
        times = exported_times(assessment.system)
        assessment._api_exported_times = times
    moment = times.get(key)
    if moment is None:
        return ""
    return format_html(' · <span class="tag">exported {}</span>', date_format(moment, "j M Y"))
