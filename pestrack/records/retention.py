"""Retention: anonymise person records past the profile's retention period and purge old
access-log entries (``pestrack retention apply``).

A person is anonymised when they have no open enrolment and their last enrolment ended more than
``retention.person_records_years`` ago. What identifies them goes: names, address, identity
number (its look-up hash is replaced by a random value, the encrypted number emptied), the
protected-identity flag, the decision reference, every free text (plans, survey answers, the texts
and correction reasons of journal entries, the reasons of profiling assessments, the reasons and previous values of corrections and
withdrawals) and every attached document (row and file, withdrawn ones too). What
the statistics need stays: enrolments, assessments, participations, follow-ups, sex,
municipality, education, born abroad/arrival year, and the birth year (the birth date becomes
1 January of that year). Persons who never had an enrolment are left alone.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from pestrack.records.audit import log
from pestrack.records.casework.models import Assessment, Correction, Enrolment, FollowUp, Participation, Plan
from pestrack.records.codes.profile import MIN_ACCESS_LOG_YEARS, retention_years
from pestrack.records.documents.files import delete_for_persons as delete_documents
from pestrack.records.documents.models import Document
from pestrack.records.journal.models import Message
from pestrack.records.journal.rules import blank_texts as blank_journal_texts
from pestrack.records.outreach.models import SurveyAnswer
from pestrack.records.people.models import Person
from pestrack.records.portal.models import SignInLink
from pestrack.records.profiling.models import Judgement

ANONYMISED_PIN_PREFIX = "anonymised-"  # a real look-up hash is 64 hex digits, so never collides


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def persons_past_retention(today: dt.date) -> list[int]:
    """Ids of persons not yet anonymised whose last enrolment ended before the cutoff, none open."""
    cutoff = years_before(today, retention_years("person_records_years"))
    open_enrolment = Enrolment.objects.filter(person=OuterRef("pk"), end_date__isnull=True)
    return list(
        Person.objects.filter(anonymised_at__isnull=True)
        .annotate(last_end=Max("enrolments__end_date"), has_open=Exists(open_enrolment))
        .filter(has_open=False, last_end__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def anonymise(person_ids: list[int], actor: str, batch: int = 500) -> int:
    """Strip everything identifying from these persons (one transaction), logging each."""
    now = timezone.now()
    documents: list[tuple[int, int]] = []
    with transaction.atomic():
        for i in range(0, len(person_ids), batch):
            ids = person_ids[i : i + batch]
            for person in Person.objects.filter(pk__in=ids, anonymised_at__isnull=True).select_for_update():
                person.first_name = person.last_name = person.address = person.email = person.mobile_phone = ""
                person.pin_hash = ANONYMISED_PIN_PREFIX + secrets.token_hex(24)
                person.pin_encrypted = ""
                person.protected_identity = False
                person.birth_date = person.birth_date.replace(month=1, day=1)
                person.anonymised_at = now
                person.save()
            Plan.objects.filter(enrolment__person__in=ids).update(goals="", steps="", participant_view="")
            Enrolment.objects.filter(person__in=ids).update(decision_reference="")
            # Corrections keep previous texts (a plan's goals, a decision reference) and free-text reasons.
            Correction.objects.filter(enrolment__person__in=ids).update(previous={}, new={}, reason="")
            for model in (Assessment, Plan, Participation, FollowUp):
                model.objects.filter(enrolment__person__in=ids).exclude(withdrawal_reason="").update(
                    withdrawal_reason=""
                )
            SurveyAnswer.objects.filter(enrolment__person__in=ids).update(text="")
            # a caseworker's reason for departing from a profiling estimate is free text
            Judgement.objects.filter(estimate__enrolment__person__in=ids).update(reason="")
            blank_journal_texts(ids)  # the entries stay (kind, date, signed), their texts go
            Message.objects.filter(person__in=ids).update(text="")  # the portal's messages, likewise
            SignInLink.objects.filter(person__in=ids).delete()
            documents += delete_documents(ids)  # their files go once this transaction commits
        log.record_many(
            log.Event(
                actor=actor,
                action="anonymise",
                person_id=pid,
                object_type="person",
                source="cli",
                detail="retention: person record anonymised",
            )
            for pid in person_ids
        )
        log.record_many(
            log.Event(
                actor=actor,
                action="delete",
                person_id=pid,
                object_type="document",
                object_id=str(did),
                source="cli",
                detail="retention: document and its file removed",
            )
            for pid, did in documents
        )
    return len(person_ids)


def log_cutoff(today: dt.date) -> dt.datetime:
    """Log entries older than this are removed: the profile's period counted from ``today``, but
    never entries younger than the database's floor counted from the real date."""
    day = min(
        years_before(today, retention_years("access_log_years")),
        years_before(timezone.localdate(), MIN_ACCESS_LOG_YEARS),
    )
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@dataclass
class RetentionResult:
    person_ids: list[int]
    log: log.PurgeResult
    dry_run: bool
    documents: int = 0  # documents (rows and files) of those persons, deleted or to be deleted


def apply(today: dt.date | None = None, *, dry_run: bool = False, actor: str | None = None) -> RetentionResult:
    """Anonymise persons past retention, then purge old log entries. ``dry_run`` changes nothing."""
    today = today or timezone.localdate()
    actor = actor or log.cli_actor()
    with transaction.atomic():  # all or nothing
        ids = persons_past_retention(today)
        documents = Document.objects.filter(person_id__in=ids).count() if ids else 0
        if not dry_run:
            anonymise(ids, actor)
        purge = log.purge_before(log_cutoff(today), actor, dry_run=dry_run)
    return RetentionResult(ids, purge, dry_run, documents)
