"""The printed words of the report in each language (headings, column names, statuses). The goal
levels' names and the council target's column name are the profile's (goals.yaml): ``words``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pestrack.indicators.goals import Goals

LABELS = {
    "sv": {
        "title": "Verksamhetsberättelse",
        "goal": "Mål",
        "indicator": "Indikator",
        "outcome": "Periodens utfall",
        "outcome_men": "Utfall män",
        "outcome_women": "Utfall kvinnor",
        "outcome_prev_year": "Utfall föregående år",
        "target": "Årsmål",
        "period": "Period",
        "fulfilment": "Måluppfyllelse",
        "activity": "Aktivitet",
        "status": "Status",
        "analysis": "Analys",
        "suggested": "Förslag utifrån indikatorer och aktiviteter",
        "assessed": "Bedömning",
        "done": "Genomförd",
        "deviation": "Avvikelse",
        "no_status": "Ej bedömd",
        "not_defined": "Indikatorn är ännu inte definierad i profilen.",
        "source": "Källa",
        "computed": "Beräknad ur registret",
    },
    "en": {
        "title": "Annual report",
        "goal": "Goal",
        "indicator": "Indicator",
        "outcome": "Outcome for the period",
        "outcome_men": "Outcome men",
        "outcome_women": "Outcome women",
        "outcome_prev_year": "Outcome previous year",
        "target": "Annual target",
        "period": "Period",
        "fulfilment": "Fulfilment",
        "activity": "Activity",
        "status": "Status",
        "analysis": "Analysis",
        "suggested": "Suggested from indicators and activities",
        "assessed": "Assessment",
        "done": "Done",
        "deviation": "Deviation",
        "no_status": "Not assessed",
        "not_defined": "The indicator is not yet defined in the profile.",
        "source": "Source",
        "computed": "Computed from the records",
    },
}


def words(goals: Goals, lang: str) -> dict[str, str]:
    """The report's words in ``lang`` with the profile's: each goal level's name, ``kf_target``."""
    return {**LABELS[lang], **goals.labels(lang)}


def disclosure_note(below: int, lang: str) -> str:
    """The report's words on disclosure control (pestrack/indicators/disclosure.py), or nothing."""
    if not below:
        return ""
    return {
        "sv": f"Små tal är dolda: antal under {below} visas som <{below}; andelar av färre än {below} personer, "
        "och ytterligare en kategori där en dold kategori annars kunde räknas fram ur totalen, visas som ..",
        "en": f"Small cells are suppressed: counts under {below} show as <{below}; shares of fewer than {below} "
        "persons, and one more category where a suppressed one could be worked out from the total, "
        "show as ..",
    }[lang]


def incomplete_note(period_label: str, lang: str) -> str:
    """The report's words on a period the data do not cover in full (indicators.coverage.covers)."""
    return {
        "sv": f"Uppgifterna täcker inte hela perioden {period_label}: siffrorna bygger på de uppgifter som finns "
        "och kan ändras när fler kommer in.",
        "en": f"The data do not cover the whole period {period_label}: the figures rest on the data there are "
        "and may change as more come in.",
    }[lang]
