"""Synthetic profiling data sets, drawn once per session (docs/profiling.md)."""

from __future__ import annotations

import pytest

from pestrack.profiling import settings as profiling_settings
from pestrack.synth import profiling as synth

N = 20_000


@pytest.fixture(scope="session")
def datasets(tmp_path_factory):
    """Folders of enrolments with a true risk: clean (district independent of birth country) and
    proxy (district a proxy for birth country), each for two seeds."""
    root = tmp_path_factory.mktemp("profiling")
    out = {}
    for seed in (1, 2):
        for proxy in (False, True):
            folder = root / f"{'proxy' if proxy else 'clean'}{seed}"
            synth.write(folder, N, seed=seed, proxy=proxy)
            out[("proxy" if proxy else "clean", seed)] = folder
    return out


@pytest.fixture
def stockholm():
    return profiling_settings.read("stockholm")


@pytest.fixture
def with_district(stockholm):
    """The Stockholm settings with the referring district declared as an input (as a city might)."""
    stockholm.inputs = [
        *stockholm.inputs,
        profiling_settings.Input(
            "referring_unit",
            {"sv": "Stadsdel", "en": "District"},
            {"sv": "Stadsdelens arbetsmarknad.", "en": "The district's labour market."},
        ),
    ]
    return stockholm
