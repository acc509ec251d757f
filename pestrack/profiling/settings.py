"""The profiling settings of a profile (profiles/<name>/profiling.yaml): the target, the declared
inputs with their reasons, the protected characteristics kept for the audit, the audit's groups and
limits, the monitoring thresholds and the approval. Every error names the file and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pestrack.records.codes.profile import LINE, ProfileError, _clean, _read, profile_dir

FILE = "profiling.yaml"
# Columns known at enrolment: of the enrolments table, and derived from earlier enrolments.
DERIVED = ("previous_enrolments",)
AT_ENROLMENT = (
    "education_level",
    "target_group",
    "age_band_at_start",
    "age_at_start",
    "entry_route",
    "referring_body",
    "referring_unit",
    "has_decision",
    "programme",
    "municipality",
    "org_unit",
    "time_since_last_work",
    "time_in_sweden",
    "wai_band_at_start",
)
AFTER_ENROLMENT = ("end_date", "exit_reason", "exit_outcome", "days_to_first_measure")
PROTECTED_KNOWN = ("sex", "born_abroad", "birth_year")


class ProfilingError(ValueError):
    """Bad input to profiling: the message says what, where, and how to fix it."""


@dataclass(frozen=True)
class Input:
    column: str
    label: dict  # {"sv": ..., "en": ...}
    reason: dict


@dataclass
class Settings:
    profile: str
    inputs: list[Input]
    enabled: bool = False
    target_months: int = 12
    followup_window_days: int = 45
    target_label: dict = field(
        default_factory=lambda: {
            "sv": "Varken i arbete eller studier 12 månader efter inskrivningen",
            "en": "Not in work or studies 12 months after enrolment",
        }
    )
    protected: list[str] = field(default_factory=lambda: ["sex", "born_abroad"])
    groups: list[str] = field(default_factory=lambda: ["sex", "age_band_at_start", "born_abroad", "target_group"])
    intersections: list[list[str]] = field(default_factory=list)
    cutoff: float = 0.5
    min_group_size: int = 100
    min_outcomes: int = 10
    selection_ratio: tuple[float, float] = (0.8, 1.25)
    rate_gap: float = 0.10
    calibration_gap: float = 0.05
    rate_change: float = 0.10
    calibration_change: float = 0.05
    input_shift_psi: float = 0.2
    approval: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [i.column for i in self.inputs]

    def label(self, column: str, lang: str) -> str:
        for i in self.inputs:
            if i.column == column:
                return i.label.get(lang) or i.label.get("en") or column
        return column

    def check(self, where: str = "the profiling settings") -> None:
        """The rules on inputs: known at enrolment, not protected, not twice, at least one."""
        if not self.inputs:
            raise ProfilingError(f"{where}: no inputs declared")
        seen = set()
        for i in self.inputs:
            if i.column in seen:
                raise ProfilingError(f"{where}: input {i.column!r} is declared twice")
            seen.add(i.column)
            if i.column in self.protected:
                raise ProfilingError(
                    f"{where}: input {i.column!r} is a protected characteristic; it is kept for the audit only "
                    "and cannot be an input"
                )
            if i.column in AFTER_ENROLMENT:
                raise ProfilingError(f"{where}: input {i.column!r} is not known at enrolment")
            if i.column not in AT_ENROLMENT + DERIVED:
                raise ProfilingError(
                    f"{where}: input {i.column!r} is not a column known at enrolment; choose from "
                    + ", ".join(DERIVED + AT_ENROLMENT)
                )
            if not (i.reason.get("sv") and i.reason.get("en")):
                raise ProfilingError(f"{where}: input {i.column!r} has no reason (give reason: {{sv: ..., en: ...}})")
        lo, hi = self.selection_ratio
        if not 0 < lo < 1 < hi:
            raise ProfilingError(f"{where}: audit.selection_ratio must be [low, high] with low < 1 < high")
        if not 0 < self.cutoff < 1:
            raise ProfilingError(f"{where}: audit.cutoff must be between 0 and 1")


def read(profile: str) -> Settings:
    """The settings of ``profile`` (a name under PESTRACK_PROFILES_DIR or a folder)."""
    root = profile_dir(profile)
    path = root / FILE
    try:
        raw = _read(path)
    except ProfileError as exc:
        raise ProfilingError(str(exc)) from None
    return parse(raw, path, profile_id(root))


def profile_id(root: Path) -> str:
    try:
        meta = _read(root / "profile.yaml")
    except ProfileError:
        return root.name
    return str(meta.get("id", root.name))


def _where(path: Path, item) -> str:
    return f"{path}:{item.get(LINE, '?') if isinstance(item, dict) else '?'}"


def parse(raw: dict, path: Path, profile: str) -> Settings:
    if not isinstance(raw, dict):
        raise ProfilingError(f"{path}: must be a mapping (enabled, target, inputs, protected, audit)")
    inputs = []
    for item in raw.get("inputs") or []:
        if not isinstance(item, dict) or not item.get("column"):
            raise ProfilingError(f"{_where(path, item)}: an input needs 'column', 'sv', 'en' and 'reason'")
        reason = item.get("reason")
        if not isinstance(reason, dict):
            raise ProfilingError(
                f"{_where(path, item)}: input {item['column']!r} has no reason (give reason: {{sv: ..., en: ...}})"
            )
        inputs.append(
            Input(
                str(item["column"]),
                {"sv": item.get("sv", item["column"]), "en": item.get("en", item["column"])},
                _clean(reason),
            )
        )
    target = raw.get("target") or {}
    audit = raw.get("audit") or {}
    monitoring = raw.get("monitoring") or {}
    enabled = raw.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ProfilingError(f"{_where(path, raw)}: enabled must be true or false")
    s = Settings(profile=profile, inputs=inputs, enabled=enabled)
    s.target_months = int(target.get("months", s.target_months))
    s.followup_window_days = int(target.get("followup_window_days", s.followup_window_days))
    if target.get("sv") and target.get("en"):
        s.target_label = {"sv": target["sv"], "en": target["en"]}
    s.protected = [str(p) for p in raw.get("protected", s.protected)]
    s.groups = [str(g) for g in audit.get("groups", s.groups)]
    s.intersections = [[str(a) for a in pair] for pair in _clean(audit.get("intersections", []))]
    for key in ("cutoff", "rate_gap", "calibration_gap"):
        setattr(s, key, float(audit.get(key, getattr(s, key))))
    for key in ("min_group_size", "min_outcomes"):
        setattr(s, key, int(audit.get(key, getattr(s, key))))
    s.selection_ratio = tuple(float(x) for x in audit.get("selection_ratio", s.selection_ratio))
    for key in ("rate_change", "calibration_change", "input_shift_psi"):
        setattr(s, key, float(monitoring.get(key, getattr(s, key))))
    s.approval = _clean(raw.get("approval") or {})
    s.check(str(path))
    return s
