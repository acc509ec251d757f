"""Adult-education course results and their follow-ups (the register tables course_results and
education_followups), drawn to the published shares of ``adult_education`` in synth.yaml.

Planned, then drawn, like the enrolment records: for every calibrated cell (school form, year, sex)
the whole numbers are solved first (``solve_pairs``: the denominator near the size asked for, the
numerator so that men, women and all meet their printed values), then exactly that many rows are
drawn with those outcomes. Rows outside the calibrated cells (courses ending in the years before,
dropouts) are drawn freely. Persons are adult students with their own identity numbers (not
the programme's participants); a row keeps ``pin`` and ``birth_date``, and the writers turn them into the
register columns (``person_key`` or ``identity_number``, ``age_band``).
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

from pestrack.records.casework import rules

SEXES = ("woman", "man")
PRINTED = {"woman": "women", "man": "men"}
GRADES_PASS = "ABCDE"
CODES = {
    "sfi": ["SFIKURSB", "SFIKURSC", "SFIKURSD"],
    "grundlaggande": ["GRNSVE2", "GRNMAT2", "GRNENG2", "GRNSVA2"],
    "hogskoleforberedande": ["SVESVE01", "MATMAT02b", "ENGENG06", "SAMSAM01b", "NAKNAK01b"],
    "yrkes": ["VÅRVÅR0", "BARBAR0", "LAGLAG0", "ELLELL0", "RESRES0", "FORFOR0"],
    "kombination": ["KOMB-VÅRD", "KOMB-BARN", "KOMB-LAGER", "KOMB-KÖK"],
    "yh": ["YH-IT", "YH-REDOV", "YH-BYGG", "YH-VÅRD", "YH-LOG"],
}


def printed_bounds(printed: str) -> tuple[Fraction, Fraction]:
    """The shares in percent that print as ``printed`` (its decimals): 75.02 is [75.015, 75.025)."""
    half = Fraction(1, 2 * 10 ** len(printed.partition(".")[2]))
    return Fraction(printed) - half, Fraction(printed) + half


def first_hit(d: int, bounds: tuple[Fraction, Fraction]) -> int | None:
    """The smallest numerator over ``d`` inside ``bounds``, or None."""
    lo, hi = bounds
    h = math.ceil(lo * d / 100)
    return h if 0 <= h <= d and Fraction(100 * h, d) < hi else None


def solve_pairs(near: dict[str, int], printed: dict, what: str) -> dict[str, tuple[int, int]]:
    """(denominator, numerator) per sex: denominators as near ``near`` as allows, numerators so that the
    printed women, men and all values (those given) are met. Raises ValueError naming ``what``."""
    bounds = {k: printed_bounds(str(v)) for k, v in printed.items()}

    def options(sex):
        b = bounds.get(PRINTED[sex])
        out = []
        for d in sorted(
            range(max(1, int(0.8 * near[sex])), int(1.2 * near[sex]) + 2), key=lambda d: abs(d - near[sex])
        ):
            h = None if b is None else first_hit(d, b)
            if b is None or h is not None:
                out.append((d, h))
            if len(out) >= 400:
                break
        return out

    men = options("man")
    best = None
    for w_d, w_h in options("woman"):
        for m_d, m_h in men:
            score = abs(w_d - near["woman"]) + abs(m_d - near["man"])
            if best and score >= best[0]:
                break
            if w_h is None or m_h is None:  # only all is printed: share the hits by size
                h = first_hit(w_d + m_d, bounds["all"])
                if h is not None:
                    w = h * w_d // (w_d + m_d)
                    best = (score, {"woman": (w_d, w), "man": (m_d, h - w)})
            elif "all" not in bounds or (lambda lo, hi: lo <= Fraction(100 * (w_h + m_h), w_d + m_d) < hi)(
                *bounds["all"]
            ):
                best = (score, {"woman": (w_d, w_h), "man": (m_d, m_h)})
    if best is None:
        raise ValueError(f"{what}: no whole numbers near {near} meet {printed}")
    return best[1]


class Education:
    """Draws the course results and follow-ups of one shard with the drawer's random stream and
    identity numbers (unique across shards)."""

    def __init__(self, drawer, spec: dict, path):
        self.d, self.rng, self.spec, self.path = drawer, drawer.rng, spec, path
        self.as_of = drawer.as_of
        self.courses: list[dict] = []
        self.followups: list[dict] = []
        self.students: dict[tuple[str, int, str], list[dict]] = {}  # (form, end year, sex) -> persons

    # -- persons -------------------------------------------------------------------------------
    def new_person(self, sex: str, ages: list, on: dt.date) -> dict:
        """A student of an age drawn from ``ages`` on ``on``. At large scales the serials of a birth date
        may all be taken: another birth date of the same age is drawn then."""
        for _ in range(50):
            lo, hi, _ = self.rng.choices(ages, weights=[a[2] for a in ages])[0]
            age = self.rng.randint(lo, hi)
            birth = self.d.birth_of_age(age, on)
            try:
                return {"sex": sex, "birth_date": birth, "pin": self.d.identity(birth, sex)}
            except ValueError:
                continue
        raise ValueError(f"{self.path}: no identity number left for a {sex} student aged {ages} (scale too large)")

    def person(self, form: str, year: int, sex: str, ages: list, on: dt.date, share_new: float) -> dict:
        """A student of the form: most often one already taking a course of it that year (komvux
        students take several), else a new one."""
        pool = self.students.setdefault((form, year, sex), [])
        if pool and self.rng.random() > share_new:
            return self.rng.choice(pool)
        p = self.new_person(sex, ages, on)
        pool.append(p)
        return p

    # -- dates ---------------------------------------------------------------------------------
    def end_in(self, year: int, lo: dt.date | None = None) -> dt.date:
        """A course end in ``year`` (after ``lo``), most often at a term's end (June, December)."""
        first = max(dt.date(year, 1, 10), lo or dt.date(year, 1, 10))
        last = min(dt.date(year, 12, 22), self.as_of)
        for _ in range(20):
            if self.rng.random() < 0.5:
                term = dt.date(year, 6, 10) if self.rng.random() < 0.5 else dt.date(year, 12, 15)
                day = term + dt.timedelta(days=self.rng.randint(-10, 7))
            else:
                day = first + dt.timedelta(days=self.rng.randint(0, max(0, (last - first).days)))
            if first <= day <= last:
                return day
        return last

    # -- one row ---------------------------------------------------------------------------------
    def course(
        self,
        form: str,
        orientation: str | None,
        cfg: dict,
        year: int,
        sex: str,
        *,
        completed: bool,
        passed: bool,
        within: bool | None = None,
        beginner: bool = False,
        person: dict | None = None,
        after: dt.date | None = None,
    ) -> dict:
        days_lo, days_hi = cfg["days"]
        planned_days = self.rng.randint(days_lo, days_hi)
        if within is None:
            within = passed and self.rng.random() < cfg.get("within_share", 0.8)
        # the end first (it places the row in its year), then the planned end and the start
        for _ in range(50):
            end = self.end_in(year, (after + dt.timedelta(days=planned_days + 20)) if after else None)
            if not completed:  # dropped out before the planned end
                planned_end = end + dt.timedelta(days=self.rng.randint(14, max(15, planned_days // 2)))
            elif within:
                planned_end = end + dt.timedelta(days=self.rng.randint(0, 10))
            else:
                planned_end = end - dt.timedelta(days=self.rng.randint(7, 60))
            start = planned_end - dt.timedelta(days=planned_days)
            if (after is None or start > after) and (not beginner or start.year == year) and start < end:
                break
        else:
            raise AssertionError(f"{self.path}: no course dates fit {form} {year} after {after}")
        p = person or self.person(form, year, sex, cfg["ages"], start, cfg.get("new_student_share", 0.5))
        code_list = CODES[orientation or form]
        exam = passed if form == "yh" else None
        grade = None
        if completed and form != "yh":
            grade = self.rng.choice(GRADES_PASS) if passed else "F"
        row = {
            "pin": p["pin"],
            "birth_date": p["birth_date"],
            "sex": sex,
            "school_form": form,
            "orientation": orientation,
            "course_code": self.rng.choice(code_list),
            "provider": self.rng.choice(self.spec["providers"]),
            "start_date": start,
            "planned_end_date": planned_end,
            "end_date": end,
            "completed": completed,
            "grade": grade,
            "passed": (passed if completed or form == "yh" else None),
            "within_planned_time": bool(passed and within),
            "sfi_beginner": beginner,
            "passed_within_two_years": None,
            "exam": exam,
        }
        if beginner:  # one course to the next level; a later one never changes this (see sfi())
            two_years = _plus_years(start, 2)
            row["passed_within_two_years"] = True if passed else (False if two_years <= self.as_of else None)
        _plausible(row, cfg, self.path)
        self.courses.append(row)
        return row

    # -- the cells -------------------------------------------------------------------------------
    def draw(self) -> None:
        for key, cfg in self.spec["forms"].items():
            form, _, orientation = key.partition("/")
            for year in cfg["years"]:
                self.cell(form, orientation or None, cfg, year)
        for f in self.spec.get("followups", []):
            self.followup_cells(f)

    def cell(self, form: str, orientation: str | None, cfg: dict, year: int) -> None:
        printed = (cfg.get("passed") or {}).get(year)
        near = dict(zip(SEXES, cfg["completed"]))
        what = f"{self.path}: adult_education: {form}{'/' + orientation if orientation else ''} {year}"
        if printed:
            pairs = solve_pairs(near, {k: str(v) for k, v in printed.items()}, what)
        else:  # not calibrated: drawn at the form's usual pass share
            pairs = {s: (n, sum(self.rng.random() < cfg["pass_share"] for _ in range(n))) for s, n in near.items()}
        rows = []
        for sex, (n, hits) in pairs.items():
            outcomes = [True] * hits + [False] * (n - hits)
            self.rng.shuffle(outcomes)
            dropouts = round(n * cfg["dropout_share"])
            if form == "sfi":
                rows += self.sfi(cfg, year, sex, outcomes, dropouts)
                continue
            for ok in outcomes:
                rows.append(self.course(form, orientation, cfg, year, sex, completed=True, passed=ok))
            for _ in range(dropouts):
                if form == "yh":  # an yh dropout is an ended programme without the exam: in the denominator
                    continue
                rows.append(self.course(form, orientation, cfg, year, sex, completed=False, passed=False))
        within = cfg.get("within_planned_time", {}).get(year)
        if within:
            self.set_within(rows, str(within), what)
        beginners = cfg.get("beginners_passed_within_two_years", {}).get(year + 2)
        if beginners:
            self.set_beginners(year, cfg, str(beginners), what)

    def sfi(self, cfg: dict, year: int, sex: str, outcomes: list[bool], dropouts: int) -> list[dict]:
        """sfi courses ending in ``year``: beginners (a new person's first course, starting in the year),
        and courses of persons who passed the level before (continuing from their course of an
        earlier year, or from before the years drawn)."""
        rows = []
        earlier = [
            r
            for r in self.courses
            if r["school_form"] == "sfi"
            and r["sex"] == sex
            and r["passed"]
            and r["end_date"].year == year - 1
            and not r.get("_continued")
        ]
        self.rng.shuffle(earlier)
        for k, (completed, ok) in enumerate([(True, o) for o in outcomes] + [(False, False)] * dropouts):
            if self.rng.random() < cfg["beginner_share"]:
                p = self.new_person(sex, cfg["ages"], dt.date(year, 6, 1))
                rows.append(
                    self.course("sfi", None, cfg, year, sex, completed=completed, passed=ok, beginner=True, person=p)
                )
            elif earlier and self.rng.random() < 0.6:
                prev = earlier.pop()
                prev["_continued"] = True
                rows.append(
                    self.course(
                        "sfi",
                        None,
                        cfg,
                        year,
                        sex,
                        completed=completed,
                        passed=ok,
                        person={"pin": prev["pin"], "birth_date": prev["birth_date"]},
                        after=prev["end_date"],
                    )
                )
            else:
                p = self.new_person(sex, cfg["ages"], dt.date(year, 6, 1))
                rows.append(self.course("sfi", None, cfg, year, sex, completed=completed, passed=ok, person=p))
        return rows

    def set_within(self, rows: list[dict], printed: str, what: str) -> None:
        """Exactly the number of the rows (all ending in the year) passed by the planned end that
        meets ``printed``: the planned end of the others moves before the end."""
        n = len(rows)
        hit = first_hit(n, printed_bounds(printed))
        passed = [r for r in rows if r["passed"]]
        if hit is None or hit > len(passed):
            raise ValueError(f"{what}: within_planned_time {printed} cannot be met ({len(passed)} passed of {n})")
        self.rng.shuffle(passed)
        for k, r in enumerate(passed):
            late = k >= hit
            if late == r["within_planned_time"]:
                r["planned_end_date"] = (
                    r["end_date"] - dt.timedelta(days=self.rng.randint(7, 60))
                    if late
                    else r["end_date"] + dt.timedelta(days=self.rng.randint(0, 10))
                )
                r["within_planned_time"] = not late

    def set_beginners(self, year: int, cfg: dict, printed: str, what: str) -> None:
        """The beginners who started in ``year`` (their first course ends in it too) passed within two
        years in exactly the share ``printed``: beginners who passed beyond that number dropped out
        instead, or, when too few passed, failed or dropped-out ones passed."""
        rows = [
            r for r in self.courses if r["school_form"] == "sfi" and r["sfi_beginner"] and r["start_date"].year == year
        ]
        n = len(rows)
        hit = first_hit(n, printed_bounds(printed))
        if hit is None:
            raise ValueError(f"{what}: beginners_passed_within_two_years {printed} cannot be met with {n} beginners")
        yes = [r for r in rows if r["passed"]]
        self.rng.shuffle(yes)
        for r in yes[hit:]:  # dropped out: the planned end lies after the last day
            r.update(
                completed=False,
                grade=None,
                passed=None,
                within_planned_time=False,
                passed_within_two_years=False,
                planned_end_date=r["end_date"] + dt.timedelta(days=self.rng.randint(14, 90)),
            )
        others = [r for r in rows if not r["passed"]]
        self.rng.shuffle(others)
        for r in others[: max(0, hit - len(yes))]:
            r.update(
                completed=True,
                passed=True,
                grade=self.rng.choice(GRADES_PASS),
                passed_within_two_years=True,
                within_planned_time=r["end_date"] <= r["planned_end_date"],
            )

    def followup_cells(self, f: dict) -> None:
        """The follow-ups ``months`` after the end of passed courses (yh: with the exam) of a form ending
        in the twelve months that end ``lag_months`` before each year's end: exactly the solved number
        per sex, that many working as printed; a few more not found (working unknown)."""
        for year, printed in f["values"].items():
            stop = _first_of_month(year + 1, 1 - f["lag_months"])
            start = _first_of_month(stop.year - 1, stop.month)
            what = f"{self.path}: adult_education: followups {f['school_form']} {f['months']} months {year}"
            pool = {s: [] for s in SEXES}
            seen = set()
            for r in self.courses:
                if (
                    r["school_form"] == f["school_form"]
                    and r["orientation"] == f.get("orientation")
                    and r["passed"]
                    and start <= r["end_date"] < stop
                    and r["pin"] not in seen
                ):
                    seen.add(r["pin"])
                    pool[r["sex"]].append(r)
            pairs = solve_pairs(dict(zip(SEXES, f["near"])), {k: str(v) for k, v in printed.items()}, what)
            for sex, (n, hits) in pairs.items():
                if n > len(pool[sex]):
                    raise ValueError(
                        f"{what}: {n} {sex} follow-ups asked, {len(pool[sex])} courses ended in the window"
                    )
                chosen = self.rng.sample(pool[sex], min(len(pool[sex]), n + n // 20))
                working = [True] * hits + [False] * (n - hits) + [None] * (len(chosen) - n)
                self.rng.shuffle(working)
                for r, w in zip(chosen, working):
                    ref = _add_months(r["end_date"], f["months"])
                    if ref > self.as_of:
                        raise ValueError(f"{what}: a follow-up on {ref} would be after {self.as_of}")
                    self.followups.append(
                        {
                            "pin": r["pin"],
                            "sex": sex,
                            "school_form": r["school_form"],
                            "orientation": r["orientation"],
                            "end_date": r["end_date"],
                            "months": f["months"],
                            "working": w,
                            "studying": None if w is None else (not w and self.rng.random() < 0.4),
                            "source": "scb" if w is not None else "survey",
                        }
                    )


def _plausible(row: dict, cfg: dict, path) -> None:
    """No course before its student could take it (a student continuing for some years may be a few
    years over the ages drawn), none that ends before it starts."""
    age = rules.age_on(row["birth_date"], row["start_date"])
    low, high = min(a[0] for a in cfg["ages"]), max(a[1] for a in cfg["ages"])
    if not (
        low - 2 <= age <= high + 4
        and row["start_date"] < row["end_date"]
        and row["start_date"] < row["planned_end_date"]
    ):
        raise AssertionError(
            f"{path}: implausible course {row['school_form']} at {age} ({row['start_date']}–{row['end_date']})"
        )


def _first_of_month(year: int, month: int) -> dt.date:
    y, m = divmod(year * 12 + month - 1, 12)
    return dt.date(y, m + 1, 1)


def _add_months(day: dt.date, months: int) -> dt.date:
    from pestrack.analytics.placements import add_months

    return add_months(day, months)


def _plus_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def draw(drawer, spec: dict | None, path) -> tuple[list[dict], list[dict]]:
    """(course rows, follow-up rows) of one shard; nothing when synth.yaml has no ``adult_education``."""
    if not spec:
        return [], []
    e = Education(drawer, spec, path)
    e.draw()
    for r in e.courses:
        r.pop("_continued", None)
    return e.courses, e.followups
