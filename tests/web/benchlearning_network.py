"""A small benchlearning network for the web tests: three synthetic PES (north, east, south) of
2022 and 2023, south carrying a self-assessment, imported into a store (docs/benchlearning.md)."""

from __future__ import annotations

from pathlib import Path

YEAR = 2023
SOUTH_PRACTICES = {"ips_stockholm": "in_place", "kommunhubben": "partly"}


def build(out: Path) -> Path:
    """The store folder (PESTRACK_BENCHLEARNING_DIR) with the network's packages imported."""
    import yaml

    from pestrack.benchlearning import synth
    from pestrack.benchlearning.package import export, import_packages, read_package

    synth.generate(out, 3, seed=1, year=YEAR)
    south = read_package(out / "south" / "package.zip").manifest
    assessment = out / "south-practices.yaml"
    assessment.write_text(yaml.safe_dump(SOUTH_PRACTICES), encoding="utf-8")
    export(
        "stockholm",
        out / "south" / "analytics",
        YEAR,
        out / "south" / "package.zip",
        practices=assessment,
        pes=south["pes"],
        context=south["context"],
    )
    store = out / "store"
    accepted, refused = import_packages(sorted(out.glob("*/package*.zip")), store)
    assert len(accepted) == 6 and not refused, refused
    return store
