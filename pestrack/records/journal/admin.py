"""The journal in the admin: read only, for everyone. Entries are written, signed and corrected on
the person page (or through the API), where the documentation rules apply; a signed entry is
never changed or deleted, and an unsigned one only by its author, so the admin changes none."""

from django.contrib import admin

from pestrack.records.admin_support import PersonRecordAdmin, ReadOnly
from pestrack.records.journal.models import JournalEntry


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnly, PersonRecordAdmin):
    person_path = "person"
    list_display = ("__str__", "person_id", "enrolment", "kind", "date", "author", "signed_at", "corrects")
    list_filter = ("kind",)
    list_select_related = ("enrolment", "kind", "author")
    date_hierarchy = "date"
