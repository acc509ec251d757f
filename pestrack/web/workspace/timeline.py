"""A person's timeline: everything recorded in their enrolments, newest first, in the page's language."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.template.defaultfilters import floatformat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pestrack.records.casework.models import Assessment, Enrolment, Participation, Plan
from pestrack.web.workspace.forms import code_label

# Order of events on the same day: the enrolment first, its exit last.
ORDER = {"enrolment": 0, "decision": 1, "assessment": 2, "plan": 3, "measure-start": 4, "measure-end": 5,
         "exit": 6, "follow-up": 7}


@dataclass
class Event:
    date: dt.date
    kind: str
    title: str
    details: list[tuple[str, str]] = field(default_factory=list)


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


def _yes_no(value) -> str:
    return {True: _("yes"), False: _("no"), None: _("unknown")}[value]


def enrolments_of(person) -> list[Enrolment]:
    """The person's enrolments, newest first, with their records (measures newest first, follow-ups
    by months; assessments and plans in any order: ``events`` sorts them by date).

    The enrolments, assessments and plans come without an ORDER BY: building one made Django hash
    every selected column (the enrolment with its six codes and units has about 65), more CPU than
    sorting a person's few enrolments here (equal dates were in no set order before either)."""
    enrolments = (Enrolment.objects.filter(person=person).order_by()
                  .select_related("programme", "org_unit", "referring_unit", "target_group", "entry_route", "exit_reason")
                  .prefetch_related(Prefetch("assessments", Assessment.objects.select_related("instrument").order_by()),
                                    Prefetch("plans", Plan.objects.order_by()),
                                    Prefetch("participations", Participation.objects.select_related("measure", "provider_type")),
                                    "followups"))
    return sorted(enrolments, key=lambda e: e.start_date, reverse=True)


def events(enrolment: Enrolment) -> list[Event]:
    e = enrolment
    out = [Event(e.start_date, "enrolment", _("Enrolled in %(p)s") % {"p": code_label(e.programme)}, [
        (_("Unit"), e.org_unit.name), (_("Referred by"), e.referring_unit.name if e.referring_unit else "–"),
        (_("Target group"), code_label(e.target_group)), (_("Entry route"), code_label(e.entry_route))])]
    if e.decision_date:
        out.append(Event(e.decision_date, "decision", _("Decision under the Social Services Act"),
                         [(_("Reference"), e.decision_reference)]))
    for a in e.assessments.all():
        score = floatformat(a.score, -2) if a.score is not None else "–"
        out.append(Event(a.date, "assessment", code_label(a.instrument), [
            (_("Score"), score), (_("Band"), band_text(a.instrument, a.score) or "–")]))
    for p in e.plans.all():
        out.append(Event(p.date, "plan", _("Plan"), [(_("Goals"), p.goals), (_("Steps"), p.steps or "–"),
                                                    (_("The participant took part"), _yes_no(p.participant_involved))]))
    for m in e.participations.all():
        provider = ", ".join(x for x in (code_label(m.provider_type) if m.provider_type else "", m.provider_name) if x)
        out.append(Event(m.start_date, "measure-start", _("Measure started: %(m)s") % {"m": code_label(m.measure)},
                         [(_("Provider"), provider or "–")]))
        if m.end_date:
            out.append(Event(m.end_date, "measure-end", _("Measure ended: %(m)s") % {"m": code_label(m.measure)}))
    if e.end_date:
        out.append(Event(e.end_date, "exit", _("Exit"), [
            (_("Exit reason"), code_label(e.exit_reason) if e.exit_reason else "–")]))
    for f in e.followups.all():
        out.append(Event(f.reference_date, "follow-up", _("Follow-up %(n)s months after exit") % {"n": f.months}, [
            (_("Working"), _yes_no(f.working)), (_("Studying"), _yes_no(f.studying)),
            (_("Self-sufficient"), _yes_no(f.self_sufficient))]))
    return sorted(out, key=lambda ev: (ev.date, ORDER[ev.kind]), reverse=True)
