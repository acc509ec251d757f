"""Profiling switched on for web tests: a small model trained once per process, and the Stockholm
profile copied with ``enabled: true``."""

from __future__ import annotations

import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def small_model() -> Path:
    """A folder with data/ (12,000 synthetic enrolments) and model/ (logistic, trained on them)."""
    from pestrack.profiling import data as profiling_data
    from pestrack.profiling import settings as profiling_settings
    from pestrack.profiling.train import train_to
    from pestrack.synth import profiling as synth

    root = Path(tempfile.mkdtemp(prefix="pestrack-profiling-"))
    synth.write(root / "data", 12_000, seed=7)
    s = profiling_settings.read("stockholm")
    train_to(root / "model", profiling_data.load(root / "data", s), s, "logistic", compare=False)
    return root


def enable(settings, tmp_path: Path, analytics: bool = False) -> Path:
    """Profiling on (a copy of the Stockholm profile with enabled: true) with the small model."""
    root = small_model()
    profiles = tmp_path / "profiles"
    shutil.copytree(ROOT / "profiles" / "stockholm", profiles / "stockholm")
    path = profiles / "stockholm" / "profiling.yaml"
    path.write_text(path.read_text().replace("enabled: false", "enabled: true"))
    settings.PESTRACK_PROFILES_DIR = str(profiles)
    settings.PESTRACK_PROFILING_MODEL = str(root / "model")
    if analytics:  # the monitoring page's newer cohorts
        settings.PESTRACK_ANALYTICS_DIR = str(root / "data")
    return root
