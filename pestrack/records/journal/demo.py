"""Journal entries for the demo: the demo caseworkers' enrolments get a current journal, dated
around ``today``: signed entries of the last weeks and a few unsigned ones written today, so the
work list has unsigned entries to sign."""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone

from pestrack.records.casework.models import Enrolment
from pestrack.records.codes.models import Code
from pestrack.records.journal.models import JournalEntry
from pestrack.records.org.models import Assignment, Role

DEMO_CASEWORKERS = ["anna", "erik"]  # records.sample.DEMO_USERS
TEXTS = {
    "samtal": [
        "Uppföljande samtal om planen. Deltagaren vill fortsätta med språkträning och söka praktik inom handel.",
        "Samtal om arbetsförmåga och hälsa. Deltagaren orkar fyra timmar om dagen.",
    ],
    "telefonsamtal": [
        "Deltagaren ringde och lämnade återbud till tisdagens möte; ny tid bokad.",
        "Ringde deltagaren om praktikplatsen; hen börjar på måndag.",
    ],
    "mote": ["Möte på kontoret. Gick igenom CV och tre annonser; deltagaren söker två av dem till fredag."],
    "trepartssamtal": ["Trepartssamtal med handledaren på praktikplatsen. Det går bra; praktiken förlängs två veckor."],
    "meddelande": ["Skickade kallelse till planeringssamtal via brev."],
    "annan": ["Kontakt med socialtjänsten om försörjningsstödet; de får närvarorapporten i månadsskiftet."],
}


def add_demo_data(
    today: dt.date | None = None, rng: random.Random | None = None, *, per_caseworker: int = 12, unsigned: int = 3
) -> int:
    """Entries on ``per_caseworker`` open enrolments of each demo caseworker's units (``unsigned`` of
    them written today and not signed). Returns the number of entries written."""
    today = today or timezone.localdate()
    rng = rng or random.Random(1)
    kinds = {c.code: c for c in Code.objects.filter(list="journal_kind", active=True)}
    if not kinds or JournalEntry.objects.filter(author__username__in=DEMO_CASEWORKERS).exists():
        return 0  # no code list, or added by an earlier run
    made = 0
    for a in Assignment.objects.filter(
        role=Role.CASEWORKER, user__in=get_user_model().objects.filter(username__in=DEMO_CASEWORKERS)
    ).select_related("unit", "user"):
        units = Q(org_unit__path__startswith=a.unit.path) | Q(referring_unit__path__startswith=a.unit.path)
        enrolments = list(Enrolment.objects.filter(units, end_date__isnull=True).order_by("pk")[:200])
        for i, enrolment in enumerate(rng.sample(enrolments, min(per_caseworker, len(enrolments)))):
            days = sorted(rng.sample(range(1, 45), rng.randint(1, 3)), reverse=True)
            for day in days:
                date = max(today - dt.timedelta(days=day), enrolment.start_date)
                made += _entry(
                    enrolment,
                    a.user,
                    rng,
                    kinds,
                    date,
                    written=timezone.make_aware(dt.datetime.combine(date, dt.time(14, rng.randint(0, 59)))),
                )
            if i < unsigned:  # written today, not signed yet: on the work list
                made += _entry(enrolment, a.user, rng, kinds, today, written=None)
    return made


def _entry(enrolment, author, rng, kinds, date, *, written) -> int:
    code = rng.choice(sorted(kinds))
    entry = JournalEntry.objects.create(
        person_id=enrolment.person_id,
        enrolment=enrolment,
        kind=kinds[code],
        date=date,
        author=author,
        text=rng.choice(TEXTS[code]),
    )
    if written is not None:
        # Back-dated while unsigned (the database's guard allows it then), then signed an hour later.
        JournalEntry.objects.filter(pk=entry.pk).update(created_at=written, updated_at=written)
        JournalEntry.objects.filter(pk=entry.pk).update(signed_at=F("created_at") + dt.timedelta(hours=1))
    return 1
