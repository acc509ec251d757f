"""Who may see which person: the one place where access to person records is decided.

- A caseworker reads and writes persons enrolled in, or referred to, their units (and the
  units below them).
- A unit manager reads persons of their units.
- Analysts, employer-relations staff, data protection officers and administrators do not read
  person records (analysts use pseudonymised analytics; the DPO reads the access log).
- Protected identities (skyddade personuppgifter) are masked for everyone whose assignment lacks
  ``may_see_protected``.

Every view, API endpoint, export and admin page goes through ``get_person_for`` or
``persons_visible_to``; ``get_person_for`` logs the access, and a refusal is logged too.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from pestrack.records.audit import log
from pestrack.records.org.models import Assignment, OrgUnit, Role
from pestrack.records.people.models import Person

READ_ROLES = (Role.CASEWORKER, Role.UNIT_MANAGER)
WRITE_ROLES = (Role.CASEWORKER,)
# The Django admin is for administrators (users and assignments, code lists, units, employers, API
# tokens), and superusers: everyone else works in the application and is refused the admin (403,
# logged). Of person data it shows only what an administrator who is also a caseworker keeps there
# for their own caseload; a pure administrator, even a superuser, sees no person in it.
ADMIN_SITE_ROLES = (Role.ADMIN,)
ADMIN_PERSON_ROLES = (Role.CASEWORKER,)
MASK = "*****"
IDENTIFYING = ("first_name", "last_name", "identity_number", "address", "email", "mobile_phone")


_MEMO = "_access_memo"


def remember_for_request(user) -> None:
    """Let ``user`` (a request's user, read anew for every request) carry its assignments and their
    units once looked up, so that the checks of one page share them instead of a query each."""
    if user is not None and user.is_authenticated:
        setattr(user, _MEMO, {})


def _memo(user, key, compute):
    memo = getattr(user, _MEMO, None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def user_assignments(user) -> list[Assignment]:
    """All of the user's assignments, with their units; none for an inactive or anonymous user."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    return _memo(user, "assignments", lambda: list(Assignment.objects.filter(user=user).select_related("unit")))


def _assignments(user, roles) -> list[Assignment]:
    return [a for a in user_assignments(user) if a.role in roles]


def scope_paths(user, write: bool = False) -> list[str]:
    """Path prefixes of the units whose persons the user may read (or write)."""
    return sorted({a.unit.path for a in _assignments(user, WRITE_ROLES if write else READ_ROLES)})


def has_role(user, *roles: str) -> bool:
    return bool(_assignments(user, roles))


def _unit_ids(paths: list[str], user=None) -> list[int]:
    """Ids of the units under ``paths`` (remembered for the request of ``user``, see remember_for_request)."""
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return _memo(
        user, ("units", tuple(paths)), lambda: list(OrgUnit.objects.filter(q).order_by().values_list("pk", flat=True))
    )


def person_scope(paths: list[str]) -> Q:
    """Persons with an enrolment at, or referred from, a unit under one of ``paths``. The units are
    looked up first, so that the enrolments are found through their indexed unit columns (a
    join on unit paths reads every enrolment)."""
    units = _unit_ids(paths)
    return Q(enrolments__org_unit_id__in=units) | Q(enrolments__referring_unit_id__in=units)


def _enrolments_in(paths: list[str], user=None):
    from pestrack.records.casework.models import Enrolment

    units = _unit_ids(paths, user)
    return Enrolment.objects.filter(Q(org_unit_id__in=units) | Q(referring_unit_id__in=units))


def enrolments_in_scope(user, write: bool = False):
    """The enrolments whose persons the user reads (or writes): at, or referred from, their units."""
    return _enrolments_in(scope_paths(user, write), user)


def unit_ids_in_scope(user, write: bool = False) -> set[int]:
    """Ids of ``units_in_scope``, for checking many records against them without a query each."""
    return set(_unit_ids(scope_paths(user, write), user))


def persons_visible_to(user, write: bool = False) -> QuerySet[Person]:
    paths = scope_paths(user, write)
    if not paths:
        return Person.objects.none()
    ids = _enrolments_in(paths, user).values("person_id")
    # Protected identities come last, in id order: sorting them by their real names would let a
    # masked list reveal where their names fall in the alphabet.
    unless_protected = {"protected_identity": True, "then": Value("")}
    return Person.objects.filter(pk__in=ids).order_by(
        "protected_identity",
        Case(When(**unless_protected), default=F("last_name")),
        Case(When(**unless_protected), default=F("first_name")),
        "pk",
    )


def units_in_scope(user, write: bool = False) -> QuerySet[OrgUnit]:
    """The organisation units (and those below them) the user reads, or writes, persons of."""
    q = Q(pk__in=[])
    for p in scope_paths(user, write):
        q |= Q(path__startswith=p)
    return OrgUnit.objects.filter(q)


def can_access(user, person: Person, write: bool = False) -> bool:
    paths = scope_paths(user, write)
    return bool(paths) and _enrolments_in(paths, user).filter(person_id=person.pk).exists()


def may_write_enrolment(user, enrolment) -> bool:
    """Whether ``user`` writes records in this enrolment: their units enrolled or referred the person."""
    units = unit_ids_in_scope(user, write=True)
    return enrolment.org_unit_id in units or enrolment.referring_unit_id in units


def may_use_admin(user) -> bool:
    """Whether ``user`` may open the Django admin at all: an active staff administrator or superuser."""
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    return user.is_superuser or has_role(user, *ADMIN_SITE_ROLES)


def may_see_protected(user) -> bool:
    return any(a.may_see_protected for a in _assignments(user, READ_ROLES))


def deny(user, person_id, *, action: str = "read", what: str = "person", source: str = ""):
    """Log a refused access and refuse it (403)."""
    log.record_for_user(
        user, "denied", source=source, person_id=person_id, object_type=what, detail=f"refused {action}"
    )
    if person_id is None:
        raise PermissionDenied(_("You do not have access to person records."))
    raise PermissionDenied(_("You do not have access to this person."))


def get_person_for(
    user, person_id, *, action: str = "read", write: bool = False, what: str = "person", source: str = ""
) -> Person:
    """The person if ``user`` may read (or write) them, logging the access; else 403 (logged)."""
    paths = scope_paths(user, write)
    try:
        # the person and whether they are in scope (as can_access decides) in one query; get()
        # rather than first(), which would sort by name (building an ORDER BY costs CPU too)
        person = Person.objects.annotate(
            in_scope=Exists(_enrolments_in(paths, user).filter(person_id=OuterRef("pk")))
        ).get(pk=int(person_id))
    except (TypeError, ValueError, Person.DoesNotExist):
        person = None
    if person is None:
        raise Http404(_("No such person."))
    if not (paths and person.in_scope):
        deny(user, person.pk, action=action, what=what, source=source)
    log.record_for_user(user, action, source=source, person_id=person.pk, object_type=what)
    return person


def record_listed(user, person_ids, *, source: str = "", what: str = "person list") -> None:
    """Log that a list showed these persons to ``user``: one entry per person shown (each found by a
    search of the log by that person; the detail says it was a list)."""
    actor, actor_id = log.actor_of(user)
    log.record_many(
        log.Event(
            actor=actor,
            actor_id=actor_id,
            action="read",
            person_id=pid,
            object_type=what,
            detail=log.LISTED,
            source=source,
        )
        for pid in person_ids
    )


def identity_visible(user, person: Person, may_see: bool | None = None) -> bool:
    """Whether ``user`` sees this person's name, identity number and address unmasked.

    ``may_see`` is ``may_see_protected(user)`` when the caller has it already (lists)."""
    if not person.protected_identity:
        return True
    return may_see_protected(user) if may_see is None else may_see


def display_name(user, person: Person, may_see: bool | None = None) -> str:
    if person.anonymised_at:
        return _("(anonymised)")
    if not identity_visible(user, person, may_see):
        return MASK
    return f"{person.first_name} {person.last_name}"


def mask_identity(user, person: Person, data: dict) -> dict:
    """``data`` (e.g. an extract's person part) with the identifying fields as ``user`` may see them."""
    shown = present_person(user, person)
    return {**data, **{k: shown[k] for k in IDENTIFYING if k in data}}


def present_person(user, person: Person, *, unmasked: bool | None = None) -> dict:
    """The person's identifying fields as this user may see them (masked when protected)."""
    show = unmasked if unmasked is not None else identity_visible(user, person)
    if person.anonymised_at:
        return {
            "id": person.pk,
            "first_name": "",
            "last_name": "",
            "identity_number": "",
            "address": "",
            "email": "",
            "mobile_phone": "",
            "birth_date": person.birth_date,
            "sex": person.sex,
            "protected_identity": False,
            "masked": False,
            "anonymised": True,
        }
    return {
        "id": person.pk,
        "first_name": person.first_name if show else MASK,
        "last_name": person.last_name if show else MASK,
        "identity_number": person.identity_number if show else f"{MASK}-****",
        "address": person.address if show else MASK,
        "email": person.email if show else MASK,
        "mobile_phone": person.mobile_phone if show else MASK,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "protected_identity": person.protected_identity,
        "masked": not show,
        "anonymised": False,
    }


def client_address(request) -> str:
    """The client's address for the access log.

    Behind N trusted reverse proxies (``PESTRACK_TRUSTED_PROXIES=N``) it is the address the
    outermost trusted proxy saw, from ``X-Forwarded-For``; otherwise ``REMOTE_ADDR``."""
    if request is None:
        return ""
    proxies = settings.PESTRACK_TRUSTED_PROXIES
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies][:100]
    return request.META.get("REMOTE_ADDR", "")


# Documents attached to a person (records.documents). They follow the person: whoever reads the
# person sees the list, whoever writes the person (a caseworker of their units) uploads and
# withdraws. A document's content cannot be masked, and its name or description may name the
# person, so for a protected identity only users who may see protected identities download it
# or see its name; the others see that it exists (type, size, date), as they see a masked name.


def documents_visible(user, person: Person, may_see: bool | None = None) -> bool:
    """Whether ``user`` sees the names and contents of ``person``'s documents (see above)."""
    return identity_visible(user, person, may_see)


def mask_documents(user, person: Person, documents: list[dict]) -> list[dict]:
    """``documents`` (an extract's list) with names and descriptions masked unless ``user`` sees them."""
    if documents_visible(user, person):
        return documents
    return [{**d, "name": MASK, "description": MASK if d.get("description") else ""} for d in documents]


def get_document_for(user, document_id, *, write: bool = False, content: bool = False, source: str = ""):
    """The document if ``user`` may read it (``content``: download it, which also needs
    ``documents_visible`` and a document not withdrawn, else 404; ``write``: withdraw it). A download is logged here (``read``, detail
    ``download``); a withdrawal is logged by its caller once saved. Else 403, logged."""
    from pestrack.records.documents.models import Document

    try:
        document = Document.objects.select_related("person").get(pk=int(document_id))
    except (TypeError, ValueError, Document.DoesNotExist):
        raise Http404(_("No such document.")) from None
    person = document.person
    if not can_access(user, person, write=write) or (content and not documents_visible(user, person)):
        deny(
            user,
            person.pk,
            action="download" if content else "withdraw" if write else "read",
            what="document",
            source=source,
        )
    if content and document.withdrawn:  # kept until retention, but no longer served
        raise Http404(_("The document is withdrawn."))
    if content:
        log.record_for_user(
            user,
            "read",
            source=source,
            person_id=person.pk,
            object_type="document",
            object_id=document.pk,
            detail="download",
        )
    return document


# Results (aggregated indicators, the pseudonymised rows behind them, the annual report).
# - An analyst sees the results of every unit.
# - A unit manager sees the results of their units (and the units below them).
# - Caseworkers, employer-relations staff, data protection officers and administrators see no
#   results: their work is on single persons, or on neither.
# The pseudonymised rows behind an indicator (drill-down) follow the same rule. A person behind a
# row is opened only by a caseworker who may read that person (``person_for_key``).
RESULT_ROLES = (Role.ANALYST, Role.UNIT_MANAGER)


def results_units(user, *, what: str = "results", source: str = "") -> list[str] | None:
    """The unit paths whose results ``user`` sees: None for all (analyst), else the manager's units.
    Anyone else is refused (403, logged)."""
    if has_role(user, Role.ANALYST):
        return None
    paths = sorted({a.unit.path for a in _assignments(user, (Role.UNIT_MANAGER,))})
    if not paths:
        log.record_for_user(user, "denied", source=source, object_type=what, detail="refused read")
        raise PermissionDenied(_("You do not have access to results."))
    return paths


def person_keys_readable(user) -> dict[str, int]:
    """Pseudonymous person key → person id, for the persons ``user`` may read as a caseworker."""
    from pestrack.records.people.pseudonym import person_key

    rows = persons_visible_to(user, write=True).filter(anonymised_at__isnull=True).values_list("pk", "pin_hash")
    return {person_key(pin_hash): pk for pk, pin_hash in rows if pin_hash}


def person_for_key(user, key: str, *, source: str = "") -> Person:
    """The person behind an analytics row's pseudonymous key, if ``user`` is a caseworker who may
    read them (logged as a read); otherwise 403, logged, whether or not the key belongs to anyone."""
    pk = person_keys_readable(user).get(key)
    if pk is None:
        log.record_for_user(user, "denied", source=source, object_type="person by pseudonym", detail="refused read")
        raise PermissionDenied(_("You do not have access to this person."))
    return get_person_for(user, pk, what="person by pseudonym", source=source)


# The access log (loggkontroll): only the data protection officer reviews it, on the log-review page
# and through its export. Every use of either is logged, a refusal too.
LOG_REVIEW_ROLES = (Role.DPO,)
# the labour-market observatory's tiers (docs/lmi.md): the public sees published figures; partners
# extracts of more detail (suppressed, not rounded; cross-tabulated); analysts also the micro-data
LMI_PARTNER_ROLES = (Role.PARTNER, Role.ANALYST)
LMI_ANALYST_ROLES = (Role.ANALYST,)


def require_log_review(user, *, what: str = "access log", source: str = "") -> None:
    """Refuse (403, logged) anyone but a data protection officer."""
    if not has_role(user, *LOG_REVIEW_ROLES):
        log.record_for_user(user, "denied", source=source, object_type=what, detail="refused read")
        raise PermissionDenied(_("Only the data protection officer reviews the access log."))


def registered_person(user, number, *, source: str = "") -> tuple[bool, Person | None]:
    """Whether an identity number someone is about to register is in the register already, told only
    as far as ``user`` may know: (registered, the person if ``user`` may read them, else None).

    A form must not tell a caseworker that a number is registered in another district (the number
    would be an existence oracle): it offers to open a person in scope, and otherwise refuses with a
    neutral message. Every such look-up is logged (the person id, never the number)."""
    from pestrack.records.people import identity

    found = Person.objects.filter(pin_hash=identity.lookup_hash(number)).values_list("pk", flat=True).first()
    readable = found is not None and persons_visible_to(user).filter(pk=found).exists()
    outcome = (
        "not registered"
        if found is None
        else "registered, in the user's scope"
        if readable
        else "registered outside the user's scope"
    )
    log.record_for_user(
        user,
        "search",
        source=source,
        person_id=found,
        object_type="person",
        detail=f"{log.REGISTRATION_CHECK}: {outcome}",
    )
    return found is not None, Person.objects.get(pk=found) if readable else None
