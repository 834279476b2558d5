from django.urls import path

from assessments.portfolio import views

urlpatterns = [
    path("w/<int:workspace_id>/analytics/", views.dashboard, name="analytics"),
    path(
        "w/<int:workspace_id>/analytics/exports/<str:export>",
        views.export,
        name="analytics_export",
    ),
    path("w/<int:workspace_id>/clients/", views.client_list, name="client_list"),
    path(
        "assessments/<int:assessment_id>/percentiles/",
        views.assessment_percentiles,
        name="portfolio_percentiles",
    ),
    path(
        "assessments/<int:assessment_id>/history/",
        views.system_trend,
        name="portfolio_system_trend",
    ),
]
