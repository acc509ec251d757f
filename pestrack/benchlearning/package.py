"""Benchlearning packages: one zip of aggregates (no person) that a PES exports from its analytics
tables and its partners import (docs/benchlearning.md).

The zip holds ``manifest.json`` (format, definitions version, PES metadata and context, year,
suppression threshold, what could not be computed and why, the optional practice self-assessment,
the content hash and the optional Ed25519 signature) and ``values.csv`` (per indicator, the total
and each breakdown category: value, numerator, denominator, or its suppression marker). The hash
covers the manifest (without hash and signature) and values.csv byte for byte; the signature signs
the hash.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from pestrack.benchlearning.definitions import CONTEXT, Mapping, load_mapping, load_shared
from pestrack.indicators.compile import TOTAL
from pestrack.indicators.compute import Result, compute
from pestrack.indicators.disclosure import disclose, threshold
from pestrack.indicators.engines import DuckDBEngine
from pestrack.indicators.periods import period
from pestrack.records.spreadsheet import safe_row

FORMAT = "pestrack-benchlearning"
FORMAT_VERSION = 1
COLUMNS = ("indicator_id", "year", "breakdown", "breakdown_value", "value", "numerator", "denominator", "suppressed")
NOT_RECORDED = "(not recorded)"


class PackageRefused(ValueError):
    """A package that may not be compared, with the package and the reason."""

    def __init__(self, package: Path | str, reason: str):
        super().__init__(f"{package}: refused: {reason}")
        self.package, self.reason = str(package), reason


@dataclass
class Cell:
    indicator_id: str
    year: int
    breakdown: str
    breakdown_value: str | None
    value: float | None
    numerator: float | None
    denominator: float | None
    suppressed: str | None = None


@dataclass
class Package:
    path: Path
    manifest: dict
    cells: list[Cell]

    @property
    def pes_id(self) -> str:
        return self.manifest["pes"]["id"]

    @property
    def year(self) -> int:
        return int(self.manifest["year"])

    def total(self, indicator_id: str) -> Cell | None:
        return next((c for c in self.cells if c.indicator_id == indicator_id and c.breakdown == TOTAL), None)


def _number(v) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def read_practices(path: Path) -> dict[str, str]:
    """A self-assessment file (the short form, practice id -> status, or the full one that
    ``pestrack practices export`` and the practice pages write), read by the practice catalogue's one
    reader: practice id -> not_started, partly or in_place."""
    from pestrack.benchlearning.practices import read_assessment

    return {row.practice: row.status for row in read_assessment(path).rows}  # PracticeError is a ValueError


def compute_cells(mapping: Mapping, data: Path, year: int, below: int) -> tuple[list[Cell], dict[str, str]]:
    """The mapped indicators on the analytics tables of ``data`` for ``year``, through the indicator
    engine and the disclosure step; and the indicators not computed, with the reason."""
    missing: dict[str, str] = dict(mapping.not_computable)
    with DuckDBEngine(Path(data)) as engine:
        runnable = []
        for ind in mapping.indicators:
            if ind.population not in engine.tables:
                missing[ind.id] = f"the analytics folder has no {ind.population} table"
            else:
                runnable.append(ind)
        results = compute(runnable, engine, period(year))
    # the breakdowns under the shared dimension's name (age_band_at_start -> age_band)
    renamed = [
        Result(
            r.indicator_id,
            r.period,
            r.breakdown if r.breakdown == TOTAL else mapping.dimensions[r.indicator_id][r.breakdown],
            r.breakdown_value,
            r.value,
            r.numerator,
            r.denominator,
        )
        for r in results
    ]
    shown = disclose(
        renamed, below, shares={i.id for i in mapping.indicators if i.measure and i.measure.kind == "share"}
    )
    cells = [
        Cell(
            r.indicator_id,
            year,
            r.breakdown,
            (NOT_RECORDED if r.breakdown != TOTAL and r.breakdown_value is None else r.breakdown_value),
            r.value,
            r.numerator,
            r.denominator,
            r.suppressed,
        )
        for r in shown
    ]
    return cells, missing


def _values_csv(cells: list[Cell]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for c in cells:
        w.writerow(
            safe_row(
                [
                    c.indicator_id,
                    c.year,
                    c.breakdown,
                    c.breakdown_value or "",
                    _number(c.value),
                    _number(c.numerator),
                    _number(c.denominator),
                    c.suppressed or "",
                ]
            )
        )  # a package's CSV is opened in spreadsheets too
    return buf.getvalue().encode("utf-8")


def content_hash(manifest: dict, values: bytes) -> str:
    body = {k: v for k, v in manifest.items() if k not in ("content_sha256", "signature")}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    digest.update(b"\n")
    digest.update(values)
    return digest.hexdigest()


def export(
    profile: str | Path | None,
    data: Path,
    year: int,
    out: Path,
    *,
    network_below: int = 5,
    practices: Path | None = None,
    signing_key: Path | None = None,
    pes: dict | None = None,
    context: dict | None = None,
) -> Package:
    """Write the package of ``profile``'s PES for ``year`` to ``out`` (one zip). ``pes`` and
    ``context`` override the mapping's PES metadata and context (the synthetic network's PES share
    one profile). The threshold is the profile's or the network's, whichever is higher."""
    mapping = load_mapping(profile)
    below = max(threshold(profile), int(network_below))
    if below < 1:
        raise ValueError("a benchlearning package needs a suppression threshold of 1 or more")
    cells, missing = compute_cells(mapping, data, year, below)
    meta = {**mapping.pes, **(pes or {})}
    ctx = context if context is not None else mapping.context.get(year, {})
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "definitions_version": mapping.shared.version,
        "profile": mapping.profile,
        "pes": {
            "id": str(meta["id"]),
            "name": str(meta["name"]),
            "country": str(meta.get("country") or ""),
            "municipality": str(meta.get("municipality") or ""),
            "peer_group": str(meta.get("peer_group") or ""),
        },
        "context": {k: ctx.get(k) for k in CONTEXT},
        "year": int(year),
        "suppress_below": below,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "computed": sorted({c.indicator_id for c in cells}),
        "not_computable": dict(sorted(missing.items())),
        "practices": read_practices(practices) if practices else None,
    }
    values = _values_csv(cells)
    manifest["content_sha256"] = content_hash(manifest, values)
    if signing_key:
        manifest["signature"] = sign(manifest["content_sha256"], Path(signing_key))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True))
        z.writestr("values.csv", values)
    tmp.replace(out)
    return Package(out, manifest, cells)


# --- signatures (Ed25519, from the cryptography package) ---------------------------------------


def generate_key(out: Path) -> str:
    """Write a new Ed25519 private key (PEM) to ``out``; return its public key in hex."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    out = Path(out)
    out.write_bytes(pem)
    out.chmod(0o600)
    return public_hex(key)


def public_hex(key) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def sign(digest: str, key_file: Path) -> dict:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(Path(key_file).read_bytes(), password=None)
    return {"algorithm": "ed25519", "public_key": public_hex(key), "value": key.sign(digest.encode()).hex()}


def read_trusted_keys(path: Path | None) -> dict[str, str]:
    """The partner PES's public keys: a YAML mapping of PES id to public key (hex)."""
    if not path:
        return {}
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: trusted keys map a PES id to its Ed25519 public key (hex)")
    return {str(k): str(v) for k, v in data.items()}


def _verify_signature(name: str, manifest: dict, trusted: dict[str, str]) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    pes = manifest["pes"]["id"]
    signature = manifest.get("signature")
    if signature is None:
        if pes in trusted:
            raise PackageRefused(name, f"it is not signed, and PES {pes} has a trusted key")
        return
    if pes not in trusted:
        raise PackageRefused(name, f"it is signed, but there is no trusted key for PES {pes} to check it with")
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(trusted[pes]))
        key.verify(bytes.fromhex(signature.get("value", "")), manifest["content_sha256"].encode())
    except (InvalidSignature, ValueError):
        raise PackageRefused(name, f"the signature is wrong (not made with PES {pes}'s trusted key)") from None


# --- reading and checking ----------------------------------------------------------------------


def _float(text: str) -> float | None:
    return float(text) if text != "" else None


def read_package(
    path: Path, *, version: str | None = None, trusted: dict[str, str] | None = None, network_below: int = 5
) -> Package:
    """A package, checked: format, definitions version (the shared set's unless given), content
    hash, signature, and that no published cell is below the threshold. Raises PackageRefused."""
    path = Path(path)
    name = path.name
    try:
        with zipfile.ZipFile(path) as z:
            manifest = json.loads(z.read("manifest.json").decode("utf-8"))
            values = z.read("values.csv")
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError) as exc:
        raise PackageRefused(name, f"not a benchlearning package ({exc})") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise PackageRefused(name, f"not a {FORMAT} package of format version {FORMAT_VERSION}")
    expected = version or load_shared().version
    if manifest.get("definitions_version") != expected:
        raise PackageRefused(
            name,
            f"its definitions version is {manifest.get('definitions_version')!r}, this network's is {expected!r}",
        )
    if content_hash(manifest, values) != manifest.get("content_sha256"):
        raise PackageRefused(name, "its content hash does not match (the package was changed after export)")
    _verify_signature(name, manifest, trusted or {})
    cells = []
    for row in csv.DictReader(io.StringIO(values.decode("utf-8"))):
        cells.append(
            Cell(
                row["indicator_id"],
                int(row["year"]),
                row["breakdown"],
                row["breakdown_value"] or None,
                _float(row["value"]),
                _float(row["numerator"]),
                _float(row["denominator"]),
                row["suppressed"] or None,
            )
        )
    below = max(int(manifest.get("suppress_below") or 0), int(network_below))
    problem = disclosure_problem(cells, below)
    if problem:
        raise PackageRefused(name, problem)
    return Package(path, manifest, cells)


def _where(c: Cell) -> str:
    return "total" if c.breakdown == TOTAL else f"{c.breakdown}={c.breakdown_value}"


def disclosure_problem(cells: list[Cell], below: int) -> str | None:
    """Why these cells may not be published (a package's cells are shares), or None: a published
    denominator, numerator or complement (denominator - numerator) from 1 to ``below`` - 1; or
    withheld categories of a breakdown that the published total and other categories give away
    (a single one, or several that together are small)."""

    def small(n: float | None) -> bool:
        return n is not None and 0 < n < below

    for c in cells:
        if c.suppressed is not None or c.denominator is None:
            continue
        if c.denominator < below:
            return f"indicator {c.indicator_id} ({_where(c)}) has a cell of {int(c.denominator)}, below the threshold {below}"
        if c.numerator is not None:
            for what, n in (("numerator", c.numerator), ("complement", c.denominator - c.numerator)):
                if small(n):
                    return f"indicator {c.indicator_id} ({_where(c)}) has a {what} of {int(n)}, below the threshold {below}"
    totals = {(c.indicator_id, c.year): c for c in cells if c.breakdown == TOTAL}
    groups: dict[tuple, list[Cell]] = {}
    for c in cells:
        if c.breakdown != TOTAL:
            groups.setdefault((c.indicator_id, c.year, c.breakdown), []).append(c)
    for (ind, year, breakdown), members in groups.items():
        total = totals.get((ind, year))
        hidden = [c for c in members if c.suppressed]
        if not hidden or total is None or total.suppressed or total.denominator is None or total.numerator is None:
            continue
        shown = [c for c in members if not c.suppressed]
        den = total.denominator - sum(c.denominator or 0 for c in shown)
        num = total.numerator - sum(c.numerator or 0 for c in shown)
        if len(hidden) == 1 or small(den) or small(num) or small(den - num):
            return (
                f"indicator {ind} ({breakdown}): the withheld categories can be worked out from the total and the "
                "published categories"
            )
    return None


def store_path(store: Path, package: Package) -> Path:
    return Path(store) / f"{package.pes_id}-{package.year}.zip"


def import_packages(
    paths: list[Path], store: Path, *, trusted: dict[str, str] | None = None, network_below: int = 5
) -> tuple[list[Package], list[PackageRefused]]:
    """Check each package and copy the accepted ones into ``store`` as PES-YEAR.zip (a package of
    the same PES and year replaces the one there). Refused ones are returned with their reasons."""
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    accepted, refused = [], []
    for p in paths:
        try:
            package = read_package(Path(p), trusted=trusted, network_below=network_below)
        except PackageRefused as exc:
            refused.append(exc)
            continue
        target = store_path(store, package)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(Path(p).read_bytes())
        tmp.replace(target)
        accepted.append(Package(target, package.manifest, package.cells))
    return accepted, refused


def stored(store: Path, **checks) -> tuple[list[Package], list[PackageRefused]]:
    """Every package in the store, checked again (a file changed in the store is refused too)."""
    out, refused = [], []
    for p in sorted(Path(store).glob("*.zip")) if Path(store).is_dir() else []:
        try:
            out.append(read_package(p, **checks))
        except PackageRefused as exc:
            refused.append(exc)
    return out, refused
