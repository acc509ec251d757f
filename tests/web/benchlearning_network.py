"""A small benchlearning network for the web tests: three synthetic PES (north, east, south) of
2022 and 2023, south carrying a self-assessment, imported into a store (docs/benchlearning.md)."""

from __future__ import annotations

from pathlib import Path

YEAR = 2023
NAMES = {"north": "Nordstad", "east": "Österby", "south": "Södervik"}
SOUTH_PRACTICES = {"ips_stockholm": "in_place", "kommunhubben": "partly"}


def build(out: Path) -> Path:
    """The store folder (PESTRACK_BENCHLEARNING_DIR) with the network's packages imported."""
    import yaml

    from pestrack.benchlearning import synth
    from pestrack.benchlearning.package import export, import_packages, read_package

    synth.generate(out, 3, seed=1, year=YEAR)
    assessment = out / "south-practices.yaml"
    assessment.write_text(yaml.safe_dump(SOUTH_PRACTICES), encoding="utf-8")
    # exported again under proper names (a PES's name is data, in no page language)
    for pes, name in NAMES.items():
        for year, file in ((YEAR, "package.zip"), (YEAR - 1, f"package-{YEAR - 1}.zip")):
            manifest = read_package(out / pes / file).manifest
            export(
                "stockholm",
                out / pes / "analytics",
                year,
                out / pes / file,
                practices=assessment if pes == "south" and year == YEAR else None,
                pes={**manifest["pes"], "name": name},
                context=manifest["context"],
            )
    store = out / "store"
    accepted, refused = import_packages(sorted(out.glob("*/package*.zip")), store)
    assert len(accepted) == 6 and not refused, refused
    return store
