from django.urls import path

from pestrack.web.practices import views

urlpatterns = [
    path("practices/", views.catalogue_page, name="practices"),
    path("practices/export.yaml", views.export_yaml, name="practices-export"),
    path("practices/learn/", views.learn_page, name="practices-learn"),
    path("practices/<slug:practice_id>/", views.practice_page, name="practice"),
]
