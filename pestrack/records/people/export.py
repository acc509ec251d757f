"""The register extract (registerutdrag) under GDPR article 15: everything stored about a person.

``person_extract`` gathers it as plain JSON-serialisable data; ``render_extract_html`` turns it
into a readable, self-contained document in Swedish or English. Access checks and logging are the
caller's job (see records.access); this module only reads.
"""

from __future__ import annotations

from html import escape

from django.db.models import Prefetch
from django.utils import timezone

from pestrack.records.casework.models import Enrolment
from pestrack.records.codes.models import ProfileSetting
from pestrack.records.documents.models import Document
from pestrack.records.journal.models import JournalEntry
from pestrack.records.journal.rules import is_signed, signed_time
from pestrack.records.notifications.models import Notification
from pestrack.records.notifications.rules import preferences_of
from pestrack.records.outreach.models import SurveyAnswer
from pestrack.records.people.models import Person

PURPOSES = {
    "sv": "Handläggning av arbetsmarknadsinsatser enligt socialtjänstlagen, uppföljning och statistik.",
    "en": "Handling of labour-market measures under the Social Services Act, follow-up and statistics.",
}


def _code(c) -> dict | None:
    return None if c is None else {"code": c.code, "sv": c.name_sv, "en": c.name_en}


def _codes(codes) -> dict | None:
    """Several codes of one list as one value (``_code``'s shape), in the order of the list."""
    codes = sorted(codes, key=lambda c: (c.sort_order, c.code))
    if not codes:
        return None
    return {
        key: ", ".join(getattr(c, attr) for c in codes)
        for key, attr in (("code", "code"), ("sv", "name_sv"), ("en", "name_en"))
    }


def _date(d) -> str | None:
    return d.isoformat() if d else None


def _user(u) -> str | None:
    return (u.get_full_name() or u.get_username()) if u else None


def _time(t) -> str | None:
    return t.isoformat(timespec="seconds") if t else None


def journal_entry(j: JournalEntry) -> dict:
    """One journal entry of the extract, with its history: written, signed, what it corrects and
    the entries that correct it."""
    return {
        "id": j.pk,
        "kind": _code(j.kind),
        "date": _date(j.date),
        "author": _user(j.author),
        "text": j.text,
        "meeting": _time(j.meeting.starts_at) if j.meeting else None,
        "measure": _code(j.participation.measure) if j.participation else None,
        "written_at": _time(j.created_at),
        "changed_at": _time(j.edited_at),
        "signed_at": _time(signed_time(j)) if is_signed(j) else None,
        "signed_automatically": is_signed(j) and (j.auto_signed or not j.signed_at),
        "corrects": j.corrects_id,
        "correction_reason": j.correction_reason or None,
        "withdraws": j.withdraws,
        "corrected_by": [c.pk for c in j.corrections.all()],
    }


def _withdrawal(entry) -> dict:
    """Whether an entry was withdrawn (makulerad), when and why: it stays in the extract, marked."""
    return {"withdrawn_at": _time(entry.withdrawn_at), "withdrawal_reason": entry.withdrawal_reason or None}


def person_extract(person: Person) -> dict:
    """Everything stored about ``person``, with code lists resolved to their names."""
    enrolments = (
        Enrolment.objects.filter(person=person)
        .select_related(
            "programme",
            "org_unit",
            "referring_unit",
            "referring_body",
            "target_group",
            "entry_route",
            "exit_reason",
            "caseworker",
        )
        .prefetch_related(
            "assessments__instrument",
            "plans",
            "participations__measure",
            "participations__provider_type",
            "participations__place",
            "followups",
            Prefetch(
                "journal_entries",
                JournalEntry.objects.select_related("kind", "author", "meeting", "participation__measure")
                .prefetch_related("corrections")
                .order_by("date", "created_at", "pk"),
            ),
            "meetings__kind",
            "meetings__outcome",
            "meetings__other_bodies",
            "meetings__organiser",
            "participations__attendance__absence_reason",
        )
        .order_by("start_date")
    )
    out_enrolments = []
    for e in enrolments:
        out_enrolments.append(
            {
                "id": e.pk,
                "programme": _code(e.programme),
                "org_unit": e.org_unit.name,
                "referring_unit": e.referring_unit.name if e.referring_unit else None,
                "referring_body": _code(e.referring_body),
                "target_group": _code(e.target_group),
                "entry_route": _code(e.entry_route),
                "decision_reference": e.decision_reference or None,
                "decision_date": _date(e.decision_date),
                "start_date": _date(e.start_date),
                "end_date": _date(e.end_date),
                "exit_reason": _code(e.exit_reason),
                "last_worked": _date(e.last_worked),
                "never_worked": e.never_worked,
                "caseworker": e.caseworker.get_full_name() or e.caseworker.get_username() if e.caseworker else None,
                "assessments": [
                    {
                        "instrument": _code(a.instrument),
                        "date": _date(a.date),
                        "score": None if a.score is None else float(a.score),
                        "band": a.band,
                        "item_scores": a.item_scores,
                        **_withdrawal(a),
                    }
                    for a in e.assessments.all()
                ],
                "plans": [
                    {
                        "date": _date(p.date),
                        "goals": p.goals,
                        "steps": p.steps,
                        "participant_view": p.participant_view,
                        "participant_involved": p.participant_involved,
                        **_withdrawal(p),
                    }
                    for p in e.plans.all()
                ],
                "participations": [
                    {
                        "measure": _code(p.measure),
                        "provider_type": _code(p.provider_type),
                        "provider_name": p.provider_name or None,
                        "place": str(p.place) if p.place else None,
                        "start_date": _date(p.start_date),
                        "end_date": _date(p.end_date),
                        **_withdrawal(p),
                    }
                    for p in e.participations.all()
                ],
                "followups": [
                    {
                        "months": f.months,
                        "reference_date": _date(f.reference_date),
                        "working": f.working,
                        "studying": f.studying,
                        "self_sufficient": f.self_sufficient,
                        "source": f.source,
                        **_withdrawal(f),
                    }
                    for f in e.followups.all()
                ],
                "journal": [journal_entry(j) for j in e.journal_entries.all()],
                "meetings": [
                    {
                        "starts_at": timezone.localtime(m.starts_at).isoformat(timespec="minutes"),
                        "duration_minutes": m.duration_minutes,
                        "kind": _code(m.kind),
                        "place": m.place or None,
                        "digital": m.digital,
                        "other_bodies": _codes(m.other_bodies.all()),
                        "outcome": _code(m.outcome),
                        "organiser": m.organiser.get_username() if m.organiser else None,
                    }
                    for m in sorted(e.meetings.all(), key=lambda m: m.starts_at)
                ],
                "attendance": [
                    {
                        "measure": _code(p.measure),
                        "date": _date(a.date),
                        "present": a.present,
                        "absence_reason": _code(a.absence_reason),
                    }
                    for p in e.participations.all()
                    for a in p.attendance.all()
                ],
            }
        )
    surveys = SurveyAnswer.objects.filter(enrolment__person=person).order_by("date")
    # the list of documents, not their content (which the person can be given as copies)
    documents = Document.objects.filter(person=person).order_by("uploaded_at", "pk")
    channels, language, chosen = preferences_of(person)
    return {
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "controller": ProfileSetting.get("name", {}),
        "purposes": PURPOSES,
        "retention_years_after_last_enrolment": (ProfileSetting.get("retention") or {}).get("person_records_years"),
        "person": {
            "id": person.pk,
            "identity_number": person.identity_number,
            "is_coordination_number": person.is_coordination_number,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "birth_date": _date(person.birth_date),
            "sex": person.sex,
            "municipality": person.municipality,
            "address": person.address,
            "email": person.email,
            "mobile_phone": person.mobile_phone,
            "education_level": _code(person.education_level),
            "born_abroad": person.born_abroad,
            "arrival_year": person.arrival_year,
            "protected_identity": person.protected_identity,
            "registered_at": person.created_at.isoformat(timespec="seconds"),
            "updated_at": person.updated_at.isoformat(timespec="seconds"),
        },
        "enrolments": out_enrolments,
        "survey_answers": [
            {"survey": s.survey, "question": s.question, "date": _date(s.date), "value": s.value, "text": s.text}
            for s in surveys
        ],
        "documents": [
            {
                "name": d.name,
                "type": d.content_type,
                "size_bytes": d.size,
                "uploaded_at": timezone.localtime(d.uploaded_at).isoformat(timespec="seconds"),
                "enrolment_id": d.enrolment_id,
                "description": d.description,
                "withdrawn_at": (
                    timezone.localtime(d.withdrawn_at).isoformat(timespec="seconds") if d.withdrawn_at else None
                ),
                "withdrawal_reason": d.withdrawal_reason or None,
            }
            for d in documents
        ],
        # how the person is reminded, and every reminder sent or tried (never the text: it is made anew)
        "reminder_preferences": [{"channels": channels, "language": language, "chosen_by_person": chosen}],
        "reminders": [
            {
                "kind": n.kind,
                "channel": n.channel,
                "about_date": _date(n.about_date),
                "status": n.status,
                "attempts": n.attempts,
                "sent_at": _time(n.sent_at),
            }
            for n in Notification.objects.filter(person=person).order_by("created_at", "pk")
        ],
    }


_LABELS = {
    "sv": {
        "title": "Registerutdrag",
        "intro": "Utdrag enligt artikel 15 i dataskyddsförordningen (GDPR).",
        "controller": "Personuppgiftsansvarig",
        "purposes": "Ändamål",
        "retention": "Lagringstid",
        "years": "år efter sista avslutade inskrivning",
        "person": "Personuppgifter",
        "enrolments": "Inskrivningar",
        "assessments": "Bedömningar",
        "plans": "Planer",
        "participations": "Insatser",
        "followups": "Uppföljningar",
        "surveys": "Enkätsvar",
        "none": "Inga",
        "generated": "Framställt",
        "journal": "Journalanteckningar",
        "entry": "Anteckning",
        "author": "Skriven av",
        "signed": "Signerad",
        "auto": "automatiskt",
        "corrects": "Rättar anteckning",
        "reason": "Skäl",
        "withdraws": "Makulerar anteckningen",
        "corrected_by": "Rättad genom anteckning",
        "meeting": "Möte",
        "measure": "Insats",
        "documents": "Dokument (förteckning; innehållet lämnas som kopior på begäran)",
        "meetings": "Möten",
        "attendance": "Närvaro i insatser",
        "reminder_preferences": "Val av påminnelser",
        "reminders": "Påminnelser som skickats",
    },
    "en": {
        "title": "Register extract",
        "intro": "Extract under article 15 of the General Data Protection Regulation.",
        "controller": "Controller",
        "purposes": "Purposes",
        "retention": "Retention",
        "years": "years after the last enrolment ended",
        "person": "Personal data",
        "enrolments": "Enrolments",
        "assessments": "Assessments",
        "plans": "Plans",
        "participations": "Measures",
        "followups": "Follow-ups",
        "surveys": "Survey answers",
        "none": "None",
        "generated": "Produced",
        "journal": "Journal entries",
        "entry": "Entry",
        "author": "Written by",
        "signed": "Signed",
        "auto": "automatically",
        "corrects": "Corrects entry",
        "reason": "Reason",
        "withdraws": "Withdraws the entry",
        "corrected_by": "Corrected by entry",
        "meeting": "Meeting",
        "measure": "Measure",
        "documents": "Documents (a list; their content is given as copies on request)",
        "meetings": "Meetings",
        "attendance": "Attendance in measures",
        "reminder_preferences": "Choice of reminders",
        "reminders": "Reminders sent",
    },
}


# The extract's field names, as the person reads them; a field missing here is shown by its key.
_FIELDS = {
    "id": ("Id", "Id"),
    "identity_number": ("Personnummer", "Identity number"),
    "is_coordination_number": ("Samordningsnummer", "Coordination number"),
    "first_name": ("Förnamn", "First name"),
    "last_name": ("Efternamn", "Last name"),
    "birth_date": ("Födelsedatum", "Birth date"),
    "sex": ("Kön", "Sex"),
    "municipality": ("Kommun", "Municipality"),
    "address": ("Adress", "Address"),
    "email": ("E-post", "E-mail"),
    "mobile_phone": ("Mobilnummer", "Mobile number"),
    "channels": ("Kanaler", "Channels"),
    "language": ("Språk", "Language"),
    "chosen_by_person": ("Valt av personen", "Chosen by the person"),
    "channel": ("Kanal", "Channel"),
    "about_date": ("Gäller dagen", "About the day"),
    "status": ("Status", "Status"),
    "attempts": ("Försök", "Attempts"),
    "sent_at": ("Skickad", "Sent"),
    "education_level": ("Utbildningsnivå", "Education level"),
    "born_abroad": ("Född utomlands", "Born abroad"),
    "arrival_year": ("Invandringsår", "Year of arrival"),
    "protected_identity": ("Skyddade personuppgifter", "Protected identity"),
    "registered_at": ("Registrerad", "Registered"),
    "updated_at": ("Senast ändrad", "Last changed"),
    "masked": ("Maskerad", "Masked"),
    "anonymised": ("Avidentifierad", "Anonymised"),
    "programme": ("Program", "Programme"),
    "org_unit": ("Enhet", "Unit"),
    "referring_unit": ("Anvisande enhet", "Referring unit"),
    "referring_body": ("Anvisande verksamhet", "Referring body"),
    "target_group": ("Målgrupp", "Target group"),
    "entry_route": ("Inskrivningsväg", "Entry route"),
    "decision_reference": ("Beslut", "Decision"),
    "decision_date": ("Beslutsdatum", "Decision date"),
    "start_date": ("Startdatum", "Start date"),
    "end_date": ("Slutdatum", "End date"),
    "exit_reason": ("Avslutsorsak", "Exit reason"),
    "last_worked": ("Senast i arbete", "Last in work"),
    "never_worked": ("Har aldrig arbetat", "Has never worked"),
    "caseworker": ("Handläggare", "Caseworker"),
    "instrument": ("Instrument", "Instrument"),
    "date": ("Datum", "Date"),
    "score": ("Poäng", "Score"),
    "band": ("Intervall", "Band"),
    "item_scores": ("Delpoäng", "Item scores"),
    "goals": ("Mål", "Goals"),
    "steps": ("Steg", "Steps"),
    "participant_view": ("Deltagarens egen syn", "The participant's own view"),
    "participant_involved": ("Deltagaren var med och tog fram planen", "The participant took part in the plan"),
    "measure": ("Insats", "Measure"),
    "provider_type": ("Typ av anordnare", "Provider type"),
    "provider_name": ("Anordnare", "Provider"),
    "place": ("Plats", "Place"),
    "months": ("Månader efter avslut", "Months after exit"),
    "reference_date": ("Uppföljningsdatum", "Follow-up date"),
    "working": ("Arbetar", "Working"),
    "studying": ("Studerar", "Studying"),
    "self_sufficient": ("Självförsörjande", "Self-sufficient"),
    "source": ("Källa", "Source"),
    "survey": ("Enkät", "Survey"),
    "question": ("Fråga", "Question"),
    "value": ("Svar", "Answer"),
    "text": ("Fritext", "Free text"),
    "absence_reason": ("Frånvaroorsak", "Reason for absence"),
    "author": ("Skriven av", "Author"),
    "changed_at": ("Ändrad", "Changed"),
    "corrected_by": ("Rättad av anteckning", "Corrected by entry"),
    "correction_reason": ("Skäl till rättelsen", "Reason for the correction"),
    "corrects": ("Rättar", "Corrects"),
    "description": ("Beskrivning", "Description"),
    "digital": ("Digitalt", "Digital"),
    "duration_minutes": ("Längd (minuter)", "Duration (minutes)"),
    "enrolment_id": ("Inskrivning", "Enrolment"),
    "kind": ("Typ", "Kind"),
    "meeting": ("Möte", "Meeting"),
    "name": ("Namn", "Name"),
    "organiser": ("Bokat av", "Organiser"),
    "other_bodies": ("Andra myndigheter", "Other bodies"),
    "outcome": ("Utfall", "Outcome"),
    "present": ("Närvarande", "Present"),
    "signed_at": ("Signerad", "Signed"),
    "signed_automatically": ("Signerad automatiskt", "Signed automatically"),
    "size_bytes": ("Storlek (byte)", "Size (bytes)"),
    "starts_at": ("Börjar", "Starts"),
    "type": ("Filtyp", "File type"),
    "uploaded_at": ("Uppladdad", "Uploaded"),
    "withdrawal_reason": ("Skäl till återkallandet", "Reason for withdrawal"),
    "withdrawn_at": ("Återkallad", "Withdrawn"),
    "withdraws": ("Makulerar", "Withdraws"),
    "written_at": ("Skriven", "Written"),
}
# Stored values of fields with a fixed set of values, by field.
_VALUES = {
    "sex": {"woman": ("kvinna", "woman"), "man": ("man", "man")},
    "source": {"register": ("register", "register"), "survey": ("frågat personen", "asked the person")},
    "kind": {
        "meeting_reminder": ("påminnelse om möte", "meeting reminder"),
        "plan_review_reminder": ("påminnelse om uppföljning av planering", "plan review reminder"),
    },
    "channel": {"email": ("e-post", "e-mail"), "sms": ("sms", "SMS")},
    "channels": {"email": ("e-post", "e-mail"), "sms": ("sms", "SMS")},
    "language": {"sv": ("svenska", "Swedish"), "en": ("engelska", "English")},
    "status": {"sent": ("skickad", "sent"), "failed": ("misslyckades", "failed")},
}


def _field(key: str, language: str) -> str:
    names = _FIELDS.get(key)
    return escape(names[language == "en"] if names else key.replace("_", " "))


def _value_of(key: str, v, language: str) -> str:
    if key in _WORD_LISTS and isinstance(v, list):
        return ", ".join(_value_of(key, w, language) for w in v) or escape(_LABELS[language]["none"])
    named = _VALUES.get(key, {}).get(v) if isinstance(v, str) else None
    return escape(named[language == "en"]) if named else _value(v, language)


def _value(v, language: str) -> str:
    if isinstance(v, dict) and {"sv", "en"} <= v.keys():
        return escape(str(v[language]))
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return {"sv": ("ja", "nej"), "en": ("yes", "no")}[language][0 if v else 1]
    return escape(str(v))


# Fields whose value is a list of words, shown in one cell (other lists are sections of their own).
_WORD_LISTS = {"channels"}


def _table(rows: list[dict], language: str, skip=()) -> str:
    if not rows:
        return f"<p>{_LABELS[language]['none']}</p>"
    keys = [k for k in rows[0] if k not in skip and (k in _WORD_LISTS or not isinstance(rows[0][k], list))]
    head = "".join(f"<th scope='col'>{_field(k, language)}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{_value_of(k, r[k], language)}</td>" for k in keys) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _journal_html(entries: list[dict], language: str) -> str:
    """The journal as readable entries (a table cell is no place for a long text)."""
    t = _LABELS[language]
    if not entries:
        return f"<p>{t['none']}</p>"
    out = []
    for j in entries:
        auto = f" ({t['auto']})" if j["signed_automatically"] else ""
        facts = [(t["author"], _value(j["author"], language)), (t["signed"], _value(j["signed_at"], language) + auto)]
        if j["meeting"]:
            facts.append((t["meeting"], _value(j["meeting"], language)))
        if j["measure"]:
            facts.append((t["measure"], _value(j["measure"], language)))
        if j["corrects"]:
            facts.append(
                (
                    t["corrects"],
                    f"{j['corrects']}: {_value(j['correction_reason'], language)}"
                    + (f" ({t['withdraws']})" if j["withdraws"] else ""),
                )
            )
        if j["corrected_by"]:
            facts.append((t["corrected_by"], ", ".join(str(i) for i in j["corrected_by"])))
        text = escape(j["text"] or "").replace("\n", "<br>")
        out.append(
            f"<h5>{escape(j['date'] or '')} {_value(j['kind'], language)} ({t['entry']} {j['id']})</h5><p>"
            + "<br>".join(f"<strong>{k}:</strong> {v}" for k, v in facts)
            + f"</p><p>{text or '–'}</p>"
        )
    return "".join(out)


def render_extract_html(extract: dict, language: str = "sv") -> str:
    """A self-contained HTML document (no external assets) of an extract made by ``person_extract``."""
    t = _LABELS["en" if language == "en" else "sv"]
    language = "en" if language == "en" else "sv"
    p = extract["person"]
    person_rows = "".join(
        f"<tr><th scope='row'>{_field(k, language)}</th><td>{_value_of(k, v, language)}</td></tr>" for k, v in p.items()
    )
    parts = [
        f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'><title>{t['title']}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#111}"
        "table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #888;padding:.25rem .5rem;"
        "text-align:left;vertical-align:top}</style></head><body>",
        f"<h1>{t['title']}</h1><p>{t['intro']}</p>",
        f"<p><strong>{t['controller']}:</strong> {_value(extract.get('controller') or '', language)}<br>"
        f"<strong>{t['purposes']}:</strong> {escape(extract['purposes'][language])}<br>"
        f"<strong>{t['retention']}:</strong> {_value(extract.get('retention_years_after_last_enrolment'), language)} "
        f"{t['years']}<br><strong>{t['generated']}:</strong> {escape(extract['generated_at'])}</p>",
        f"<h2>{t['person']}</h2><table><tbody>{person_rows}</tbody></table>",
        f"<h2>{t['enrolments']}</h2>",
    ]
    if not extract["enrolments"]:
        parts.append(f"<p>{t['none']}</p>")
    for e in extract["enrolments"]:
        parts.append(f"<h3>{_value(e['programme'], language)} {escape(e['start_date'] or '')}</h3>")
        parts.append(_table([e], language))
        for key in ("assessments", "plans", "participations", "followups", "meetings", "attendance"):
            parts.append(f"<h4>{t[key]}</h4>" + _table(e[key], language))
        parts.append(f"<h4>{t['journal']}</h4>" + _journal_html(e.get("journal", []), language))
    parts.append(f"<h2>{t['surveys']}</h2>" + _table(extract["survey_answers"], language))
    parts.append(f"<h2>{t['documents']}</h2>" + _table(extract.get("documents", []), language))
    for key in ("reminder_preferences", "reminders"):
        parts.append(f"<h2>{t[key]}</h2>" + _table(extract.get(key, []), language))
    parts.append("</body></html>")
    return "".join(parts)
