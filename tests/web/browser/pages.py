"""Every page the browser tests open, checked with axe-core and photographed: (name, path, user).

A path's {placeholders} are ids of the browser tests' data (see conftest.py ``data``); user None
means the page is opened without logging in. Add a page here and it is checked."""

from __future__ import annotations

PAGES: list[tuple[str, str, str | None]] = [
    ("login", "/accounts/login/", None),
    ("home", "/", "anna"),
    ("caseload", "/caseload/", "anna"),
    ("worklist", "/worklist/", "anna"),
    ("caseload-units", "/caseload/?scope=units&sort=name", "anna"),
    ("change-caseworker", "/enrolments/{enrolment}/caseworker/", "anna"),
    ("search", "/search/", "anna"),
    ("persons", "/persons/", "anna"),
    ("person", "/persons/{person}/", "anna"),
    ("person-protected", "/persons/{protected}/", "anna"),
    ("enrol", "/persons/{exited}/enrol/", "anna"),
    ("new-person", "/persons/new/", "anna"),
    ("decision", "/enrolments/{enrolment}/decision/", "anna"),
    ("assessment", "/enrolments/{enrolment}/assessment/", "anna"),
    ("plan", "/enrolments/{enrolment}/plan/", "anna"),
    ("start-measure", "/enrolments/{enrolment}/measure/", "anna"),
    ("end-measure", "/measures/{measure}/end/", "anna"),
    ("exit", "/enrolments/{enrolment}/exit/", "anna"),
    ("follow-up", "/enrolments/{exited_enrolment}/followup/", "anna"),
    ("correct-measure", "/entries/participation/{measure}/correct/", "anna"),
    ("withdraw-measure", "/entries/participation/{measure}/withdraw/", "anna"),
    ("correct-exit", "/entries/exit/{exited_enrolment}/correct/", "anna"),
    ("suggested-places", "/persons/{person}/places/", "anna"),
    ("journal", "/persons/{person}/journal/", "anna"),
    ("journal-manager", "/persons/{person}/journal/", "maria"),
    ("book-meeting", "/persons/{person}/meetings/new/", "anna"),
    ("my-meetings", "/meetings/", "anna"),
    ("my-meetings-week", "/meetings/?view=week", "anna"),
    ("attendance-week", "/measures/{measure}/attendance/", "anna"),
    ("attendance-report", "/attendance/report/", "anna"),
    ("refused", "/persons/{other_district}/", "anna"),
    ("home-manager", "/", "maria"),
    ("worklist-team", "/worklist/team/", "maria"),
    ("person-manager", "/persons/{person}/", "maria"),
    ("caseload-team", "/caseload/team/", "maria"),
    ("home-analyst", "/", "ali"),
    ("log-review", "/log-review/", "sara"),
    ("unusual-access", "/log-review/unusual/", "sara"),
]
