"""Writing analysis results: JSON without NaN, plots as embedded PNG, files written whole or not at
all. Shared by the analyses beside the spine (evaluation, profiling), which read the analytics tables."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}.warn{background:#fff3cd;border-left:4px solid #e0a800;padding:.5rem 1rem}
.headline{font-size:1.3rem}img{max-width:100%}.bad{color:#b2182b;font-weight:bold}pre{white-space:pre-wrap}"""


def json_safe(value):
    """JSON-safe: NaN and infinities become null, numpy numbers plain numbers."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def to_json(value) -> str:
    return json.dumps(json_safe(value), indent=2, ensure_ascii=False, allow_nan=False)


def png(fig) -> str:
    """A matplotlib figure as a data: URI (closed afterwards), so a page needs no other file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write the file whole or not at all (a temporary file beside it, renamed into place)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode("utf-8") if isinstance(content, str) else content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
