from django.urls import path

from pestrack.web.meetings import views

urlpatterns = [
    path("persons/<int:person_id>/meetings/new/", views.book, name="book-meeting"),
    path("meetings/", views.my_meetings, name="my-meetings"),
    path("meetings/<int:meeting_id>/outcome/", views.outcome, name="meeting-outcome"),
    path("meetings/<int:meeting_id>/calendar.ics", views.meeting_ics, name="meeting-ics"),
    path("measures/<int:participation_id>/attendance/", views.attendance_week, name="attendance-week"),
    path("attendance/report/", views.attendance_report, name="attendance-report"),
]
