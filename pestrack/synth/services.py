"""Places provided, outreach contacts and survey answers of a drawn shard, to the published counts
of ``places``, ``outreach`` and ``surveys`` in synth.yaml.

Places: the positions of the places of a kind whose first day is in a year add up to the published
number. The places of a kind with ``taken_by`` (a measure) are used in turn: each participation in
that measure takes a position that is free on its start day (its last holder has left) on a place
opened by then, preferring the newest places; when none is free, a place opened in the year before
the counted years is added (not counted). So in Stockholm's profile 440 places opened in 2023 serve
the 1 063 persons in its city-job group that year together with older places.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

SEXES = ("woman", "man")


def _positions(rng, total: int, most: int) -> list[int]:
    """Places of 1..``most`` positions adding up to ``total``."""
    out = []
    while total > 0:
        n = min(total, rng.randint(1, most))
        out.append(n)
        total -= n
    return out


def _day(rng, year: int, months: tuple[int, int] = (1, 12)) -> dt.date:
    first = dt.date(year, months[0], 1)
    last = dt.date(year + (months[1] == 12), months[1] % 12 + 1, 1) - dt.timedelta(days=1)
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def places(drawer, spec: dict) -> None:
    """The places of every kind in ``spec`` (kind -> {year: positions, ...}), then the participations
    in the measure of a kind's ``taken_by`` on them."""
    rng, pop = drawer.rng, drawer.pop
    employers = list(drawer.s["districts"])
    for kind, k in spec.items():
        for year, total in k["positions"].items():
            for n in _positions(rng, total, k["most"]):
                start = _day(rng, year, tuple(k.get("months", (1, 12))))
                drawer.taken.places += 1
                pop.places.append(
                    {
                        "title": f"{k['title']} {drawer.taken.places:07d}",
                        "kind": kind,
                        "positions": n,
                        "start_date": start,
                        "end_date": (start + dt.timedelta(days=k["days"])) if k.get("days") else None,
                        "employer": rng.choice(employers),
                    }
                )
    for kind, k in spec.items():
        if k.get("taken_by"):
            _use_places(drawer, kind, k)


def _use_places(drawer, kind: str, k: dict) -> None:
    rng, pop = drawer.rng, drawer.pop
    free: dict[int, list[dt.date]] = {
        i: [dt.date.min] * p["positions"] for i, p in enumerate(pop.places) if p["kind"] == kind
    }  # place -> the day each position is free from
    older = min(drawer.counted) - 1
    for r in sorted(
        (r for r in pop.participations if r["measure"] == ("measure", k["taken_by"])), key=lambda r: r["start_date"]
    ):
        s = r["start_date"]
        open_ = [i for i, days in free.items() if pop.places[i]["start_date"] <= s and min(days) <= s]
        if open_:
            i = max(open_, key=lambda i: (pop.places[i]["start_date"], i))
        else:  # an older place, opened before the counted years (not counted)
            drawer.taken.places += 1
            pop.places.append(
                {
                    "title": f"{k['title']} {drawer.taken.places:07d}",
                    "kind": kind,
                    "positions": rng.randint(1, k["most"]),
                    "start_date": min(s, _day(rng, older)),
                    "end_date": None,
                    "employer": rng.choice(list(drawer.s["districts"])),
                }
            )
            i = len(pop.places) - 1
            free[i] = [dt.date.min] * pop.places[i]["positions"]
        days = free[i]
        j = days.index(min(days))
        days[j] = r["end_date"] + dt.timedelta(days=1) if r["end_date"] else dt.date.max
        r["place"] = i


def outreach(drawer, spec: dict | None) -> None:
    """Outreach contacts: per year exactly the published number of level-2 contacts with young people
    of 20-29 by sex (``young_level_2``: [women, men]) in ``target_group``, and the other contacts
    (level 1, other ages) around them (``others`` per year). None: no outreach."""
    if not spec:
        return
    rng, pop = drawer.rng, drawer.pop
    outcomes = spec["outcomes"]
    for year, y in spec["years"].items():
        for sex, n in zip(SEXES, y["young_level_2"]):
            for _ in range(n):
                pop.outreach.append(
                    {
                        "date": _day(rng, year),
                        "org_unit": spec["org_unit"],
                        "target_group": spec["target_group"],
                        "sex": sex,
                        "age_band": rng.choice(["20-24", "25-29"]),
                        "level": 2,
                        "outcome": rng.choices(list(outcomes), weights=list(outcomes.values()))[0],
                    }
                )
        for _ in range(y["others"]):
            level = rng.choice([1, 1, 2])
            band = rng.choice(["20-24", "25-29"] if level == 1 else ["16-19", "30-39"])
            pop.outreach.append(
                {
                    "date": _day(rng, year),
                    "org_unit": spec["org_unit"],
                    "target_group": None,
                    "sex": rng.choice(["woman", "man", ""]),
                    "age_band": band,
                    "level": level,
                    "outcome": "" if level == 1 else spec["others_outcome"],
                }
            )


def _hit(n: int, printed: str) -> int:
    half = Fraction(1, 2 * 10 ** len(printed.partition(".")[2]))
    lo, hi = Fraction(printed) - half, Fraction(printed) + half
    h = math.ceil(lo * n / 100)
    if Fraction(100 * h, n) >= hi:
        raise ValueError(f"no whole number of {n} answers gives {printed} %")
    return h


def surveys(drawer, spec: dict) -> None:
    """Survey answers: a share of answers 4-5 (``share``) or a mean (``mean``) exactly as printed,
    per year. Linked surveys (``linked``) are answered by participants of the targets' programme
    enrolled on the day."""
    rng, pop = drawer.rng, drawer.pop
    for name, s in spec.items():
        for year, printed in s["values"].items():
            n = s["answers"]
            if "share" in s:  # n answers, exactly h of them 4 or 5
                h = _hit(n, str(printed))
                values = [rng.choice([4, 5]) for _ in range(h)] + [rng.choice([1, 2, 3]) for _ in range(n - h)]
            else:  # the values add up to the printed mean times n (whole, within the printed precision)
                want = round(Fraction(str(printed)) * n)
                values = [min(5, max(1, round(rng.gauss(float(printed), 0.8)))) for _ in range(n)]
                while sum(values) != want:
                    k = rng.randrange(n)
                    step = 1 if sum(values) < want else -1
                    if 1 <= values[k] + step <= 5:
                        values[k] += step
            rng.shuffle(values)
            open_ = []
            if s.get("linked"):
                open_ = [
                    i
                    for i, e in enumerate(pop.enrolments)
                    if e["programme"] == ("programme", drawer.cfg.programme)
                    and e["start_date"] <= dt.date(year, 12, 31)
                    and (e["end_date"] is None or e["end_date"] >= dt.date(year, 1, 1))
                ]
            for v in values:
                row = {
                    "survey": s["survey"],
                    "question": s["question"],
                    "value": v,
                    "enrolment": None,
                    "org_unit": s.get("org_unit"),
                    "date": _day(rng, year, tuple(s.get("months", (1, 12)))),
                }
                if open_:
                    i = rng.choice(open_)
                    e = pop.enrolments[i]
                    lo = max(e["start_date"], dt.date(year, 1, 1))
                    hi = min(e["end_date"] or dt.date(year, 12, 31), dt.date(year, 12, 31), drawer.as_of)
                    row.update(
                        enrolment=i, org_unit=e["org_unit"], date=lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))
                    )
                pop.survey_answers.append(row)
