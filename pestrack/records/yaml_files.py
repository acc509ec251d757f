"""YAML files parsed once per content: the profile and the indicator definitions are loaded many times
(the results pages several times a page, the tests hundreds of times), and parsing was most of it."""

from __future__ import annotations

import copy
import functools

import yaml


def parse(text: str, loader: type = yaml.SafeLoader):
    """``text`` parsed with ``loader``; each caller gets its own copy, so it may change what it gets.
    A changed file is parsed again at once (the key is its content); errors are not kept."""
    return copy.deepcopy(_parsed(text, loader))


@functools.lru_cache(maxsize=64)
def _parsed(text: str, loader: type):
    return yaml.load(text, Loader=loader)  # noqa: S506 - the loaders passed are SafeLoader subclasses
