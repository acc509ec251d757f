"""pestrack synth: the synthetic population."""
from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

console = Console()


def synthesize(profile: str, years: list[int], scale: int, seed: int) -> dict[str, int]:
    """Draw the population and write it into the configured database; prints what it did."""
    from pestrack.synth import run, store

    started = time.monotonic()
    pop = run.build(profile, years, scale=scale, seed=seed)
    drawn = time.monotonic()
    counts = store.write(pop, seed)
    console.print(", ".join(f"{n:,} {k}" for k, n in counts.items()))
    console.print(f"drawn in {drawn - started:.1f} s, written in {time.monotonic() - drawn:.1f} s "
                  f"(data as of {pop.as_of})")
    return counts


def register(app: typer.Typer) -> None:
    @app.command("synth", context_settings={"allow_extra_args": True})
    def synth_cmd(
        ctx: typer.Context,
        profile: str = typer.Option("stockholm", help="Profile name under profiles/ or a folder path"),
        years: list[int] = typer.Option(..., "--years", help="Counted years, consecutive: --years 2022 2023 (the "
                                                             "year before is added for follow-up windows)"),
        scale: int = typer.Option(1, help="1 = the published size; N multiplies every count"),
        seed: int = typer.Option(1, help="Same seed, same population"),
        into_db: bool = typer.Option(False, "--into-db", help="Write the records into the configured database"),
        out: Path = typer.Option(None, "--out", help="Then write the analytics tables (Parquet) to this folder"),
    ):
        """Generate a synthetic population calibrated to the profile's published figures (synth.yaml)."""
        from pestrack.records.codes.profile import ProfileError
        from pestrack.synth.plan import PlanError

        extra = [a for a in ctx.args if not a.isdigit()]
        if extra:
            console.print(f"[red]error:[/] unexpected argument {' '.join(extra)}")
            raise typer.Exit(2)
        years = list(years) + [int(a) for a in ctx.args]  # --years 2022 2023
        if not into_db:
            console.print("[red]error:[/] give --into-db: this version writes the population into the database "
                          "(--out DIR then extracts the analytics tables from it)")
            raise typer.Exit(2)
        try:
            synthesize(profile, years, scale, seed)
        except (ProfileError, PlanError, ValueError) as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2)
        if out is not None:
            from pestrack.analytics.extract import extract

            result = extract(out)
            console.print("analytics tables in {}: {}".format(
                out, ", ".join(f"{t} {n:,}" for t, n in {**result.written, **result.unchanged}.items())))
