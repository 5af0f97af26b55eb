"""A trace as a JSON-ready document, valid against the published schema (``trace.schema.json``).

The document lists every node once, depth first from the root, with ids
``n0`` (the root), ``n1``, ...; a node names its children by id, so a shared
subproof appears once and is referenced twice.  Dates are ISO strings
(``2023-01-17``); empty and missing fields are left out.

Examples
--------
>>> from neurosym.trace import Check, FactLeaf, RuleApplication
>>> shared = FactLeaf("edge(1, 2)", "edge", [1, 2])
>>> doc = to_dict(RuleApplication("p(1)", "r1", children=[shared, Check("1 < 2"), shared]))
>>> [(n["id"], n["kind"], n.get("children")) for n in doc["nodes"]]
[('n0', 'rule', ['n1', 'n2', 'n1']), ('n1', 'fact', None), ('n2', 'comparison', None)]
>>> validate(doc)
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from neurosym._errors import InputError
from neurosym.trace._nodes import Node

__all__ = ["TRACE_VERSION", "schema", "to_dict", "validate"]

#: Version of the document layout; the schema's ``trace_version`` constant.
TRACE_VERSION = "1"

_LISTS_OF_NODES = ("children", "attempts")


def to_dict(root: Node) -> dict[str, Any]:
    """The trace under ``root`` as a document: ``trace_version``, ``root`` and ``nodes``."""
    order = list(root.walk())
    ids = {id(node): f"n{i}" for i, node in enumerate(order)}
    return {"trace_version": TRACE_VERSION, "root": "n0", "nodes": [_node(node, ids) for node in order]}


def _node(node: Node, ids: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ids[id(node)], "kind": node.kind}
    for f in fields(node):
        value = getattr(node, f.name)
        if f.name in _LISTS_OF_NODES:
            if value:
                out[f.name] = [ids[id(child)] for child in value]
        elif isinstance(value, bool) or (value is not None and value != [] and value != {}):
            out[f.name] = _json(value)
    return out


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in fields(value) if getattr(value, f.name) is not None}
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The published JSON Schema of trace documents (``neurosym/trace/trace.schema.json``)."""
    return json.loads(resources.files("neurosym.trace").joinpath("trace.schema.json").read_text(encoding="utf-8"))


def validate(document: dict[str, Any]) -> None:
    """Check a document against :func:`schema` (needs ``jsonschema``, a ``dev`` extra) and that every child id exists.

    Raises
    ------
    jsonschema.ValidationError
        The document does not match the schema.
    InputError
        A node names a child id that no node has.
    """
    import jsonschema

    jsonschema.validate(document, schema(), format_checker=jsonschema.FormatChecker())
    known = {node["id"] for node in document["nodes"]}
    for node in document["nodes"]:
        for key in _LISTS_OF_NODES:
            missing = [c for c in node.get(key, []) if c not in known]
            if missing:
                raise InputError(f"trace node {node['id']} names unknown {key} {missing}")
