"""What each kind of import file holds and how its rows are checked.

A kind checks a chunk of rows at a time, so that the database look-ups (does the person exist,
is the enrolment there already) are one query per chunk rather than one per row. Every business
rule comes from pestrack.records.casework.rules; this module adds only what is about the file:
cell formats, references to existing records, and keys repeated within the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import models

from pestrack.records.casework import activity, rules
from pestrack.records.casework.models import Enrolment, FollowUp, Participation
from pestrack.records.codes.models import Code
from pestrack.records.codes.profile import home_municipality
from pestrack.records.importing import fields as f
from pestrack.records.org.models import OrgUnit
from pestrack.records.people import identity
from pestrack.records.people.models import Person, Sex

PIN = "personal_identity_number"


def where_in(queryset, column: str, values):
    """``queryset`` filtered by ``column IN values``. The ORM's ``__in`` prepares every value on
    its own, which for the thousands of keys of a chunk costs more than the query."""
    values = list(values)
    if not values:
        return queryset.none()
    return queryset.extra(where=[f"{column} IN ({', '.join(['%s'] * len(values))})"], params=values)


@dataclass
class Outcome:
    """One row after checking: rejected (``problems`` not empty) or an action for the write phase."""

    line: int
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column, reason)
    action: str = ""  # create, update or unchanged
    pk: int | None = None
    values: dict = field(default_factory=dict)
    person_id: int | None = None


MEMO_MAX = 10_000  # parsed cells remembered per import (codes, dates and units repeat from row to row)


class Check:
    """Collects the problems of one row while its cells are parsed.

    ``memo`` (shared by the rows of one import) remembers what each (column, cell text) parsed
    to, so a repeated code or date is parsed once: a column must be parsed the same way on every row.
    """

    def __init__(self, line: int, row: dict[str, str], memo: dict | None = None):
        self.line, self.row, self.problems, self.memo = line, row, [], memo

    def get(self, column: str, parse, *args, **kwargs):
        raw = self.row.get(column, "")
        memo = self.memo
        parsed = memo.get((column, raw)) if memo is not None else None
        if parsed is None:
            try:
                parsed = (parse(raw, *args, **kwargs), None)
            except f.FieldError as exc:
                parsed = (None, str(exc))
            if memo is not None:
                if len(memo) >= MEMO_MAX:
                    memo.clear()
                memo[(column, raw)] = parsed
        if parsed[1] is not None:
            self.fail(column, parsed[1])
        return parsed[0]

    def fail(self, column: str, reason: str) -> None:
        """A problem of the row at ``column``. A column the file does not have (a rule about an optional
        column left out) cannot be pointed at in the file or its rejects file: the problem is then the
        row's, and says which column to add."""
        if column and column not in self.row:
            column, reason = "", f"{reason} (the file has no column {column}: add it)"
        self.problems.append((column, reason))

    def violations(self, found: list[rules.Violation], columns: dict[str, str]) -> None:
        for v in found:
            self.fail(columns.get(v.field, v.field), v.message)

    def outcome(self, **kwargs) -> Outcome:
        if self.problems:
            return Outcome(self.line, self.problems)
        return Outcome(self.line, **kwargs)


class Kind:
    name = ""
    model: type[models.Model]
    object_type = ""
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    key_name = ""  # how a repeated natural key is described to the user
    key_fields: tuple[str, ...] = ()  # the natural key as model fields
    columns: dict[str, str] = {}  # rule field -> file column

    def __init__(self, present: set[str], today: dt.date):
        self.present, self.today = present, today
        self.absent = [name for c in self.optional if c not in present for name in (c, c + "_id")]
        self.memo: dict = {}
        self.seen = f.DigestSet()
        self.codes: dict[str, dict[str, Code]] = {}
        self.codes_by_id: dict[int, Code] = {}
        for code in Code.objects.all():
            self.codes.setdefault(code.list, {})[code.code] = code
            self.codes_by_id[code.pk] = code
        self.home = home_municipality()

    def code(self, check: Check, column: str, list_name: str | None = None, required: bool = False):
        list_name = list_name or column
        return check.get(column, f.choice, self.codes.get(list_name, {}), what=list_name + " code", required=required)

    def first_time(self, check: Check, key: int) -> bool:
        """Reject a row whose natural key an earlier accepted row of the file had."""
        earlier = self.seen.line_of(key)
        if earlier is not None:
            check.fail(self.required[0], f"{self.key_name} is also on line {earlier}; only the first is imported")
            return False
        return True

    def accept(self, check: Check, key: int, existing: dict | None, values: dict, person_id: int | None) -> Outcome:
        """Decide create, update or unchanged by comparing with the stored record's values."""
        if check.problems or not self.first_time(check, key):
            return check.outcome()
        self.seen.add(key, check.line)
        for name in self.absent:  # a column left out of the file leaves the stored value as it is
            values.pop(name, None)
        if existing is None:
            return check.outcome(action="create", values=values, person_id=person_id)
        same = all(existing[k] == v for k, v in values.items())
        return check.outcome(
            action="unchanged" if same else "update", pk=existing["id"], values=values, person_id=person_id
        )

    def check_chunk(self, rows: list[tuple[int, dict[str, str]]]) -> list[Outcome]:
        raise NotImplementedError

    def parse_pins(self, rows) -> list[tuple[Check, identity.IdentityNumber | None, str | None]]:
        """Each row's Check, identity number and look-up hash (None when the number is invalid)."""
        out = []
        for line, row in rows:
            check = Check(line, row, self.memo)
            try:
                number = f.pin(row.get(PIN, ""), self.today)
            except f.FieldError as exc:
                check.fail(PIN, str(exc))
                out.append((check, None, None))
            else:
                out.append((check, number, identity.lookup_hash(number)))
        return out

    def persons_by_hash(self, parsed) -> dict[str, dict]:
        hashes = [h for _, _, h in parsed if h is not None]
        return {
            p["pin_hash"]: p
            for p in where_in(Person.objects, "pin_hash", hashes).values("id", "pin_hash", "birth_date", "municipality")
        }


class Persons(Kind):
    name, model, object_type = "persons", Person, "person"
    required = (PIN, "first_name", "last_name", "birth_date", "sex", "municipality")
    optional = ("address", "education_level", "born_abroad", "arrival_year", "protected_identity")
    key_name = "the same personal_identity_number"
    key_fields = ("pin_hash",)
    fields = (
        "first_name",
        "last_name",
        "birth_date",
        "sex",
        "municipality",
        "address",
        "education_level_id",
        "born_abroad",
        "arrival_year",
        "protected_identity",
    )

    def check_chunk(self, rows):
        parsed = self.parse_pins(rows)
        existing = {
            p["pin_hash"]: p
            for p in where_in(Person.objects, "pin_hash", (h for _, _, h in parsed if h)).values(
                "id", "pin_hash", *self.fields
            )
        }
        sexes = {s: s for s in Sex.values}
        out = []
        for check, number, pin_hash in parsed:
            v = {
                "first_name": check.get("first_name", f.text, required=True, max_length=100),
                "last_name": check.get("last_name", f.text, required=True, max_length=100),
                "birth_date": check.get("birth_date", f.date, required=True),
                "sex": check.get("sex", f.choice, sexes, what="sex", required=True),
                "municipality": check.get("municipality", self.municipality),
            }
            if number and v["birth_date"] and v["birth_date"] != number.birth_date:
                check.fail(
                    "birth_date", f"{v['birth_date']} does not agree with the identity number ({number.birth_date})"
                )
            if "address" in self.present:
                v["address"] = check.get("address", f.text)
            if "education_level" in self.present:
                level = self.code(check, "education_level")
                v["education_level_id"] = level.id if level else None
            if "born_abroad" in self.present:
                v["born_abroad"] = check.get("born_abroad", f.boolean)
            if "arrival_year" in self.present:
                v["arrival_year"] = check.get("arrival_year", f.integer, low=1900, high=self.today.year)
                born = number.birth_date.year if number else 0
                if v["arrival_year"] and v["arrival_year"] < born:
                    check.fail("arrival_year", f"{v['arrival_year']} is before the birth year {born}")
            if "protected_identity" in self.present:
                v["protected_identity"] = bool(check.get("protected_identity", f.boolean))
            if number is None:
                out.append(check.outcome())
                continue
            stored = existing.get(pin_hash)
            if stored is None and not check.problems:
                v.update(
                    pin_hash=pin_hash,
                    pin_encrypted=identity.encrypt(number),
                    is_coordination_number=number.is_coordination_number,
                )
            out.append(self.accept(check, int(pin_hash[:16], 16), stored, v, stored and stored["id"]))
        return out

    @staticmethod
    def municipality(raw: str) -> str:
        value = f.text(raw, required=True)
        if value.isdigit() and len(value) < 4:  # a spreadsheet dropped the leading zero of e.g. 0114
            value = value.zfill(4)
        if not (value.isdigit() and len(value) == 4):
            raise f.FieldError(f"{value!r} is not a four-digit municipality code (e.g. 1480)")
        return value


class Enrolments(Kind):
    name, model, object_type = "enrolments", Enrolment, "enrolment"
    required = (PIN, "programme", "org_unit", "target_group", "entry_route", "start_date")
    optional = (
        "end_date",
        "exit_reason",
        "referring_unit",
        "referring_body",
        "decision_reference",
        "decision_date",
        "caseworker",
        "last_worked",
        "never_worked",
    )
    key_name = "the same person, programme and start_date"
    key_fields = ("person_id", "programme_id", "start_date")
    fields = (
        "org_unit_id",
        "target_group_id",
        "entry_route_id",
        "end_date",
        "exit_reason_id",
        "referring_unit_id",
        "referring_body_id",
        "decision_reference",
        "decision_date",
        "caseworker_id",
        "last_worked",
        "never_worked",
    )

    def __init__(self, present, today):
        super().__init__(present, today)
        self.units = {u.code: u.pk for u in OrgUnit.objects.all()}
        self.user = f.UserByName()
        self.open_in_file = f.DigestSet()

    def check_chunk(self, rows):
        parsed = self.parse_pins(rows)
        persons = self.persons_by_hash(parsed)
        person_ids = [p["id"] for p in persons.values()]
        stored = {}
        open_ = {}
        for e in where_in(Enrolment.objects, "person_id", person_ids).values(
            "id", "person_id", "programme_id", "start_date", *self.fields
        ):
            stored[(e["person_id"], e["programme_id"], e["start_date"])] = e
            if e["end_date"] is None:
                open_[(e["person_id"], e["programme_id"])] = e["id"]
        out = []
        for check, number, pin_hash in parsed:
            programme = self.code(check, "programme", required=True)
            unit = check.get("org_unit", f.choice, self.units, what="organisation unit code", required=True)
            group = self.code(check, "target_group", required=True)
            route = self.code(check, "entry_route", required=True)
            start = check.get("start_date", f.date, required=True)
            end = check.get("end_date", f.date)
            reason = self.code(check, "exit_reason")
            v = {
                "org_unit_id": unit,
                "target_group_id": group and group.id,
                "entry_route_id": route and route.id,
                "end_date": end,
                "exit_reason_id": reason and reason.id,
                "referring_unit_id": check.get("referring_unit", f.choice, self.units, what="organisation unit code"),
                "referring_body_id": getattr(self.code(check, "referring_body"), "id", None),
                "decision_reference": check.get("decision_reference", f.text, max_length=60),
                "decision_date": check.get("decision_date", f.date),
                "caseworker_id": check.get("caseworker", self.user),
                "last_worked": check.get("last_worked", f.date),
                "never_worked": check.get("never_worked", f.boolean),
            }
            person = persons.get(pin_hash) if number else None
            if number and person is None:
                check.fail(PIN, "no person with this number; import the persons file first")
            if check.problems:
                out.append(check.outcome())
                continue
            existing = stored.get((person["id"], programme.id, start))
            for column in self.optional:  # a column left out keeps the stored value, and the rules see that
                name = column if column in v else column + "_id"
                if column not in self.present:
                    v[name] = existing[name] if existing else None
            v["never_worked"] = bool(v["never_worked"])  # empty: not told to have never worked
            end, reason = v["end_date"], self.codes_by_id.get(v["exit_reason_id"])
            check.violations(
                rules.check_enrolment(
                    birth_date=person["birth_date"],
                    municipality=person["municipality"],
                    home_municipality=self.home,
                    target_group=group,
                    entry_route=route,
                    start_date=start,
                    end_date=end,
                    exit_reason=reason,
                    decision_reference=v["decision_reference"] or "",
                    decision_date=v["decision_date"],
                    today=self.today,
                    last_worked=v["last_worked"],
                    never_worked=v["never_worked"],
                ),
                {},
            )
            if end is None and not check.problems:
                self.check_one_open(check, person["id"], programme, start, existing, open_)
            v.update(person_id=person["id"], programme_id=programme.id, start_date=start)
            out.append(
                self.accept(check, f.digest(person["pin_hash"], programme.code, start), existing, v, person["id"])
            )
        return out

    def accept(self, check, key, existing, values, person_id):
        outcome = super().accept(check, key, existing, values, person_id)
        if outcome.action == "create":  # inserted with its last activity (no records yet)
            outcome.values["last_activity"] = activity.initial(values)
        return outcome

    def check_one_open(self, check, person_id, programme, start, existing, open_):
        """No two open enrolments in one programme: against the database, then within the file."""
        own = existing and existing["id"]
        if open_.get((person_id, programme.id), own) != own:  # another open one is stored: let the rule say so
            check.violations(rules.check_open_enrolment_unique(person_id, programme, start, None, exclude_pk=own), {})
        key = f.digest(person_id, programme.id)
        earlier = self.open_in_file.line_of(key)
        if earlier is not None:
            check.fail(
                "end_date",
                f"line {earlier} already has an open enrolment of this person in {programme.code}; "
                "a person has at most one open enrolment in a programme",
            )
        elif not check.problems:
            self.open_in_file.add(key, check.line)


class EnrolmentEvents(Kind):
    """Rows that refer to an existing enrolment by person, programme and enrolment_start_date."""

    enrolment_fields = (
        "id",
        "person_id",
        "programme_id",
        "start_date",
        "end_date",
        "exit_reason_id",
        "target_group_id",
        "entry_route_id",
        "decision_reference",
        "decision_date",
    )

    def enrolments(self, parsed) -> tuple[dict, dict]:
        persons = self.persons_by_hash(parsed)
        by_id = {p["id"]: p for p in persons.values()}
        enrolments = {
            (e["person_id"], e["programme_id"], e["start_date"]): e
            for e in where_in(Enrolment.objects, "person_id", by_id).values(*self.enrolment_fields)
        }
        return persons, enrolments

    def find_enrolment(self, check: Check, number, pin_hash, persons, enrolments):
        """The referenced enrolment and its person, or (None, None) with the problem noted."""
        programme = self.code(check, "programme", required=True)
        start = check.get("enrolment_start_date", f.date, required=True)
        if number is None or programme is None or start is None:
            return None, None
        person = persons.get(pin_hash)
        if person is None:
            check.fail(PIN, "no person with this number; import the persons file first")
            return None, None
        enrolment = enrolments.get((person["id"], programme.id, start))
        if enrolment is None:
            check.fail(
                "enrolment_start_date",
                f"the person has no enrolment in {programme.code} that starts on {start}; "
                "import the enrolments file first",
            )
            return None, person
        return enrolment, person

    def check_chunk(self, rows):
        parsed = self.parse_pins(rows)
        persons, enrolments = self.enrolments(parsed)
        stored = self.stored(enrolments) if self.key_fields else {}
        return [
            self.check_row(check, *self.find_enrolment(check, number, pin_hash, persons, enrolments), stored)
            for check, number, pin_hash in parsed
        ]

    def check_row(self, check: Check, enrolment: dict | None, person: dict | None, stored: dict) -> Outcome:
        raise NotImplementedError

    def stored(self, enrolments: dict) -> dict:
        """The stored records of these enrolments, by natural key: the current ones (a withdrawn entry
        is not matched, so a file that has it again enters it anew)."""
        ids = [e["id"] for e in enrolments.values()]
        rows = self.model.objects.current() if hasattr(self.model.objects, "current") else self.model.objects
        return {tuple(r[k] for k in self.key_fields): r for r in where_in(rows, "enrolment_id", ids).values()}


class Participations(EnrolmentEvents):
    name, model, object_type = "participations", Participation, "participation"
    required = (PIN, "programme", "enrolment_start_date", "measure", "start_date")
    optional = ("end_date", "provider_type", "provider_name")
    key_name = "the same enrolment, measure and start_date"
    key_fields = ("enrolment_id", "measure_id", "start_date")

    def check_row(self, check, enrolment, person, stored):
        measure = self.code(check, "measure", required=True)
        start = check.get("start_date", f.date, required=True)
        provider = self.code(check, "provider_type")
        v = {
            "end_date": check.get("end_date", f.date),
            "provider_type_id": provider and provider.id,
            "provider_name": check.get("provider_name", f.text, max_length=200),
        }
        if check.problems or enrolment is None:
            return check.outcome()
        check.violations(
            rules.check_participation(
                measure=measure,
                programme=self.codes_by_id[enrolment["programme_id"]],
                birth_date=person["birth_date"],
                enrolment_start=enrolment["start_date"],
                enrolment_end=enrolment["end_date"],
                start_date=start,
                end_date=v["end_date"],
                today=self.today,
            ),
            {},
        )
        key = (enrolment["id"], measure.id, start)
        v.update(enrolment_id=enrolment["id"], measure_id=measure.id, start_date=start)
        return self.accept(check, f.digest(*key), stored.get(key), v, person["id"])


class Exits(EnrolmentEvents):
    name, model, object_type = "exits", Enrolment, "enrolment"
    required = (PIN, "programme", "enrolment_start_date", "end_date", "exit_reason")
    key_name = "the same enrolment"
    columns = {
        "start_date": "enrolment_start_date",
        "target_group": "programme",
        "entry_route": "programme",
        "decision_reference": "programme",
        "decision_date": "programme",
    }

    def check_row(self, check, enrolment, person, stored):
        end = check.get("end_date", f.date, required=True)
        reason = self.code(check, "exit_reason", required=True)
        if check.problems or enrolment is None:
            return check.outcome()
        e = enrolment
        check.violations(
            rules.check_enrolment(
                birth_date=person["birth_date"],
                municipality=person["municipality"],
                home_municipality=self.home,
                target_group=self.codes_by_id[e["target_group_id"]],
                entry_route=self.codes_by_id[e["entry_route_id"]],
                start_date=e["start_date"],
                end_date=end,
                exit_reason=reason,
                decision_reference=e["decision_reference"],
                decision_date=e["decision_date"],
                today=self.today,
            ),
            self.columns,
        )
        v = {"end_date": end, "exit_reason_id": reason.id}
        return self.accept(check, e["id"], e, v, person["id"])


class FollowUps(EnrolmentEvents):
    name, model, object_type = "followups", FollowUp, "followup"
    required = (PIN, "programme", "enrolment_start_date", "months", "reference_date", "source")
    optional = ("working", "studying", "self_sufficient")
    key_name = "the same enrolment, months and source"
    key_fields = ("enrolment_id", "months", "source")
    columns = {"enrolment": "enrolment_start_date"}
    sources = {s: s for s in FollowUp.Source.values}

    def check_row(self, check, enrolment, person, stored):
        months = check.get("months", f.integer, required=True, low=1, high=600)
        reference = check.get("reference_date", f.date, required=True)
        source = check.get("source", f.choice, self.sources, what="source", required=True)
        v = {c: check.get(c, f.boolean) for c in ("working", "studying", "self_sufficient")}
        v["reference_date"] = reference
        if check.problems or enrolment is None:
            return check.outcome()
        check.violations(
            rules.check_followup(
                months=months, enrolment_end=enrolment["end_date"], reference_date=reference, today=self.today
            ),
            self.columns,
        )
        key = (enrolment["id"], months, source)
        v.update(enrolment_id=enrolment["id"], months=months, source=source)
        return self.accept(check, f.digest(*key), stored.get(key), v, person["id"])


CASEWORK_KINDS = (Persons, Enrolments, Participations, Exits, FollowUps)
