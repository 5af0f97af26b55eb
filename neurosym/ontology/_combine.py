"""Merge ontologies and bridge code systems through DOID cross-references.

Concepts with the same CURIE are the same node, so the cardiometabolic
ontology's axioms (``neurosym:Type2Diabetes`` equivalent to
``icd10cm:E11``) join ICD-10-CM directly.  DOID's ``hasDbXref`` annotations
become ``xref`` edges, read by multiplicity:

- one-to-one (the DOID class has one xref in that system, and no other DOID
  class refers to the code): equivalence, an edge each way;
- the code is referred to by several DOID classes: each DOID class is_a the
  code (the code is the broader bucket, as ICD-10-CM ``E03.1`` for eight
  forms of congenital hypothyroidism);
- otherwise, when the DOID class refers to several codes of one system:
  each code is_a the DOID class (the DOID class is the broader one).

ICD-10-CM xrefs to codes absent from the loaded ICD-10-CM hierarchy (retired
or extension codes) are dropped when ICD-10-CM is part of the merge.
"""

from __future__ import annotations

from collections import defaultdict

from neurosym.ontology._owl import GraphData, edge_order

__all__ = ["merge", "xref_bridges"]


def xref_bridges(xrefs: dict[str, list[str]], known: set[str] | None = None) -> list[tuple[str, str, str]]:
    """Return ``(child, parent, "xref")`` edges for DOID cross-references.

    Parameters
    ----------
    xrefs : dict
        DOID CURIE -> list of external CURIEs.
    known : set of str, optional
        ICD-10-CM CURIEs that exist; other ``icd10cm:`` xrefs are skipped.

    Examples
    --------
    >>> xref_bridges({"doid:1": ["icd10cm:A"], "doid:2": ["icd10cm:B"], "doid:3": ["icd10cm:B"]})
    [('doid:1', 'icd10cm:A', 'xref'), ('icd10cm:A', 'doid:1', 'xref'), ('doid:2', 'icd10cm:B', 'xref'), ('doid:3', 'icd10cm:B', 'xref')]
    """
    by_code: dict[str, set[str]] = defaultdict(set)
    by_term: dict[tuple[str, str], set[str]] = defaultdict(set)
    for term, codes in xrefs.items():
        for code in codes:
            if known is not None and code.startswith("icd10cm:") and code not in known:
                continue
            by_code[code].add(term)
            by_term[(term, code.split(":", 1)[0])].add(code)
    edges: list[tuple[str, str, str]] = []
    for term in sorted(xrefs):
        for code in sorted(xrefs[term]):
            if code not in by_code or term not in by_code[code]:
                continue
            shared = len(by_code[code]) > 1
            several = len(by_term[(term, code.split(":", 1)[0])]) > 1
            if shared:
                edges.append((term, code, "xref"))
            elif several:
                edges.append((code, term, "xref"))
            else:
                edges.append((term, code, "xref"))
                edges.append((code, term, "xref"))
    return edges


def merge(parts: list[GraphData]) -> GraphData:
    """Union of ``parts`` plus DOID xref bridges; the first label seen wins."""
    out = GraphData()
    nodes: dict[str, None] = {}
    edges: dict[tuple[str, str], str] = {}
    for part in parts:
        nodes.update(dict.fromkeys(part.nodes))
        for child, parent, kind in part.edges:
            edges.setdefault((child, parent), kind)
        for code, label in part.labels.items():
            out.labels.setdefault(code, label)
        for code, refs in part.xrefs.items():
            out.xrefs.setdefault(code, []).extend(r for r in refs if r not in out.xrefs.get(code, []))
        out.aliases.update(part.aliases)
    icd = {n for n in nodes if n.startswith("icd10cm:")}
    for child, parent, kind in xref_bridges(out.xrefs, icd or None):
        nodes.update(dict.fromkeys((child, parent)))
        edges.setdefault((child, parent), kind)
    out.nodes = list(nodes)
    out.edges = sorted(((c, p, k) for (c, p), k in edges.items()), key=edge_order)
    return out
