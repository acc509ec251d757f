from django.urls import path

from pestrack.web.portal import views

# No URL carries a person id: every page is the signed-in participant's own.
urlpatterns = [
    path("portal/", views.home, name="portal-home"),
    path("portal/sign-in/", views.sign_in_page, name="portal-sign-in"),
    path("portal/link/<str:secret>/", views.link_sign_in, name="portal-link"),
    path("portal/oidc/start/", views.oidc_start, name="portal-oidc-start"),
    path("portal/oidc/callback/", views.oidc_callback, name="portal-oidc-callback"),
    path("portal/sign-out/", views.sign_out_view, name="portal-sign-out"),
    path("portal/language/", views.set_language, name="portal-language"),
    path("portal/plan/", views.plan_page, name="portal-plan"),
    path("portal/meetings/", views.meetings_page, name="portal-meetings"),
    path("portal/meetings/<int:meeting_id>/calendar.ics", views.meeting_ics, name="portal-meeting-ics"),
    path("portal/measures/", views.measures_page, name="portal-measures"),
    path("portal/places/", views.places_page, name="portal-places"),
    path("portal/messages/", views.messages_page, name="portal-messages"),
    path("portal/messages/<int:message_id>/attachment/", views.attachment, name="portal-attachment"),
    path("portal/my-data/", views.my_data, name="portal-my-data"),
    path("portal/my-data/extract.<str:fmt>", views.extract, name="portal-extract"),
]
