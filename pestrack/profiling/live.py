"""Profiling in casework: whether it is on, the model in use, and the estimate for a live enrolment
from the same values the extract writes to the analytics tables (analytics.extract.Extractor).

On only when the profile's profiling.yaml says ``enabled: true`` AND the setting
PESTRACK_PROFILING_MODEL names a model folder trained on that profile."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings as django_settings
from django.db.models import Q

from pestrack.profiling import model as profiling_model
from pestrack.profiling import settings as profiling_settings
from pestrack.profiling.settings import ProfilingError
from pestrack.records.codes.models import ProfileSetting
from pestrack.records.profiling import rules

_cache: dict = {}


@dataclass
class Active:
    settings: profiling_settings.Settings
    model: profiling_model.Model
    folder: Path

    def audit(self) -> dict | None:
        path = self.folder / "audit.json"
        return json.loads(path.read_text()) if path.exists() else None


def model_dir() -> Path | None:
    value = getattr(django_settings, "PESTRACK_PROFILING_MODEL", None) or os.environ.get("PESTRACK_PROFILING_MODEL")
    return Path(value) if value else None


def active() -> Active | None:
    """The profile's settings and the model when profiling is on; None when it is off."""
    folder = model_dir()
    if folder is None:  # no model configured: off, without a query
        return None
    profile = ProfileSetting.get("profile")
    if not profile:
        return None
    try:
        s = profiling_settings.read(profile)
    except (ProfilingError, profiling_settings.ProfileError):
        return None
    if not s.enabled:
        return None
    path = folder / "model.json"
    key = (str(path), path.stat().st_mtime if path.exists() else None, profile)
    if _cache.get("key") != key:
        _cache.clear()
        m = profiling_model.load(folder)
        if m.meta["profile"] != s.profile:
            raise ProfilingError(f"{folder}: the model was trained on profile {m.meta['profile']!r}, not {s.profile!r}")
        _cache.update(key=key, model=m)
    return Active(s, _cache["model"], folder)


def inputs_for(enrolment, settings: profiling_settings.Settings) -> dict:
    """The enrolment's inputs as the model knows them: its row of the enrolments table, and the
    number of the person's earlier enrolments (by start date, then id; at most 5, as in
    profiling.data)."""
    from pestrack.analytics.extract import Extractor

    row = Extractor().enrolment_row(enrolment.pk)
    earlier = enrolment.person.enrolments.filter(
        Q(start_date__lt=enrolment.start_date) | Q(start_date=enrolment.start_date, pk__lt=enrolment.pk)
    ).count()
    row["previous_enrolments"] = min(earlier, 5)
    return {c: row.get(c) for c in settings.columns}


def estimate(user, enrolment, act: Active):
    """The stored estimate of the active model for the enrolment (made now if none), logged as shown."""
    inputs = inputs_for(enrolment, act.settings)
    p, reasons = act.model.reasons(inputs)
    return rules.estimate_for(
        user,
        enrolment,
        model_id=act.model.id,
        model_kind=act.model.kind,
        probability=p,
        cutoff=act.settings.cutoff,
        inputs={k: (v if isinstance(v, (int, float, bool, str)) or v is None else str(v)) for k, v in inputs.items()},
        reasons=[{"column": r["column"], "value": inputs.get(r["column"]), "effect": r["effect"]} for r in reasons],
    )


def group_drift(act: Active, folder: Path):
    """The monitoring's audit of the active model on the analytics tables in ``folder``, computed once
    per model and version of the tables (stored as a MonitoringResult) and read back on later loads.
    Returns the stored result (``result``: monitor.group_drift's, ``computed_at``, ``as_of``).
    Raises ProfilingError when the tables cannot be used."""
    from django.db import IntegrityError, transaction

    from pestrack.profiling import data as profiling_data
    from pestrack.profiling import monitor
    from pestrack.records.profiling.models import MonitoringResult

    if not Path(folder).is_dir():
        raise ProfilingError(f"{folder}: no such folder (set PESTRACK_ANALYTICS_DIR to the analytics tables)")
    version = monitor.data_version(folder)
    stored = MonitoringResult.objects.filter(model_id=act.model.id, data_version=version).first()
    if stored is not None:
        return stored
    data = profiling_data.load(folder, act.settings)
    profiling_data.check_compatible(data, act.model.meta["profile"], act.model.meta["schema_version"])
    result = json.loads(json.dumps(monitor.group_drift(act.model, data, act.settings), default=float))
    try:
        with transaction.atomic():
            stored = MonitoringResult.objects.create(
                model_id=act.model.id, data_version=version, as_of=data.as_of, result=result
            )
    except IntegrityError:  # computed meanwhile by another request
        return MonitoringResult.objects.get(model_id=act.model.id, data_version=version)
    # one version per model: the older ones, and those of other models, are not read again
    MonitoringResult.objects.exclude(pk=stored.pk).delete()
    return stored
