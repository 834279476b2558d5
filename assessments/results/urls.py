from django.urls import path

from assessments.results import views

urlpatterns = [
    path("assessments/<int:assessment_id>/results/", views.results_view, name="results"),
    path(
        "assessments/<int:assessment_id>/findings/<str:question_key>/",
        views.finding_review,
        name="finding_review",
    ),
    path("assessments/<int:assessment_id>/roadmap/", views.roadmap_view, name="roadmap"),
    path(
        "assessments/<int:assessment_id>/roadmap/items/<str:key>/",
        views.roadmap_item_update,
        name="roadmap_item_update",
    ),
    path(
        "assessments/<int:assessment_id>/roadmap/items/<str:key>/move/",
        views.roadmap_item_move,
        name="roadmap_item_move",
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
