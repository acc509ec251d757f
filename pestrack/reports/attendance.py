"""The monthly attendance report for a referring social-services unit: participants referred with
financial assistance (a target group or entry route with the code rule ``attendance_report: true``:
Stockholm's försörjningsstöd and referral from social services), their
measures that month and the days present, absent (by reason) and not entered. The social services
pay assistance on it, so it goes to them as PDF or CSV (semicolon-separated, UTF-8 with BOM, for a
Swedish Excel).

Expected days are the weekdays (Monday–Friday) of the month within the participation's dates, up
to today; a day entered on a weekend counts as entered but is not expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.spreadsheet import safe_cell

if TYPE_CHECKING:
    from pestrack.records.org.models import OrgUnit


def parse_month(text: str) -> dt.date:
    """``2026-11`` → 1 November 2026; ValueError with the reason otherwise."""
    try:
        year, month = (int(x) for x in text.strip().split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise ValueError(_("Give the month as YYYY-MM, for example 2026-11.")) from None


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def financial_assistance(qs):
    """Enrolments referred with financial assistance: by a unit, in a target group or by an entry
    route whose code carries the rule ``attendance_report: true`` (docs/profiles.md)."""
    return qs.filter(
        Q(target_group__rules__attendance_report=True) | Q(entry_route__rules__attendance_report=True),
        referring_unit__isnull=False,
    )


@dataclass
class Row:
    person_id: int
    name: str
    identity_number: str
    measure: str
    provider: str
    start_date: dt.date
    end_date: dt.date | None
    expected: int
    present: int
    absent: int
    not_entered: int
    absent_by_reason: dict[str, int] = field(default_factory=dict)


@dataclass
class AttendanceReport:
    unit: OrgUnit  # the referring unit
    month: dt.date
    rows: list[Row]
    reasons: list[tuple[str, str]]  # (code, label) of the absence reasons, in the profile's order

    @property
    def person_ids(self) -> list[int]:
        return sorted({r.person_id for r in self.rows})

    def totals(self) -> dict:
        by_reason: Counter[str] = Counter()
        for r in self.rows:
            by_reason.update(r.absent_by_reason)
        return {
            "expected": sum(r.expected for r in self.rows),
            "present": sum(r.present for r in self.rows),
            "absent": sum(r.absent for r in self.rows),
            "not_entered": sum(r.not_entered for r in self.rows),
            "absent_by_reason": dict(by_reason),
        }


def build(unit: OrgUnit, month: dt.date, *, enrolments, user=None, today: dt.date | None = None) -> AttendanceReport:
    """The report of ``unit`` for ``month`` over ``enrolments`` (the ones the reader may read), with
    identities shown as ``user`` may see them (masked when protected; ``user=None`` masks them)."""
    from pestrack.records.casework.models import Participation
    from pestrack.records.codes.models import Code
    from pestrack.records.meetings.models import Attendance

    today = today or timezone.localdate()
    first, last = month, month_end(month)
    referred = financial_assistance(enrolments.filter(referring_unit=unit))
    parts = list(
        Participation.objects.current()
        .filter(enrolment__in=referred, start_date__lte=last)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=first))
        .select_related("measure", "enrolment__person")
        .order_by("enrolment__person__last_name", "enrolment__person_id", "start_date")
    )
    days: dict[int, list] = {}
    for a in Attendance.objects.filter(
        participation__in=[p.pk for p in parts], date__range=(first, last)
    ).select_related("absence_reason"):
        days.setdefault(a.participation_id, []).append(a)
    see = access.may_see_protected(user) if user is not None else False
    rows = []
    for p in parts:
        person = p.enrolment.person
        shown = access.present_person(user, person, unmasked=(not person.protected_identity) or see)
        lo, hi = max(first, p.start_date), min(last, p.end_date or last, today)
        weekdays = {lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)} if hi >= lo else set()
        weekdays = {d for d in weekdays if d.weekday() < 5}
        entered = days.get(p.pk, [])
        reasons = Counter(a.absence_reason.code for a in entered if not a.present and a.absence_reason_id)
        rows.append(
            Row(
                person_id=person.pk,
                name=f"{shown['last_name']}, {shown['first_name']}" if not shown["masked"] else access.MASK,
                identity_number=shown["identity_number"],
                measure=_label(p.measure),
                provider=p.provider_name,
                start_date=p.start_date,
                end_date=p.end_date,
                expected=len(weekdays),
                present=sum(1 for a in entered if a.present),
                absent=sum(1 for a in entered if not a.present),
                not_entered=len(weekdays - {a.date for a in entered}),
                absent_by_reason=dict(reasons),
            )
        )
    reason_codes = [
        (c.code, _label(c)) for c in Code.objects.filter(list="absence_reason").order_by("sort_order", "code")
    ]
    return AttendanceReport(unit=unit, month=month, rows=rows, reasons=reason_codes)


def _label(code) -> str:
    """A code's name in the active language."""
    return code.name_en if (get_language() or "sv").startswith("en") else code.name_sv


def log_produced(report: AttendanceReport, *, actor: str, actor_id: int | None, fmt: str, source: str) -> None:
    """One access-log entry per person in the report (an export naming each person)."""
    at = timezone.now()
    detail = f"attendance report {report.unit.code} {report.month:%Y-%m} ({fmt})"
    log.record_many(
        log.Event(
            actor=actor,
            actor_id=actor_id,
            action="export",
            person_id=pid,
            object_type="attendance report",
            object_id=report.unit.code,
            detail=detail,
            source=source,
            at=at,
        )
        for pid in report.person_ids
    )


def title(report: AttendanceReport) -> str:
    return _("Attendance report %(month)s – %(unit)s") % {
        "month": date_format(report.month, "YEAR_MONTH_FORMAT"),
        "unit": report.unit.name,
    }


def _columns(report: AttendanceReport) -> list[str]:
    return [
        _("Name"),
        _("Identity number"),
        _("Measure"),
        _("Provider"),
        _("Start date"),
        _("End date"),
        _("Expected days"),
        _("Days present"),
        _("Days absent"),
        *(label for _code, label in report.reasons),
        _("Days not entered"),
    ]


def _cells(report: AttendanceReport, r: Row) -> list:
    fmt = lambda d: date_format(d, "SHORT_DATE_FORMAT") if d else ""  # noqa: E731
    return [
        r.name,
        r.identity_number,
        r.measure,
        r.provider,
        fmt(r.start_date),
        fmt(r.end_date),
        r.expected,
        r.present,
        r.absent,
        *(r.absent_by_reason.get(code, 0) for code, _label in report.reasons),
        r.not_entered,
    ]


def _total_cells(report: AttendanceReport) -> list:
    t = report.totals()
    return [
        _("Total"),
        "",
        "",
        "",
        "",
        "",
        t["expected"],
        t["present"],
        t["absent"],
        *(t["absent_by_reason"].get(code, 0) for code, _label in report.reasons),
        t["not_entered"],
    ]


def neutralise(value) -> str:
    """A cell as text that a spreadsheet would not run as a formula (records.spreadsheet.safe_cell)."""
    return safe_cell("" if value is None else str(value))


def to_csv(report: AttendanceReport) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in _columns(report)])
    for r in report.rows:
        writer.writerow([neutralise(c) for c in _cells(report, r)])
    writer.writerow([neutralise(c) for c in _total_cells(report)])
    return buf.getvalue().encode("utf-8-sig")


def write_pdf(report: AttendanceReport, out) -> None:
    """The report as an A4 landscape PDF in the house style of reports.pdf (``out``: a path or a file)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer

    from pestrack.reports.pdf import GridRow, _fonts, _styles, grid
    from pestrack.reports.pdf_tags import Tagged, TaggingCanvas

    _fonts()
    st = _styles()
    p = lambda text, style="cell", tag="P": Tagged(escape(str(text)), st[style], tag)  # noqa: E731
    width = landscape(A4)[0] - 30 * mm
    story = [
        p(title(report), "title", "H1"),
        p(
            _(
                "Participants referred with financial assistance, their days present and absent in measures. "
                "Expected days are the weekdays of the month within the participation, up to the day the report "
                "was made (%(day)s)."
            )
            % {"day": date_format(timezone.localdate(), "SHORT_DATE_FORMAT")},
            "body",
        ),
        Spacer(1, 6),
    ]
    columns = _columns(report)
    data: list[GridRow] = [list(columns)]
    for cells in [*(_cells(report, r) for r in report.rows), _total_cells(report)]:
        data.append([(str(c), "num" if isinstance(c, int) else "cell") for c in cells])
    if not report.rows:
        story.append(
            p(_("No participants referred with financial assistance took part in a measure this month."), "body")
        )
    fixed = [0.14, 0.11, 0.12, 0.10, 0.07, 0.07]
    rest = (1 - sum(fixed)) / (len(columns) - len(fixed))
    story.append(grid(data, [width * f for f in fixed] + [width * rest] * (len(columns) - len(fixed))))
    target = str(out) if isinstance(out, (str, Path)) else out
    doc = SimpleDocTemplate(
        target,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title(report),
        lang=(get_language() or "sv")[:2],
    )
    doc.build(story, canvasmaker=TaggingCanvas)


def to_pdf(report: AttendanceReport) -> bytes:
    buf = io.BytesIO()
    write_pdf(report, buf)
    return buf.getvalue()
