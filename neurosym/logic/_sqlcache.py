"""Compiled SQL statements of a plan, kept on disk between processes.

The native engine compiles each statement of a plan once per process (with
SQLGlot).  A short process, such as ``neurosym rules run`` on small facts,
spends most of its time importing SQLGlot and compiling; this cache keeps the
statements of each plan in a JSON file under ``<cache_dir>/sql`` (see
:func:`neurosym._resources.cache_dir`), so the next process on the same
program reads them instead and never imports SQLGlot.

* **Key**: the full text of everything the statements depend on: the plan's
  rules (with their source locations, which error messages inside the SQL
  name), column types, strata, semiring, the relations stored as sets and
  those without stated facts, a digest of neurosym's version, the engine's
  source files (``neurosym/logic/*.py``) and SQLGlot's version.  The file is named by the
  key's SHA-256 and holds the key itself; a file whose key differs is a miss.
* **Content**: statement key -> SQL text (strings, lists and maps of
  strings), validated on reading.  Nothing in it is executed as Python; the
  SQL is only handed to DuckDB.  A file that is not owned by the current user
  or that others may write is not read.
* **Concurrency**: a file is written to a temporary name and renamed into
  place (atomic), so a reader sees a whole old or a whole new file.  At most
  :data:`MAX_FILES` files are kept (least recently used removed first).
* **Failures**: a cache is an optimisation, so an unreadable, invalid or
  unwritable cache is ignored and the statements are compiled as without it.

Examples
--------
>>> import tempfile
>>> from neurosym.logic import Program
>>> plan = Program.from_text("p(X) :- q(X).").evaluate({"q": [(1,)]}).plan
>>> directory = Path(tempfile.mkdtemp())
>>> statements = Statements.load(plan, sets={"p"}, empty={"p"}, directory=directory)
>>> len(statements)
0
>>> statements["first", "p"] = "SELECT c0, 1 AS _h, 0 AS _r, 1.0 AS _p FROM rel_q"
>>> statements.save()
>>> dict(Statements.load(plan, sets={"p"}, empty={"p"}, directory=directory))
{('first', 'p'): 'SELECT c0, 1 AS _h, 0 AS _r, 1.0 AS _p FROM rel_q'}
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

__all__ = ["MAX_FILES", "Statements", "cache_path"]

#: Files kept in the cache directory; the least recently used beyond this are removed.
MAX_FILES = 256
_FORMAT = 1


@functools.cache
def _engine_version() -> str:
    """Digest of neurosym's version, the engine's source files and SQLGlot's version: a change invalidates every entry."""
    from neurosym import __version__

    digest = hashlib.sha256(__version__.encode() + b"\0")
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    spec = find_spec("sqlglot")
    version = Path(spec.origin).with_name("_version.py") if spec and spec.origin else None
    digest.update(version.read_bytes() if version is not None and version.is_file() else b"sqlglot ?")
    return digest.hexdigest()


def _key_text(plan: Any, sets: set[str], empty: set[str]) -> str:
    """Everything the compiled statements of ``plan`` depend on, as one text."""
    return "\n".join([
        f"neurosym sql cache {_FORMAT}", _engine_version(), repr(plan.rules), repr(sorted(plan.types.items())),
        repr(plan.strata), repr(plan.prob), repr(plan.semiring), repr(sorted(sets)), repr(sorted(empty)),
        repr(sorted(plan.keys.items()))])


def cache_path(key_text: str, directory: Path | None = None) -> Path:
    """The file that holds the statements of a key: ``<directory>/<sha256>.json``, by default in ``<cache_dir>/sql``."""
    if directory is None:
        from neurosym._resources import cache_dir

        directory = cache_dir() / "sql"
    return directory / f"{hashlib.sha256(key_text.encode()).hexdigest()}.json"


def _sql_value(value: Any) -> bool:
    """Whether a stored statement has the shapes the engine stores: SQL text, a list of them, a map of them, or null."""
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, list):
        return all(_sql_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _sql_value(v) for k, v in value.items())
    return False


def _as_key(value: Any) -> Any:
    """A statement key read from JSON: lists back to tuples."""
    return tuple(_as_key(v) for v in value) if isinstance(value, list) else value


def _read(path: Path, key_text: str) -> dict:
    """The statements stored for ``key_text`` at ``path``, or {} when the file is missing, foreign or invalid."""
    try:
        with open(path, encoding="utf-8") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return {}
            stored = json.load(handle)
    except (OSError, ValueError):
        return {}
    try:
        os.utime(path)  # recently used: evicted last
    except OSError:
        pass
    if not isinstance(stored, dict) or stored.get("key") != key_text or not isinstance(stored.get("statements"), list):
        return {}
    pairs = stored["statements"]
    if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], list) and _sql_value(p[1]) for p in pairs):
        return {}
    return {_as_key(k): v for k, v in pairs}


def _evict(directory: Path) -> None:
    """Remove the least recently used files beyond :data:`MAX_FILES`."""
    files = []
    for path in directory.glob("*.json"):
        try:
            files.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue  # removed by another process meanwhile
    for _, path in sorted(files)[:max(0, len(files) - MAX_FILES)]:
        path.unlink(missing_ok=True)


class Statements(dict):
    """Statement key -> compiled SQL of one plan: read from the disk cache, written back by :meth:`save`."""

    def __init__(self, key_text: str, path: Path, stored: dict) -> None:
        super().__init__(stored)
        self.key_text = key_text
        self.path = path
        self._saved = len(stored)

    @classmethod
    def load(cls, plan: Any, sets: set[str], empty: set[str], directory: Path | None = None) -> Statements:
        """The statements cached for ``plan`` with these set and empty relations (none when not cached); ``directory``
        is the cache's (default ``<cache_dir>/sql``)."""
        key_text = _key_text(plan, sets, empty)
        path = cache_path(key_text, directory)
        return cls(key_text, path, _read(path, key_text))

    def save(self) -> None:
        """Write the statements when some were compiled since they were read (atomically; errors ignored)."""
        if len(self) == self._saved:
            return
        path = self.path
        body = json.dumps({"key": self.key_text, "statements": [[list(k), v] for k, v in self.items()]})
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(body)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            _evict(path.parent)
        except OSError:
            return
        self._saved = len(self)
