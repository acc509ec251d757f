from django.urls import path

from pestrack.web.logreview import views

urlpatterns = [
    path("log-review/", views.log_review, name="log-review"),
    path("log-review/export.csv", views.log_export, name="log-review-export"),
    path("log-review/unusual/", views.unusual_access, name="unusual-access"),
]
