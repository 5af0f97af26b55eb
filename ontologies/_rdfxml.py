"""A tiny deterministic RDF/XML writer for OWL class hierarchies.

Used by ``build.py`` only.  Output is byte-for-byte reproducible: classes are
written in the order given, attributes and children in a fixed order, and no
timestamps are recorded.  IRIs are shortened with XML entities declared in the
DOCTYPE (``&icd;E11.65``), the convention of the OWL API's RDF/XML output, which
owlready2 and other RDF parsers expand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

__all__ = ["OwlClass", "write_rdfxml"]

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


@dataclass
class OwlClass:
    """One ``owl:Class`` with its axioms and annotations.

    ``annotations`` is a list of ``(qname, text)`` pairs written as string
    literals; ``subclass_of``, ``equivalent_to`` and ``disjoint_with`` hold IRIs.
    """

    iri: str
    label: str | None = None
    subclass_of: list[str] = field(default_factory=list)
    equivalent_to: list[str] = field(default_factory=list)
    disjoint_with: list[str] = field(default_factory=list)
    annotations: list[tuple[str, str]] = field(default_factory=list)


def _short(iri: str, entities: dict[str, str]) -> str:
    best = ""
    for name, base in entities.items():
        if iri.startswith(base) and len(base) > len(entities.get(best, "")):
            best = name
    quote = {'"': "&quot;"}
    if best:
        return f"&{best};" + escape(iri[len(entities[best]) :], quote)
    return escape(iri, quote)


def write_rdfxml(
    path,
    *,
    ontology_iri: str,
    classes: list[OwlClass],
    entities: dict[str, str],
    namespaces: dict[str, str],
    ontology_annotations: list[tuple[str, str]] = (),
    annotation_properties: list[str] = (),
    all_disjoint: list[list[str]] = (),
) -> None:
    """Write ``classes`` as an OWL ontology in RDF/XML to ``path``.

    ``namespaces`` maps XML prefixes (``dcterms``) to namespace IRIs; the
    prefixes ``rdf``, ``rdfs``, ``owl`` and ``xsd`` are always declared.
    ``annotation_properties`` are full IRIs declared as
    ``owl:AnnotationProperty``; ``all_disjoint`` lists groups of class IRIs
    written as ``owl:AllDisjointClasses`` axioms.
    """
    ns = {
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": RDFS,
        "owl": OWL,
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        **namespaces,
    }
    ents = {**{k: v for k, v in ns.items()}, **entities}

    def ref(iri: str) -> str:
        return f'"{_short(iri, ents)}"'

    out: list[str] = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE rdf:RDF ["]
    for name, base in ents.items():
        out.append(f"  <!ENTITY {name} {quoteattr(base)}>")
    out.append("]>")
    decl = " ".join(f"xmlns:{p}={quoteattr(u)}" for p, u in ns.items())
    out.append(f"<rdf:RDF {decl}>")
    out.append(f"<owl:Ontology rdf:about={ref(ontology_iri)}>")
    for qname, text in ontology_annotations:
        out.append(f"  <{qname}>{escape(text)}</{qname}>")
    out.append("</owl:Ontology>")
    for prop in annotation_properties:
        out.append(f"<owl:AnnotationProperty rdf:about={ref(prop)}/>")
    for cls in classes:
        body: list[str] = []
        if cls.label is not None:
            body.append(f"<rdfs:label>{escape(cls.label)}</rdfs:label>")
        body += [f"<rdfs:subClassOf rdf:resource={ref(p)}/>" for p in cls.subclass_of]
        body += [f"<owl:equivalentClass rdf:resource={ref(p)}/>" for p in cls.equivalent_to]
        body += [f"<owl:disjointWith rdf:resource={ref(p)}/>" for p in cls.disjoint_with]
        body += [f"<{q}>{escape(t)}</{q}>" for q, t in cls.annotations]
        if body:
            out.append(f"<owl:Class rdf:about={ref(cls.iri)}>{''.join(body)}</owl:Class>")
        else:
            out.append(f"<owl:Class rdf:about={ref(cls.iri)}/>")
    for group in all_disjoint:
        members = "".join(f"<rdf:Description rdf:about={ref(m)}/>" for m in group)
        out.append(
            '<rdf:Description><rdf:type rdf:resource="&owl;AllDisjointClasses"/>'
            f'<owl:members rdf:parseType="Collection">{members}</owl:members></rdf:Description>'
        )
    out.append("</rdf:RDF>")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(out) + "\n")
