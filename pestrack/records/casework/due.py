"""The casework items of the work list (records.worklist), each one set-based query:

- ``followup_due``: an ended enrolment has a follow-up due at each of the profile's
  ``followup_months`` (3, 6 and 12 for Stockholm) once that many months have passed since the exit,
  until a follow-up of that month is recorded (from any source) or it lapses, the profile's
  ``followup_window_days`` (90) after its date: asking at 15 months what someone did at 3 is no
  follow-up, and without a window every unrecorded follow-up of past years would stay on the list;
- ``plan_review_due``: the latest plan of an open enrolment has a review date that has come, and no
  newer plan is recorded (recording a new plan resolves it);
- ``inactive``: an open enrolment without activity (its stored ``last_activity``) for the profile's
  ``inactive_days``; any activity resolves it;
- ``measure_overdue``: a measure still open on or after its planned end date; ending it (or moving
  the planned end) resolves it.

An item is due on its date (exit + N months, the review date, last activity + N days, the planned
end) and overdue from the day after. Withdrawn (makulerade) records count for nothing: a withdrawn
follow-up leaves its month due, a withdrawn plan or measure has no item.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import DateField, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Value
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext

from pestrack.records import worklist
from pestrack.records.casework.models import FollowUp, Participation, Plan
from pestrack.records.codes.profile import worklist_setting


class ShiftDate(Func):
    """``date`` plus a whole number of months or days, in SQL (the due date of an item).

    A month past the end of a shorter month is its last day on PostgreSQL (31 January + 1 month =
    28 February) and runs over into the next month on SQLite (3 March); the rule compares the
    shifted date in the database either way, so each database is consistent with itself."""

    output_field = DateField()

    def __init__(self, expression, *, months: int = 0, days: int = 0):
        self.months, self.days = int(months), int(days)
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) + INTERVAL '{self.months} months {self.days} days')::date", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '+{self.months} months', '+{self.days} days')", params


def _item(qs: QuerySet, **fields) -> QuerySet:
    """``qs`` as work-list rows (records.worklist.ITEM_FIELDS and any extra field), without
    ordering; ``fields``: name -> expression, or None for a field of the model by that name."""
    annotations = {name: expr for name, expr in fields.items() if expr is not None}
    return (
        qs.order_by()
        .annotate(**annotations)
        .values(*worklist.ITEM_FIELDS, *(name for name in fields if name not in worklist.ITEM_FIELDS))
    )


def _entry_item(qs: QuerySet, due: str) -> QuerySet:
    """Entries under an enrolment (plans, measures) as work-list rows, due on their field ``due``:
    the entry is the item's object, of the enrolment's person and caseworker."""
    return _item(
        qs,
        due_date=F(due),
        person_id=F("enrolment__person_id"),
        enrolment_id=None,
        object_id=F("pk"),
        caseworker_id=F("enrolment__caseworker_id"),
    )


# --- follow-ups after exit ------------------------------------------------------------------------


def followups_due(enrolments: QuerySet, today: dt.date) -> QuerySet:
    """One item per ended enrolment and follow-up month whose date (exit + N months) has come, has
    not lapsed (``followup_window_days`` after it), and that has no follow-up of that month.
    Persons anonymised by retention are left out."""
    window = worklist_setting("followup_window_days")
    branches = []
    for months in worklist_setting("followup_months"):
        due = ShiftDate(F("end_date"), months=months)
        # exit + N months <= today implies an exit before today - N months + 4 days (month lengths),
        # and not lapsed one after today - N months - window - 3 days: the indexed end date bounds
        # the rows before the shifted date is computed
        qs = enrolments.filter(
            end_date__isnull=False,
            end_date__lte=today - dt.timedelta(days=28 * months - 4),
            person__anonymised_at__isnull=True,
        )
        if window is not None:
            qs = qs.filter(end_date__gte=today - dt.timedelta(days=31 * months + window + 3))
        qs = qs.annotate(wl_due=due).filter(wl_due__lte=today)
        if window is not None:
            qs = qs.filter(wl_due__gte=today - dt.timedelta(days=window))
        qs = qs.exclude(Exists(FollowUp.objects.current().filter(enrolment=OuterRef("pk"), months=months)))
        branches.append(
            _item(
                qs,
                due_date=F("wl_due"),
                person_id=None,
                enrolment_id=F("pk"),
                object_id=F("pk"),
                caseworker_id=None,
                months=Value(months, output_field=IntegerField()),
            )
        )
    if len(branches) == 1:
        return branches[0]
    return branches[0].union(*branches[1:], all=True)


def _followup_url(row: dict) -> str:
    return reverse("record-followup", args=[row["enrolment_id"]]) + f"?months={int(row['months'])}"


def _followup_text(row: dict) -> str:
    months = int(row["months"])
    return ngettext("%(n)s month after exit", "%(n)s months after exit", months) % {"n": months}


# --- plan reviews ---------------------------------------------------------------------------------


def newer_plan_exists() -> Exists:
    """Whether the enrolment of the plan in the outer query has a newer plan (later date, or the same
    date and entered later): only the latest plan's review date counts (the work list, reminders)."""
    return Exists(
        Plan.objects.current()
        .filter(enrolment=OuterRef("enrolment_id"))
        .filter(Q(date__gt=OuterRef("date")) | Q(date=OuterRef("date"), pk__gt=OuterRef("pk")))
    )


def plan_reviews_due(enrolments: QuerySet, today: dt.date) -> QuerySet:
    """The latest plan of each open enrolment whose review date has come (no newer plan exists)."""
    qs = (
        Plan.objects.current()
        .filter(
            enrolment__in=enrolments.filter(end_date__isnull=True).order_by().values("pk"),
            review_date__isnull=False,
            review_date__lte=today,
        )
        .exclude(newer_plan_exists())
    )
    return _entry_item(qs, "review_date")


def _plan_url(row: dict) -> str:
    return reverse("record-plan", args=[row["enrolment_id"]])


# --- no activity ----------------------------------------------------------------------------------


def inactive(enrolments: QuerySet, today: dt.date) -> QuerySet:
    """Open enrolments whose last activity is ``inactive_days`` or more days ago."""
    days = int(worklist_setting("inactive_days"))
    qs = enrolments.filter(end_date__isnull=True, last_activity__lte=today - dt.timedelta(days=days))
    return _item(
        qs,
        due_date=ShiftDate(F("last_activity"), days=days),
        person_id=None,
        enrolment_id=F("pk"),
        object_id=F("pk"),
        caseworker_id=None,
    )


def _person_url(row: dict) -> str:
    return reverse("person-detail", args=[row["person_id"]]) + "#timeline"


# --- measures past their planned end --------------------------------------------------------------


def measures_overdue(enrolments: QuerySet, today: dt.date) -> QuerySet:
    """Open participations whose planned end date has come."""
    qs = Participation.objects.current().filter(
        enrolment__in=enrolments.order_by().values("pk"),
        end_date__isnull=True,
        planned_end_date__isnull=False,
        planned_end_date__lte=today,
    )
    return _entry_item(qs, "planned_end_date")


def _end_measure_url(row: dict) -> str:
    return reverse("end-measure", args=[row["object_id"]])


SOURCES = (
    worklist.Source(
        "followup_due",
        gettext_lazy("Follow-ups due"),
        followups_due,
        _followup_url,
        order=10,
        extra=("months",),
        describe=_followup_text,
    ),
    worklist.Source("plan_review_due", gettext_lazy("Plan reviews due"), plan_reviews_due, _plan_url, order=20),
    worklist.Source(
        "measure_overdue", gettext_lazy("Measures past their planned end"), measures_overdue, _end_measure_url, order=30
    ),
    worklist.Source("inactive", gettext_lazy("No recent activity"), inactive, _person_url, order=90),
)


def register() -> None:
    """Register the casework sources (from the app's ``ready``)."""
    for s in SOURCES:
        worklist.register(s)
