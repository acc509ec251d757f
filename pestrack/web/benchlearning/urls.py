from django.urls import path

from pestrack.web.benchlearning import views

urlpatterns = [path("benchlearning/", views.comparison, name="benchlearning")]
