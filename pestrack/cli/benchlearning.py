"""pestrack benchlearning: the shared indicator set, packages of aggregates exchanged between PES,
their comparison and the synthetic network (docs/benchlearning.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from pestrack.cli.console import out as console

app = typer.Typer(no_args_is_help=True)
PROFILE_HELP = "Profile name or folder (default: PESTRACK_PROFILE, else profiles/DEFAULT)"


def _settings():
    from django.conf import settings

    return settings


def _trusted() -> dict[str, str]:
    from pestrack.benchlearning.package import read_trusted_keys

    return read_trusted_keys(_settings().PESTRACK_BENCHLEARNING_TRUSTED_KEYS)


def _mapping_or_exit(profile: str | None):
    from pestrack.benchlearning.definitions import load_mapping
    from pestrack.indicators.definitions import DefinitionErrors

    try:
        return load_mapping(profile)
    except (DefinitionErrors, FileNotFoundError) as exc:
        for line in getattr(exc, "errors", [str(exc)]):
            console.print(line, markup=False)
        raise typer.Exit(1) from None


@app.command("validate")
def validate_cmd(profile: str | None = typer.Option(None, "--profile", help=PROFILE_HELP)):
    """Check the profile's mapping of the shared set; list what it computes and what it cannot."""
    mapping = _mapping_or_exit(profile)
    console.print(f"definitions version {mapping.shared.version}", markup=False)
    for ind in mapping.shared.indicators:
        reason = mapping.not_computable.get(ind.id)
        console.print(f"{ind.id}: {'not computable: ' + reason if reason else 'mapped'}", markup=False)


@app.command("export")
def export_cmd(
    profile: str | None = typer.Option(None, "--profile", help=PROFILE_HELP),
    data: Path = typer.Option(..., "--data", help="The PES's analytics tables (pestrack analytics extract)"),
    year: int = typer.Option(..., "--year"),
    out: Path = typer.Option(..., "--out", help="The package to write (a .zip)"),
    practices: Path = typer.Option(
        None, "--practices", help="Self-assessment: practice id -> not_started|partly|in_place"
    ),
):
    """Write the PES's package for a year: aggregates only, after suppression, hashed (and signed
    when PESTRACK_BENCHLEARNING_SIGNING_KEY is set)."""
    from pestrack.benchlearning.package import export

    _mapping_or_exit(profile)
    s = _settings()
    try:
        package = export(
            profile,
            data,
            year,
            out,
            network_below=s.PESTRACK_BENCHLEARNING_SUPPRESS_BELOW,
            practices=practices,
            signing_key=s.PESTRACK_BENCHLEARNING_SIGNING_KEY,
        )
    except (FileNotFoundError, ValueError) as exc:
        console.print(f"refused: {exc}", markup=False)
        raise typer.Exit(2) from None
    m = package.manifest
    console.print(
        f"{out}: {m['pes']['id']} {year}, {len(m['computed'])} indicators, {len(package.cells)} cells, "
        f"suppressed below {m['suppress_below']}, sha256 {m['content_sha256'][:16]}…"
        + (", signed" if "signature" in m else ""),
        markup=False,
    )
    for ind, reason in m["not_computable"].items():
        console.print(f"  {ind}: not computable: {reason}", markup=False)


@app.command("import")
def import_cmd(packages: list[Path] = typer.Argument(..., help="Package files (.zip) of partner PES")):
    """Check packages (definitions version, hash, signature, threshold) and keep the accepted ones in
    PESTRACK_BENCHLEARNING_DIR."""
    from pestrack.benchlearning.package import import_packages

    s = _settings()
    accepted, refused = import_packages(
        packages,
        s.PESTRACK_BENCHLEARNING_DIR,
        trusted=_trusted(),
        network_below=s.PESTRACK_BENCHLEARNING_SUPPRESS_BELOW,
    )
    for p in accepted:
        console.print(f"imported {p.pes_id} {p.year} -> {p.path}", markup=False)
    for exc in refused:
        console.print(str(exc), markup=False)
    console.print(f"imported {len(accepted)}, refused {len(refused)}", markup=False)
    raise typer.Exit(1 if refused else 0)


@app.command("compare")
def compare_cmd(
    year: int = typer.Option(..., "--year"),
    out: Path = typer.Option(..., "--out", help="FILE.csv, FILE.html or FILE.xlsx"),
    clusters: int = typer.Option(None, "--clusters", help="Peer groups by k-means with this many groups"),
):
    """Compare the imported packages of a year: each PES per indicator with its confidence
    interval, network mean and median, peer group, trend and funnel-plot verdict."""
    from pestrack.benchlearning.compare import compare
    from pestrack.benchlearning.definitions import load_shared
    from pestrack.benchlearning.output import write
    from pestrack.benchlearning.package import stored

    s = _settings()
    packages, refused = stored(
        s.PESTRACK_BENCHLEARNING_DIR, trusted=_trusted(), network_below=s.PESTRACK_BENCHLEARNING_SUPPRESS_BELOW
    )
    for exc in refused:
        console.print(str(exc), markup=False)
    try:
        comparison = compare(packages, load_shared(), year, clusters)
        write(comparison, out)
    except ValueError as exc:
        console.print(f"refused: {exc}", markup=False)
        raise typer.Exit(2) from None
    for comp in comparison.indicators:
        for e in comp.entries.values():
            if e.note.startswith("not computable"):
                console.print(f"{comp.shared.id}: {e.pes}: {e.note}", markup=False)
            if e.funnel:
                console.print(
                    f"{comp.shared.id}: {e.pes} lies outside the funnel's {e.funnel.split()[1]} % limits ({e.funnel.split()[0]})",
                    markup=False,
                )
    console.print(f"{out}: {len(comparison.pes)} PES, {len(comparison.indicators)} indicators, {year}", markup=False)


@app.command("synth")
def synth_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for the network: OUT/<pes>/analytics and package.zip"),
    pes: int = typer.Option(8, "--pes", help="Number of PES (2–8)"),
    seed: int = typer.Option(1, "--seed"),
    year: int = typer.Option(2023, "--year"),
    profile: str | None = typer.Option(None, "--profile", help=PROFILE_HELP + "; its mapping's synthetic codes"),
):
    """A synthetic network of PES with planted differences in true performance (docs/benchlearning.md)."""
    from pestrack.benchlearning import synth

    _mapping_or_exit(profile)
    try:
        packages = synth.generate(
            out, pes, seed, year, _settings().PESTRACK_BENCHLEARNING_SUPPRESS_BELOW, profile=profile
        )
    except ValueError as exc:
        console.print(str(exc), markup=False)
        raise typer.Exit(2) from None
    for p in packages:
        console.print(str(p), markup=False)
    for ind, names in sorted(synth.planted(pes).items()):
        console.print(f"planted: {ind}: {', '.join(sorted(names))}", markup=False)


@app.command("keygen")
def keygen_cmd(out: Path = typer.Option(..., "--out", help="File for the private key (PEM, kept secret)")):
    """A new Ed25519 key pair for signing packages: the private key to OUT, the public key printed
    (give it to the partner PES for their PESTRACK_BENCHLEARNING_TRUSTED_KEYS)."""
    from pestrack.benchlearning.package import generate_key

    if out.exists():
        console.print(f"{out} exists; not overwritten", markup=False)
        raise typer.Exit(2)
    console.print(f"public key: {generate_key(out)}", markup=False)


@app.command("kolada")
def kolada_cmd(
    package: Path = typer.Argument(..., help="A package made by export"),
    profile: str | None = typer.Option(None, "--profile", help=PROFILE_HELP + "; its kolada.kpis"),
    out: Path = typer.Option(..., "--out", help="CSV: kpi, municipality, period, gender (T/K/M), value"),
    kpi: list[str] = typer.Option(
        [], "--kpi", help="INDICATOR=KPI_ID, beside (or instead of) the profile's kolada.kpis"
    ),
):
    """The package's indicators that have a Kolada counterpart, laid out as Kolada's data."""
    from pestrack.benchlearning.output import KoladaNotSet, kolada_rows, write_kolada
    from pestrack.benchlearning.package import PackageRefused, read_package

    mapping = _mapping_or_exit(profile)
    for pair in kpi:
        indicator, sep, kpi_id = pair.partition("=")
        if not sep or mapping.shared.get(indicator) is None or not kpi_id:
            console.print(
                f"refused: --kpi {pair}: give INDICATOR=KPI_ID with an indicator of the shared set", markup=False
            )
            raise typer.Exit(2)
        mapping.kolada.setdefault("kpis", {})[indicator] = kpi_id
    try:
        rows = kolada_rows(read_package(package, trusted=_trusted()), mapping)
    except (KoladaNotSet, PackageRefused) as exc:
        console.print(f"refused: {exc}", markup=False)
        raise typer.Exit(2) from None
    write_kolada(rows, out)
    console.print(f"{out}: {len(rows)} rows", markup=False)
