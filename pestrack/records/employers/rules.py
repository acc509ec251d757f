"""Business rules of places and placements. Like casework.rules, each check returns a list of
``Violation(field, message)``, and the rules are data on the profile's place_type codes:

- ``requires_programme``: only for persons enrolled in that programme (Stockholmsjobb: jobbtorg)
- ``min_age`` / ``max_age``: age in whole years on the place's start date (feriejobb: 16–19)

plus the place's own stated requirements: Swedish level (CEFR 1–6), a driving licence, and the
participant's own limit on travel distance. The vectorised matching (pestrack.matching.score)
applies the same rules to many pairs at once; a test checks that both agree.
"""

from __future__ import annotations

import datetime as dt
import math

from django.utils.translation import gettext as _

from pestrack.records.casework.rules import Violation, _age_rules, _name, check_dates

CEFR = ("none", "A1", "A2", "B1", "B2", "C1", "C2")


EARTH_KM = 6371.0


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lon)
    return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))


def km_between(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance, from the chord between the two points on the unit sphere (the
    vectorised matching computes the same chord for many pairs at once)."""
    chord = math.dist(unit_vector(lat1, lon1), unit_vector(lat2, lon2))
    return 2 * EARTH_KM * math.asin(min(1.0, chord / 2))


def check_place(
    *,
    kind,
    start_date: dt.date,
    end_date: dt.date | None,
    positions: int,
    swedish_level: int,
    isco_group: str,
    status: str,
) -> list[Violation]:
    out = []
    if start_date and end_date and end_date < start_date:
        out += [
            Violation(
                "end_date", _("The end date %(e)s is before the start date %(s)s.") % {"e": end_date, "s": start_date}
            )
        ]
    if positions is not None and positions < 1:
        out.append(Violation("positions", _("A place has at least one position.")))
    if swedish_level is not None and not 0 <= swedish_level <= 6:
        out.append(Violation("swedish_level", _("The Swedish level is 0 (none) or 1–6 (CEFR A1–C2).")))
    if isco_group and not (len(isco_group) == 4 and isco_group.isdigit()):
        out.append(Violation("isco_group", _("An ISCO-08 unit group is four digits, e.g. 9112.")))
    return out


def eligibility(
    *,
    kind,
    place_start: dt.date,
    place_swedish_level: int,
    place_licence: bool,
    place_latlon: tuple | None,
    birth_date: dt.date | None,
    programmes: set[str],
    swedish_level: int,
    driving_licence: bool,
    latlon: tuple | None,
    max_travel_km: float | None,
) -> list[Violation]:
    """The hard rules of matching one participant with one place: a place is never suggested, proposed
    or allocated to a participant who breaks one of them. ``programmes``: codes of the programmes
    the person is enrolled in on the place's start date."""
    rules = kind.rules or {}
    out = []
    required = rules.get("requires_programme")
    if required and required not in programmes:
        out.append(
            Violation("kind", _("%(k)s is only for persons enrolled in %(p)s.") % {"k": _name(kind), "p": required})
        )
    if birth_date:
        out += _age_rules(kind, birth_date, place_start, "kind")
    if swedish_level < place_swedish_level:
        out.append(
            Violation(
                "swedish_level",
                _("The place requires Swedish at level %(r)s; the participant has %(h)s.")
                % {"r": CEFR[place_swedish_level], "h": CEFR[swedish_level]},
            )
        )
    if place_licence and not driving_licence:
        out.append(Violation("driving_licence", _("The place requires a driving licence.")))
    if max_travel_km is not None and latlon and place_latlon:
        km = km_between(*latlon, *place_latlon)
        if km > max_travel_km:
            out.append(
                Violation(
                    "travel",
                    _("The place is %(d).1f km away; the participant travels at most %(m).0f km.")
                    % {"d": km, "m": max_travel_km},
                )
            )
    return out


def check_placement(
    *,
    status: str,
    proposed_date: dt.date,
    interview_date: dt.date | None,
    hired_date: dt.date | None,
    ended_date: dt.date | None,
    employer_satisfaction: int | None,
    today: dt.date,
) -> list[Violation]:
    """Dates in order (proposed ≤ interview ≤ hired ≤ ended) and not in the future; a hire has a date."""
    out = check_dates(proposed_date, None, today, start_field="proposed_date")
    chain = [
        ("proposed_date", proposed_date),
        ("interview_date", interview_date),
        ("hired_date", hired_date),
        ("ended_date", ended_date),
    ]
    last = None
    for field, day in chain:
        if day is None:
            continue
        if day > today:
            out.append(Violation(field, _("The date %(d)s is in the future.") % {"d": day}))
        if last and day < last[1]:
            out.append(
                Violation(
                    field, _("%(f)s %(d)s is before %(g)s %(e)s.") % {"f": field, "d": day, "g": last[0], "e": last[1]}
                )
            )
        last = (field, day)
    if status == "hired" and hired_date is None:
        out.append(Violation("hired_date", _("A hire needs the hiring date.")))
    if hired_date and status not in ("hired",):
        out.append(Violation("status", _("A placement with a hiring date has the status hired.")))
    if ended_date and hired_date is None:
        out.append(Violation("ended_date", _("Only a hire can end; there is no hiring date.")))
    if employer_satisfaction is not None and not 1 <= employer_satisfaction <= 5:
        out.append(Violation("employer_satisfaction", _("Employer satisfaction is 1–5.")))
    return out
