from django.urls import path, register_converter

from assessments.results import views


class ItemKeyConverter:
    """A roadmap item's key: a recommendation id (``area.name``, ``area.custom_x_1a2b_fix``)
    or ``custom-<n>``, at most 140 characters (``RoadmapEntry.key``). Anything else is not a
    roadmap item and answers 404 before a view could store it."""

    regex = r"[a-z0-9][a-z0-9_.-]{0,139}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ItemKeyConverter, "itemkey")

urlpatterns = [
    path("assessments/<int:assessment_id>/results/", views.results_view, name="results"),
    path(
        "assessments/<int:assessment_id>/findings/<str:question_key>/",
        views.finding_review,
        name="finding_review",
    ),
    path("assessments/<int:assessment_id>/roadmap/", views.roadmap_view, name="roadmap"),
    path(
        "assessments/<int:assessment_id>/roadmap/items/<itemkey:key>/",
        views.roadmap_item_update,
        name="roadmap_item_update",
    ),
    path(
        "assessments/<int:assessment_id>/roadmap/items/<itemkey:key>/move/",
        views.roadmap_item_move,
        name="roadmap_item_move",
    ),
    path(
        "assessments/<int:assessment_id>/roadmap/status/",
        views.roadmap_bulk_status,
        name="roadmap_bulk_status",
    ),
    path(
        "assessments/<int:assessment_id>/roadmap/custom/",
        views.roadmap_custom_add,
        name="roadmap_custom_add",
    ),
    path(
        "assessments/<int:assessment_id>/roadmap/reviewed/",
        views.roadmap_reviewed,
        name="roadmap_reviewed",
    ),
    path("methodology/", views.methodology, name="methodology"),
]
