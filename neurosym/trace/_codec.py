"""A trace as a JSON-ready document, valid against the published schema (``trace.schema.json``).

The document lists every node once, depth first from the root, with ids
``n0`` (the root), ``n1``, ...; a node names its children by id, so a shared
subproof appears once and is referenced twice.  Dates are ISO strings
(``2023-01-17``); empty and missing fields are left out.  :func:`from_dict`
reads a document back into nodes; values that are ISO date strings come back
as dates.

Examples
--------
>>> from neurosym.trace import Check, FactLeaf, RuleApplication
>>> shared = FactLeaf("edge(1, 2)", "edge", [1, 2])
>>> doc = to_dict(RuleApplication("p(1)", "r1", children=[shared, Check("1 < 2"), shared]))
>>> [(n["id"], n["kind"], n.get("children")) for n in doc["nodes"]]
[('n0', 'rule', ['n1', 'n2', 'n1']), ('n1', 'fact', None), ('n2', 'comparison', None)]
>>> validate(doc)
>>> back = from_dict(doc)
>>> [n.atom for n in back.children], back.children[0] is back.children[2]
(['edge(1, 2)', '1 < 2', 'edge(1, 2)'], True)
"""

from __future__ import annotations

import json
import re
from dataclasses import MISSING, fields, is_dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

from neurosym._errors import InputError
from neurosym.trace import _nodes
from neurosym.trace._nodes import Change, Node, OntologyStep, SourceRef, Value

__all__ = ["TRACE_VERSION", "from_dict", "schema", "to_dict", "validate"]

#: Version of the document layout; the schema's ``trace_version`` constant.
TRACE_VERSION = "1"

_LISTS_OF_NODES = ("children", "attempts", "counterfactuals", "why_not")

#: Node classes by their ``kind``.
_KINDS: dict[str, type[Node]] = {cls.kind: cls for cls in vars(_nodes).values()
                                 if isinstance(cls, type) and issubclass(cls, Node) and cls is not Node}
_DATES = ("landmark", "window_start", "window_end")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def from_dict(document: dict[str, Any]) -> Node:
    """The root node of a document made by :func:`to_dict` (or read from its JSON); shared nodes stay shared.

    Raises
    ------
    InputError
        A node of unknown kind, or a node that names a child id no node has.
    """
    nodes: dict[str, Node] = {}
    for doc in document["nodes"]:
        cls = _KINDS.get(doc["kind"])
        if cls is None:
            raise InputError(f"trace node {doc['id']} has unknown kind {doc['kind']!r}; known: {', '.join(sorted(_KINDS))}")
        given = {k: _field(k, v) for k, v in doc.items() if k not in ("id", "kind", *_LISTS_OF_NODES)}
        left_out = {f.name: None for f in fields(cls) if f.name not in given and f.default is MISSING
                    and f.default_factory is MISSING}  # a required field that was None is left out of the document
        nodes[doc["id"]] = cls(**given, **left_out)
    for doc in document["nodes"]:
        for key in _LISTS_OF_NODES:
            if key in doc:
                missing = [c for c in doc[key] if c not in nodes]
                if missing:
                    raise InputError(f"trace node {doc['id']} names unknown {key} {missing}")
                setattr(nodes[doc["id"]], key, [nodes[c] for c in doc[key]])
    return nodes[document["root"]]


def _field(name: str, value: Any) -> Any:
    if name == "source":
        return SourceRef(**value)
    if name == "path":
        return [OntologyStep(**step) for step in value]
    if name == "changes":
        return [Change(**change) for change in value]
    if name in _DATES:
        return date.fromisoformat(value)
    if name in ("values", "value"):
        return [_value(v) for v in value] if isinstance(value, list) else _value(value)
    if name == "bindings":
        return {k: _value(v) for k, v in value.items()}
    if name == "partial_bindings":
        return [{k: _value(v) for k, v in b.items()} for b in value]
    return value


def _value(value: Value) -> Value:
    return date.fromisoformat(value) if isinstance(value, str) and _ISO_DATE.match(value) else value


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
