"""Where ontology files, shared source data and the load cache live.

- Shipped OWL files: the repository's ``ontologies/`` directory, found from
  this package (``<repo>/ontologies``).
- Shared source data: ``$NEUROSYM_SHARED_DATA`` or ``<repo>/../shared/data``.
- Cache: ``$NEUROSYM_CACHE`` or ``~/.cache/neurosym``; entries are keyed by
  the SHA-256 of the files they were built from, so an edited file is never
  served stale.

Examples
--------
>>> ontology_dir().name
'ontologies'
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any, Callable

__all__ = ["ontology_dir", "shared_data_dir", "cache_dir", "file_digest", "cached"]

_REPO = Path(__file__).resolve().parents[2]

#: Bump when the cached data layout changes.
CACHE_VERSION = "2"


def ontology_dir() -> Path:
    """The directory holding the shipped OWL files (``<repo>/ontologies``)."""
    return _REPO / "ontologies"


def shared_data_dir() -> Path:
    """``$NEUROSYM_SHARED_DATA`` if set, else ``<repo>/../shared/data``."""
    env = os.environ.get("NEUROSYM_SHARED_DATA")
    return Path(env) if env else _REPO / ".." / "shared" / "data"


def cache_dir() -> Path:
    """``$NEUROSYM_CACHE`` if set, else ``~/.cache/neurosym``."""
    env = os.environ.get("NEUROSYM_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "neurosym"


def file_digest(*paths: Path) -> str:
    """SHA-256 (hex, first 20 characters) over the bytes of ``paths`` in order."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    for path in paths:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:20]


def cached(key: str, build: Callable[[], Any], *, use_cache: bool = True) -> Any:
    """Return the pickled value stored under ``key``, building and storing it if absent.

    A cache that cannot be read or written (read-only home, corrupt file) is
    ignored: the value is rebuilt and returned.
    """
    if not use_cache:
        return build()
    path = cache_dir() / f"{key}.pkl"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
    return value
