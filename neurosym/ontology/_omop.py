"""Build a concept hierarchy from an OMOP CDM vocabulary directory.

Reads ``concept_ancestor.csv`` (required), ``concept.csv`` and, when
present, ``concept_ancestor_concepts.csv`` (extra concept rows) and
``concept_relationship.csv``.  File names are matched case-insensitively.

- A concept is the CURIE ``<system>:<concept_code>`` when its
  ``vocabulary_id`` is in :data:`~neurosym.ontology._codes.OMOP_VOCABULARIES`
  (``SNOMED`` -> ``snomed`` ...), else ``omop:<concept_id>``; ids without a
  concept row are ``omop:<concept_id>``.  Every ``omop:<concept_id>`` is
  accepted as an alias of its concept.
- ``concept_ancestor`` is a transitive closure; its transitive reduction
  gives the ``is_a`` edges, so :meth:`Ontology.path` shows real steps.
- ``concept_relationship`` rows ``Maps to`` (non-standard to standard, for
  example ICD-10-CM to SNOMED) become ``maps_to`` edges and ``Is a`` rows
  ``is_a`` edges.
"""

from __future__ import annotations

from pathlib import Path

from neurosym._errors import OntologyError
from neurosym.ontology._codes import OMOP_VOCABULARIES, normalize_code
from neurosym.ontology._owl import GraphData, edge_order

__all__ = ["read_omop"]


def _find(directory: Path, name: str) -> Path | None:
    for candidate in (name, name.upper(), name.replace(".csv", ".CSV").upper()):
        path = directory / candidate
        if path.is_file():
            return path
    for path in directory.iterdir():
        if path.name.lower() == name:
            return path
    return None


def read_omop(directory: Path) -> GraphData:
    """Read the OMOP vocabulary tables in ``directory`` into :class:`GraphData`.

    Raises
    ------
    OntologyError
        If the directory or its ``concept_ancestor.csv`` is missing.
    """
    import networkx as nx
    import pandas as pd

    directory = Path(directory)
    if not directory.is_dir():
        raise OntologyError(f"OMOP directory {directory} does not exist.", iri=str(directory))
    ancestor_file = _find(directory, "concept_ancestor.csv")
    if ancestor_file is None:
        raise OntologyError(
            f"No concept_ancestor.csv in {directory}; from_omop needs an OMOP vocabulary directory.",
            iri=str(directory),
        )
    cols = ["concept_id", "concept_name", "vocabulary_id", "concept_code"]
    frames = [
        pd.read_csv(p, usecols=cols, dtype=str, keep_default_na=False)
        for name in ("concept.csv", "concept_ancestor_concepts.csv")
        if (p := _find(directory, name)) is not None
    ]
    concepts = pd.concat(frames).drop_duplicates("concept_id") if frames else pd.DataFrame(columns=cols)

    data = GraphData()
    curie_of: dict[str, str] = {}
    for cid, name, vocab, code in concepts[cols].itertuples(index=False):
        system = OMOP_VOCABULARIES.get(vocab)
        curie = f"{system}:{normalize_code(system, code)}" if system and code else f"omop:{cid}"
        curie_of[cid] = curie
        data.labels.setdefault(curie, name)
        if curie != f"omop:{cid}":
            data.aliases[f"omop:{cid}"] = curie

    def curie(cid) -> str:
        cid = str(cid)
        return curie_of.get(cid) or f"omop:{cid}"

    anc = pd.read_csv(
        ancestor_file, usecols=["ancestor_concept_id", "descendant_concept_id"], dtype=str
    )
    closure = nx.DiGraph()
    closure.add_nodes_from(curie(c) for c in pd.unique(anc.values.ravel()))
    closure.add_edges_from(
        (curie(d), curie(a))
        for a, d in anc.itertuples(index=False)
        if curie(a) != curie(d)
    )
    rel_file = _find(directory, "concept_relationship.csv")
    extra: list[tuple[str, str, str]] = []
    if rel_file is not None:
        rel = pd.read_csv(
            rel_file, usecols=["concept_id_1", "concept_id_2", "relationship_id"], dtype=str
        )
        kinds = {"Maps to": "maps_to", "Is a": "is_a"}
        rel = rel[rel.relationship_id.isin(kinds)]
        for c1, c2, rid in rel.itertuples(index=False):
            a, b = curie(c1), curie(c2)
            if a != b and not closure.has_edge(a, b):
                extra.append((a, b, kinds[rid]))
    if nx.is_directed_acyclic_graph(closure):
        reduced = nx.transitive_reduction(closure)
    else:  # an inconsistent vocabulary release: keep the closure as published
        reduced = closure
    data.nodes = sorted(set(curie_of.values()) | set(closure.nodes) | {n for e in extra for n in e[:2]})
    data.edges = sorted([(c, p, "is_a") for c, p in reduced.edges] + extra, key=edge_order)
    return data
