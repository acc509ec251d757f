from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView

from pestrack.web import views
from pestrack.web.api import api


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("health", health, name="health"),
    path("", RedirectView.as_view(pattern_name="person-list"), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="web/login.html", next_page="person-list"),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("persons/", views.person_list, name="person-list"),
    path("persons/<int:person_id>/", views.person_detail, name="person-detail"),
    path("persons/<int:person_id>/export.json", views.export_json, name="person-export-json"),
    path("persons/<int:person_id>/export.html", views.export_html, name="person-export-html"),
    path("api/v1/", api.urls),
    path("employers/", include("pestrack.web.employers.urls")),
]
