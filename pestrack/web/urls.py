from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path

from pestrack.web import views
from pestrack.web.api import api
from pestrack.web.benchlearning.urls import urlpatterns as benchlearning_pages
from pestrack.web.employers.views import suggested_places
from pestrack.web.evaluation.views import evaluation_page
from pestrack.web.lmi.urls import urlpatterns as lmi_pages
from pestrack.web.logreview.urls import urlpatterns as log_review_pages
from pestrack.web.meetings.urls import urlpatterns as meeting_pages
from pestrack.web.portal.urls import urlpatterns as portal_pages
from pestrack.web.preferences import set_language
from pestrack.web.profiling.urls import urlpatterns as profiling_pages
from pestrack.web.results.urls import urlpatterns as results_pages
from pestrack.web.workspace import views as workspace_views
from pestrack.web.workspace.urls import urlpatterns as workspace_pages


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("health", health, name="health"),
    path("", workspace_views.home, name="home"),
    path("language/", set_language, name="set-language"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html",
            next_page="home",
            redirect_authenticated_user=True,
            extra_context={"idle_minutes": settings.PESTRACK_SESSION_IDLE_MINUTES},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("persons/", views.person_list, name="person-list"),
    path("persons/<int:person_id>/", workspace_views.person_page, name="person-detail"),
    path("persons/<int:person_id>/places/", suggested_places, name="suggested-places"),
    path("persons/<int:person_id>/export.json", views.export_json, name="person-export-json"),
    path("persons/<int:person_id>/export.html", views.export_html, name="person-export-html"),
    *workspace_pages,
    *meeting_pages,
    *results_pages,
    *log_review_pages,
    *portal_pages,
    *lmi_pages,
    *benchlearning_pages,
    *profiling_pages,
    path("evaluation/", evaluation_page, name="evaluation"),
    path("api/v1/", api.urls),
    path("employers/", include("pestrack.web.employers.urls")),
]
