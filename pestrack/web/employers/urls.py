from django.urls import path

from pestrack.web.employers import views

urlpatterns = [
    path("", views.employer_list, name="employer-list"),
    path("<int:employer_id>/", views.employer_detail, name="employer-detail"),
    path("places/<int:place_id>/candidates/", views.place_candidates, name="place-candidates"),
    path("placements/<int:placement_id>/", views.placement_outcome, name="placement-outcome"),
]
