from django.urls import path

from pestrack.web.lmi import views

urlpatterns = [
    path("lmi/", views.observatory, name="lmi-observatory"),
    path("lmi/bulletin/<str:month>/<str:lang>.<str:fmt>", views.bulletin, name="lmi-bulletin"),
    path("lmi/open-data/datapackage.json", views.datapackage, name="lmi-datapackage"),
    path("lmi/open-data/<str:release>/<str:table>.<str:fmt>", views.open_table, name="lmi-open-table"),
    path("lmi/dashboard/", views.dashboard, name="lmi-dashboard"),
    path("lmi/partners/", views.partners, name="lmi-partners"),
    path("lmi/analysts/", views.analysts, name="lmi-analysts"),
]
