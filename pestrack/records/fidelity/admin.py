from django.contrib import admin

from pestrack.records.fidelity.models import FidelityReview


@admin.register(FidelityReview)
class FidelityReviewAdmin(admin.ModelAdmin):
    list_display = ("org_unit", "review_date", "total", "category")
    list_filter = ("category",)
    readonly_fields = ("total", "category")
