"""Build a concept hierarchy from an OMOP CDM vocabulary directory.

Reads ``concept_ancestor.csv`` (required), ``concept.csv`` and, when
present, ``concept_ancestor_concepts.csv`` (extra concept rows) and
``concept_relationship.csv`` through the one OMOP vocabulary reader,
:func:`neurosym.data.read_omop_vocabulary` (the OMOP loader uses the same
one).  File names are matched case-insensitively.

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

from neurosym._errors import DataLoadError, OntologyError
from neurosym.ontology._codes import OMOP_VOCABULARIES, normalize_code
from neurosym.ontology._owl import GraphData, edge_order

__all__ = ["read_omop"]


def read_omop(directory: Path) -> GraphData:
    """Read the OMOP vocabulary tables in ``directory`` into :class:`GraphData`.

    Raises
    ------
    OntologyError
        If the directory or its ``concept_ancestor.csv`` is missing, or a
        vocabulary table cannot be read (the message names the file and line).
    """
    import networkx as nx
    import pandas as pd

    from neurosym.data._csvreader import find_table
    from neurosym.data._omop import read_omop_vocabulary

    directory = Path(directory)
    if not directory.is_dir():
        raise OntologyError(f"OMOP directory {directory} does not exist.", iri=str(directory))
    if find_table(directory, "concept_ancestor", required=False) is None:
        raise OntologyError(
            f"No concept_ancestor.csv in {directory}; from_omop needs an OMOP vocabulary directory.",
            iri=str(directory),
        )
    try:
        vocabulary = read_omop_vocabulary(directory)
    except DataLoadError as err:
        raise OntologyError(f"Cannot read the OMOP vocabulary: {err}", iri=str(directory)) from err
    concepts = vocabulary["concept"][["concept_id", "concept_name", "vocabulary_id", "concept_code"]].astype("string")

    data = GraphData()
    curie_of: dict[str, str] = {}
    for cid, name, vocab, code in concepts.fillna("").itertuples(index=False):
        system = OMOP_VOCABULARIES.get(vocab)
        curie = f"{system}:{normalize_code(system, code)}" if system and code else f"omop:{cid}"
        curie_of[cid] = curie
        data.labels.setdefault(curie, name)
        if curie != f"omop:{cid}":
            data.aliases[f"omop:{cid}"] = curie

    def curie(cid) -> str:
        cid = str(cid)
        return curie_of.get(cid) or f"omop:{cid}"

    anc = vocabulary["concept_ancestor"][["ancestor_concept_id", "descendant_concept_id"]].dropna().astype("string")
    closure = nx.DiGraph()
    closure.add_nodes_from(curie(c) for c in pd.unique(anc.values.ravel()))
    closure.add_edges_from(
        (curie(d), curie(a))
        for a, d in anc.itertuples(index=False)
        if curie(a) != curie(d)
    )
    rel = vocabulary["concept_relationship"][["concept_id_1", "concept_id_2", "relationship_id"]]
    kinds = {"Maps to": "maps_to", "Is a": "is_a"}
    rel = rel[rel["relationship_id"].isin(kinds).fillna(False)].dropna().astype("string")
    extra: list[tuple[str, str, str]] = []
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
