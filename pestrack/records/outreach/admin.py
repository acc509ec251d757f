"""Outreach contacts (not identifying anyone) and survey answers (person data when linked to an enrolment)."""

from django.contrib import admin
from django.db.models import Q

from pestrack.records import access
from pestrack.records.outreach.models import OutreachContact, SurveyAnswer


@admin.register(OutreachContact)
class OutreachContactAdmin(admin.ModelAdmin):
    list_display = ("date", "org_unit", "target_group", "sex", "age_band", "level", "outcome")
    list_filter = ("level", "org_unit")
    date_hierarchy = "date"


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(admin.ModelAdmin):
    list_display = ("survey", "question", "date", "org_unit", "value")
    list_filter = ("survey",)
    raw_id_fields = ("enrolment",)

    def get_queryset(self, request):
        # An answer linked to an enrolment is the person's record: only within the user's scope.
        visible = access.persons_visible_to(request.user)
        return super().get_queryset(request).filter(Q(enrolment__isnull=True) | Q(enrolment__person__in=visible))
