"""The synth settings of a profile (profiles/<name>/synth.yaml): targets and distributions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pestrack.records.codes.profile import LINE, ProfileError, _clean, _read, profile_dir

SEXES = ("woman", "man")


@dataclass(frozen=True)
class Row:
    label: str
    groups: tuple[str, ...]
    line: int | None  # line of the row in the source table, where it is a published one
    subset: bool
    values: dict[int, tuple[int, int, int]]  # year -> (women, men, total)


@dataclass
class SynthConfig:
    path: Path
    programme: str
    rows: list[Row]
    total: dict[int, tuple[int, int, int]]
    unique: dict[int, tuple[int, int, int]]
    settings: dict  # the distributions, as in the file

    @property
    def years(self) -> list[int]:
        return sorted(self.unique)

    def group_counts(self, year: int, sex: str) -> dict[str, int]:
        """Persons per target-group code in the year; a row of several codes gives the code that no
        other row counts alone (Övriga målgrupper minus its LSS subset = ovriga)."""
        i = SEXES.index(sex)
        out = {r.groups[0]: r.values[year][i] for r in self.rows if len(r.groups) == 1}
        for r in self.rows:
            rest = [g for g in r.groups if g not in out]
            if len(r.groups) > 1:
                if len(rest) != 1:
                    raise ProfileError(
                        f"{self.path}: row {r.label!r}: exactly one of its groups must have no row of its own"
                    )
                out[rest[0]] = r.values[year][i] - sum(out[g] for g in r.groups if g != rest[0])
        return out


def _need_programme(targets: dict, path: Path) -> str:
    if not targets.get("programme"):
        raise ProfileError(f"{path}:{targets[LINE]}: targets.programme (the programme the rows count) is missing")
    return str(targets["programme"])


def load(profile: str) -> SynthConfig:
    path = profile_dir(profile) / "synth.yaml"
    data = _read(path)
    t = data.get("targets") or {}
    if not t.get("rows"):
        raise ProfileError(f"{path}: 'targets.rows' is missing")

    def triple(item, year, what):
        v = item.get(year)
        if not (isinstance(v, list) and len(v) == 3 and all(isinstance(x, int) and x >= 0 for x in v)):
            raise ProfileError(f"{path}:{item[LINE]}: {what}: {year} must be [women, men, total]")
        return tuple(v)

    years = sorted(k for k in t["unique"] if isinstance(k, int))
    rows = [
        Row(
            r["label"],
            tuple(r["groups"]),
            r.get("line"),
            bool(r.get("subset")),
            {y: triple(r, y, r["label"]) for y in years},
        )
        for r in t["rows"]
    ]
    cfg = SynthConfig(
        path,
        _need_programme(t, path),
        rows,
        {y: triple(t["total_enrolled"], y, "total_enrolled") for y in years},
        {y: triple(t["unique"], y, "unique") for y in years},
        _clean({k: v for k, v in data.items() if k != "targets"}),
    )
    for y in years:  # the targets must agree with each other before anything is generated
        for sex in SEXES:
            if min(cfg.group_counts(y, sex).values()) < 0:
                raise ProfileError(f"{path}: {y} {sex}: a subset row is larger than its row")
        if sum(sum(cfg.group_counts(y, s).values()) for s in SEXES) != cfg.total[y][2]:
            raise ProfileError(
                f"{path}:{t['total_enrolled'][LINE]}: {y}: total_enrolled does not equal the sum of the group rows"
            )
        if cfg.unique[y][0] + cfg.unique[y][1] != cfg.unique[y][2]:
            raise ProfileError(f"{path}:{t['unique'][LINE]}: {y}: unique women + men != total")
    return cfg
