"""Where the results pages get their analytics tables, and a small cache of computed results.

With ``PESTRACK_ANALYTICS_DIR`` set, that folder is used as it is (keep it current with
``pestrack analytics extract --out DIR``, e.g. every night). Without it, the database is extracted
into a cache folder of its own whenever that copy is older than ``PESTRACK_ANALYTICS_REFRESH``
seconds; the extract rewrites only the tables whose content changed.

Computed results are cached under the content hashes of the tables (manifest.json), so a new
extract with other content is never answered from an old result: in the process, and in files that
every server process shares (``<cache folder>/results``, Django's file-based cache), so that one
process computes a result and the others read it. The cache folder holds pseudonymised data and is
readable by the server's user only (mode 0700); a folder others could write to is not used.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache

from pestrack.analytics.extract import MANIFEST, extract

CACHE_SIZE = 512
CACHE_SECONDS = 7 * 24 * 3600
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


def cache_dir() -> Path:
    configured = settings.PESTRACK_ANALYTICS_CACHE_DIR
    if configured:
        return Path(configured)
    db = settings.DATABASES["default"]
    name = hashlib.sha256(f"{db.get('HOST')}:{db.get('PORT')}/{db.get('NAME')}".encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"pestrack-analytics-{name}"


def private_folder(path: Path) -> Path | None:
    """``path``, created readable by this user only; None when it exists and others may write to it
    or it belongs to someone else (its files could then not be trusted)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        return None
    return path


def _fresh(folder: Path) -> bool:
    manifest = folder / MANIFEST
    return manifest.exists() and time.time() - manifest.stat().st_mtime < settings.PESTRACK_ANALYTICS_REFRESH


def analytics_dir(actor: str = "web") -> Path:
    """The folder of analytics tables to compute on (extracting the database first when needed)."""
    if settings.PESTRACK_ANALYTICS_DIR:
        folder = Path(settings.PESTRACK_ANALYTICS_DIR)
        if not (folder / MANIFEST).exists():
            raise FileNotFoundError(
                f"PESTRACK_ANALYTICS_DIR={folder}: no analytics tables there "
                f"(pestrack analytics extract --out {folder})"
            )
        return folder
    folder = cache_dir()
    if private_folder(folder) is None:
        raise FileNotFoundError(
            f"{folder}: the analytics cache folder is writable by others or not ours; "
            "set PESTRACK_ANALYTICS_CACHE_DIR to a folder of the server's own"
        )
    if _fresh(folder):
        return folder
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


def _shared() -> tuple[FileBasedCache, Path] | None:
    folder = private_folder(cache_dir() / "results")
    if folder is None:
        return None
    (folder / "locks").mkdir(mode=0o700, exist_ok=True)
    return FileBasedCache(str(folder), {"TIMEOUT": CACHE_SECONDS, "OPTIONS": {"MAX_ENTRIES": 5000}}), folder / "locks"


def _remember(key: tuple, value) -> None:
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


_code_version: str | None = None


def code_version() -> str:
    """A fingerprint of pestrack's code and profiles, part of every shared cache key: the files
    cached outlive a server, and a value pickled by other code (e.g. a class without a field the new
    code reads) must never reach it after an upgrade or a profile change."""
    global _code_version
    if _code_version is None:
        digest = hashlib.sha256()
        roots = [Path(__file__).resolve().parents[1], Path(settings.PESTRACK_PROFILES_DIR)]
        for root in roots:
            for path in sorted(root.rglob("*")):
                if path.suffix in (".py", ".yaml", ".yml") and path.is_file():
                    digest.update(str(path.relative_to(root)).encode())
                    digest.update(path.read_bytes())
        _code_version = digest.hexdigest()[:16]
    return _code_version


def cached(key: tuple, compute):
    """``compute()``, remembered under ``key`` (which must hold the data version): in this process
    and in the shared file cache, where a lock lets one process compute while the others wait."""
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    shared = _shared()
    if shared is None:
        value = compute()
        _remember(key, value)
        return value
    files, locks = shared
    name = hashlib.sha256(repr((code_version(), key)).encode()).hexdigest()
    missing = object()
    value = files.get(name, missing)
    if value is missing:
        with open(locks / name, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                value = files.get(name, missing)
                if value is missing:
                    value = compute()
                    files.set(name, value)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    _remember(key, value)
    return value


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
