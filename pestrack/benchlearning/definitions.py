"""The shared indicator set (profiles/_shared/benchlearning.yaml) and a profile's mapping of it
(profiles/NAME/benchlearning.yaml), read into indicator definitions of the indicator engine.

A mapped indicator is an ordinary definition (docs/indicators.md) whose id, name, unit and
direction come from the shared set: it is checked by the indicator loader's own reader, so a
mapping naming an unknown column or code fails with the mapping file's line, as a definition does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pestrack.indicators.catalogue import load_catalogue, profile_path, profiles_dir
from pestrack.indicators.definitions import KEYS, LINE, DefinitionErrors, Indicator, _Reader, read_yaml

SHARED_FILE = "benchlearning.yaml"
MAPPING_FILE = "benchlearning.yaml"
MAPPED_FIELDS = {"population", "where", "measure", "period", "window", "breakdowns"}
CONTEXT = ("unemployment_rate", "population", "born_abroad_share")
PRECISION = 1


@dataclass(frozen=True)
class Shared:
    """One indicator of the shared set."""

    id: str
    name: dict[str, str]
    definition: str
    definition_sv: str
    direction: str
    breakdowns: tuple[str, ...]
    source: str = ""
    kolada: bool = False


@dataclass
class SharedSet:
    version: str
    indicators: list[Shared]
    path: Path

    def get(self, indicator_id: str) -> Shared | None:
        return next((s for s in self.indicators if s.id == indicator_id), None)


@dataclass
class Mapping:
    """A profile's mapping: the PES, its context, what it computes and what it cannot (and why)."""

    profile: str
    path: Path
    shared: SharedSet
    pes: dict
    context: dict[int, dict[str, float]]
    kolada: dict
    indicators: list[Indicator] = field(default_factory=list)
    not_computable: dict[str, str] = field(default_factory=dict)
    dimensions: dict[str, dict[str, str]] = field(default_factory=dict)  # indicator -> column -> shared dimension
    synthetic: dict = field(default_factory=dict)  # the codes `benchlearning synth` writes (benchlearning/synth.py)


def _clean(value):
    """A YAML value without the loader's line bookkeeping."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in (LINE, KEYS)}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def shared_path() -> Path:
    return profiles_dir() / "_shared" / SHARED_FILE


def load_shared(path: Path | None = None) -> SharedSet:
    path = Path(path or shared_path())
    data = read_yaml(path)
    errors: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("definitions_version"), str):
        raise DefinitionErrors([f"{path}:1: needs definitions_version (a text) and indicators (a list)"])
    out = []
    for item in data.get("indicators") or []:
        line = item.get(LINE, "?") if isinstance(item, dict) else "?"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            errors.append(f"{path}:{line}: each shared indicator needs an id")
            continue
        name = item.get("name") or {}
        if not all(isinstance(name.get(k), str) for k in ("sv", "en")):
            errors.append(f"{path}:{line}: shared indicator {item['id']}: name needs sv and en")
        if item.get("direction") not in ("higher", "lower"):
            errors.append(f"{path}:{line}: shared indicator {item['id']}: direction must be higher or lower")
        out.append(
            Shared(
                id=item["id"],
                name=_clean(name),
                definition=" ".join(str(item.get("definition") or "").split()),
                definition_sv=" ".join(str(item.get("definition_sv") or "").split()),
                direction=item.get("direction", "higher"),
                breakdowns=tuple(item.get("breakdowns") or ()),
                source=str(item.get("source") or ""),
                kolada=bool(item.get("kolada")),
            )
        )
    ids = [s.id for s in out]
    errors += [f"{path}: shared indicator {i} is defined twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    if errors:
        raise DefinitionErrors(errors)
    return SharedSet(data["definitions_version"], out, path)


def load_mapping(profile: str | Path | None = None, shared: SharedSet | None = None) -> Mapping:
    """The profile's mapping (None: the configured profile's), every indicator checked; raises
    DefinitionErrors listing every problem as ``file:line: indicator ID: what is wrong``."""
    shared = shared or load_shared()
    root = profile_path(profile)
    path = root / MAPPING_FILE
    if not path.exists():
        raise DefinitionErrors([f"{path}: the profile has no benchlearning mapping"])
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise DefinitionErrors([f"{path}:1: a mapping file holds pes, context, kolada and indicators"])
    errors: list[str] = []
    pes = _clean(data.get("pes") or {})
    if not isinstance(pes.get("id"), str) or not isinstance(pes.get("name"), str):
        errors.append(f"{path}:{data.get(KEYS, {}).get('pes', 1)}: pes needs an id and a name")
    context = {}
    for year, values in (data.get("context") or {}).items():
        if year in (LINE, KEYS):
            continue
        line = data["context"][KEYS].get(year)
        values = _clean(values) if isinstance(values, dict) else None
        if not isinstance(year, int) or values is None or set(values) - set(CONTEXT):
            errors.append(f"{path}:{line}: context: {year!r} must map a year to {', '.join(CONTEXT)}")
            continue
        context[year] = {k: float(v) for k, v in values.items()}
    mapping = Mapping(root.name, path, shared, pes, context, _clean(data.get("kolada") or {"kpis": {}}))
    mapping.synthetic = _clean(data.get("synthetic") or {})
    catalogue = load_catalogue(root)
    items = data.get("indicators") or {}
    for key in items:
        if key not in (LINE, KEYS) and shared.get(key) is None:
            errors.append(f"{path}:{items[KEYS][key]}: indicator {key}: not in the shared set ({shared.path})")
    for ind in shared.indicators:
        item = items.get(ind.id)
        if not isinstance(item, dict):
            errors.append(
                f"{path}:{data.get(KEYS, {}).get('indicators', 1)}: indicator {ind.id}: neither mapped nor "
                "declared not_computable (with the reason)"
            )
            continue
        if "not_computable" in item:
            reason = " ".join(str(item["not_computable"] or "").split())
            if not reason or set(item) - {LINE, KEYS, "not_computable"}:
                errors.append(
                    f"{path}:{item[LINE]}: indicator {ind.id}: not_computable takes a reason and nothing else"
                )
            mapping.not_computable[ind.id] = reason
            continue
        errors += _read_one(ind, item, path, catalogue, mapping)
    if errors:
        raise DefinitionErrors(errors)
    return mapping


def _read_one(ind: Shared, item: dict, path: Path, catalogue, mapping: Mapping) -> list[str]:
    errors = [
        f"{path}:{item[KEYS][k]}: indicator {ind.id}: unknown field {k!r} (fields: "
        f"{', '.join(sorted(MAPPED_FIELDS | {'not_computable'}))})"
        for k in item
        if k not in (LINE, KEYS) and k not in MAPPED_FIELDS
    ]
    dims = item.get("breakdowns") or {}
    columns: dict[str, str] = {}
    if not isinstance(dims, dict):
        errors.append(
            f"{path}:{item[KEYS]['breakdowns']}: indicator {ind.id}: breakdowns map a shared dimension to a column"
        )
    else:
        for dim, column in dims.items():
            if dim in (LINE, KEYS):
                continue
            if dim not in ind.breakdowns:
                errors.append(
                    f"{path}:{dims[KEYS][dim]}: indicator {ind.id}: {dim!r} is not a breakdown of the shared "
                    f"indicator ({', '.join(ind.breakdowns) or 'none'})"
                )
            columns[str(column)] = dim
    definition = {k: v for k, v in item.items() if k in MAPPED_FIELDS or k in (LINE, KEYS)}
    definition.update(
        id=ind.id, name=ind.name, unit="percent", direction=ind.direction, precision=PRECISION,
        breakdowns=list(columns),
    )  # fmt: skip
    reader = _Reader(path, definition, catalogue, [])
    found = reader.read()
    errors += reader.errors
    if found and not errors:
        if found.measure is None or found.measure.kind != "share":
            errors.append(f"{path}:{item[LINE]}: indicator {ind.id}: a benchlearning indicator is a share")
        else:
            mapping.indicators.append(found)
            mapping.dimensions[ind.id] = columns
    return errors
