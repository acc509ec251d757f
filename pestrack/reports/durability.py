"""The annual report's section on the durability of work after an exit (docs/reports.md,
"Durability of work after an exit"): of the participants who left for work, the share in work 3, 6,
12, 24 and 36 months after the exit, in total, for women and men and by measure, from the
employers' communications (contract events, docs/lmi.md), not from the follow-ups; beside it the
comparison of a measure's exits with a matched group as ``pestrack lmi compare`` stored it.

``reports`` never imports ``lmi`` (tests/test_layers.py). The caller (cli, web) hands ``gather`` the
two lmi functions that compute the shares and read the stored comparison; what reaches the report is
plain data, a ``Given``. ``publish`` passes it through the disclosure step of every aggregate output
(``indicators/disclosure.py``) and gives the ``Section`` every writer prints (HTML, PDF, XLSX, CSV).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pestrack.indicators.compile import TOTAL
from pestrack.indicators.compute import Result
from pestrack.indicators.disclosure import disclose, primary, published
from pestrack.indicators.periods import Period
from pestrack.reports.formatting import cell, count, number
from pestrack.reports.lmi import coverage

BREAKDOWNS = ("total", "sex", "measure")  # what the report prints of lmi.durability's breakdowns
SEXES = ("woman", "man")  # women first, as the report's tables
NO_MEASURE = "(none)"  # lmi.durability: an exit whose enrolment had no measure
SOURCE = "contract_events"  # the CSV's source column (beside "computed")
# Why the section has no figures (the report then says "no data" and why)
MISSING = ("no_events", "not_covered", "no_pes_tables", "no_exits")

TEXT: dict[str, dict[str, Any]] = {
    "sv": {
        "title": "Varaktighet i arbete efter avslut till arbete",
        "intro": "Av de deltagare som avslutades till arbete: andelen som hade en anställning 3, 6, 12, 24 och 36 "
        "månader efter avslutet, enligt arbetsgivarnas anmälningar av anställningar och avslut "
        "(kontraktshändelser), inte enligt uppföljningarna. Ett avslut räknas vid en tidpunkt bara när den "
        "ligger på eller före kunskapsdagen, och bara avslut från och med {first}, den första dag "
        "kontraktshändelserna omfattar. Insatsen är inskrivningens sista insats.",
        "known_on": "Kunskapsdag: {day}. Siffrorna bygger på det som var känt den dagen; anmälningar som kommit in "
        "eller rättats senare ändrar dem inte.",
        "source": "Källa: kontraktshändelser (arbetsgivarnas anmälningar av anställningar och avslut), pestrack lmi.",
        "group": "Grupp",
        "exits": "{months} mån: avslut",
        "share": "{months} mån: andel i arbete",
        "total": "Alla avslut till arbete",
        "sex": {"woman": "Kvinnor", "man": "Män"},
        "measure": "Insats: {name}",
        "no_measure": "Utan insats",
        "csv_share": "Andel i arbete {months} mån efter avslut till arbete",
        "csv_exits": "Avslut till arbete som följts {months} mån",
        "csv_known": "känt {day}",
        "compared": "Varar arbetet längre efter insatsen? Jämförelse med en matchad grupp",
        "compared_cols": [
            "Insats",
            "Avslut till arbete, deltagare",
            "Andel i arbete {months} mån, deltagare",
            "Andel i arbete {months} mån, matchad jämförelsegrupp",
            "Skillnad (procentenheter)",
            "95 % konfidensintervall",
        ],
        "compared_note": "Andelen i arbete {months} månader efter avslutet bland deltagare i insatsen som avslutades "
        "till arbete och i en jämförelsegrupp av avslut till arbete utan insatsen, matchad på kön, ålder, "
        "utbildning, född utomlands och målgrupp (propensity score matching, pestrack evaluate). Beräknad "
        "{computed} med pestrack lmi compare utifrån det som var känt {day}. Ett intervall som inte omfattar 0 "
        "tyder på en skillnad; matchningen på registrerade egenskaper utesluter inte skillnader i sådant som "
        "inte registrerats.",
        "compared_other_day": "Jämförelsen avser kunskapsdagen {day}, inte {report_day} som andelarna ovan.",
        "compared_all_exits": "Jämförelsen räknar också avslut före {first}, då anställningar ännu inte anmäldes, "
        "och underskattar därför andelarna i arbete; kör pestrack lmi compare igen.",
        "compared_other_exits": "Jämförelsen räknar avslut från och med {day}, andelarna ovan från och med {first}.",
        "compared_none": "Ingen jämförelse med en matchad grupp har beräknats för dessa uppgifter "
        "(pestrack lmi compare).",
        "csv_compared": "Jämförelse {months} mån, {name}: {what}",
        "csv_compared_what": [
            "avslut till arbete, deltagare",
            "andel i arbete, deltagare",
            "andel i arbete, matchad grupp",
            "skillnad (procentenheter)",
            "95 % konfidensintervall",
        ],
        "no_data": "uppgift saknas",
        "missing": {
            "no_events": "det finns inga kontraktshändelser",
            "not_covered": "kontraktshändelserna börjar först efter perioden",
            "no_pes_tables": "verksamhetens tabeller över avslut, insatser och inskrivningar saknas",
            "no_exits": "inget avslut till arbete kan ännu följas tre månader i kontraktshändelserna",
        },
    },
    "en": {
        "title": "Durability of work after an exit to work",
        "intro": "Of the participants who left for work: the share holding a position 3, 6, 12, 24 and 36 months "
        "after the exit, from the employers' communications of hires and terminations (contract events), not "
        "from the follow-ups. An exit counts at a horizon only when that date is on or before the knowledge "
        "date, and only exits from {first}, the first day the contract events cover. The measure is the "
        "enrolment's last measure.",
        "known_on": "Knowledge date: {day}. The figures rest on what was known that day; communications received "
        "or corrected later do not change them.",
        "source": "Source: contract events (employers' communications of hires and terminations), pestrack lmi.",
        "group": "Group",
        "exits": "{months} months: exits",
        "share": "{months} months: share in work",
        "total": "All exits to work",
        "sex": {"woman": "Women", "man": "Men"},
        "measure": "Measure: {name}",
        "no_measure": "Without a measure",
        "csv_share": "Share in work {months} months after an exit to work",
        "csv_exits": "Exits to work followed for {months} months",
        "csv_known": "known {day}",
        "compared": "Does work last longer after the measure? A comparison with a matched group",
        "compared_cols": [
            "Measure",
            "Exits to work, participants",
            "Share in work at {months} months, participants",
            "Share in work at {months} months, matched comparison group",
            "Difference (percentage points)",
            "95 % confidence interval",
        ],
        "compared_note": "The share in work {months} months after the exit among the measure's participants who "
        "left for work and in a comparison group of exits to work without the measure, matched on sex, age, "
        "education, born abroad and target group (propensity-score matching, pestrack evaluate). Computed on "
        "{computed} by pestrack lmi compare from what was known on {day}. An interval that does not include 0 "
        "suggests a difference; matching on recorded characteristics does not rule out differences in what "
        "was not recorded.",
        "compared_other_day": "The comparison is as known on {day}, not on {report_day} as the shares above.",
        "compared_all_exits": "The comparison also counts exits before {first}, when hires were not yet "
        "communicated, and so understates the shares in work; run pestrack lmi compare again.",
        "compared_other_exits": "The comparison counts exits from {day}, the shares above from {first}.",
        "compared_none": "No comparison with a matched group has been computed for these data (pestrack lmi compare).",
        "csv_compared": "Comparison {months} months, {name}: {what}",
        "csv_compared_what": [
            "exits to work, participants",
            "share in work, participants",
            "share in work, matched group",
            "difference (percentage points)",
            "95 % confidence interval",
        ],
        "no_data": "no data",
        "missing": {
            "no_events": "there are no contract events",
            "not_covered": "the contract events begin after the period",
            "no_pes_tables": "the PES tables of exits, participations and enrolments are missing",
            "no_exits": "no exit to work can yet be followed for three months in the contract events",
        },
    },
}


@dataclass(frozen=True)
class Share:
    """One share of ``lmi.durability.durability``: of ``exits`` to work (in ``breakdown`` category
    ``value``) followed ``horizon`` months, ``employed`` held a position then."""

    horizon: int
    breakdown: str  # total, sex or measure
    value: str | None
    exits: int
    employed: int


@dataclass(frozen=True)
class Given:
    """What the caller hands the report, as plain data: the shares as known on ``known_on`` for the
    exits from ``exits_from`` on, the comparison as ``lmi.durability.stored_comparisons`` gives it
    (knowledge_date, computed_at, horizon, comparisons: measure, treated, matched, difference, low,
    high, n_treated, n_control), or why there are no figures (``missing``: one of MISSING)."""

    known_on: dt.date | None = None
    exits_from: dt.date | None = None
    shares: tuple[Share, ...] = ()
    comparison: dict | None = None
    missing: str | None = None


def gather(
    period: Period,
    contracts: Path,
    participants: Path,
    shares_of: Callable[[Path, Path, dt.date, dt.date], Iterable[Any]],
    stored_of: Callable[[Path], dict | None],
) -> Given:
    """The durability for the report of ``period`` from the contract events in ``contracts`` linked to
    the PES tables in ``participants``: as known on the period's last day (or the last day the events
    cover, if earlier), for the exits from the first day they cover. ``shares_of`` is
    ``lmi.durability.durability`` (data, participants, known_on, exits_from), ``stored_of``
    ``lmi.durability.stored_comparisons``: the caller passes them, as reports does not import lmi."""
    contracts = Path(contracts)
    covers = coverage(contracts) if contracts.is_dir() else None
    if covers is None or not (contracts / "positions.parquet").exists():
        return Given(missing="no_events")
    first, last = covers
    known_on = min(period.end, last)
    if known_on < first:
        return Given(missing="not_covered")
    try:
        shares = tuple(
            Share(int(s.horizon), s.breakdown, s.value, int(s.exits), int(s.employed))
            for s in shares_of(contracts, Path(participants), known_on, first)
            if s.breakdown in BREAKDOWNS
        )
    except FileNotFoundError:  # lmi.durability.MissingTable: exits, participations or enrolments
        return Given(known_on, first, missing="no_pes_tables")
    if not any(s.exits for s in shares if s.breakdown == "total"):
        return Given(known_on, first, missing="no_exits")
    return Given(known_on, first, shares, stored_of(contracts))


@dataclass(frozen=True)
class Cell:
    exits: int | str  # a count, or its disclosure marker (<N, ..)
    share: float | str | None  # percent, its marker, or None: no exit to work followed that long


@dataclass(frozen=True)
class Group:
    breakdown: str  # total, sex or measure
    value: str | None
    label: dict[str, str]  # sv, en
    cells: dict[int, Cell]  # by horizon


@dataclass(frozen=True)
class Compared:
    measure: str
    label: dict[str, str]  # the measure's name, sv and en
    exits: int | str  # exits to work of the participants (in common support), or a marker
    treated: float | str
    matched: float | str
    difference: float | str
    low: float | str
    high: float | str


@dataclass(frozen=True)
class Section:
    """The section as published: every count and share through the disclosure step."""

    known_on: dt.date | None = None
    exits_from: dt.date | None = None
    horizons: tuple[int, ...] = ()
    groups: tuple[Group, ...] = ()
    compared: tuple[Compared, ...] = ()
    compared_horizon: int | None = None
    compared_known_on: dt.date | None = None
    compared_at: dt.datetime | None = None
    compared_exits_from: dt.date | None = None  # None: the stored comparison counted every exit
    missing: str | None = None
    below: int = 0

    # -- as printed ------------------------------------------------------------------------------

    def header(self, lang: str) -> list[str]:
        """The table's column headings after the group: per horizon its exits and its share."""
        t = TEXT[lang]
        return [t[c].format(months=h) for h in self.horizons for c in ("exits", "share")]

    def printed_rows(self, lang: str) -> list[tuple[Group, list[str]]]:
        return [(g, [c for h in self.horizons for c in _printed(g.cells[h], lang)]) for g in self.groups]

    def compared_header(self, lang: str) -> list[str]:
        """The comparison table's column headings, the measure's first."""
        return [c.format(months=self.compared_horizon) for c in TEXT[lang]["compared_cols"]]

    def compared_rows(self, lang: str) -> list[tuple[Compared, list[str]]]:
        """Per compared measure its printed cells after the measure's name."""

        def pp(v) -> str:
            return v if isinstance(v, str) else number(v, 1, lang)

        def pct(v) -> str:
            return v if isinstance(v, str) else cell(v, "percent", 1, lang)

        return [
            (
                c,
                [
                    _count(c.exits, lang),
                    pct(c.treated),
                    pct(c.matched),
                    pp(c.difference),
                    c.low if isinstance(c.low, str) else f"{pp(c.low)} – {pp(c.high)}",
                ],
            )
            for c in self.compared
        ]

    def notes(self, lang: str) -> list[str]:
        """The definition, the knowledge date and the source (printed under the title)."""
        t = TEXT[lang]
        assert self.known_on is not None and self.exits_from is not None  # a section with figures
        return [
            t["intro"].format(first=self.exits_from.isoformat()),
            t["known_on"].format(day=self.known_on.isoformat()),
            t["source"],
        ]

    def compared_notes(self, lang: str) -> list[str]:
        """What the comparison is, when it was computed and as known on which day (or that none was)."""
        t = TEXT[lang]
        if self.compared_known_on is None:
            return [t["compared_none"]]
        assert self.compared_at is not None and self.known_on is not None
        out = [
            t["compared_note"].format(
                months=self.compared_horizon,
                computed=self.compared_at.date().isoformat(),
                day=self.compared_known_on.isoformat(),
            )
        ]
        if self.compared_known_on != self.known_on:
            out.append(
                t["compared_other_day"].format(
                    day=self.compared_known_on.isoformat(), report_day=self.known_on.isoformat()
                )
            )
        assert self.exits_from is not None
        if self.compared_exits_from is None:
            out.append(t["compared_all_exits"].format(first=self.exits_from.isoformat()))
        elif self.compared_exits_from != self.exits_from:
            out.append(
                t["compared_other_exits"].format(
                    day=self.compared_exits_from.isoformat(), first=self.exits_from.isoformat()
                )
            )
        return out

    def missing_line(self, lang: str) -> str:
        """ "Uppgift saknas: …" when the section has no figures, else ""."""
        if not self.missing:
            return ""
        t = TEXT[lang]
        return f"{t['no_data'][0].upper()}{t['no_data'][1:]}: {t['missing'][self.missing]}."

    def csv_rows(self, lang: str) -> list[tuple[str, str, str, str]]:
        """(indicator, outcome, outcome_men, outcome_women) rows for the report's CSV: per horizon the
        share in work and the exits followed, in total with women and men, then per measure; then the
        comparison's figures per measure. One row "no data" when the section has no figures."""
        t = TEXT[lang]
        if self.missing:
            return [(t["title"], t["no_data"], "", "")]
        assert self.known_on is not None
        known = t["csv_known"].format(day=self.known_on.isoformat())
        by = {(g.breakdown, g.value): g for g in self.groups}
        whole = [by.get((TOTAL, None)), by.get(("sex", "man")), by.get(("sex", "woman"))]  # the CSV's order
        out: list[tuple[str, str, str, str]] = []
        for h in self.horizons:
            for key, what in ((1, "csv_share"), (0, "csv_exits")):
                name = f"{t[what].format(months=h)}, {known}"
                total, men, women = (_printed(g.cells[h], lang)[key] if g else "" for g in whole)
                out.append((name, total, men, women))
                out += [
                    (f"{name}: {g.label[lang]}", _printed(g.cells[h], lang)[key], "", "")
                    for g in self.groups
                    if g.breakdown == "measure"
                ]
        for c, cells in self.compared_rows(lang):
            for what, value in zip(t["csv_compared_what"], cells):
                assert self.compared_known_on is not None
                name = t["csv_compared"].format(months=self.compared_horizon, name=c.label[lang], what=what)
                out.append((f"{name}, {t['csv_known'].format(day=self.compared_known_on.isoformat())}", value, "", ""))
        return out


def _count(v, lang: str) -> str:
    return v if isinstance(v, str) else count(v, lang)


def _printed(c: Cell, lang: str) -> tuple[str, str]:
    """A cell's exits and share as printed: ``1 063``, ``62,5 %``; a marker as it is; – for a share
    of no exits."""
    if c.share is None:
        return _count(c.exits, lang), "–"
    share = c.share if isinstance(c.share, str) else cell(c.share, "percent", 1, lang)
    return _count(c.exits, lang), share


def measure_names(profile: str | Path | None) -> dict[str, dict[str, str]]:
    """The profile's measures by code, in the code list's order: {code: {sv, en}}."""
    from pestrack.records.codes.profile import read_profile

    return {
        c["code"]: {"sv": c["name_sv"], "en": c.get("name_en") or c["name_sv"]}
        for c in read_profile(None if profile is None else str(profile)).codes.get("measure", [])
    }


def _measure(value: str | None, names: dict[str, dict[str, str]]) -> dict[str, str]:
    """A measure's name in each language (the code when the profile does not know it)."""
    return {lang: names.get(value or "", {}).get(lang, value or "") for lang in TEXT}


def _label(breakdown: str, value: str | None, names: dict[str, dict[str, str]]) -> dict[str, str]:
    """A row's label in each language: all exits, women or men, ``Insats: Matchning``, ``Utan insats``."""
    if breakdown == "measure" and value == NO_MEASURE:
        return {lang: t["no_measure"] for lang, t in TEXT.items()}
    if breakdown == "measure":
        return {lang: TEXT[lang]["measure"].format(name=name) for lang, name in _measure(value, names).items()}
    if breakdown == "sex":
        return {lang: t["sex"].get(value, value or "") for lang, t in TEXT.items()}
    return {lang: t["total"] for lang, t in TEXT.items()}


def publish(given: Given, below: int = 0, names: dict[str, dict[str, str]] | None = None) -> Section:
    """The section as it may be published: the exits and shares of each horizon through the
    disclosure step of the report's other tables (``disclosure.disclose``: counts under ``below``
    shown as ``<N``, shares of fewer exits withheld as ``..``, and one more category of sex or of
    measure where one alone could be worked out from the total); a measure compared with a matched
    group is withheld when either group is smaller than ``below``. ``names``: the measures' names."""
    if given.missing:
        return Section(given.known_on, given.exits_from, missing=given.missing, below=below)
    names = names or {}
    horizons = tuple(sorted({s.horizon for s in given.shares}))
    results = []
    for s in given.shares:
        b = TOTAL if s.breakdown == "total" else s.breakdown
        results.append(Result(f"exits_{s.horizon}", "", b, s.value, s.exits, None, None))
        if s.exits:  # a share of no exits is no figure (and no category to protect)
            results.append(
                Result(f"share_{s.horizon}", "", b, s.value, 100 * s.employed / s.exits, s.employed, s.exits)
            )
    shown = {(r.indicator_id, r.breakdown, r.breakdown_value): published(r) for r in disclose(results, below)}
    order = list(names)
    keys = sorted(
        {(TOTAL if s.breakdown == "total" else s.breakdown, s.value) for s in given.shares},
        key=lambda k: (
            BREAKDOWNS.index(k[0]),
            SEXES.index(k[1]) if k[0] == "sex" and k[1] in SEXES else len(SEXES),
            order.index(k[1]) if k[1] in order else len(order) + (k[1] == NO_MEASURE),
            k[1] or "",
        ),
    )
    groups = tuple(
        Group(
            b,
            v,
            _label(b, v, names),
            {h: Cell(shown.get((f"exits_{h}", b, v), 0), shown.get((f"share_{h}", b, v))) for h in horizons},
        )
        for b, v in keys
    )
    section = Section(given.known_on, given.exits_from, horizons, groups, below=below)
    stored = given.comparison
    if not stored:
        return section
    return dataclasses.replace(
        section,
        compared=tuple(_compared(c, below, names) for c in stored.get("comparisons", [])),
        compared_horizon=int(stored["horizon"]),
        compared_known_on=dt.date.fromisoformat(stored["knowledge_date"]),
        compared_at=dt.datetime.fromisoformat(stored["computed_at"]),
        compared_exits_from=dt.date.fromisoformat(stored["exits_from"]) if stored.get("exits_from") else None,
    )


def _compared(c: dict, below: int, names: dict[str, dict[str, str]]) -> Compared:
    """One stored comparison as published: each group's share is a share of its exits
    (``disclosure.primary``: withheld when the group is smaller than ``below``)."""
    n_t, n_c = int(c["n_treated"]), int(c["n_control"])
    withheld_t = primary(Result("compared", "", TOTAL, None, c["treated"], None, n_t), below)
    withheld_m = primary(Result("compared", "", TOTAL, None, c["matched"], None, n_c), below)
    gone = withheld_t or withheld_m  # the difference and either share give the other away
    return Compared(
        c["measure"],
        _measure(c["measure"], names),
        primary(Result("compared", "", TOTAL, None, n_t, None, None), below) or n_t,
        withheld_t or c["treated"],
        withheld_m or c["matched"],
        gone or c["difference"],
        gone or c["low"],
        gone or c["high"],
    )
