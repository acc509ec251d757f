from django.urls import path

from pestrack.web.results import views

urlpatterns = [
    path("results/", views.dashboard, name="results-dashboard"),
    path("results/indicators/<str:indicator_id>/", views.indicator, name="results-indicator"),
    path("results/indicators/<str:indicator_id>/rows/", views.rows, name="results-rows"),
    path("results/person/<str:key>/", views.person, name="results-person"),
    path("results/report/", views.report_page, name="results-report"),
    path("results/report/<int:year>/<str:code>/<str:lang>/view/", views.report_view, name="results-report-view"),
    path("results/report/<int:year>/<str:code>/<str:lang>.<str:fmt>", views.report_file, name="results-report-file"),
]
