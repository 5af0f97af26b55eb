"""SQLGlot's expression module, imported on first use.

Importing SQLGlot and its DuckDB generator costs about 0.15 CPU seconds, most
of a short ``neurosym rules run`` process.  The compiler modules name SQLGlot
classes through :data:`exp`, which imports :mod:`sqlglot.expressions` the
first time an attribute is read, so a process whose SQL comes from the
statement cache (:mod:`neurosym.logic._sqlcache`) never imports SQLGlot.

Examples
--------
>>> from neurosym.logic._exp import exp
>>> exp.column("c0", table="t").sql("duckdb")
't.c0'
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["exp"]


class _Expressions:
    """Stands for :mod:`sqlglot.expressions`; each attribute is looked up there once, then kept."""

    def __getattr__(self, name: str) -> Any:
        value = getattr(importlib.import_module("sqlglot.expressions"), name)
        setattr(self, name, value)
        return value


#: :mod:`sqlglot.expressions`, imported when first used.
exp: Any = _Expressions()
