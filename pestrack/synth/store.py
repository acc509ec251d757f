"""Write a drawn population into the records database (bulk INSERTs per shard, all shards in one
transaction, one access-log entry per person written), and digest it, from memory or from the
database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Max
from django.utils import timezone

from pestrack.records.audit import log
from pestrack.records.casework import activity
from pestrack.records.casework.models import Assessment, Enrolment, FollowUp, Participation, Plan
from pestrack.records.codes.models import Code
from pestrack.records.employers import orgnumber
from pestrack.records.employers.models import Employer, Place
from pestrack.records.org.models import OrgUnit
from pestrack.records.outreach.models import OutreachContact, SurveyAnswer
from pestrack.records.people.identity import encrypt, parse
from pestrack.records.people.models import Person
from pestrack.synth.population import Population

BATCH = 5000
CONVERT = {"DateField", "DateTimeField", "DecimalField", "JSONField"}  # values the driver cannot take as they are


def load_codes() -> dict[tuple[str, str], Code]:
    return {(c.list, c.code): c for c in Code.objects.all()}


def insert(model, rows: Iterable[dict]) -> int:
    """Plain executemany INSERT of ``rows`` (dicts of attnames; missing fields take their default,
    auto_now fields the current time). The ORM's per-object work would dominate otherwise."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    stamped = {f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}
    db = connections[DEFAULT_DB_ALIAS]  # the real connection: the proxy's look-up per value is slow
    prep = [
        (f.attname, f.get_default(), f.get_db_prep_save if f.get_internal_type() in CONVERT else None) for f in fields
    ]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    n, batch = 0, []
    with connection.cursor() as cur:
        for row in rows:
            values = [now if name in stamped else row.get(name, default) for name, default, _ in prep]
            batch.append([v if to_db is None or v is None else to_db(v, db) for v, (_, _, to_db) in zip(values, prep)])
            if len(batch) >= BATCH:
                cur.executemany(sql, batch)
                n, batch = n + len(batch), []
        if batch:
            cur.executemany(sql, batch)
            n += len(batch)
    return n


def write(pop: Population, seed: int, actor: str | None = None) -> dict[str, int]:
    """Store one population (see ``write_shards``)."""
    return write_shards([pop], seed, actor)


def write_shards(
    shards: Iterable[Population],
    seed: int,
    actor: str | None = None,
    progress: Callable[[int, dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """Store the shards of a population in one transaction (all or nothing), one shard in memory at
    a time; ``progress(shard, counts of that shard)`` after each. Refuses a database that already
    holds persons (the targets count everyone)."""
    if Person.objects.exists():
        raise ValueError(
            f"the database already holds {Person.objects.count()} persons: the synthetic population "
            "must be the only one (its counts are exact), so use a new database"
        )
    actor = actor or log.cli_actor()
    counts: dict[str, int] = {}
    with transaction.atomic():
        ids = _Ids()
        for k, pop in enumerate(shards):
            shard = _write_shard(pop, seed, actor, ids)
            counts = {key: counts.get(key, 0) + n for key, n in shard.items()}
            if progress:
                progress(k, shard)
        log.record(
            actor,
            "synth",
            object_type="population",
            source="cli",
            detail="synthetic population, seed {}: {}".format(seed, ", ".join(f"{v} {k}" for k, v in counts.items())),
        )
    return counts


class _Ids:
    """The database ids a shard refers to: codes, units, the employer of each city unit."""

    def __init__(self):
        self.code = {k: c.id for k, c in load_codes().items()}
        self.unit = dict(OrgUnit.objects.values_list("code", "id"))
        self.employer: dict[str, int] = {}

    def employer_of(self, unit: str) -> int:
        if unit not in self.employer:
            self.employer[unit] = Employer.objects.get_or_create(
                city_unit_id=self.unit[unit],
                defaults={
                    "name": OrgUnit.objects.get(code=unit).name,
                    "org_number": orgnumber.make(f"929{self.unit[unit]:06d}"),
                },
            )[0].id
        return self.employer[unit]


def _last_id(model) -> int:
    return model.objects.aggregate(last=Max("id"))["last"] or 0


def _write_shard(pop: Population, seed: int, actor: str, ids: _Ids) -> dict[str, int]:
    """Bulk INSERTs of one shard; the new rows' ids are read back by id > the last id before."""
    code_id, unit_id = ids.code, ids.unit

    def code(ref):
        return code_id[ref] if ref else None

    after = _last_id(Person)
    insert(
        Person,
        (
            {**p, "pin_encrypted": encrypt(parse(p["pin"])), "education_level_id": code(p["education_level"])}
            for p in pop.persons
        ),
    )
    person_id = dict(Person.objects.filter(id__gt=after).values_list("pin_hash", "id"))
    pids = [person_id[p["pin_hash"]] for p in pop.persons]
    after = _last_id(Place)
    insert(
        Place,
        (
            {
                "kind_id": code_id[("place_type", p["kind"])],
                "employer_id": ids.employer_of(p["employer"]),
                "title": p["title"],
                "positions": p["positions"],
                "start_date": p["start_date"],
                "end_date": p["end_date"],
            }
            for p in pop.places
        ),
    )
    place_id = dict(Place.objects.filter(id__gt=after).values_list("title", "id"))
    after = _last_id(Enrolment)
    insert(
        Enrolment,
        (
            {
                "person_id": pids[e["person"]],
                "programme_id": code(e["programme"]),
                "org_unit_id": unit_id[e["org_unit"]],
                "referring_unit_id": unit_id[e["referring_unit"]],
                "referring_body_id": code(e["referring_body"]),
                "target_group_id": code(e["target_group"]),
                "entry_route_id": code(e["entry_route"]),
                "exit_reason_id": code(e["exit_reason"]),
                **{
                    k: e[k]
                    for k in (
                        "decision_reference",
                        "decision_date",
                        "start_date",
                        "end_date",
                        "last_worked",
                        "never_worked",
                    )
                },
                "last_activity": activity.initial(e),
            }
            for e in pop.enrolments
        ),
    )
    enrolment_id = {
        (p, s): i for p, s, i in Enrolment.objects.filter(id__gt=after).values_list("person_id", "start_date", "id")
    }
    eids = [enrolment_id[(pids[e["person"]], e["start_date"])] for e in pop.enrolments]
    insert(
        Participation,
        (
            {
                "enrolment_id": eids[r["enrolment"]],
                "measure_id": code(r["measure"]),
                "provider_type_id": code(r["provider_type"]),
                "start_date": r["start_date"],
                "end_date": r["end_date"],
                "place_id": place_id[pop.places[r["place"]]["title"]] if r["place"] is not None else None,
            }
            for r in pop.participations
        ),
    )
    insert(
        Assessment,
        (
            {
                "enrolment_id": eids[r["enrolment"]],
                "instrument_id": code(r["instrument"]),
                "date": r["date"],
                "score": r["score"],
            }
            for r in pop.assessments
        ),
    )
    insert(Plan, ({**r, "enrolment_id": eids[r["enrolment"]]} for r in pop.plans))
    insert(FollowUp, ({**r, "enrolment_id": eids[r["enrolment"]]} for r in pop.followups))
    activity.refresh_last_activity(Enrolment.objects.filter(id__gt=after))  # the shard's, in one UPDATE
    insert(
        OutreachContact,
        (
            {
                **{k: c[k] for k in ("date", "sex", "age_band", "level", "outcome")},
                "org_unit_id": unit_id[c["org_unit"]],
                "target_group_id": code(("target_group", c["target_group"]) if c["target_group"] else None),
            }
            for c in pop.outreach
        ),
    )
    insert(
        SurveyAnswer,
        (
            {
                **{k: a[k] for k in ("survey", "question", "date", "value")},
                "text": "",
                "org_unit_id": unit_id[a["org_unit"]] if a["org_unit"] else None,
                "enrolment_id": eids[a["enrolment"]] if a["enrolment"] is not None else None,
            }
            for a in pop.survey_answers
        ),
    )
    at = timezone.now()
    log.record_many(
        log.Event(
            actor=actor,
            action="create",
            person_id=pid,
            object_type="person",
            object_id=str(pid),
            detail=f"synthetic population, seed {seed}",
            source="cli",
            at=at,
        )
        for pid in pids
    )
    return {
        "persons": len(pop.persons),
        "enrolments": len(pop.enrolments),
        "participations": len(pop.participations),
        "assessments": len(pop.assessments),
        "plans": len(pop.plans),
        "followups": len(pop.followups),
        "places": len(pop.places),
        "outreach": len(pop.outreach),
        "survey_answers": len(pop.survey_answers),
    }


# -- digests: one canonical form for a drawn population and for what the database holds ---------


def _sha(rows: Iterable[tuple]) -> str:
    h = hashlib.sha256()
    for row in sorted(repr(r) for r in rows):
        h.update(row.encode())
    return h.hexdigest()


def _canon(kind: str, row: tuple) -> tuple:
    return (kind, *(v.isoformat() if hasattr(v, "isoformat") else v for v in row))


def digest_population(pop: Population) -> str:
    pin = [p["pin_hash"] for p in pop.persons]
    enr = [(pin[e["person"]], e["start_date"]) for e in pop.enrolments]
    c = lambda ref: ref[1] if ref else None  # noqa: E731
    rows = [
        _canon(
            "person",
            (
                p["pin_hash"],
                p["first_name"],
                p["last_name"],
                p["birth_date"],
                p["sex"],
                p["municipality"],
                c(p["education_level"]),
                p["born_abroad"],
                p["arrival_year"],
                p["protected_identity"],
                p["address"],
            ),
        )
        for p in pop.persons
    ]
    rows += [
        _canon(
            "enrolment",
            (
                *enr[i],
                c(e["programme"]),
                e["org_unit"],
                e["referring_unit"],
                c(e["referring_body"]),
                c(e["target_group"]),
                c(e["entry_route"]),
                e["decision_reference"],
                e["decision_date"],
                e["end_date"],
                c(e["exit_reason"]),
            ),
        )
        for i, e in enumerate(pop.enrolments)
    ]
    rows += [
        _canon(
            "participation",
            (
                *enr[r["enrolment"]],
                c(r["measure"]),
                c(r["provider_type"]),
                pop.places[r["place"]]["title"] if r["place"] is not None else None,
                r["start_date"],
                r["end_date"],
            ),
        )
        for r in pop.participations
    ]
    rows += [
        _canon("assessment", (*enr[r["enrolment"]], c(r["instrument"]), r["date"], int(r["score"])))
        for r in pop.assessments
    ]
    rows += [
        _canon("plan", (*enr[r["enrolment"]], r["date"], r["goals"], r["steps"], r["participant_involved"]))
        for r in pop.plans
    ]
    rows += [
        _canon(
            "followup",
            (
                *enr[r["enrolment"]],
                r["months"],
                r["reference_date"],
                r["working"],
                r["studying"],
                r["self_sufficient"],
                r["source"],
            ),
        )
        for r in pop.followups
    ]
    return _sha(rows)


def digest_database() -> str:
    e = "enrolment__"
    key = (f"{e}person__pin_hash", f"{e}start_date")
    rows = [
        _canon("person", r)
        for r in Person.objects.values_list(
            "pin_hash",
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            "municipality",
            "education_level__code",
            "born_abroad",
            "arrival_year",
            "protected_identity",
            "address",
        )
    ]
    rows += [
        _canon("enrolment", r)
        for r in Enrolment.objects.values_list(
            "person__pin_hash",
            "start_date",
            "programme__code",
            "org_unit__code",
            "referring_unit__code",
            "referring_body__code",
            "target_group__code",
            "entry_route__code",
            "decision_reference",
            "decision_date",
            "end_date",
            "exit_reason__code",
        )
    ]
    rows += [
        _canon("participation", r)
        for r in Participation.objects.values_list(
            *key, "measure__code", "provider_type__code", "place__title", "start_date", "end_date"
        )
    ]
    rows += [
        _canon("assessment", (*r[:-1], int(r[-1])))
        for r in Assessment.objects.values_list(*key, "instrument__code", "date", "score")
    ]
    rows += [
        _canon("plan", r) for r in Plan.objects.values_list(*key, "date", "goals", "steps", "participant_involved")
    ]
    rows += [
        _canon("followup", r)
        for r in FollowUp.objects.values_list(
            *key, "months", "reference_date", "working", "studying", "self_sufficient", "source"
        )
    ]
    return _sha(rows)
