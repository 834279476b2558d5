from django.urls import path

from assessments.watch import views

urlpatterns = [
    path("systems/<int:system_id>/watch/", views.watch_edit, name="watch_edit"),
]
