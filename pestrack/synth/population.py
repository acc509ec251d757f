"""Draw the persons and their records for a plan: dates inside each segment's window, ages,
districts, measures, assessments, plans, exits and follow-ups.

Every record is checked with the business rules of casework.rules as it is drawn (the same
functions the forms and the importer use); a draw that breaks one is drawn again, and a record
that still breaks one stops the run (a bug in the generator, never silently stored).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from fractions import Fraction

from pestrack.analytics.placements import add_months
from pestrack.analytics.schema import DAYS_PER_MONTH
from pestrack.records.casework import rules
from pestrack.records.people.identity import lookup_hash, make_number
from pestrack.synth import education, services
from pestrack.synth.config import SynthConfig
from pestrack.synth.plan import Chain, Segment

WORK_OR_STUDIES = ("work", "studies")  # exit outcomes (profile rule exit_reason.outcome) counted as work or studies
FATES = {
    "ws": lambda o: o in WORK_OR_STUDIES,
    "other": lambda o: o not in WORK_OR_STUDIES,
    "studies": lambda o: o == "studies",
    "work": lambda o: o == "work",
    "not_studies": lambda o: o != "studies",
}
GAP_DAYS = 14  # days between one enrolment's end and the next one's start: 1..14


@dataclass
class Population:
    """The drawn records. Rows are dicts of model field values; references are by list index
    (``person``, ``enrolment``) or code (``codes``: (list, code))."""

    as_of: dt.date
    persons: list[dict] = field(default_factory=list)
    enrolments: list[dict] = field(default_factory=list)
    participations: list[dict] = field(default_factory=list)
    assessments: list[dict] = field(default_factory=list)
    plans: list[dict] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    outreach: list[dict] = field(default_factory=list)
    survey_answers: list[dict] = field(default_factory=list)
    courses: list[dict] = field(default_factory=list)  # register rows (education.py): no records model
    education_followups: list[dict] = field(default_factory=list)


@dataclass
class Taken:
    """What must stay unique across the shards of one population (a shard starts where the last
    one stopped): identity numbers (birth date ordinal * 1000 + serial, plus COORDINATION_KEY for a
    coordination number), the decision-reference
    counter and the place numbers."""

    numbers: set[int] = field(default_factory=set)
    full: set[int] = field(default_factory=set)  # birth date ordinal * 1000 + parity: every serial taken
    decisions: int = 0
    places: int = 0


MAX_SERIAL_TRIES = 2_000  # random draws before the free serials of a nearly full birth date are searched in order
COORDINATION_KEY = 10**9  # Taken.numbers of coordination numbers: above every ordinal * 1000 + serial


class Drawer:
    def __init__(
        self,
        cfg: SynthConfig,
        years: list[int],
        seed: int,
        codes,
        home: str,
        today: dt.date,
        taken: Taken | None = None,
    ):
        self.cfg, self.s = cfg, cfg.settings
        self.counted = set(years)
        self.rng = random.Random(seed)
        # the work history told at enrolment: a stream of its own, so that every other draw (and every
        # published figure) is the same with or without it
        self.work_rng = random.Random(f"{seed}:last-work")
        self.codes, self.home, self.today = codes, home, today
        self.as_of = dt.date(years[-1] + 1, 6, 30)
        if self.as_of > today:
            raise ValueError(
                f"the last year must be over and six months past (data as of {self.as_of}); today is {today}"
            )
        self.pop = Population(self.as_of)
        self.taken = taken if taken is not None else Taken()
        self.outcome = {
            c: (self.codes[("exit_reason", c)].rules or {}).get("outcome", "other")
            for (lst, c) in codes
            if lst == "exit_reason"
        }

    # -- small draws -------------------------------------------------------------------------
    def pick(self, weights: dict):
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def day_between(self, lo: dt.date, hi: dt.date) -> dt.date:
        return lo + dt.timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    def start_in(self, lo: dt.date, hi: dt.date) -> dt.date:
        """A start date in [lo, hi], months weighted by the seasonal pattern."""
        months = self.s["start_months"]
        for _ in range(20):
            y = self.rng.randint(lo.year, hi.year)
            m = self.rng.choices(range(1, 13), weights=months)[0]
            day = dt.date(y, m, self.rng.randint(1, calendar.monthrange(y, m)[1]))
            if lo <= day <= hi:
                return day
        return self.day_between(lo, hi)

    def duration(self, group: str) -> int:
        d = self.s["durations"][group]
        days = d["median"] * math.exp(self.rng.gauss(0, d["sigma"]))
        return int(min(d["max"], max(d["min"], days)))

    # -- windows -----------------------------------------------------------------------------
    def start_window(self, seg: Segment) -> tuple[dt.date, dt.date]:
        lo = dt.date(seg.first, 1, 1) if seg.first - 1 in self.counted else dt.date(seg.first - 1, 1, 1)
        return lo, dt.date(seg.first, 12, 31)

    def end_window(self, seg: Segment) -> tuple[dt.date, dt.date | None]:
        """None as the upper end: may run past the counted years (open if past as_of)."""
        if seg.fate == "open":
            return dt.date(seg.last + 1, 1, 1), None
        hi = dt.date(seg.last, 12, 31) if seg.last + 1 in self.counted or seg.fate else None
        return dt.date(seg.last, 1, 1), hi

    def end_for(self, seg: Segment, start: dt.date) -> dt.date | None:
        lo, hi = self.end_window(seg)
        lo = max(lo, start)
        for _ in range(30):
            end = start + dt.timedelta(days=self.duration(seg.group))
            if lo <= end and (hi is None or end <= hi):
                break
        else:
            end = self.day_between(lo, hi or lo + dt.timedelta(days=self.s["durations"][seg.group]["median"]))
        return None if end > self.as_of else end

    # -- a chain: dates, then the person ------------------------------------------------------
    def chain_dates(self, chain: Chain) -> list[tuple[dt.date, dt.date | None]]:
        segs = chain.segments
        if len(segs) == 1:
            start = self.start_in(*self.start_window(segs[0]))
            return [(start, self.end_for(segs[0], start))]
        first, second = segs
        lo2, hi2 = self.start_window(second)
        e_lo, e_hi = self.end_window(first)
        lo2 = max(lo2, e_lo + dt.timedelta(days=GAP_DAYS + 1))
        s_lo, s_hi = self.start_window(first)
        for _ in range(30):
            start2 = self.start_in(lo2, hi2)
            end1 = start2 - dt.timedelta(days=self.rng.randint(1, GAP_DAYS))
            start1 = end1 - dt.timedelta(days=self.duration(first.group))
            if s_lo <= start1 <= min(s_hi, end1):
                break
        else:
            start1 = self.day_between(s_lo, min(s_hi, end1))
        return [(start1, end1), (start2, self.end_for(second, start2))]

    def birth_date(self, chain: Chain, dates) -> dt.date:
        segs = chain.segments
        groups = [s.group for s in segs]
        birthday = (self.s.get("birthday_moves") or {}).get(">".join(groups))
        if birthday is not None:  # turns ``birthday`` between the two enrolments (synth.yaml birthday_moves)
            (s1, e1), (s2, _) = dates
            day = self.day_between(e1 + dt.timedelta(days=1), s2)
            return _years_before(day, birthday)
        young = {s.young for s in segs if s.young is not None}
        last_age = self.s.get("exit_age_max") or {}  # a group's enrolment ends by this age (synth.yaml)
        ranges = [
            r
            for r in self.s["ages"][groups[0]]  # where calibrated: the ages that can be (not) 18-29 at the exit
            if not young or (r[0] <= 29 and r[1] >= 17 if True in young else r[0] <= 17 or r[1] >= 29)
        ]
        for _ in range(200):
            lo, hi, _w = self.rng.choices(ranges, weights=[r[2] for r in ranges])[0]
            age = self.rng.randint(lo, hi)
            start = dates[0][0]
            birth = _years_before(start, age + 1) + dt.timedelta(days=self.rng.randint(1, 365))
            if birth > _years_before(start, age):
                birth = _years_before(start, age)
            if (
                all(self._plausible_age(g, birth, d[0]) for g, d in zip(groups, dates))
                and all(
                    (18 <= rules.age_on(birth, d[1]) <= 29) == s.young
                    for s, d in zip(segs, dates)
                    if s.young is not None
                )
                and all(
                    rules.age_on(birth, d[1]) <= last_age[s.group]
                    for s, d in zip(segs, dates)
                    if s.group in last_age and d[1]
                )
            ):
                return birth
        raise AssertionError(f"no birth date fits {groups} at {dates}")

    def _plausible_age(self, group: str, birth: dt.date, start: dt.date) -> bool:
        ranges = self.s["ages"][group]
        return min(r[0] for r in ranges) <= rules.age_on(birth, start) <= max(r[1] for r in ranges)

    def birth_of_age(self, age: int, on: dt.date) -> dt.date:
        """A birth date drawn evenly among those of people exactly ``age`` years old on ``on`` (no date
        is favoured: at large scales a favoured date runs out of identity-number serials)."""
        first, last = _years_before(on, age + 1), _years_before(on, age)
        return first + dt.timedelta(days=self.rng.randint(1, (last - first).days))

    def identity(self, birth: dt.date, sex: str) -> str:
        """A unique identity number: a personal identity number with a random free serial (the last
        digit odd for men, even for women), or, when all 500 serials of the birth date and sex are
        taken (only at scales far beyond a real city), a coordination number (day + 60), as the Tax
        Agency gives people who are not registered."""
        day = birth.toordinal() * 1000
        parity = 1 if sex == "man" else 0
        full = day + parity in self.taken.full
        for _ in range(0 if full else MAX_SERIAL_TRIES):
            serial = self.rng.randrange(0, 1000, 2) + parity
            if serial >= 1000 or day + serial in self.taken.numbers:
                continue
            self.taken.numbers.add(day + serial)
            return make_number(birth, serial)
        for coordination, key in ((False, day), (True, day + COORDINATION_KEY)):  # the rest, in order
            for serial in range(parity, 1000, 2):
                if key + serial not in self.taken.numbers:
                    self.taken.numbers.add(key + serial)
                    return make_number(birth, serial, coordination=coordination)
            self.taken.full.add(day + parity)  # no random draws for this date and sex any more
        raise ValueError(f"no identity number left for a {sex} born {birth}: every serial is taken (scale too large)")

    def person(self, chain: Chain, dates) -> int:
        first = chain.segments[0].group
        birth = self.birth_date(chain, dates)
        sex = chain.sex
        abroad = self.rng.random() < self.s["born_abroad"][first]
        arrival = None
        if abroad:
            age = rules.age_on(birth, dates[0][0])
            arrival = min(dates[0][0].year, birth.year + int(self.rng.triangular(0, age, min(18, age))))
        education = self.s["education"].get(first, self.s["education"]["default"])
        pin = self.identity(birth, sex)
        names = self.s["persons"]
        self.pop.persons.append(
            {
                "pin": pin,
                "pin_hash": lookup_hash(pin),
                "first_name": self.rng.choice(names["first"][sex]),
                "last_name": self.rng.choice(names["last"]),
                "birth_date": birth,
                "sex": sex,
                "municipality": self.home,
                "address": f"{self.rng.choice(names['streets'])} {self.rng.randint(1, 120)}, {names['city']}",
                "education_level": ("education_level", self.pick(education)),
                "born_abroad": abroad,
                "arrival_year": arrival,
                "protected_identity": self.rng.random() < self.s["protected_identity_share"],
            }
        )
        return len(self.pop.persons) - 1

    # -- the records of one enrolment ---------------------------------------------------------
    def enrolment(self, person: int, seg: Segment, start: dt.date, end: dt.date | None, moves_on: bool) -> int:
        g = seg.group
        route = self.pick(self.s["entry_routes"][g])
        district = self.pick({k: v[0] for k, v in self.s["districts"].items()})
        office = self.s["group_offices"].get(g) or self.s["districts"][district][1]
        needs_decision = any(
            (self.codes[k].rules or {}).get("requires_decision") for k in (("target_group", g), ("entry_route", route))
        )
        decision_ref, decision_date = "", None
        if needs_decision:
            self.taken.decisions += 1
            decision_date = start - dt.timedelta(days=self.rng.randint(0, 21))
            decision_ref = f"{self.s['decision_prefix']} {decision_date.year}-{self.taken.decisions:06d}"
        reason = None
        if end is not None:
            reason = self.s["move_exit_reason"] if moves_on else self.exit_reason(seg)
        p = self.pop.persons[person]
        row = {
            "person": person,
            "programme": ("programme", (self.s.get("group_programmes") or {}).get(g, self.cfg.programme)),
            "org_unit": office,
            "referring_unit": district,
            "referring_body": ("referring_body", self.pick(self.s["referring_bodies"][g])),
            "target_group": ("target_group", g),
            "entry_route": ("entry_route", route),
            "decision_reference": decision_ref,
            "decision_date": decision_date,
            "start_date": start,
            "end_date": end,
            "exit_reason": ("exit_reason", reason) if reason else None,
            **self.last_work(g, start),
        }
        problems = rules.check_enrolment(
            birth_date=p["birth_date"],
            municipality=p["municipality"],
            home_municipality=self.home,
            target_group=self.codes[row["target_group"]],
            entry_route=self.codes[row["entry_route"]],
            start_date=start,
            end_date=end,
            exit_reason=self.codes[row["exit_reason"]] if reason else None,
            decision_reference=decision_ref,
            decision_date=decision_date,
            today=self.today,
            last_worked=row["last_worked"],
            never_worked=row["never_worked"],
        )
        _refuse(problems, row)
        self.pop.enrolments.append(row)
        e = len(self.pop.enrolments) - 1
        self.casework(e, p, g, start, end)
        if end is not None and not moves_on:
            self.followups(e, self.outcome[reason], end)
        return e

    def last_work(self, group: str, start: dt.date) -> dict:
        """When the person last worked, as told at enrolment (synth.yaml ``last_work``): not asked,
        never, or the first day of a month some months before the start."""
        shares = self.s.get("last_work", {})
        shares = shares.get(group, shares.get("default"))
        if not shares:
            return {"last_worked": None, "never_worked": False}
        keys = list(shares)
        band = self.work_rng.choices(keys, weights=[shares[k] for k in keys])[0]
        if band in ("not_recorded", "never"):
            return {"last_worked": None, "never_worked": band == "never"}
        low, _, high = band.partition("-")
        months = self.work_rng.randint(int(low), int(high) if high else 120)
        index = start.year * 12 + start.month - 1 - months
        return {"last_worked": dt.date(index // 12, index % 12 + 1, 1), "never_worked": False}

    def exit_reason(self, seg: Segment) -> str:
        weights = self.s["exit_reasons"][seg.group]
        if seg.fate in FATES:  # calibrated: only the reasons of that outcome
            weights = {k: w for k, w in weights.items() if FATES[seg.fate](self.outcome[k])}
        return self.pick(weights)

    def casework(self, e: int, p: dict, g: str, start: dt.date, end: dt.date | None) -> None:
        last = min(end or self.as_of, self.as_of)
        wai = self.codes[("instrument", "wai")]
        if self.rng.random() < 0.9:
            score = min(10, max(0, round(self.rng.gauss(self.s["wai_mean"][g], 2))))
            self.assessment(e, wai, self.day_between(start, min(last, start + dt.timedelta(days=20))), score)
            if end is not None and (end - start).days > 90 and self.rng.random() < 0.5:
                self.assessment(e, wai, end, min(10, max(0, score + self.rng.choice([-1, 0, 1, 1, 2]))))
        self.pop.plans.append(
            {
                "enrolment": e,
                "date": self.day_between(start, min(last, start + dt.timedelta(days=30))),
                "goals": self.rng.choice(self.s["plans"]["goals"]),
                "steps": self.s["plans"]["steps"],
                "participant_involved": self.rng.random() < self.s["plan_involved_share"],
                "participant_view": "",
            }
        )
        self.measures(e, p, g, start, end, last)

    def assessment(self, e, instrument, day, score) -> None:
        _refuse(rules.check_assessment(instrument=instrument, score=score, date=day, today=self.today), day)
        self.pop.assessments.append({"enrolment": e, "instrument": ("instrument", "wai"), "date": day, "score": score})

    def measures(self, e: int, p: dict, g: str, start: dt.date, end: dt.date | None, last: dt.date) -> None:
        """1-3 measures drawn by the group's weights, under the rules of ``measure_rules`` (synth.yaml):
        ``born_abroad`` (else ``otherwise``), ``summer`` (starts in June, else ``otherwise``) and
        ``not_providers``; a group in ``group_measures`` always gets that measure first (on a place)."""
        taken = set()
        fixed = (self.s.get("group_measures") or {}).get(g)
        if fixed:
            s = min(last, start + dt.timedelta(days=self.rng.randint(0, 14)))
            self.participation(e, p, fixed["measure"], fixed["provider"], s, end)  # on a place: services.places
            taken.add((s, fixed["measure"]))
        special = self.s.get("measure_rules") or {}
        for k in range(1 + (self.rng.random() < 0.5) + (self.rng.random() < 0.2)):
            m = self.pick(self.s["measures"][g])
            # the first offer within 90 days of the start (every young person gets one)
            s = self.day_between(start, min(last, start + dt.timedelta(days=90 if k == 0 else 120)))
            rule = special.get(m) or {}
            if rule.get("born_abroad") and not p["born_abroad"]:
                m = rule["otherwise"]
            elif rule.get("summer"):
                summer = dt.date(s.year, 6, self.rng.randint(10, 30))
                if start <= summer <= (
                    min(last, start + dt.timedelta(days=90)) if k == 0 else last
                ) and not self.participation_problems(e, p, m, summer, None):
                    s = summer
                else:
                    m = rule["otherwise"]
            if (s, m) in taken:
                continue
            taken.add((s, m))
            lo, hi = self.s["measure_days"][m]
            stop = s + dt.timedelta(days=self.rng.randint(lo, hi))
            if end is not None:
                stop = min(stop, end)
            providers = self.s["providers"]
            if (special.get(m) or {}).get("not_providers"):  # e.g. no summer jobs in the own units
                providers = {k: w for k, w in providers.items() if k not in special[m]["not_providers"]}
            self.participation(e, p, m, self.pick(providers), s, None if stop > self.as_of else stop)

    def participation_problems(self, e, p, measure, s, stop):
        enr = self.pop.enrolments[e]
        return rules.check_participation(
            measure=self.codes[("measure", measure)],
            programme=self.codes[enr["programme"]],
            birth_date=p["birth_date"],
            enrolment_start=enr["start_date"],
            enrolment_end=enr["end_date"],
            start_date=s,
            end_date=stop,
            today=self.today,
        )

    def participation(self, e, p, measure, provider, s, stop, place=None) -> None:
        _refuse(self.participation_problems(e, p, measure, s, stop), (measure, s))
        self.pop.participations.append(
            {
                "enrolment": e,
                "measure": ("measure", measure),
                "provider_type": ("provider_type", provider),
                "place": place,
                "start_date": s,
                "end_date": stop,
            }
        )

    def followups(self, e: int, outcome: str, end: dt.date) -> None:
        chance = self.s["followup"][outcome]
        for months in (3, 6):
            ref = add_months(end, months)
            if ref > self.as_of:
                continue
            _refuse(rules.check_followup(months=months, enrolment_end=end, reference_date=ref, today=self.today), ref)
            values = {k: self.rng.random() < v for k, v in chance.items()}
            if self.rng.random() < 0.04:  # not found in the registers
                values = {k: None for k in values}
            self.pop.followups.append(
                {"enrolment": e, "months": months, "reference_date": ref, "source": "register", **values}
            )

    def chain(self, chain: Chain, dates) -> None:
        person = self.person(chain, dates)
        for k, (seg, (start, end)) in enumerate(zip(chain.segments, dates)):
            self.enrolment(person, seg, start, end, moves_on=k + 1 < len(chain.segments))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _refuse(problems, what) -> None:
    if problems:
        raise AssertionError(f"generated record breaks a rule: {problems} ({what})")


def draw(
    cfg: SynthConfig,
    chains: list[Chain],
    years: list[int],
    seed: int,
    codes,
    home: str,
    today: dt.date | None = None,
    taken: Taken | None = None,
) -> Population:
    """One population for the planned ``chains``; ``taken`` carries what earlier shards used."""
    drawer = Drawer(cfg, years, seed, codes, home, today or dt.date.today(), taken)
    order = list(range(len(chains)))
    drawer.rng.shuffle(order)
    dates = {i: drawer.chain_dates(chains[i]) for i in order}
    fit_months(drawer, chains, dates)
    for i in order:
        drawer.chain(chains[i], dates[i])
    fit_followups(drawer)
    services.places(drawer, drawer.s.get("places") or {})
    services.outreach(drawer, drawer.s.get("outreach"))
    services.surveys(drawer, drawer.s.get("surveys") or {})
    drawer.pop.courses, drawer.pop.education_followups = education.draw(
        drawer, drawer.s.get("adult_education"), cfg.path
    )
    return drawer.pop


def fit_followups(drawer: Drawer) -> None:
    """Make the shares of ``followup_shares`` in synth.yaml exact: per year, the follow-ups (N months
    after the exit) of the exits in the twelve months ending ``lag`` months before the year's end.
    First how many are unknown (not found in the registers) is chosen near 4 % so that whole numbers
    meet every printed value, then as few known values as needed are turned."""
    pop = drawer.pop
    for name, spec in (drawer.s.get("followup_shares") or {}).items():
        field, months, group = spec["field"], spec["months"], spec.get("target_group")
        for year, printed in spec["values"].items():
            stop = add_months(dt.date(year + 1, 1, 1), -spec["lag_months"])
            start = add_months(stop, -12)
            members = {sex: [] for sex in ("woman", "man")}
            for f in pop.followups:
                e = pop.enrolments[f["enrolment"]]
                if (
                    f["months"] == months
                    and start <= e["end_date"] < stop
                    and (group is None or e["target_group"][1] == group)
                ):
                    members[pop.persons[e["person"]]["sex"]].append(f)
            sizes = _solve_shares({k: len(v) for k, v in members.items()}, printed, f"{drawer.cfg.path}: {name} {year}")
            for sex, (known, hits) in sizes.items():
                _set_followups(drawer, members[sex], known, hits, field)


def _in_printed(n: int, d: int, printed) -> bool:
    half = Fraction(1, 2 * 10 ** len(str(printed).partition(".")[2]))
    return d > 0 and Fraction(str(printed)) - half <= Fraction(100 * n, d) < Fraction(str(printed)) + half


def _solve_shares(sizes: dict[str, int], printed: dict, what: str) -> dict[str, tuple[int, int]]:
    """(known, hits) per sex: known as close to 96 % of the follow-ups as allows (at least 60 %), hits / known
    at the printed men, women and all values (those given). Two decimals fit few denominators: for
    about 300 follow-ups, 62,78 % only 223, 266, 309, 317, ..."""

    def options(sex):
        n, p = sizes[sex], printed.get({"woman": "women", "man": "men"}[sex])
        for known in sorted(range(max(int(0.6 * n), int(0.96 * n) - 300), n + 1), key=lambda k: abs(k - 0.96 * n)):
            if p is None:
                yield known, None
                continue
            centre = int(known * Fraction(str(p)) / 100)
            yield from (
                (known, h) for h in range(max(0, centre - 1), min(known, centre + 2) + 1) if _in_printed(h, known, p)
            )

    best = None
    men = list(options("man"))
    for w_known, w_hits in options("woman"):
        for m_known, m_hits in men:
            score = abs(w_known - 0.96 * sizes["woman"]) + abs(m_known - 0.96 * sizes["man"])
            if best and score >= best[0]:
                continue
            if w_hits is None or m_hits is None:  # only the whole is printed: share the hits by size
                total = w_known + m_known
                centre = int(total * Fraction(str(printed["all"])) / 100)
                hits = [
                    h
                    for h in range(max(0, centre - 1), min(total, centre + 2) + 1)
                    if _in_printed(h, total, printed["all"])
                ]
                if hits:
                    w = hits[0] * w_known // total
                    best = (score, {"woman": (w_known, w), "man": (m_known, hits[0] - w)})
            elif "all" not in printed or _in_printed(w_hits + m_hits, w_known + m_known, printed["all"]):
                best = (score, {"woman": (w_known, w_hits), "man": (m_known, m_hits)})
    if best is None:
        raise ValueError(f"{what}: no whole numbers of follow-ups meet {printed} ({sizes})")
    return best[1]


def _set_followups(drawer: Drawer, rows: list[dict], known: int, hits: int, field: str) -> None:
    """Exactly ``known`` of ``rows`` found in the registers, ``hits`` of them with ``field`` (or
    "working or studying") true; values drawn again only where needed."""
    rng = drawer.rng
    keys = ("working", "studying", "self_sufficient")

    def value(f):
        return f["working"] or f["studying"] if field == "working or studying" else f[field]

    unknown = [f for f in rows if f["self_sufficient"] is None]
    found = [f for f in rows if f["self_sufficient"] is not None]
    if len(found) > known:
        for f in rng.sample(found, len(found) - known):
            f.update(dict.fromkeys(keys))
    elif len(found) < known:
        for f in rng.sample(unknown, known - len(found)):
            e = drawer.pop.enrolments[f["enrolment"]]
            chance = drawer.s["followup"][drawer.outcome[e["exit_reason"][1]]]
            f.update({k: rng.random() < chance[k] for k in keys})
    found = [f for f in rows if f["self_sufficient"] is not None]
    yes = [f for f in found if value(f)]
    no = [f for f in found if not value(f)]
    if len(yes) > hits:
        for f in rng.sample(yes, len(yes) - hits):
            f.update({"working": False, "studying": False} if field == "working or studying" else {field: False})
    else:
        for f in rng.sample(no, hits - len(yes)):
            f.update({"working": True} if field == "working or studying" else {field: True})


MIN_DAYS = 14  # the shortest enrolment the fitting makes


def fit_months(drawer: Drawer, chains: list[Chain], dates: dict[int, list]) -> None:
    """Move start dates (never end dates, never out of the years an enrolment must cover) so that
    the mean enrolment time of the exits of a calibrated year, per sex and at 18-29 or not, is the
    one in ``enrolment_months`` of synth.yaml. Durations are stretched by one factor per cell, then
    single days settle the rest."""
    targets = drawer.s.get("enrolment_months") or {}
    cells: dict[tuple, list[tuple[int, int]]] = {}
    for i, c in enumerate(chains):
        for j, (seg, (start, end)) in enumerate(zip(c.segments, dates[i])):
            if end is not None and end.year in targets and seg.young is not None:
                cells.setdefault((end.year, c.sex, seg.young), []).append((i, j))
    for year, t in targets.items():
        for k, sex in enumerate(("woman", "man")):
            young, old = cells.get((year, sex, True), []), cells.get((year, sex, False), [])
            want_young = round(t["young"][k] * DAYS_PER_MONTH * len(young))
            want_all = round(t["all"][k] * DAYS_PER_MONTH * (len(young) + len(old)))
            for members, want in ((young, want_young), (old, want_all - want_young)):
                _fit(drawer, chains, dates, members, want, f"enrolment_months: {year} {sex}")


def _fit(drawer, chains, dates, members, want: int, what: str) -> None:
    def bounds(i, j):
        seg, (_, end) = chains[i].segments[j], dates[i][j]
        lo, hi = drawer.start_window(seg)
        if j > 0:
            lo = max(lo, dates[i][j - 1][1] + dt.timedelta(days=1))
        elif seg.first - 1 not in drawer.counted:  # may have begun up to three years before (not counted)
            lo = dt.date(seg.first - 3, 1, 1)
        lo = max(lo, min(hi, end - dt.timedelta(days=drawer.s["durations"][seg.group]["max"])))
        hi = min(hi, end - dt.timedelta(days=MIN_DAYS))
        return lo, max(lo, hi)

    def days(i, j):
        return (dates[i][j][1] - dates[i][j][0]).days

    def set_days(i, j, n, band=0):
        """Start ``n`` days before the end, inside the bounds; one beyond a bound lands within ``band``
        days of it (no heap of starts on one day)."""
        lo, hi = bounds(i, j)
        end = dates[i][j][1]
        start = end - dt.timedelta(days=n)
        if start < lo:
            start = lo + dt.timedelta(days=drawer.rng.randint(0, min(band, (hi - lo).days)))
        elif start > hi:
            start = hi - dt.timedelta(days=drawer.rng.randint(0, min(band, (hi - lo).days)))
        dates[i][j] = (start, end)

    for _ in range(5):  # the factor, again while clipping leaves much
        have = sum(days(i, j) for i, j in members)
        if not members or abs(want - have) < len(members):
            break
        f = want / max(have, 1)
        for i, j in members:
            set_days(i, j, round(days(i, j) * f), band=90)
    gap = want - sum(days(i, j) for i, j in members)
    step = 1 if gap > 0 else -1
    while gap:
        moved = False
        for i, j in members:
            if not gap:
                break
            before = days(i, j)
            set_days(i, j, before + step)
            if days(i, j) != before:
                gap -= step
                moved = True
        if not moved:
            raise ValueError(f"{drawer.cfg.path}: {what}: the mean cannot be met inside the years the enrolments cover")
