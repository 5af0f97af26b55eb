"""The ontology load cache; where ontology files and shared data live comes from :mod:`neurosym._resources`.

- Shipped OWL files: :func:`ontology_dir` (``$NEUROSYM_ONTOLOGIES``, the
  installed package data or ``<checkout>/ontologies``).
- Shared source data: :func:`shared_data_dir` (``$NEUROSYM_SHARED_DATA`` or
  ``<checkout>/../shared/data``).
- Cache: :func:`cache_dir` (``$NEUROSYM_CACHE`` or ``~/.cache/neurosym``);
  entries are keyed by the SHA-256 of the files they were built from, so an
  edited file is never served stale.

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

from neurosym._resources import cache_dir, ontology_dir, shared_data_dir

__all__ = ["ontology_dir", "shared_data_dir", "cache_dir", "file_digest", "cached"]

#: Bump when the cached data layout changes.
CACHE_VERSION = "2"


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
