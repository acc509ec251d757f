"""A meeting as an iCalendar file (RFC 5545), built with the ``icalendar`` library.

The file leaves pestrack (a calendar program, a phone), so it holds no identity number and the
person's name only as the reader may see it (masked for a protected identity); the link leads back
to the person page, behind the log-in and the access check."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from icalendar import Calendar, Event

PRODID = "-//pestrack//meetings//SV"


def ics(meeting, *, name: str, url: str, label, digital_text: str) -> bytes:
    """``name``: the person as the reader sees them; ``label``: a code's name in the reader's language."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@pestrack")
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    start = meeting.starts_at.astimezone(dt.UTC)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=meeting.duration_minutes))
    event.add("summary", f"{label(meeting.kind)}: {name}")
    event.add("location", digital_text if meeting.digital else meeting.place)
    bodies = ", ".join(label(c) for c in meeting.other_bodies.all())
    event.add("description", "\n".join(x for x in (bodies, url) if x))
    event.add("url", url)
    if meeting.outcome_id:
        event.add("status", "CANCELLED" if meeting.outcome.code == "cancelled_in_time" else "CONFIRMED")
    else:
        event.add("status", "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()
