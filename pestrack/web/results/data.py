"""Where the results pages get their analytics tables, and a small cache of computed results.

With ``PESTRACK_ANALYTICS_DIR`` set, that folder is used as it is (keep it current with
``pestrack analytics extract --out DIR``, e.g. every night). Without it, the database is extracted
into a cache folder of its own whenever that copy is older than ``PESTRACK_ANALYTICS_REFRESH``
seconds; the extract rewrites only the tables whose content changed.

Results are cached in the process under the content hashes of the tables (manifest.json), so a
new extract with other content is never answered from an old result.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from django.conf import settings

from pestrack.analytics.extract import MANIFEST, extract

CACHE_SIZE = 512
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


def cache_dir() -> Path:
    configured = settings.PESTRACK_ANALYTICS_CACHE_DIR
    if configured:
        return Path(configured)
    db = settings.DATABASES["default"]
    name = hashlib.sha256(f"{db.get('HOST')}:{db.get('PORT')}/{db.get('NAME')}".encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"pestrack-analytics-{name}"


def _fresh(folder: Path) -> bool:
    manifest = folder / MANIFEST
    return manifest.exists() and time.time() - manifest.stat().st_mtime < settings.PESTRACK_ANALYTICS_REFRESH


def analytics_dir(actor: str = "web") -> Path:
    """The folder of analytics tables to compute on (extracting the database first when needed)."""
    if settings.PESTRACK_ANALYTICS_DIR:
        folder = Path(settings.PESTRACK_ANALYTICS_DIR)
        if not (folder / MANIFEST).exists():
            raise FileNotFoundError(f"PESTRACK_ANALYTICS_DIR={folder}: no analytics tables there "
                                    f"(pestrack analytics extract --out {folder})")
        return folder
    folder = cache_dir()
    if _fresh(folder):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one extract at a time; the others wait and then use it
        try:
            if not _fresh(folder):
                extract(folder, actor=actor, source="web")
                (folder / MANIFEST).touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


def version(folder: Path) -> str:
    """The content hash of the folder's tables, from its manifest."""
    manifest = json.loads((folder / MANIFEST).read_text())
    tables = sorted((name, t.get("sha256", "")) for name, t in manifest.get("tables", {}).items())
    return hashlib.sha256(json.dumps([str(folder), tables]).encode()).hexdigest()[:16]


def cached(key: tuple, compute):
    """``compute()``, remembered under ``key`` (which must hold the data version)."""
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = compute()
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
