"""Scoring the IPS fidelity scale: items and categories are data (ips25.yaml), the rules are here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

MIN_ITEM, MAX_ITEM = 1, 5


class FidelityError(ValueError):
    pass


@lru_cache(maxsize=1)
def scale() -> dict:
    return yaml.safe_load((Path(__file__).with_name("ips25.yaml")).read_text(encoding="utf-8"))


def items() -> list[dict]:
    return scale()["items"]


def check_items(scores: dict) -> dict[int, int]:
    """All 25 items, each a whole number 1-5; keys may be item numbers (1-25, as int or text)."""
    numbers = {it["number"] for it in items()}
    clean: dict[int, int] = {}
    for key, value in scores.items():
        try:
            no = int(key)
        except (TypeError, ValueError):
            raise FidelityError(f"item {key!r} is not an item number 1-{len(numbers)}") from None
        if no not in numbers:
            raise FidelityError(f"item {no} is not an item number 1-{len(numbers)}")
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, str))
            or str(value).strip()
            not in {str(v) for v in range(MIN_ITEM, MAX_ITEM + 1)} | {f"{v}.0" for v in range(MIN_ITEM, MAX_ITEM + 1)}
        ):
            raise FidelityError(f"item {no}: {value!r} is not a score {MIN_ITEM}-{MAX_ITEM}")
        clean[no] = int(float(value))
    missing = sorted(numbers - set(clean))
    if missing:
        raise FidelityError(f"items {', '.join(map(str, missing))} have no score: all {len(numbers)} are needed")
    return clean


def total(scores: dict) -> int:
    return sum(check_items(scores).values())


def category(total_score: int) -> str:
    """The standard fidelity category of a total: exemplary, good, fair or not_ips."""
    for cat in scale()["categories"]:
        if total_score >= cat["min"]:
            return cat["code"]
    raise FidelityError(f"total {total_score} is below the scale's minimum")


def category_names() -> dict[str, str]:
    return {c["code"]: c["en"] for c in scale()["categories"]}


def category_order() -> list[str]:
    """Highest fidelity first."""
    return [c["code"] for c in scale()["categories"]]
