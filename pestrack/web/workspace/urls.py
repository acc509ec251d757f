from django.urls import path

from pestrack.web.workspace import caseload, documents, journal, notifications, views, worklist

urlpatterns = [
    path("caseload/", caseload.caseload, name="caseload"),
    path("caseload/filters/save/", caseload.save_filter, name="caseload-save-filter"),
    path("caseload/filters/delete/", caseload.delete_filter, name="caseload-delete-filter"),
    path("caseload/reassign/", caseload.reassign_many, name="caseload-reassign"),
    path("caseload/team/", caseload.team, name="caseload-team"),
    path("enrolments/<int:enrolment_id>/caseworker/", caseload.reassign_one, name="reassign-enrolment"),
    path("worklist/", worklist.worklist_page, name="worklist"),
    path("worklist/team/", worklist.team_page, name="worklist-team"),
    path("search/", views.search, name="person-search"),
    path("persons/new/", views.new_person, name="new-person"),
    path("persons/<int:person_id>/enrol/", views.enrol, name="enrol"),
    path("enrolments/<int:enrolment_id>/decision/", views.decision, name="record-decision"),
    path("enrolments/<int:enrolment_id>/assessment/", views.assessment, name="record-assessment"),
    path("enrolments/<int:enrolment_id>/plan/", views.plan, name="record-plan"),
    path("enrolments/<int:enrolment_id>/measure/", views.start_measure, name="start-measure"),
    path("enrolments/<int:enrolment_id>/exit/", views.exit_enrolment, name="exit-enrolment"),
    path("enrolments/<int:enrolment_id>/followup/", views.followup, name="record-followup"),
    path("measures/<int:participation_id>/end/", views.end_measure, name="end-measure"),
    path("persons/<int:person_id>/journal/", journal.person_journal, name="person-journal"),
    path("journal/<int:entry_id>/", journal.entry_page, name="journal-entry"),
    path("journal/<int:entry_id>/sign/", journal.sign_entry, name="journal-sign"),
    path("journal/<int:entry_id>/correct/", journal.correct_entry, name="journal-correct"),
    path("persons/<int:person_id>/contact/", notifications.contact, name="person-contact"),
    path("persons/<int:person_id>/documents/new/", documents.upload, name="document-upload"),
    path("documents/<int:document_id>/download/", documents.download, name="document-download"),
    path("documents/<int:document_id>/withdraw/", documents.withdraw, name="document-withdraw"),
    path("entries/<slug:record_type>/<int:record_id>/correct/", views.correct, name="correct-entry"),
    path("entries/<slug:record_type>/<int:record_id>/withdraw/", views.withdraw, name="withdraw-entry"),
]
