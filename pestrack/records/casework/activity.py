"""An enrolment's last activity, stored in ``Enrolment.last_activity`` (the caseload's sort key).

Last activity is the latest of the enrolment's start, its decision, and the dates of its
assessments, plans and the starts and ends of its measures (withdrawn ones do not count: a
withdrawal is a save, so it refreshes the date like any other). Computing it for every open enrolment
of a unit on every caseload page took five correlated subqueries per enrolment (issue 5), so it is
stored, and ``refresh_last_activity`` is the one place that computes it: one set-based UPDATE.

Who calls it:

- every ORM save or delete of an enrolment, assessment, plan or participation, through the
  signals below (web forms, the admin, ``records.sample``, cascades);
- the writers that bypass the ORM, once per batch: the importer (``importing.engine``) and the
  synthetic population (``synth.store``);
- the migration that added the column.

A bulk writer inserts a new enrolment with ``initial`` (it has no records yet, so its own dates
decide), which saves the UPDATE of every new row: on PostgreSQL that UPDATE wrote each row and its
indexes a second time.

Why not a database trigger: it would need the same definition twice (PL/pgSQL and SQLite), a
row-level trigger would run one UPDATE of the enrolment per imported row (statement-level
triggers with transition tables exist on PostgreSQL only), and the bulk writers already know the
enrolments they touched. A writer of raw SQL to these tables must call this module; the
consistency tests (``tests/records/test_last_activity.py``, ``tests/synth``) check every path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.apps import apps as installed_apps
from django.db import connections, router
from django.db.models import DateField, F, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import post_delete, post_init, post_save
from django.db.models.sql import UpdateQuery

BATCH = 900  # ids per UPDATE: under SQLite's oldest limit of 999 parameters
_PLACEHOLDER = -1  # the id in the cached statement of one enrolment (no enrolment has it)
_ONE: dict[tuple[str, str], tuple[str, tuple, int]] = {}  # (alias, vendor) -> (sql, params, index of the id)
OWN_DATES = ("start_date", "decision_date")  # the enrolment's own dates that count; the first is never NULL
RECORD_DATES = (
    ("Assessment", "date"),
    ("Plan", "date"),
    ("Participation", "start_date"),
    ("Participation", "end_date"),
)
RECORDS = tuple(dict.fromkeys(model for model, _ in RECORD_DATES))


def _latest(model, date_field: str):
    """The latest ``date_field`` of the enrolment's current (not withdrawn) records of ``model``,
    NULLs ignored. (A migration before the withdrawal fields has no withdrawn records.)"""
    records = model._default_manager.filter(enrolment=OuterRef("pk"))
    if any(f.name == "withdrawn_at" for f in model._meta.get_fields()):
        records = records.filter(withdrawn_at__isnull=True)
    return Subquery(
        records.order_by().values("enrolment").annotate(latest=Max(date_field)).values("latest"),
        output_field=DateField(),
    )


def last_activity(apps=installed_apps):
    """The expression of an enrolment's last activity (``apps``: a migration's historical models).
    Each term falls back to the start date, since SQLite's MAX() of several values is NULL when
    one of them is."""
    start = F(OWN_DATES[0])
    return Greatest(
        start,
        *(Coalesce(f, start) for f in OWN_DATES[1:]),
        *(Coalesce(_latest(apps.get_model("casework", model), field), start) for model, field in RECORD_DATES),
        output_field=DateField(),
    )


def initial(enrolment: Mapping) -> dt.date:
    """The last activity of a new enrolment (a mapping of its fields), which has no records yet."""
    return max(d for d in (enrolment.get(f) for f in OWN_DATES) if d is not None)


def counts(fields: Iterable[str]) -> bool:
    """Whether writing these fields of an enrolment can change its last activity."""
    return not set(OWN_DATES).isdisjoint(fields)


def is_record(model) -> bool:
    """Whether writing rows of ``model`` changes the last activity of their enrolments."""
    return model._meta.label in {f"casework.{name}" for name in RECORDS}


def refresh_last_activity(enrolments: Iterable[int] | QuerySet) -> int:
    """Recompute the stored last activity of ``enrolments`` (ids, or a queryset of enrolments);
    returns how many changed. Ids go a batch at a time. Only the rows whose value changes are
    written (an UPDATE writes a new version of the row and of its indexes)."""
    if not isinstance(enrolments, QuerySet):
        from pestrack.records.casework.models import Enrolment

        ids = sorted({i for i in enrolments if i is not None})
        if len(ids) == 1:
            return _refresh_one(Enrolment, ids[0])
        return sum(
            refresh_last_activity(Enrolment.objects.filter(pk__in=ids[k : k + BATCH]))
            for k in range(0, len(ids), BATCH)
        )
    return _stale(enrolments).update(last_activity=last_activity())


def _stale(enrolments: QuerySet) -> QuerySet:
    """The enrolments whose stored last activity is not the computed one."""
    return enrolments.exclude(last_activity=last_activity())


def _refresh_one(enrolment_model, pk: int) -> int:
    """The UPDATE of ``refresh_last_activity`` for one enrolment (every ORM save of a record),
    compiled once per database and kept: building the expression's five subqueries took about 9 ms
    a save, several times what the database needs to run it. The same ``_stale(...)`` update as
    for several enrolments, so the same SQL; only the id differs."""
    alias = router.db_for_write(enrolment_model)
    connection = connections[alias]
    key = (alias, connection.vendor)
    if key not in _ONE:
        qs = _stale(enrolment_model.objects.using(alias).filter(pk=_PLACEHOLDER))
        query = qs.query.chain(UpdateQuery)
        query.add_update_values({"last_activity": last_activity()})
        sql, params = query.get_compiler(alias).as_sql()
        assert list(params).count(_PLACEHOLDER) == 1, params
        _ONE[key] = (sql, tuple(params), list(params).index(_PLACEHOLDER))
    sql, params, at = _ONE[key]
    with connection.cursor() as cursor:
        cursor.execute(sql, params[:at] + (pk,) + params[at + 1 :])
        return cursor.rowcount


def _enrolment_saved(sender, instance, **kwargs):
    refresh_last_activity([instance.pk])


def _record_loaded(sender, instance, **kwargs):
    """Remember the enrolment a record was read with: a record moved to another enrolment (in the
    admin) changes the last activity of both."""
    instance._loaded_enrolment_id = instance.__dict__.get("enrolment_id")


def _record_changed(sender, instance, **kwargs):
    refresh_last_activity([instance.enrolment_id, getattr(instance, "_loaded_enrolment_id", None)])
    instance._loaded_enrolment_id = instance.enrolment_id


def connect() -> None:
    """Keep the stored date right on every ORM write (called from the app's ``ready``)."""
    from pestrack.records.casework.models import Enrolment

    post_save.connect(_enrolment_saved, sender=Enrolment, dispatch_uid="last_activity:Enrolment")
    for name in RECORDS:
        model = installed_apps.get_model("casework", name)
        post_init.connect(_record_loaded, sender=model, dispatch_uid=f"last_activity:{name}:init")
        post_save.connect(_record_changed, sender=model, dispatch_uid=f"last_activity:{name}:save")
        post_delete.connect(_record_changed, sender=model, dispatch_uid=f"last_activity:{name}:delete")
