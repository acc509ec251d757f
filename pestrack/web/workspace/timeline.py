"""A person's timeline: everything recorded in their enrolments, newest first, in the page's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from pestrack.records.casework.corrections import MODELS
from pestrack.records.casework.models import Assessment, CaseworkerChange, Correction, Enrolment, Participation, Plan
from pestrack.records.codes.models import Code
from pestrack.web.workspace.forms import code_label

# Order of events on the same day: the enrolment first, its exit last.
ORDER = {
    "enrolment": 0,
    "decision": 1,
    "assessment": 2,
    "plan": 3,
    "measure-start": 4,
    "measure-end": 5,
    "exit": 6,
    "follow-up": 7,
}


@dataclass
class Event:
    date: dt.date
    kind: str
    title: str
    details: list[tuple[str, str]] = field(default_factory=list)
    record_type: str = ""  # what a correction or withdrawal of the event changes (corrections.MODELS)
    record_id: int | None = None
    anchor: str = ""  # the id of the event on the person page: entry-<record type>-<id>
    history: list[str] = field(default_factory=list)  # its corrections, oldest first
    withdrawn: str = ""  # who withdrew it, when and why; empty while it counts


# The names of the fields a correction shows, in the page's language.
FIELD_LABELS = {
    "decision_reference": gettext_lazy("Decision reference"),
    "decision_date": gettext_lazy("Decision date"),
    "end_date": gettext_lazy("End date"),
    "exit_reason": gettext_lazy("Exit reason"),
    "instrument": gettext_lazy("Instrument"),
    "date": gettext_lazy("Date"),
    "score": gettext_lazy("Score"),
    "goals": gettext_lazy("Goals"),
    "steps": gettext_lazy("Steps"),
    "participant_view": gettext_lazy("The participant's own view"),
    "participant_involved": gettext_lazy("The participant took part"),
    "measure": gettext_lazy("Measure"),
    "provider_type": gettext_lazy("Provider type"),
    "provider_name": gettext_lazy("Provider"),
    "start_date": gettext_lazy("Start date"),
    "months": gettext_lazy("Months after exit"),
    "reference_date": gettext_lazy("Date of the follow-up"),
    "working": gettext_lazy("Working"),
    "studying": gettext_lazy("Studying"),
    "self_sufficient": gettext_lazy("Self-sufficient"),
    "source": gettext_lazy("Source"),
}
SOURCES = {"survey": gettext_lazy("Asked the person (survey or call)"), "register": gettext_lazy("Register")}


class CodeNames:
    """Code labels for the values kept in corrections (a code by its code), read once when needed."""

    def __init__(self):
        self._codes = None

    def label(self, code_list: str, code: str) -> str:
        if self._codes is None:
            self._codes = {(c.list, c.code): c for c in Code.objects.all()}
        c = self._codes.get((code_list, code))
        return code_label(c) if c else str(code)


def shown_value(record_type: str, name: str, value, codes: CodeNames) -> str:
    """A value kept in a correction (JSON) as the page shows it: a code by its label, a date in
    the user's format, yes/no/unknown."""
    if value is None or value == "":
        return "–"
    model_field = MODELS[record_type]._meta.get_field(name)
    if model_field.is_relation:
        return codes.label((model_field.remote_field.limit_choices_to or {}).get("list", ""), value)
    if isinstance(value, bool):
        return _yes_no(value)
    if name == "source":
        return str(SOURCES.get(value, value))
    if model_field.get_internal_type() == "DateField":
        return date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    return str(value)


def value_rows(record_type: str, values: dict, codes: CodeNames) -> list[tuple[str, str]]:
    """The fields in FIELD_LABELS' order, then the others by name: a JSON column keeps no key order
    on PostgreSQL, and the history must read the same on every database."""
    order = list(FIELD_LABELS)
    fields = sorted(values, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [(str(FIELD_LABELS.get(k, k)), shown_value(record_type, k, values[k], codes)) for k in fields]


def _when(c: Correction) -> str:
    return date_format(timezone.localtime(c.at).date(), "SHORT_DATE_FORMAT")


def history_text(c: Correction, codes: CodeNames) -> str:
    """ "Changed 2026-12-01 by anna: wrong date; previous value: Date: 2026-11-30"."""
    previous = "; ".join(f"{label}: {value}" for label, value in value_rows(c.record_type, c.previous, codes))
    return _("Changed %(date)s by %(user)s: %(reason)s; previous value: %(values)s") % {
        "date": _when(c),
        "user": c.username or "–",
        "reason": c.reason,
        "values": previous,
    }


def withdrawal_text(c: Correction) -> str:
    return _("Withdrawn %(date)s by %(user)s: %(reason)s") % {
        "date": _when(c),
        "user": c.username or "–",
        "reason": c.reason,
    }


def band_text(instrument, score) -> str:
    """The band that holds the score, with its name: "5–7 (moderate)"."""
    if score is None:
        return ""
    english = (get_language() or "sv").startswith("en")
    for band in (instrument.rules or {}).get("bands", []):
        if band["min"] <= float(score) <= band["max"]:
            name = band.get("en" if english else "sv")
            return f"{band['label']} ({name})" if name else band["label"]
    return ""


def _date(value) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else "–"


def _yes_no(value) -> str:
    return {True: _("yes"), False: _("no"), None: _("unknown")}[value]


def enrolments_of(person) -> list[Enrolment]:
    """The person's enrolments, newest first, with their records (measures newest first, follow-ups
    by months; assessments and plans in any order: ``events`` sorts them by date).

    The enrolments, assessments and plans come without an ORDER BY: building one made Django hash
    every selected column (the enrolment with its six codes and units has about 65), more CPU than
    sorting a person's few enrolments here (equal dates were in no set order before either)."""
    enrolments = (
        Enrolment.objects.filter(person=person)
        .order_by()
        .select_related(
            "programme",
            "org_unit",
            "referring_unit",
            "target_group",
            "entry_route",
            "exit_reason",
            "caseworker",
            "second_caseworker",
        )
        .prefetch_related(
            Prefetch("assessments", Assessment.objects.select_related("instrument").order_by()),
            Prefetch("plans", Plan.objects.order_by()),
            Prefetch("participations", Participation.objects.select_related("measure", "provider_type")),
            "followups",
            Prefetch("corrections", Correction.objects.order_by("at", "id")),
            Prefetch(
                "caseworker_changes", CaseworkerChange.objects.select_related("from_user", "to_user", "changed_by")
            ),
        )
    )
    return sorted(enrolments, key=lambda e: e.start_date, reverse=True)


def events(enrolment: Enrolment, codes: CodeNames | None = None) -> list[Event]:
    """The enrolment's events, each with its corrections; a withdrawn entry stays, marked, and a
    withdrawn decision or exit (no longer on the enrolment) is shown from its withdrawal."""
    e = enrolment
    codes = codes or CodeNames()
    out = [
        Event(
            e.start_date,
            "enrolment",
            _("Enrolled in %(p)s") % {"p": code_label(e.programme)},
            [
                (_("Unit"), e.org_unit.name),
                (_("Referred by"), e.referring_unit.name if e.referring_unit else "–"),
                (_("Target group"), code_label(e.target_group)),
                (_("Entry route"), code_label(e.entry_route)),
            ],
            anchor=f"entry-enrolment-{e.pk}",
        )
    ]
    if e.decision_date:
        out.append(
            Event(
                e.decision_date,
                "decision",
                _("Decision under the Social Services Act"),
                [(_("Reference"), e.decision_reference)],
                "decision",
                e.pk,
            )
        )
    for a in e.assessments.all():
        score = floatformat(a.score, -2) if a.score is not None else "–"
        out.append(
            Event(
                a.date,
                "assessment",
                code_label(a.instrument),
                [(_("Score"), score), (_("Band"), band_text(a.instrument, a.score) or "–")],
                "assessment",
                a.pk,
            )
        )
    for p in e.plans.all():
        out.append(
            Event(
                p.date,
                "plan",
                _("Plan"),
                [
                    (_("Goals"), p.goals),
                    (_("Steps"), p.steps or "–"),
                    (_("The participant took part"), _yes_no(p.participant_involved)),
                ]
                + ([(_("Review date"), _date(p.review_date))] if p.review_date else []),
                "plan",
                p.pk,
            )
        )
    for m in e.participations.all():
        provider = ", ".join(x for x in (code_label(m.provider_type) if m.provider_type else "", m.provider_name) if x)
        out.append(
            Event(
                m.start_date,
                "measure-start",
                _("Measure started: %(m)s") % {"m": code_label(m.measure)},
                [(_("Provider"), provider or "–")]
                + ([(_("Planned end date"), _date(m.planned_end_date))] if m.planned_end_date else []),
                "participation",
                m.pk,
            )
        )
        if m.end_date:
            out.append(
                Event(
                    m.end_date,
                    "measure-end",
                    _("Measure ended: %(m)s") % {"m": code_label(m.measure)},
                    record_type="participation",
                    record_id=m.pk,
                    anchor=f"entry-participation-{m.pk}-end",
                )
            )
    if e.end_date:
        out.append(
            Event(
                e.end_date,
                "exit",
                _("Exit"),
                [(_("Exit reason"), code_label(e.exit_reason) if e.exit_reason else "–")],
                "exit",
                e.pk,
            )
        )
    for f in e.followups.all():
        out.append(
            Event(
                f.reference_date,
                "follow-up",
                _("Follow-up %(n)s months after exit") % {"n": f.months},
                [
                    (_("Working"), _yes_no(f.working)),
                    (_("Studying"), _yes_no(f.studying)),
                    (_("Self-sufficient"), _yes_no(f.self_sufficient)),
                ],
                "followup",
                f.pk,
            )
        )
    _add_corrections(e, out, codes)
    return sorted(out, key=lambda ev: (ev.date, ORDER[ev.kind]), reverse=True)


def _add_corrections(e: Enrolment, out: list[Event], codes: CodeNames) -> None:
    by_record = {}
    for ev in out:
        if ev.record_type and not ev.anchor:
            ev.anchor = f"entry-{ev.record_type}-{ev.record_id}"
        if ev.record_type:
            by_record.setdefault((ev.record_type, ev.record_id), []).append(ev)
    for c in e.corrections.all():
        if c.kind == Correction.Kind.CORRECTION:
            for ev in by_record.get((c.record_type, c.record_id), []):
                ev.history.append(history_text(c, codes))
        elif c.record_type in ("decision", "exit"):  # no longer on the enrolment: shown from its values
            values = c.previous
            day = dt.date.fromisoformat(
                values["decision_date" if c.record_type == "decision" else "end_date"] or e.start_date.isoformat()
            )
            title = _("Decision under the Social Services Act") if c.record_type == "decision" else _("Exit")
            out.append(
                Event(
                    day,
                    c.record_type,
                    title,
                    value_rows(c.record_type, values, codes),
                    anchor=f"entry-{c.record_type}-{c.record_id}-w{c.pk}",
                    withdrawn=withdrawal_text(c),
                )
            )
        else:
            for ev in by_record.get((c.record_type, c.record_id), []):
                ev.withdrawn = withdrawal_text(c)
