"""Read an OWL file with owlready2 into plain tables (edges, labels, xrefs).

owlready2 is imported here only, when an OWL file is actually parsed; the
result is a :class:`GraphData` that the on-disk cache stores, so a warm load
does not touch owlready2 at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from neurosym._errors import OntologyError
from neurosym.ontology._codes import from_iri

__all__ = ["GraphData", "edge_order", "read_owl", "owlready_world"]

_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XREF = "http://www.geneontology.org/formats/oboInOwl#hasDbXref"


@dataclass
class GraphData:
    """The content of one ontology as plain Python values.

    ``edges`` are ``(child, parent, kind)`` CURIE triples: ``kind`` is
    ``"is_a"`` for ``rdfs:subClassOf``, ``"equivalent"`` for each direction of
    ``owl:equivalentClass``, ``"xref"`` for cross-system bridges, ``"maps_to"``
    for OMOP 'Maps to' rows and ``"extension"`` for ICD-10-CM 7th characters.
    """

    nodes: list[str] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    xrefs: dict[str, list[str]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


def edge_order(edge: tuple[str, str, str]) -> tuple:
    """Sort key for edges: by child, then cross-system steps before ``is_a``.

    Adjacency follows this order, so breadth-first search (and thus every
    shortest path shown to users) crosses to an equivalent or cross-referenced
    code first and then climbs that system's own hierarchy:
    ``snomed:44054006 -> doid:9352 (xref) -> icd10cm:E11 (xref) -> icd10cm:E08-E13``.
    """
    child, parent, kind = edge
    return (child, kind == "is_a", parent)


def owlready_world(paths: list[Path]):
    """Load OWL files into a fresh owlready2 ``World``; return ``(world, ontologies)``."""
    try:
        import owlready2
    except ImportError as err:  # pragma: no cover - owlready2 is a core dependency
        raise OntologyError("owlready2 is needed to read OWL files; pip install owlready2") from err
    world = owlready2.World()
    ontologies = []
    for path in paths:
        try:
            ontologies.append(world.get_ontology(Path(path).resolve().as_uri()).load())
        except Exception as err:  # owlready2 raises bare parser errors
            raise OntologyError(f"Could not parse OWL file {path}: {err}", iri=str(path)) from err
    return world, ontologies


def read_owl(path: Path) -> GraphData:
    """Parse ``path`` with owlready2 and return its named classes as :class:`GraphData`.

    Only classes whose IRI belongs to a known code system (see
    :data:`~neurosym.ontology._codes.SYSTEM_IRIS`) become nodes; blank nodes
    (for example ``owl:AllDisjointClasses``) are not part of the graph.
    """
    world, _ = owlready_world([path])
    graph = world.graph
    storid = world._abbreviate
    curie_of: dict[int, str] = {}
    for sid, iri in graph.execute("SELECT storid, iri FROM resources").fetchall():
        curie = from_iri(iri)
        if curie is not None:
            curie_of[sid] = curie

    def objs(prop: str) -> list[tuple[int, int]]:
        return graph.execute("SELECT s, o FROM objs WHERE p=?", (storid(prop),)).fetchall()

    def datas(prop: str) -> list[tuple[int, str]]:
        return graph.execute("SELECT s, o FROM datas WHERE p=?", (storid(prop),)).fetchall()

    data = GraphData()
    owl_class = storid(_OWL + "Class")
    data.nodes = sorted(
        {curie_of[s] for s, o in objs(_RDF_TYPE) if o == owl_class and s in curie_of}
    )
    for s, o in objs(_RDFS + "subClassOf"):
        if s in curie_of and o in curie_of:
            data.edges.append((curie_of[s], curie_of[o], "is_a"))
    for s, o in objs(_OWL + "equivalentClass"):
        if s in curie_of and o in curie_of:
            data.edges.append((curie_of[s], curie_of[o], "equivalent"))
            data.edges.append((curie_of[o], curie_of[s], "equivalent"))
    for s, o in datas(_RDFS + "label"):
        if s in curie_of:
            data.labels.setdefault(curie_of[s], str(o))
    for s, o in datas(_XREF):
        if s in curie_of:
            data.xrefs.setdefault(curie_of[s], []).append(str(o))
    data.edges.sort(key=edge_order)
    for refs in data.xrefs.values():
        refs.sort()
    return data
