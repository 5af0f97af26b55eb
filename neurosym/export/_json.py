"""Traces as JSON documents valid against ``neurosym/trace/trace.schema.json``.

Examples
--------
>>> from neurosym.trace import FactLeaf
>>> print(to_json(FactLeaf("q(1)", "q", [1]), indent=None))
{"trace_version": "1", "root": "n0", "nodes": [{"id": "n0", "kind": "fact", "atom": "q(1)", "relation": "q", "values": [1]}]}
"""

from __future__ import annotations

import json

from neurosym.trace import Node, to_dict

__all__ = ["to_json"]


def to_json(trace: Node, *, indent: int | None = 2) -> str:
    """The document of :func:`neurosym.trace.to_dict` as JSON text (UTF-8 characters kept)."""
    return json.dumps(to_dict(trace), indent=indent, ensure_ascii=False)
