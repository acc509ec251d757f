"""Text that people type or import: bidirectional control characters are refused.

U+202A–U+202E (embeddings and overrides), U+2066–U+2069 (isolates) and U+200E/U+200F (marks) change
the order in which the following letters are shown: "Anna\\u202eSSON" shows as "AnnaNOSS", and a
file name or an identity number can be made to look like another. No name or note needs them, so
every text field of pestrack's models refuses them (``guard_text_fields``, at start-up: model
validation, and so every model form and the admin), and so does the import (importing.fields.text).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def bidi_problem(value) -> str | None:
    """Why ``value`` is refused (in English, for the import's rejects), or None."""
    if isinstance(value, str):
        found = BIDI_CONTROLS.search(value)
        if found:
            return (
                f"contains the bidirectional control character U+{ord(found.group()):04X} at position "
                f"{found.start() + 1}, which changes how the text is shown; remove it"
            )
    return None


def refuse_bidi_controls(value) -> None:
    """A field validator: no bidirectional control characters."""
    if isinstance(value, str) and BIDI_CONTROLS.search(value):
        raise ValidationError(
            _(
                "The text contains an invisible character that reverses or reorders how text is "
                "shown (U+%(code)s); remove it."
            ),
            code="bidi_control",
            params={"code": f"{ord(BIDI_CONTROLS.search(value).group()):04X}"},
        )


def guard_text_fields() -> None:
    """Add ``refuse_bidi_controls`` to every CharField and TextField of pestrack's own models (called
    once from an AppConfig.ready(): models added later by any app are covered without a migration)."""
    from django.apps import apps
    from django.db import models

    for model in apps.get_models():
        if not model.__module__.startswith("pestrack."):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, (models.CharField, models.TextField)) and refuse_bidi_controls not in field.validators:
                field.validators.append(refuse_bidi_controls)
