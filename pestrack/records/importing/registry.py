"""Every import kind by name: the casework kinds and the employer kinds.

The table lives here, not in ``kinds``, so that ``employer_kinds`` (which builds on ``kinds``) can
be imported first or alone without an import cycle."""

from __future__ import annotations

from pestrack.records.importing.employer_kinds import EMPLOYER_KINDS
from pestrack.records.importing.kinds import CASEWORK_KINDS, Kind

KINDS: dict[str, type[Kind]] = {k.name: k for k in (*CASEWORK_KINDS, *EMPLOYER_KINDS)}
