from django.urls import path

from assessments.milestones import views

urlpatterns = [
    path(
        "systems/<int:system_id>/assessments/new/",
        views.assessment_create,
        name="assessment_create",
    ),
    path("assessments/<int:assessment_id>/compare/", views.milestone_pick, name="milestone_pick"),
    path(
        "assessments/<int:assessment_id>/compare/<int:other_id>/",
        views.milestone_compare_view,
        name="milestone_compare",
    ),
]
