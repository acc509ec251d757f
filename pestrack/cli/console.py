"""The consoles the commands print with. Lines are never wrapped to the terminal's width: a file
name, a path or a row's message stays whole on one line, for copying and for scripts that read it."""

from __future__ import annotations

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
