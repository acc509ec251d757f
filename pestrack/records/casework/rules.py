"""Business rules for casework records, one function per record kind.

Each check returns a list of ``Violation(field, message)``; an empty list means the record may be
saved. The rules themselves are data on the profile's codes (``Code.rules``):

- ``min_age`` / ``max_age``: age in whole years on the start date (KAA: max 19; UVAS: 20–29)
- ``requires_municipality_registration``: registered in the profile's home municipality (KAA)
- ``requires_decision``: a Social Services Act decision (reference and date) is needed
  (outreach level 2, övriga målgrupper)
- ``requires_programme``: a measure only for participants of that programme (Stockholmsjobb)
- ``bands``: score bands of an instrument (Work Ability Index 0–4, 5–7, 8–10)

The same functions serve forms, the admin, the API and the importer, so a rule is written once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from pestrack.records.casework.bands import band_for  # noqa: F401  (the rules of assessments use it)


@dataclass(frozen=True)
class Violation:
    field: str
    message: str


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _name(code) -> str:
    return f"{code.name_sv} ({code.code})"


def check_dates(
    start: dt.date | None, end: dt.date | None, today: dt.date, *, start_field="start_date", end_field="end_date"
) -> list[Violation]:
    out = []
    if start and start > today:
        out.append(Violation(start_field, _("The start date %(d)s is in the future.") % {"d": start}))
    if end and end > today:
        out.append(Violation(end_field, _("The end date %(d)s is in the future.") % {"d": end}))
    if start and end and end < start:
        out.append(
            Violation(end_field, _("The end date %(e)s is before the start date %(s)s.") % {"e": end, "s": start})
        )
    return out


def _age_rules(code, birth: dt.date, day: dt.date, field: str) -> list[Violation]:
    rules = code.rules or {}
    age = age_on(birth, day)
    out = []
    if "min_age" in rules and age < rules["min_age"]:
        out.append(
            Violation(
                field,
                _("%(code)s requires age %(min)s or over on %(day)s; the person is %(age)s.")
                % {"code": _name(code), "min": rules["min_age"], "day": day, "age": age},
            )
        )
    if "max_age" in rules and age > rules["max_age"]:
        out.append(
            Violation(
                field,
                _("%(code)s requires age %(max)s or under on %(day)s; the person is %(age)s.")
                % {"code": _name(code), "max": rules["max_age"], "day": day, "age": age},
            )
        )
    return out


def check_enrolment(
    *,
    birth_date: dt.date,
    municipality: str,
    home_municipality: str,
    target_group,
    entry_route,
    start_date: dt.date,
    end_date: dt.date | None,
    exit_reason,
    decision_reference: str,
    decision_date: dt.date | None,
    today: dt.date | None = None,
    last_worked: dt.date | None = None,
    never_worked: bool = False,
) -> list[Violation]:
    """Rules of one enrolment, without the database (open-enrolment uniqueness is separate)."""
    today = today or dt.date.today()
    out = check_dates(start_date, end_date, today)
    if last_worked and never_worked:
        out.append(Violation("never_worked", _("Give either when the person last worked or that they never have.")))
    if last_worked and start_date and last_worked > start_date:
        out.append(Violation("last_worked", _("The date the person last worked is after the start date.")))
    if birth_date and start_date and start_date < birth_date:
        out.append(Violation("start_date", _("The start date is before the person's birth date.")))
    out += _age_rules(target_group, birth_date, start_date, "target_group")
    if (target_group.rules or {}).get("requires_municipality_registration") and municipality != home_municipality:
        out.append(
            Violation(
                "target_group",
                _("%(code)s requires registration in municipality %(home)s; the person is registered in %(m)s.")
                % {"code": _name(target_group), "home": home_municipality, "m": municipality or "–"},
            )
        )
    for field, code in (("target_group", target_group), ("entry_route", entry_route)):
        if (code.rules or {}).get("requires_decision") and not (decision_reference and decision_date):
            out.append(
                Violation(
                    "decision_reference",
                    _("%(code)s requires a decision under the Social Services Act (reference and date).")
                    % {"code": _name(code)},
                )
            )
    if decision_date and decision_date > today:
        out.append(Violation("decision_date", _("The decision date %(d)s is in the future.") % {"d": decision_date}))
    if end_date and exit_reason is None:
        out.append(Violation("exit_reason", _("An ended enrolment needs an exit reason.")))
    if exit_reason is not None and not end_date:
        out.append(Violation("end_date", _("An exit reason needs an end date.")))
    return out


def check_open_enrolment_unique(person_id, programme, start_date, end_date, exclude_pk=None) -> list[Violation]:
    """No two open enrolments of one person in the same programme."""
    from pestrack.records.casework.models import Enrolment

    if end_date is not None or person_id is None:
        return []
    others = Enrolment.objects.filter(person_id=person_id, programme=programme, end_date__isnull=True)
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        return [
            Violation("programme", _("The person already has an open enrolment in %(p)s.") % {"p": _name(programme)})
        ]
    return []


def check_participation(
    *,
    measure,
    programme,
    birth_date: dt.date,
    enrolment_start: dt.date,
    enrolment_end: dt.date | None,
    start_date: dt.date,
    end_date: dt.date | None,
    today: dt.date | None = None,
    planned_end_date: dt.date | None = None,
) -> list[Violation]:
    today = today or dt.date.today()
    out = check_dates(start_date, end_date, today)
    if planned_end_date and start_date and planned_end_date < start_date:
        out.append(
            Violation(
                "planned_end_date",
                _("The planned end %(e)s is before the start date %(s)s.") % {"e": planned_end_date, "s": start_date},
            )
        )
    required = (measure.rules or {}).get("requires_programme")
    if required and programme.code != required:
        out.append(
            Violation(
                "measure", _("%(m)s is only for persons enrolled in %(p)s.") % {"m": _name(measure), "p": required}
            )
        )
    out += _age_rules(measure, birth_date, start_date, "measure")
    if start_date and enrolment_start and start_date < enrolment_start:
        out.append(
            Violation("start_date", _("The measure starts before the enrolment (%(d)s).") % {"d": enrolment_start})
        )
    if start_date and enrolment_end and start_date > enrolment_end:
        out.append(
            Violation("start_date", _("The measure starts after the enrolment ended (%(d)s).") % {"d": enrolment_end})
        )
    return out


def check_followup(
    *, months: int, enrolment_end: dt.date | None, reference_date: dt.date, today: dt.date | None = None
) -> list[Violation]:
    today = today or dt.date.today()
    out = []
    if enrolment_end is None:
        out.append(Violation("enrolment", _("A follow-up needs an ended enrolment.")))
    elif reference_date < enrolment_end:
        out.append(Violation("reference_date", _("The follow-up date is before the exit.")))
    if reference_date > today:
        out.append(Violation("reference_date", _("The follow-up date %(d)s is in the future.") % {"d": reference_date}))
    if months <= 0:
        out.append(Violation("months", _("Months after exit must be a positive number.")))
    return out


def check_plan(*, date: dt.date, review_date: dt.date | None, today: dt.date | None = None) -> list[Violation]:
    today = today or dt.date.today()
    out = check_dates(date, None, today, start_field="date")
    if review_date and date and review_date < date:
        out.append(
            Violation(
                "review_date",
                _("The review date %(r)s is before the plan's date %(d)s.") % {"r": review_date, "d": date},
            )
        )
    return out


def check_assessment(*, instrument, score, date: dt.date, today: dt.date | None = None) -> list[Violation]:
    today = today or dt.date.today()
    out = check_dates(date, None, today, start_field="date")
    rules = instrument.rules or {}
    if score is not None and "min_score" in rules and not (rules["min_score"] <= score <= rules["max_score"]):
        out.append(
            Violation(
                "score",
                _("%(i)s scores run from %(a)s to %(b)s; %(s)s is outside.")
                % {"i": _name(instrument), "a": rules["min_score"], "b": rules["max_score"], "s": score},
            )
        )
    return out
