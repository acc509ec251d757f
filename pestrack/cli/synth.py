"""pestrack synth: the synthetic population, into the database or straight into Parquet."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from pestrack.cli.console import out as console


class Progress:
    """Prints one line per shard: shard k/N, its rows, rows so far and rows per second."""

    def __init__(self, scale: int, what: str):
        self.scale, self.what = scale, what
        self.started = time.monotonic()
        self.rows = 0

    def __call__(self, shard: int, rows: int) -> None:
        self.rows += rows
        elapsed = time.monotonic() - self.started
        console.print(
            f"shard {shard + 1}/{self.scale}: {rows:,} rows {self.what}; {self.rows:,} in all, "
            f"{self.rows / max(elapsed, 1e-9):,.0f} rows/s, {elapsed:.1f} s",
            highlight=False,
        )
        console.file.flush()  # progress shows at once in a log file too


def synthesize(profile: str, years: list[int], scale: int, seed: int) -> dict[str, int]:
    """Draw the population and write it into the configured database; prints what it did."""
    from pestrack.synth import run, store

    started = time.monotonic()
    progress = Progress(scale, "written")
    shards = run.shards(profile, years, scale=scale, seed=seed)
    counts = store.write_shards(shards, seed, progress=lambda k, shard: progress(k, sum(shard.values())))
    console.print(", ".join(f"{n:,} {k}" for k, n in counts.items()))
    console.print(f"drawn and written in {time.monotonic() - started:.1f} s")
    return counts


def synthesize_parquet(profile: str, years: list[int], scale: int, seed: int, out: Path) -> dict[str, int]:
    """Draw the population shard by shard and append it to the analytics tables in ``out``; no database."""
    from pestrack.records.codes.profile import read_profile
    from pestrack.synth import run
    from pestrack.synth.to_parquet import ParquetOut

    data = read_profile(profile)
    codes = run.Codes.from_profile(data)
    progress = Progress(scale, "to Parquet")
    writer = ParquetOut(out, data)
    try:
        for k, pop in enumerate(run.shards(profile, years, scale=scale, seed=seed, codes=codes)):
            progress(k, writer.add(pop))
    except BaseException:
        writer.abort()
        raise
    result = writer.finish()
    tables = {**result.written, **result.unchanged}
    console.print("analytics tables in {}: {}".format(out, ", ".join(f"{t} {n:,}" for t, n in tables.items())))
    return tables


def write_registers(profile: str, years: list[int], scale: int, seed: int, folder: Path) -> dict[str, Path]:
    """The register tables of the population just written to the database, as files for
    ``pestrack analytics import`` (drawn again from the same seed: the same rows)."""
    from pestrack.records.codes.models import ProfileSetting
    from pestrack.synth import registers, run

    files = registers.write_files(
        run.shards(profile, years, scale=scale, seed=seed), folder, ProfileSetting.get("age_bands")
    )
    console.print("register files for `pestrack analytics import`: " + ", ".join(str(p) for p in files.values()))
    return files


def _hint_years(profile: str, years: list[int]) -> None:
    """After a failure with other years than the profile's target years, name the years that work:
    the targets of consecutive years are calibrated together (enrolments carry over from one year
    into the next), so a year alone may not be drawable."""
    from pestrack.synth.config import load

    try:
        target_years = load(profile).years
    except Exception:  # the profile itself is what failed: its error was printed
        return
    if sorted(years) != target_years:
        console.print(
            f"the synthetic targets of profile {profile} are for the years "
            f"{' '.join(map(str, target_years))}, calibrated together: "
            f"use --years {' '.join(map(str, target_years))}"
        )


def register(app: typer.Typer) -> None:
    @app.command("synth", context_settings={"allow_extra_args": True})
    def synth_cmd(
        ctx: typer.Context,
        profile: str | None = typer.Option(
            None,
            help="Profile name under profiles/ or a folder path (default: PESTRACK_PROFILE, else profiles/DEFAULT)",
        ),
        years: list[int] = typer.Option(
            ...,
            "--years",
            help="Counted years, consecutive: --years 2022 2023 (the year before is added for follow-up windows)",
        ),
        scale: int = typer.Option(1, help="1 = the published size; N = N shards of that size (rates stay the same)"),
        seed: int = typer.Option(1, help="Same seed, same population"),
        into_db: bool = typer.Option(
            False,
            "--into-db",
            help="Write the records into the configured database (the "
            "register tables, which have no records, as files: --registers)",
        ),
        registers_dir: Path = typer.Option(
            None,
            "--registers",
            help="With --into-db: write the register files (course "
            "results, education follow-ups) here, for `pestrack "
            "analytics import`; default OUT/registers",
        ),
        out: Path = typer.Option(
            None,
            "--out",
            help="Write the analytics tables (Parquet) to this folder: straight "
            "from the generator, or with --into-db extracted from the database",
        ),
    ):
        """Generate a synthetic population calibrated to the profile's published figures (synth.yaml)."""
        from pestrack.records.codes.profile import ProfileError
        from pestrack.synth.plan import PlanError

        extra = [a for a in ctx.args if not a.isdigit()]
        if extra:
            console.print(f"[red]error:[/] unexpected argument {' '.join(extra)}")
            raise typer.Exit(2)
        years = list(years) + [int(a) for a in ctx.args]  # --years 2022 2023
        if not into_db and out is None:
            console.print(
                "[red]error:[/] give --out DIR (the analytics tables, no database needed) or --into-db "
                "(the records, into the configured database), or both"
            )
            raise typer.Exit(2)
        if scale < 1:
            console.print("[red]error:[/] --scale must be 1 or more")
            raise typer.Exit(2)
        try:
            if not into_db:
                synthesize_parquet(profile, years, scale, seed, out)
                return
            synthesize(profile, years, scale, seed)
            if registers_dir is not None or out is not None:
                files = write_registers(profile, years, scale, seed, registers_dir or out / "registers")
        except (ProfileError, PlanError, ValueError) as exc:
            console.print(f"[red]error:[/] {exc}")
            _hint_years(profile, years)
            raise typer.Exit(2)
        if out is not None:
            from pestrack.analytics.extract import extract

            result = extract(out)
            from pestrack.synth.registers import import_files

            import_files(files, out)
            console.print(
                "analytics tables in {}: {}".format(
                    out, ", ".join(f"{t} {n:,}" for t, n in {**result.written, **result.unchanged}.items())
                )
            )
