"""Import kinds of the employer side: employers, places, placements and participants' matching
profiles. Same engine, same reject-and-report rules as the casework kinds (kinds.py)."""

from __future__ import annotations

from pestrack.records.casework.models import Enrolment
from pestrack.records.employers import orgnumber
from pestrack.records.employers import rules as employer_rules
from pestrack.records.employers.esco import UnknownConcept, vocabulary
from pestrack.records.employers.models import Employer, MatchProfile, Place, Placement, SizeBand
from pestrack.records.importing import fields as f
from pestrack.records.importing.kinds import Check, Kind, where_in
from pestrack.records.org.models import OrgUnit


def org_number(raw: str) -> str:
    try:
        return orgnumber.parse(f.text(raw, required=True))
    except orgnumber.InvalidOrgNumber as exc:
        raise f.FieldError(str(exc)) from None


def decimal(raw: str, *, low: float, high: float) -> float | None:
    value = (raw or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        n = float(value)
    except ValueError:
        raise f.FieldError(f"{raw!r} is not a number") from None
    if not low <= n <= high:
        raise f.FieldError(f"{n} is outside {low}–{high}")
    return n


def location(check) -> dict:
    """The row's latitude and longitude: both, or neither (one alone is a problem of the row, named by the
    column that has a value: the file may not have the other column at all)."""
    found = {
        "latitude": check.get("latitude", decimal, low=-90, high=90),
        "longitude": check.get("longitude", decimal, low=-180, high=180),
    }
    if (found["latitude"] is None) != (found["longitude"] is None):
        given = "latitude" if found["latitude"] is not None else "longitude"
        check.fail(given, "give both latitude and longitude, or neither")
    return found


def esco_list(raw: str, concepts) -> list[str]:
    """ESCO ids, URIs or labels separated by ';' or '|', as ids."""
    out = []
    for part in (raw or "").replace("|", ";").split(";"):
        if part.strip():
            try:
                out.append(concepts.ids[concepts.resolve(part)])
            except UnknownConcept as exc:
                raise f.FieldError(str(exc)) from None
    return list(dict.fromkeys(out))


class Employers(Kind):
    name, model, object_type = "employers", Employer, "employer"
    required = ("org_number", "name")
    optional = ("sector_code", "size_band", "address", "postcode", "town", "city_unit", "account_manager")
    key_name = "the same org_number"
    fields = ("name", "sector_code", "size_band", "address", "postcode", "town", "city_unit_id", "account_manager_id")

    def __init__(self, present, today):
        super().__init__(present, today)
        self.units = {u.code: u.pk for u in OrgUnit.objects.all()}
        self.user = f.UserByName()
        self.bands = {b: b for b in SizeBand.values}

    def check_chunk(self, rows):
        checks = [Check(line, row, self.memo) for line, row in rows]
        numbers = [c.get("org_number", org_number) for c in checks]
        stored = {
            e["org_number"]: e
            for e in where_in(Employer.objects, "org_number", {n for n in numbers if n}).values(
                "id", "org_number", *self.fields
            )
        }
        out = []
        for check, number in zip(checks, numbers):
            v = {
                "name": check.get("name", f.text, required=True, max_length=200),
                "sector_code": check.get("sector_code", f.text, max_length=10),
                "size_band": check.get("size_band", f.choice, self.bands, what="size band") or "",
                "address": check.get("address", f.text),
                "postcode": (check.get("postcode", f.text, max_length=6) or "").replace(" ", ""),
                "town": check.get("town", f.text, max_length=100),
                "city_unit_id": check.get("city_unit", f.choice, self.units, what="organisation unit code"),
                "account_manager_id": check.get("account_manager", self.user),
            }
            if number is None:
                out.append(check.outcome())
                continue
            v["org_number"] = number
            existing = stored.get(number)
            out.append(self.accept(check, f.digest(number), existing, v, None))
        return out


class Places(Kind):
    name, model, object_type = "places", Place, "place"
    required = ("employer_org_number", "reference", "kind", "title", "start_date")
    optional = (
        "description",
        "occupation",
        "isco_group",
        "required_skills",
        "optional_skills",
        "swedish_level",
        "driving_licence",
        "latitude",
        "longitude",
        "hours_per_week",
        "positions",
        "end_date",
        "status",
        "opened_date",
        "status_date",
    )
    key_name = "the same employer_org_number and reference"
    columns = {"kind": "kind"}
    statuses = {s: s for s in Place.Status.values}

    def __init__(self, present, today):
        super().__init__(present, today)
        self.tax = vocabulary() if present & {"occupation", "required_skills", "optional_skills"} else None

    def check_chunk(self, rows):
        checks = [Check(line, row, self.memo) for line, row in rows]
        numbers = [c.get("employer_org_number", org_number) for c in checks]
        employers = dict(
            where_in(Employer.objects, "org_number", {n for n in numbers if n}).values_list("org_number", "id")
        )
        stored = {
            (p["employer_id"], p["reference"]): p
            for p in where_in(Place.objects, "employer_id", set(employers.values())).values()
        }
        out = []
        for check, number in zip(checks, numbers):
            occupations, skills = (self.tax.occupations, self.tax.skills) if self.tax else (None, None)
            occupation = check.get("occupation", esco_list, occupations) if occupations else []
            if len(occupation or []) > 1:
                check.fail("occupation", "one ESCO occupation per place")
            v = {
                "reference": check.get("reference", f.text, required=True, max_length=60),
                "kind_id": getattr(self.code(check, "kind", "place_type", required=True), "id", None),
                "title": check.get("title", f.text, required=True, max_length=200),
                "start_date": check.get("start_date", f.date, required=True),
                "description": check.get("description", f.text),
                "occupation": (occupation or [""])[0],
                "isco_group": check.get("isco_group", f.text, max_length=4),
                "required_skills": check.get("required_skills", esco_list, skills) if skills else [],
                "optional_skills": check.get("optional_skills", esco_list, skills) if skills else [],
                "swedish_level": check.get("swedish_level", f.integer, low=0, high=6) or 0,
                "driving_licence": bool(check.get("driving_licence", f.boolean)),
                **location(check),
                "hours_per_week": check.get("hours_per_week", f.integer, low=1, high=60),
                "positions": check.get("positions", f.integer, low=1, high=100_000) or 1,
                "end_date": check.get("end_date", f.date),
                "status": check.get("status", f.choice, self.statuses, what="status") or "open",
                "opened_date": check.get("opened_date", f.date),
                "status_date": check.get("status_date", f.date),
            }
            employer = employers.get(number) if number else None
            if number and employer is None:
                check.fail(
                    "employer_org_number", "no employer with this organisation number; import the employers file first"
                )
            if check.problems:
                out.append(check.outcome())
                continue
            kind = self.codes_by_id[v["kind_id"]]
            check.violations(
                employer_rules.check_place(
                    kind=kind,
                    start_date=v["start_date"],
                    end_date=v["end_date"],
                    positions=v["positions"],
                    swedish_level=v["swedish_level"],
                    isco_group=v["isco_group"],
                    status=v["status"],
                ),
                self.columns,
            )
            v["employer_id"] = employer
            existing = stored.get((employer, v["reference"]))
            out.append(self.accept(check, f.digest(employer, v["reference"]), existing, v, None))
        return out


class Placements(Kind):
    name, model, object_type = "placements", Placement, "placement"
    required = ("personal_identity_number", "employer_org_number", "place_reference", "status", "proposed_date")
    optional = ("interview_date", "hired_date", "ended_date", "employer_satisfaction")
    key_name = "the same person and place"
    statuses = {s: s for s in Placement.Status.values}

    def check_chunk(self, rows):
        parsed = self.parse_pins(rows)
        persons = self.persons_by_hash(parsed)
        numbers = [c.get("employer_org_number", org_number) for c, _, _ in parsed]
        places = {
            (p["employer__org_number"], p["reference"]): p
            for p in Place.objects.filter(employer__org_number__in={n for n in numbers if n}).values(
                "id",
                "employer__org_number",
                "reference",
                "kind__code",
                "kind__name_sv",
                "kind__rules",
                "start_date",
                "swedish_level",
                "driving_licence",
                "latitude",
                "longitude",
            )
        }
        person_ids = [p["id"] for p in persons.values()]
        stored = {
            (p["person_id"], p["place_id"]): p for p in where_in(Placement.objects, "person_id", person_ids).values()
        }
        programmes = {}
        for e in where_in(Enrolment.objects, "person_id", person_ids).values(
            "person_id", "programme__code", "start_date", "end_date"
        ):
            programmes.setdefault(e["person_id"], []).append(e)
        profiles = {m["person_id"]: m for m in where_in(MatchProfile.objects, "person_id", person_ids).values()}
        out = []
        for (check, number, pin_hash), org in zip(parsed, numbers):
            reference = check.get("place_reference", f.text, required=True)
            v = {
                "status": check.get("status", f.choice, self.statuses, what="placement status", required=True),
                "proposed_date": check.get("proposed_date", f.date, required=True),
                "interview_date": check.get("interview_date", f.date),
                "hired_date": check.get("hired_date", f.date),
                "ended_date": check.get("ended_date", f.date),
                "employer_satisfaction": check.get("employer_satisfaction", f.integer),
            }
            person = persons.get(pin_hash) if number else None
            if number and person is None:
                check.fail("personal_identity_number", "no person with this number; import the persons file first")
            place = places.get((org, reference)) if org and reference else None
            if org and reference and place is None:
                check.fail(
                    "place_reference", "no place with this reference at this employer; import the places file first"
                )
            if check.problems:
                out.append(check.outcome())
                continue
            check.violations(employer_rules.check_placement(today=self.today, **v), {})
            check.violations(
                placement_eligibility(place, person, programmes.get(person["id"], []), profiles.get(person["id"])),
                {"kind": "place_reference"},
            )
            v.update(person_id=person["id"], place_id=place["id"])
            out.append(
                self.accept(
                    check, f.digest(person["id"], place["id"]), stored.get((person["id"], place["id"])), v, person["id"]
                )
            )
        return out


def enrolled_programmes(enrolments: list[dict], day) -> set[str]:
    """Codes of the programmes with an enrolment that is open on ``day``."""
    return {
        e["programme__code"]
        for e in enrolments
        if e["start_date"] <= day and (e["end_date"] is None or e["end_date"] >= day)
    }


def placement_eligibility(place: dict, person: dict, enrolments: list[dict], profile: dict | None):
    """The hard rules of matching for a stored place and person (a proposal may not break them)."""
    from types import SimpleNamespace

    profile = profile or {}
    kind = SimpleNamespace(
        code=place["kind__code"], name_sv=place.get("kind__name_sv", place["kind__code"]), rules=place["kind__rules"]
    )
    here = (profile.get("latitude"), profile.get("longitude"))
    there = (place["latitude"], place["longitude"])
    return employer_rules.eligibility(
        kind=kind,
        place_start=place["start_date"],
        place_swedish_level=place["swedish_level"] if profile else 0,
        place_licence=place["driving_licence"] if profile else False,
        place_latlon=there if None not in there else None,
        birth_date=person["birth_date"],
        programmes=enrolled_programmes(enrolments, place["start_date"]),
        swedish_level=profile.get("swedish_level", 0),
        driving_licence=profile.get("driving_licence", False),
        latlon=here if None not in here else None,
        max_travel_km=profile.get("max_travel_km"),
    )


class MatchProfiles(Kind):
    name, model, object_type = "match_profiles", MatchProfile, "match_profile"
    required = ("personal_identity_number",)
    optional = (
        "desired_occupations",
        "skills",
        "experience",
        "summary",
        "swedish_level",
        "driving_licence",
        "latitude",
        "longitude",
        "max_travel_km",
        "max_hours_per_week",
        "available_from",
    )
    key_name = "the same personal_identity_number"

    def __init__(self, present, today):
        super().__init__(present, today)
        self.tax = vocabulary()

    def check_chunk(self, rows):
        parsed = self.parse_pins(rows)
        persons = self.persons_by_hash(parsed)
        stored = {
            m["person_id"]: m
            for m in where_in(MatchProfile.objects, "person_id", [p["id"] for p in persons.values()]).values()
        }
        occ, sk = self.tax.occupations, self.tax.skills
        out = []
        for check, number, pin_hash in parsed:
            v = {
                "desired_occupations": check.get("desired_occupations", esco_list, occ) or [],
                "skills": check.get("skills", esco_list, sk) or [],
                "experience": check.get("experience", esco_list, occ) or [],
                "summary": check.get("summary", f.text),
                "swedish_level": check.get("swedish_level", f.integer, low=0, high=6) or 0,
                "driving_licence": bool(check.get("driving_licence", f.boolean)),
                **location(check),
                "max_travel_km": check.get("max_travel_km", decimal, low=0, high=1000),
                "max_hours_per_week": check.get("max_hours_per_week", f.integer, low=1, high=60),
                "available_from": check.get("available_from", f.date),
            }
            person = persons.get(pin_hash) if number else None
            if number and person is None:
                check.fail("personal_identity_number", "no person with this number; import the persons file first")
            if check.problems:
                out.append(check.outcome())
                continue
            v["person_id"] = person["id"]
            out.append(self.accept(check, person["id"], stored.get(person["id"]), v, person["id"]))
        return out


EMPLOYER_KINDS = (Employers, Places, Placements, MatchProfiles)
