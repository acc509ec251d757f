"""The portal's languages: Swedish and English, and those the profile adds (``portal.languages`` in
profile.yaml, with their translations in the profile's locale folder)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language


def portal_languages() -> list[tuple[str, str, bool]]:
    """(code, name in its own language, right to left) of every portal language."""
    from pestrack.records.codes.models import ProfileSetting

    extra = (ProfileSetting.get("portal") or {}).get("languages") or []
    own = [(code, name, False) for code, name in settings.LANGUAGES]
    return own + [
        (x["code"], x["name"], bool(x.get("rtl"))) for x in extra if x.get("code") not in dict(settings.LANGUAGES)
    ]


def context(request) -> dict:
    if not request.path.startswith("/portal/"):
        return {}
    current = (get_language() or "sv").split("-")[0]
    languages = portal_languages()
    rtl = next((r for code, _n, r in languages if code == current), False)
    return {"portal_languages": languages, "portal_rtl": rtl, "portal_language": current}
