"""The ``placements`` analytics table: proposals of participants for places and what came of them."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator

from pestrack.analytics.pseudonym import person_key
from pestrack.records.casework.models import Enrolment
from pestrack.records.employers.models import Placement


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retained(hired: dt.date | None, ended: dt.date | None, months: int, today: dt.date) -> bool | None:
    """Still employed ``months`` after the hire: None when not hired or the day has not come yet."""
    if hired is None:
        return None
    mark = add_months(hired, months)
    if ended is not None and ended < mark:
        return False
    return True if mark <= today else None


def placement_rows(today: dt.date) -> Iterator[dict]:
    rows = list(
        Placement.objects.order_by("id").values(
            "id",
            "place_id",
            "place__kind__code",
            "person_id",
            "person__pin_hash",
            "person__sex",
            "status",
            "proposed_date",
            "hired_date",
            "ended_date",
            "employer_satisfaction",
        )
    )
    enrolments: dict[int, list] = {}
    for enrolment in (
        Enrolment.objects.filter(person_id__in={r["person_id"] for r in rows})
        .order_by("start_date")
        .values("person_id", "programme__code", "org_unit__code", "start_date", "end_date")
    ):
        enrolments.setdefault(enrolment["person_id"], []).append(enrolment)
    first: dict[int, tuple] = {}
    for r in rows:
        key = (r["proposed_date"], r["id"])
        first[r["person_id"]] = min(first.get(r["person_id"], key), key)
    for r in rows:
        day = r["proposed_date"]
        open_ = [
            e
            for e in enrolments.get(r["person_id"], [])
            if e["start_date"] <= day and (e["end_date"] is None or e["end_date"] >= day)
        ]
        e = open_[0] if open_ else None
        yield {
            "placement_id": r["id"],
            "place_id": r["place_id"],
            "kind": r["place__kind__code"],
            "person_key": person_key(r["person__pin_hash"]),
            "sex": r["person__sex"],
            "programme": e and e["programme__code"],
            "org_unit": e and e["org_unit__code"],
            "status": r["status"],
            "proposed_date": day,
            "hired_date": r["hired_date"],
            "ended_date": r["ended_date"],
            "hired": r["hired_date"] is not None,
            "first_for_person": first[r["person_id"]] == (day, r["id"]),
            "days_enrolment_to_proposal": (day - e["start_date"]).days if e else None,
            "retained_3m": retained(r["hired_date"], r["ended_date"], 3, today),
            "retained_6m": retained(r["hired_date"], r["ended_date"], 6, today),
            "employer_satisfaction": r["employer_satisfaction"],
        }
