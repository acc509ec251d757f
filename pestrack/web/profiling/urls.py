from django.urls import path

from pestrack.web.profiling import views

urlpatterns = [
    path("profiling/estimates/<int:estimate_id>/", views.judge, name="profiling-judge"),
    path("profiling/model-card/", views.model_card, name="profiling-model-card"),
    path("profiling/monitoring/", views.monitoring, name="profiling-monitoring"),
]
