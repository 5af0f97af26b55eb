"""Compile subsumption into facts: the reflexive-transitive ``is_a`` closure.

Each row says that a child concept is subsumed by an ancestor, with the
shortest ontology path as a human-readable ``_source`` (a proof-tree leaf)::

    icd10cm:E11.65 -> icd10cm:E11.6 -> icd10cm:E11 -> icd10cm:E08-E13

A step reached through anything other than ``rdfs:subClassOf`` is marked
after the node it reaches: ``(xref)`` (a DOID cross-reference),
``(equivalent)`` (``owl:equivalentClass``), ``(maps to)`` (OMOP 'Maps to'),
``(alias)`` (an OMOP concept id or an ICD-10-CM 7th-character code resolved
to the concept it names).
"""

from __future__ import annotations

from typing import Iterable

__all__ = ["IS_A_COLUMNS", "LABEL_COLUMNS", "closure_rows", "format_path", "parse_path"]

IS_A_COLUMNS = ["system", "code", "ancestor_system", "ancestor_code", "_source"]
LABEL_COLUMNS = ["system", "code", "label"]

_MARK = {"is_a": "", "equivalent": " (equivalent)", "xref": " (xref)", "maps_to": " (maps to)",
         "alias": " (alias)"}


def format_path(nodes: list[str], kinds: list[str]) -> str:
    """Render a path; ``kinds[i]`` is the kind of the edge into ``nodes[i + 1]``.

    Examples
    --------
    >>> format_path(["snomed:1", "doid:2", "icd10cm:E11"], ["xref", "xref"])
    'snomed:1 -> doid:2 (xref) -> icd10cm:E11 (xref)'
    """
    parts = [nodes[0]]
    for node, kind in zip(nodes[1:], kinds):
        parts.append(node + _MARK.get(kind, f" ({kind})"))
    return " -> ".join(parts)


def parse_path(text: str) -> list[tuple[str, str, str | None]]:
    """The steps of a path written by :func:`format_path`: ``(system, code, kind of the edge into it)``.

    Examples
    --------
    >>> parse_path("snomed:1 -> doid:2 (xref) -> icd10cm:E11")
    [('snomed', '1', None), ('doid', '2', 'xref'), ('icd10cm', 'E11', 'is_a')]
    """
    marks = sorted(((mark, kind) for kind, mark in _MARK.items() if mark), key=lambda m: -len(m[0]))
    steps: list[tuple[str, str, str | None]] = []
    for k, part in enumerate(text.split(" -> ")):
        kind = next((kind for mark, kind in marks if part.endswith(mark)), "is_a")
        curie = part[: len(part) - len(_MARK[kind])] if _MARK[kind] else part
        steps.append((*_split(curie), kind if k else None))
    return steps


def _split(curie: str) -> tuple[str, str]:
    system, _, code = curie.partition(":")
    return system, code


def closure_rows(
    succ,
    starts: Iterable[tuple[str, str]],
    ancestors: set[str] | None = None,
) -> list[tuple[str, str, str, str, str]]:
    """Breadth-first closure from each start; rows in :data:`IS_A_COLUMNS` order.

    Parameters
    ----------
    succ : mapping
        ``node -> {parent: {"kind": ...}}`` (a networkx ``DiGraph.succ``).
    starts : iterable of (str, str)
        ``(given, canonical)`` pairs: ``given`` is the code written in the
        facts, ``canonical`` the graph node it resolves to (the same unless
        it is an alias).
    ancestors : set of str, optional
        Keep only rows whose ancestor is in this set.
    """
    rows: list[tuple[str, str, str, str, str]] = []
    for given, start in starts:
        gsys, gcode = _split(given)
        source = {start: given if given == start else f"{given} -> {start}{_MARK['alias']}"}
        if given != start and (ancestors is None or given in ancestors):
            rows.append((gsys, gcode, gsys, gcode, given))
        queue = [start]
        i = 0
        while i < len(queue):
            node = queue[i]
            i += 1
            if ancestors is None or node in ancestors:
                asys, acode = _split(node)
                rows.append((gsys, gcode, asys, acode, source[node]))
            here = source[node]
            for parent, attrs in succ[node].items():
                if parent not in source:
                    source[parent] = f"{here} -> {parent}{_MARK.get(attrs.get('kind', 'is_a'), '')}"
                    queue.append(parent)
    return rows
