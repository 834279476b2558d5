"""Template tags for the probe grade on pages owned by other apps (results, methodology):
one include line there, the reading here."""

from django import template

from checks.engine.catalog import CATEGORIES, CHECKS
from checks.engine.grade import ANY_FAILURE_CAP, CATEGORY_WEIGHTS, GRADE_BANDS, GRADE_CAPS
from checks.selectors import latest_grade

register = template.Library()


@register.simple_tag
def latest_probe_grade(system):
    """The grade of the system's latest succeeded run, or None (see ``latest_grade``)."""
    return latest_grade(system)


@register.simple_tag
def probe_grade_method() -> dict:
    """The grade's constants, for the methodology page's table."""
    upper = {letter: None for letter, _ in GRADE_BANDS}
    previous = None
    for letter, lowest in GRADE_BANDS:
        upper[letter] = previous
        previous = lowest - 1
    return {
        "bands": [(letter, lowest, upper[letter]) for letter, lowest in GRADE_BANDS],
        "weights": [(CATEGORIES[key], weight) for key, weight in CATEGORY_WEIGHTS.items()],
        "caps": [(CHECKS[check_id].title, cap, why) for check_id, (cap, why) in GRADE_CAPS.items()],
        "any_failure_cap": ANY_FAILURE_CAP,
    }
