"""/api/v1/ endpoints beside the persons ones (web/api.py): a person's exits, and indicator results.

Indicator results follow the results pages' rule (records.access.results_units): an analyst gets
every unit, a unit manager their units (the engine's queries are limited to them), anyone else 403.
Every call is logged."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from pestrack.indicators.periods import period as make_period
from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.casework.models import Enrolment
from pestrack.results import service
from pestrack.web.api_common import ERRORS, _person

router = Router()


class ExitOut(Schema):
    enrolment_id: int
    programme: str
    org_unit: str
    target_group: str
    start_date: dt.date
    exit_date: dt.date
    exit_reason: str | None
    exit_outcome: str


class IndicatorOut(Schema):
    id: str
    name_sv: str
    name_en: str | None
    unit: str
    direction: str
    population: str | None
    reported: bool
    available: bool
    breakdowns: list[str]
    targets: dict[int, float | str | None]


class ResultRow(Schema):
    breakdown: str
    breakdown_value: str | None
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: str | None  # "<5" or "..": withheld by disclosure control (value, numerator, denominator null)


class IndicatorResults(Schema):
    indicator: str
    period: str
    units: list[str] | None
    complete: bool  # whether the data cover the whole period (false: the figures can still change)
    suppress_below: int  # the disclosure threshold applied (0: none; docs/results.md)
    rows: list[ResultRow]


@router.get("/persons/{person_id}/exits", response={200: list[ExitOut], **ERRORS}, tags=["persons"])
def person_exits(request, person_id: int):
    """The person's ended enrolments with their exit reason and its outcome (work, studies, other)."""
    person = _person(request, person_id, what="exits")
    rows = (
        Enrolment.objects.filter(person=person, end_date__isnull=False)
        .select_related("programme", "org_unit", "target_group", "exit_reason")
        .order_by("end_date")
    )
    return [
        {
            "enrolment_id": e.pk,
            "programme": e.programme.code,
            "org_unit": e.org_unit.code,
            "target_group": e.target_group.code,
            "start_date": e.start_date,
            "exit_date": e.end_date,
            "exit_reason": e.exit_reason.code if e.exit_reason else None,
            "exit_outcome": (e.exit_reason.rules or {}).get("outcome", "other") if e.exit_reason else "other",
        }
        for e in rows
    ]


def _units(request, what: str):
    return access.results_units(request.auth, what=what, source=access.client_address(request))


def _log(request, what: str, detail: str) -> None:
    log.record_for_user(request.auth, "read", source=access.client_address(request), object_type=what, detail=detail)


@router.get("/indicators", response={200: list[IndicatorOut], **ERRORS}, tags=["indicators"])
def list_indicators(request):
    """Every indicator of the profile; ``available`` says whether the caller gets values for it
    (a unit manager gets none for whole-city reported figures)."""
    units = _units(request, "indicator list")
    out = []
    for ind in service.indicators().values():
        out.append(
            {
                "id": ind.id,
                "name_sv": ind.name["sv"],
                "name_en": ind.name.get("en"),
                "unit": ind.unit,
                "direction": ind.direction,
                "population": ind.population,
                "reported": ind.is_reported,
                "available": service.available(ind, units),
                "breakdowns": list(service.dimensions(ind)),
                "targets": {year: t.get("own") for year, t in ind.targets.items()},
            }
        )
    _log(request, "indicator list", f"{len(out)} indicators")
    return out


@router.get("/indicators/{indicator_id}/results", response={200: IndicatorResults, **ERRORS}, tags=["indicators"])
def indicator_results(
    request,
    indicator_id: str,
    year: int = Query(..., ge=service.FIRST_YEAR, le=service.LAST_YEAR),
    period: str = "VB",
    breakdown: str = "",
):
    """The indicator's value for a period (VB, T1, T2): the total, and with ``breakdown`` (comma-separated:
    sex, age_band, target_group, org_unit, measure) the value per category of each."""
    units = _units(request, "indicator results")
    ind = service.indicators().get(indicator_id)
    if ind is None:
        raise Http404(f"no indicator {indicator_id!r} (GET /api/v1/indicators lists them)")
    if period not in service.PERIODS:
        raise HttpError(400, f"period {period!r}: use one of {', '.join(service.PERIODS)}")
    dims = [d.strip() for d in breakdown.split(",") if d.strip()]
    unknown = [d for d in dims if d not in service.dimensions(ind)]
    if unknown:
        raise HttpError(
            400,
            f"breakdown {', '.join(unknown)}: indicator {ind.id} can be broken down by "
            f"{', '.join(service.dimensions(ind)) or 'nothing'}",
        )
    if not service.available(ind, units):
        raise Http404(
            f"indicator {ind.id} is a whole-city figure or has no organisation unit: it has no values for your units"
        )
    rows = service.results(ind, year, period, units, dims)
    dimension_of = {column: dim for dim, column in service.dimensions(ind).items()}
    _log(request, "indicator results", f"{ind.id} {period} {year} {breakdown or 'total'}, {service.scope_text(units)}")
    return {
        "indicator": ind.id,
        "period": make_period(year, period).label,
        "units": units,
        "complete": service.complete(year, period),
        "suppress_below": service.suppress_below(),
        "rows": [
            {
                "breakdown": dimension_of.get(r.breakdown, r.breakdown),
                "breakdown_value": r.breakdown_value,
                "value": r.value,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "suppressed": r.suppressed,
            }
            for r in rows
        ],
    }
