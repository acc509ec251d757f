"""Employer register, contact log, a place's candidates and proposing a candidate.

Employer-relations staff (and administrators) keep the register; they never see persons. A place's
candidates are persons, so only caseworkers see them, and only the persons of their own units
(records.access); every list and every proposal is logged."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from pestrack.matching import store
from pestrack.matching.score import Matcher
from pestrack.records import access
from pestrack.records.audit import log
from pestrack.records.employers.models import Contact, Employer, Place, Placement
from pestrack.records.org.models import Role

REGISTER_ROLES = (Role.EMPLOYER_RELATIONS, Role.ADMIN)


def _register_staff(request, what: str) -> str:
    source = access.client_address(request)
    if not access.has_role(request.user, *REGISTER_ROLES):
        log.record_for_user(request.user, "denied", source=source, object_type=what, detail="refused read")
        raise PermissionDenied(_("Only employer-relations staff keep the employer register."))
    return source


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["date", "kind", "note", "follow_up_date"]
        labels = {
            "date": gettext_lazy("Date"),
            "kind": gettext_lazy("Kind of contact"),
            "note": pgettext_lazy("employer contact", "Note"),
            "follow_up_date": gettext_lazy("Follow up by"),
        }
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "follow_up_date": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self):
        data = super().clean()
        day, follow = data.get("date"), data.get("follow_up_date")
        if day and day > dt.date.today():
            self.add_error("date", _("The date is in the future."))
        if day and follow and follow < day:
            self.add_error("follow_up_date", _("The follow-up date is before the contact."))
        return data


@login_required
def employer_list(request):
    source = _register_staff(request, "employer list")
    today = dt.date.today()
    employers = Employer.objects.order_by("name")
    due = {
        c.employer_id: c.follow_up_date
        for c in Contact.objects.filter(follow_up_date__lte=today).order_by("follow_up_date")
    }
    log.record_for_user(request.user, "read", source=source, object_type="employer list")
    return render(
        request,
        "web/employers/employer_list.html",
        {"rows": [{"employer": e, "follow_up": due.get(e.pk)} for e in employers]},
    )


@login_required
def employer_detail(request, employer_id: int):
    source = _register_staff(request, "employer")
    employer = get_object_or_404(Employer, pk=employer_id)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = form.save(commit=False)
        contact.employer, contact.staff = employer, request.user
        contact.save()
        log.record_for_user(
            request.user,
            "create",
            source=source,
            object_type="employer_contact",
            object_id=str(contact.pk),
            detail=f"employer {employer.pk}",
        )
        return redirect("employer-detail", employer_id=employer.pk)
    log.record_for_user(request.user, "read", source=source, object_type="employer", object_id=str(employer.pk))
    return render(
        request,
        "web/employers/employer_detail.html",
        {
            "employer": employer,
            "form": form,
            "contacts": employer.contacts.select_related("staff"),
            "places": employer.places.select_related("kind").order_by("-start_date"),
        },
    )


@login_required
def place_candidates(request, place_id: int):
    """The best candidates among the persons of the caseworker's units; POST proposes one."""
    source = access.client_address(request)
    if not access.has_role(request.user, Role.CASEWORKER):
        access.deny(request.user, None, action="list", what="candidate list", source=source)
    place = get_object_or_404(Place.objects.select_related("employer", "kind"), pk=place_id)
    openings = store.openings([place.pk])
    in_scope = list(access.persons_visible_to(request.user).values_list("pk", flat=True))
    people = store.participants(in_scope)
    done = store.already_proposed(place_ids=[place.pk])
    message = ""
    matcher = Matcher(people, openings) if people else None
    if request.method == "POST":
        person = access.get_person_for(
            request.user, request.POST.get("person"), action="update", write=True, what="placement", source=source
        )
        i = next((n for n, p in enumerate(people) if p.id == person.pk), None)
        message = _propose(request, source, person, matcher, i, 0)
        if not message:
            return redirect("place-candidates", place_id=place.pk)
    rows = []
    if matcher:
        best, _scores = matcher.top_candidates(0, 20 + len(done))
        names = {
            p.pk: access.display_name(request.user, p)
            for p in access.persons_visible_to(request.user).filter(pk__in=[people[i].id for i in best if i >= 0])
        }
        for i in best:
            if i >= 0 and (people[i].id, place.pk) not in done and len(rows) < 20:
                rows.append(
                    {
                        "person": people[i].id,
                        "name": names.get(people[i].id, people[i].id),
                        **matcher.explain(int(i), 0),
                    }
                )
    access.record_listed(request.user, [r["person"] for r in rows], source=source, what="candidate list")
    return render(request, "web/employers/place_candidates.html", {"place": place, "rows": rows, "message": message})


def _propose(request, source: str, person, matcher, i, j) -> str:
    """Propose ``person`` (participant position ``i`` of ``matcher``) for its place at position ``j``,
    logged; returns '' when proposed, else why not (a hard rule broken, a proposal already under way,
    a person or place the matcher does not know)."""
    if matcher is None or i is None or j is None:
        return _("This person cannot be proposed for this place.")
    place_id = matcher.places[j].id
    broken = matcher.violations(i, j)
    if broken:
        return " ".join(v.message for v in broken)
    if store.already_proposed([person.pk], [place_id]):
        return _("This person cannot be proposed for this place.")
    placement = Placement.objects.create(
        place_id=place_id,
        person=person,
        proposed_date=dt.date.today(),
        proposed_by=request.user,
        score=round(float(matcher.scores([i])[0][0, j]), 4),
    )
    log.record_for_user(
        request.user,
        "create",
        source=source,
        person_id=person.pk,
        object_type="placement",
        object_id=str(placement.pk),
        detail=f"proposed for place {place_id}",
    )
    return ""


SUGGESTED = 10


@login_required
def suggested_places(request, person_id: int):
    """The open places that suit one participant best, with the reasons; a caseworker who may write
    the person proposes them for one (POST)."""
    source = access.client_address(request)
    posting = request.method == "POST"
    person = access.get_person_for(
        request.user,
        person_id,
        action="update" if posting else "read",
        write=posting,
        what="suggested places",
        source=source,
    )
    may_propose = access.has_role(request.user, Role.CASEWORKER) and access.can_access(request.user, person, write=True)
    if posting and not may_propose:
        access.deny(request.user, person.pk, action="update", what="placement", source=source)
    found = store.places_for(person.pk, SUGGESTED)
    matcher, pairs = found if found else (None, [])
    message = ""
    if posting:
        j = next(
            (n for n, q in enumerate(matcher.places if matcher else []) if str(q.id) == request.POST.get("place")), None
        )
        message = _propose(request, source, person, matcher, 0, j)
        if not message:
            return redirect("suggested-places", person_id=person.pk)
    places = Place.objects.select_related("employer", "kind").in_bulk([matcher.places[j].id for _i, j in pairs])
    rows = [{**matcher.explain(i, j), "record": places[matcher.places[j].id]} for i, j in pairs]
    return render(
        request,
        "web/employers/suggested_places.html",
        {
            "person": person,
            "shown": access.present_person(request.user, person),
            "rows": rows,
            "open_enrolment": found is not None,
            "may_propose": may_propose,
            "message": message,
        },
    )


class OutcomeForm(forms.ModelForm):
    """What came of a proposal; the dates and status follow records.employers.rules.check_placement."""

    class Meta:
        model = Placement
        fields = ["status", "interview_date", "hired_date", "ended_date", "employer_satisfaction"]
        labels = {
            "status": gettext_lazy("Status"),
            "interview_date": gettext_lazy("Interview date"),
            "hired_date": gettext_lazy("Hired on"),
            "ended_date": gettext_lazy("Employment ended on"),
            "employer_satisfaction": gettext_lazy("The employer's satisfaction"),
        }
        help_texts = {
            "ended_date": gettext_lazy("The last day of the employment."),
            "employer_satisfaction": gettext_lazy("1 (not at all satisfied) to 5 (very satisfied)."),
        }
        widgets = {f: forms.DateInput(attrs={"type": "date"}) for f in ("interview_date", "hired_date", "ended_date")}

    def clean(self):
        from pestrack.records.employers.rules import check_placement

        data = super().clean()
        for v in check_placement(
            status=data.get("status"),
            proposed_date=self.instance.proposed_date,
            interview_date=data.get("interview_date"),
            hired_date=data.get("hired_date"),
            ended_date=data.get("ended_date"),
            employer_satisfaction=data.get("employer_satisfaction"),
            today=dt.date.today(),
        ):
            self.add_error(v.field if v.field in self.fields else None, v.message)
        return data


@login_required
def placement_outcome(request, placement_id: int):
    """Record the outcome of a placement: caseworkers with write access to the person."""
    placement = get_object_or_404(Placement.objects.select_related("place", "place__employer"), pk=placement_id)
    source = access.client_address(request)
    person = access.get_person_for(
        request.user,
        placement.person_id,
        action="update" if request.method == "POST" else "read",
        write=True,
        what="placement",
        source=source,
    )
    form = OutcomeForm(request.POST or None, instance=placement)
    if request.method == "POST" and form.is_valid():
        form.save()
        log.record_for_user(
            request.user,
            "update",
            source=source,
            person_id=person.pk,
            object_type="placement",
            object_id=str(placement.pk),
            detail=f"outcome {placement.status}",
        )
        return redirect("placement-outcome", placement_id=placement.pk)
    return render(
        request,
        "web/employers/placement_outcome.html",
        {"placement": placement, "name": access.display_name(request.user, person), "form": form},
    )
