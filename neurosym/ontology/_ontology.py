"""The :class:`Ontology` front class: load, query, map and compile to facts."""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import networkx as nx

from neurosym._errors import OntologyError
from neurosym.ontology._codes import normalize_code, split_curie
from neurosym.ontology._combine import merge
from neurosym.ontology._closure import IS_A_COLUMNS, LABEL_COLUMNS, closure_rows, format_path
from neurosym.ontology._omop import read_omop
from neurosym.ontology._owl import GraphData, owlready_world, read_owl
from neurosym.ontology._paths import cached, file_digest, ontology_dir

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Ontology", "SHIPPED"]

#: Shipped ontologies: name -> (file in ``ontologies/``, default code system).
SHIPPED: dict[str, tuple[str, str]] = {
    "icd10cm": ("icd10cm.owl", "icd10cm"),
    "doid": ("doid.owl", "doid"),
    "cardiometabolic": ("cardiometabolic.owl", "neurosym"),
}
_CLINICAL = ("icd10cm", "doid", "cardiometabolic")


class Ontology:
    """A concept hierarchy over CURIE codes, with subsumption queries and facts.

    Nodes are CURIEs (``icd10cm:E11.65``, ``snomed:44054006``, ``doid:9352``,
    ``neurosym:Prediabetes``); ``graph`` is a :class:`networkx.DiGraph` whose
    edges point from child to parent with a ``kind`` attribute (``"is_a"``,
    ``"equivalent"``, ``"xref"``, ``"maps_to"``).  Usually built with
    :meth:`load`, :meth:`from_omop` or :meth:`combined`.

    Parameters
    ----------
    edges : iterable of tuple
        ``(child, parent)`` or ``(child, parent, kind)`` CURIE pairs.
    nodes : iterable of str, optional
        Extra concepts without edges.
    labels : dict, optional
        CURIE -> human-readable label.
    xrefs : dict, optional
        DOID CURIE -> list of cross-referenced CURIEs.
    aliases : dict, optional
        Other CURIEs for a concept (an OMOP ``omop:<concept_id>``) -> its CURIE.
    name : str, default "ontology"
        Name shown in messages.
    default_system : str, optional
        System assumed for bare codes (``"E11"`` means ``icd10cm:E11``).
    sources : sequence of path, optional
        OWL files the ontology came from (for :meth:`to_owlready`).

    Attributes
    ----------
    graph : networkx.DiGraph
        Child -> parent edges.

    See Also
    --------
    Ontology.load, Ontology.to_facts

    Examples
    --------
    >>> onto = Ontology([("icd10cm:E11.65", "icd10cm:E11"), ("icd10cm:E11", "icd10cm:E08-E13")],
    ...                 default_system="icd10cm")
    >>> onto.is_a("E11.65", "icd10cm:E08-E13")
    True
    >>> onto.path("E11.65", "E08-E13")
    ['icd10cm:E11.65', 'icd10cm:E11', 'icd10cm:E08-E13']
    """

    def __init__(
        self,
        edges: Iterable[tuple[str, ...]] = (),
        *,
        nodes: Iterable[str] = (),
        labels: dict[str, str] | None = None,
        xrefs: dict[str, list[str]] | None = None,
        aliases: dict[str, str] | None = None,
        name: str = "ontology",
        default_system: str | None = None,
        sources: Sequence[str | Path] = (),
    ) -> None:
        self.name = name
        self.default_system = default_system
        self.sources = tuple(str(s) for s in sources)
        graph = nx.DiGraph()
        graph.add_nodes_from(nodes)
        for edge in edges:
            if len(edge) not in (2, 3):
                raise OntologyError(f"An edge is (child, parent[, kind]); got {edge!r}.")
            kind = edge[2] if len(edge) == 3 else "is_a"
            graph.add_edge(edge[0], edge[1], kind=kind)
        self.graph = graph
        self._labels = dict(labels or {})
        self._xrefs = {k: list(v) for k, v in (xrefs or {}).items()}
        self._aliases = dict(aliases or {})
        self._xrefs_to: dict[str, list[str]] | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def _from_data(cls, data: GraphData, **kwargs) -> Ontology:
        return cls(
            data.edges,
            nodes=data.nodes,
            labels=data.labels,
            xrefs=data.xrefs,
            aliases=data.aliases,
            **kwargs,
        )

    def _data(self) -> GraphData:
        return GraphData(
            nodes=list(self.graph.nodes),
            edges=[(c, p, k) for c, p, k in self.graph.edges(data="kind")],
            labels=dict(self._labels),
            xrefs={k: list(v) for k, v in self._xrefs.items()},
            aliases=dict(self._aliases),
        )

    @classmethod
    def load(cls, name_or_path: str | Path = "clinical", *, cache: bool = True) -> Ontology:
        """Load a shipped ontology by name, or an OWL file by path.

        Parameters
        ----------
        name_or_path : str or path, default "clinical"
            ``"icd10cm"``, ``"doid"``, ``"cardiometabolic"``, ``"clinical"`` (the
            three merged, see :meth:`combined`) or the path of an OWL file.
        cache : bool, default True
            Reuse the parsed graph stored under :func:`cache_dir`, keyed by
            the file's SHA-256; the first load parses the OWL with owlready2.

        Returns
        -------
        Ontology

        Raises
        ------
        OntologyError
            If the name is unknown or the file is missing or not OWL.

        Examples
        --------
        >>> icd = Ontology.load("icd10cm")
        >>> icd.ancestors("E11.65")
        ['icd10cm:E11.6', 'icd10cm:E11', 'icd10cm:E08-E13', 'icd10cm:E00-E89']
        """
        key = str(name_or_path)
        if key == "clinical":
            return cls.combined(*_CLINICAL, cache=cache)
        if key in SHIPPED:
            filename, system = SHIPPED[key]
            path = ontology_dir() / filename
            if not path.is_file():
                raise OntologyError(
                    f"Shipped ontology file {path} is missing; rebuild it with "
                    "'python ontologies/build.py'.",
                    iri=str(path),
                )
            return cls._load_owl(path, name=key, default_system=system, cache=cache)
        path = Path(name_or_path)
        if path.is_file():
            return cls._load_owl(path, name=path.stem, default_system=None, cache=cache)
        known = [*SHIPPED, "clinical"]
        hint = difflib.get_close_matches(key, known, n=1)
        raise OntologyError(
            f"Unknown ontology {key!r}: not one of {', '.join(known)} and not an existing file."
            + (f" Did you mean {hint[0]!r}?" if hint else ""),
            iri=key,
        )

    @classmethod
    def _load_owl(cls, path: Path, *, name: str, default_system: str | None, cache: bool) -> Ontology:
        key = f"owl-{path.stem}-{file_digest(path)}"
        state = cached(key, lambda: vars(read_owl(path)), use_cache=cache)
        data = GraphData(**state)
        if default_system is None:
            counts = Counter(n.split(":", 1)[0] for n in data.nodes)
            default_system = counts.most_common(1)[0][0] if counts else None
        return cls._from_data(data, name=name, default_system=default_system, sources=[path])

    @classmethod
    def from_omop(cls, directory: str | Path) -> Ontology:
        """Build the concept hierarchy of an OMOP CDM vocabulary directory.

        Concepts are ``(system, code)`` CURIEs from ``concept.csv``
        (``snomed:44054006``), or ``omop:<concept_id>`` when the vocabulary is
        not a known code system or the id has no concept row; every
        ``omop:<concept_id>`` is accepted as an alias.  Edges are the
        transitive reduction of ``concept_ancestor.csv`` plus ``Maps to`` and
        ``Is a`` rows of ``concept_relationship.csv``.

        Parameters
        ----------
        directory : str or path
            Directory with ``concept_ancestor.csv`` and ``concept.csv``.

        Returns
        -------
        Ontology
            Default system ``omop``.

        Examples
        --------
        >>> from neurosym.ontology import shared_data_dir
        >>> omop = Ontology.from_omop(shared_data_dir() / "omop_synthea27nj")  # doctest: +SKIP
        >>> omop.label("omop:201826")  # doctest: +SKIP
        'Type 2 diabetes mellitus'
        """
        directory = Path(directory)
        return cls._from_data(read_omop(directory), name=f"omop:{directory.name}",
                              default_system="omop")

    @classmethod
    def combined(cls, *parts: str | Ontology, cache: bool = True) -> Ontology:
        """Merge ontologies and bridge code systems.

        Concepts with the same CURIE become one node; DOID cross-references
        to ICD-10-CM, ICD-9-CM and SNOMED CT become ``xref`` edges (see
        :mod:`neurosym.ontology._combine` for how one-to-many xrefs are read),
        so ``snomed:44054006`` is_a ``icd10cm:E08-E13`` via ``doid:9352``.

        Parameters
        ----------
        *parts : str or Ontology
            Ontologies or shipped names; default icd10cm, doid and
            cardiometabolic (the ``"clinical"`` ontology).
        cache : bool, default True
            Cache the merged graph when all parts are shipped names.

        Returns
        -------
        Ontology
            Default system ``icd10cm``.

        Examples
        --------
        >>> a = Ontology([("icd10cm:E11", "icd10cm:E08-E13")])
        >>> b = Ontology([("doid:9352", "doid:9351")], xrefs={"doid:9352": ["icd10cm:E11"]})
        >>> Ontology.combined(a, b).path("doid:9352", "icd10cm:E08-E13")
        ['doid:9352', 'icd10cm:E11', 'icd10cm:E08-E13']
        """
        parts = parts or _CLINICAL
        name = "clinical" if tuple(parts) == _CLINICAL else "combined"
        if all(isinstance(p, str) and p in SHIPPED for p in parts):
            paths = [ontology_dir() / SHIPPED[p][0] for p in parts]
            missing = [p for p in paths if not p.is_file()]
            if missing:
                raise OntologyError(f"Shipped ontology file {missing[0]} is missing.", iri=str(missing[0]))
            key = f"combined-{'-'.join(parts)}-{file_digest(*paths)}"
            state = cached(
                key, lambda: vars(merge([cls.load(p, cache=cache)._data() for p in parts])), use_cache=cache
            )
            return cls._from_data(GraphData(**state), name=name, default_system="icd10cm", sources=paths)
        loaded = [cls.load(p, cache=cache) if isinstance(p, (str, Path)) else p for p in parts]
        sources = [s for o in loaded for s in o.sources]
        return cls._from_data(merge([o._data() for o in loaded]), name=name,
                              default_system="icd10cm", sources=sources)

    # ------------------------------------------------------------------ lookup
    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    def __iter__(self) -> Iterator[str]:
        return iter(self.graph)

    def __contains__(self, code: object) -> bool:
        try:
            self.resolve(code)  # type: ignore[arg-type]
        except OntologyError:
            return False
        return True

    def __repr__(self) -> str:
        return (f"Ontology(name={self.name!r}, concepts={self.graph.number_of_nodes()}, "
                f"edges={self.graph.number_of_edges()})")

    def resolve(self, code: str) -> str:
        """Return the concept CURIE that ``code`` names.

        Accepts CURIEs in any case (``ICD10CM:e1165``), bare codes of the
        default system, OMOP ``omop:<concept_id>`` aliases and ICD-10-CM
        7-character codes (resolved to the 6-character code they extend,
        dropping placeholder ``X``).

        Raises
        ------
        OntologyError
            If the code is unknown; the message suggests close codes.

        Examples
        --------
        >>> Ontology([("icd10cm:E11.65", "icd10cm:E11")], default_system="icd10cm").resolve("e1165")
        'icd10cm:E11.65'
        """
        system, local = split_curie(code, self.default_system)
        curie = f"{system}:{local}"
        if curie in self.graph:
            return curie
        if self._aliases.get(curie) in self.graph:
            return self._aliases[curie]
        if system == "icd10cm":
            raw = local.replace(".", "")
            if len(raw) == 7:
                base = f"icd10cm:{normalize_code('icd10cm', raw[:6].rstrip('X'))}"
                if base in self.graph:
                    return base
        raise OntologyError(self._unknown_message(code, curie), iri=curie)

    def _unknown_message(self, given: str, curie: str) -> str:
        system, _, local = curie.partition(":")
        prefix = f"{system}:{local[:1]}"
        candidates = [n for n in self.graph if n.startswith(prefix)]
        hints = difflib.get_close_matches(curie, candidates, n=3, cutoff=0.75)
        systems = sorted({n.split(":", 1)[0] for n in self.graph})
        msg = f"Unknown code {given!r} ({curie}) in ontology {self.name!r}."
        if hints:
            msg += f" Did you mean {', '.join(hints)}?"
        elif system not in systems:
            msg += f" This ontology has codes of {', '.join(systems) or 'no system'}."
        return msg

    def label(self, code: str) -> str | None:
        """The label of ``code``, or ``None`` if it has none.

        Examples
        --------
        >>> Ontology(nodes=["icd10cm:I10"], labels={"icd10cm:I10": "Essential (primary) hypertension"}
        ...          ).label("icd10cm:I10")
        'Essential (primary) hypertension'
        """
        curie = self.resolve(code)
        return self._labels.get(curie)

    def parents(self, code: str) -> list[str]:
        """Direct parents of ``code`` (any edge kind), sorted.

        Examples
        --------
        >>> Ontology([("icd10cm:E11", "icd10cm:E08-E13")]).parents("icd10cm:E11")
        ['icd10cm:E08-E13']
        """
        return sorted(self.graph.succ[self.resolve(code)])

    def children(self, code: str) -> list[str]:
        """Direct children of ``code`` (any edge kind), sorted.

        Examples
        --------
        >>> Ontology([("icd10cm:E11", "icd10cm:E08-E13")]).children("icd10cm:E08-E13")
        ['icd10cm:E11']
        """
        return sorted(self.graph.pred[self.resolve(code)])

    # ------------------------------------------------------------------ subsumption
    @staticmethod
    def _bfs(adj, start: str) -> dict[str, str | None]:
        prev: dict[str, str | None] = {start: None}
        queue = [start]
        i = 0
        while i < len(queue):
            node = queue[i]
            i += 1
            for nxt in adj[node]:
                if nxt not in prev:
                    prev[nxt] = node
                    queue.append(nxt)
        return prev

    def ancestors(self, code: str, *, include_self: bool = False) -> list[str]:
        """All concepts that subsume ``code``, nearest first.

        Parameters
        ----------
        code : str
            A CURIE, or a bare code of the default system.
        include_self : bool, default False
            Start the list with the concept itself.

        Returns
        -------
        list of str
            In breadth-first order (by distance, ties in graph order).

        Examples
        --------
        >>> onto = Ontology([("icd10cm:E11.65", "icd10cm:E11"), ("icd10cm:E11", "icd10cm:E08-E13")])
        >>> onto.ancestors("icd10cm:E11.65")
        ['icd10cm:E11', 'icd10cm:E08-E13']
        """
        start = self.resolve(code)
        found = list(self._bfs(self.graph.succ, start))
        return found if include_self else [n for n in found if n != start]

    def descendants(self, code: str, *, include_self: bool = False) -> list[str]:
        """All concepts subsumed by ``code``, nearest first.

        Examples
        --------
        >>> onto = Ontology([("icd10cm:E11.65", "icd10cm:E11"), ("icd10cm:E11", "icd10cm:E08-E13")])
        >>> onto.descendants("icd10cm:E08-E13")
        ['icd10cm:E11', 'icd10cm:E11.65']
        """
        start = self.resolve(code)
        found = list(self._bfs(self.graph.pred, start))
        return found if include_self else [n for n in found if n != start]

    def is_a(self, code: str, ancestor: str) -> bool:
        """Whether ``ancestor`` subsumes ``code`` (reflexive and transitive).

        Examples
        --------
        >>> onto = Ontology([("icd10cm:E11", "icd10cm:E08-E13")])
        >>> onto.is_a("icd10cm:E11", "icd10cm:E08-E13"), onto.is_a("icd10cm:E08-E13", "icd10cm:E11")
        (True, False)
        """
        child, parent = self.resolve(code), self.resolve(ancestor)
        return child == parent or nx.has_path(self.graph, child, parent)

    def _path_nodes(self, code: str, ancestor: str) -> tuple[list[str], list[str]]:
        child, parent = self.resolve(code), self.resolve(ancestor)
        prev = self._bfs(self.graph.succ, child)
        if parent not in prev:
            raise OntologyError(
                f"{code!r} is not subsumed by {ancestor!r} in ontology {self.name!r}; "
                "check with is_a() first.",
                iri=parent,
            )
        nodes = [parent]
        while prev[nodes[-1]] is not None:
            nodes.append(prev[nodes[-1]])
        nodes.reverse()
        kinds = [self.graph.edges[a, b]["kind"] for a, b in zip(nodes, nodes[1:])]
        given = split_curie(code, self.default_system)
        given_curie = f"{given[0]}:{given[1]}"
        if given_curie != child:
            nodes.insert(0, given_curie)
            kinds.insert(0, "alias")
        return nodes, kinds

    def path(self, code: str, ancestor: str) -> list[str]:
        """A shortest subsumption path from ``code`` up to ``ancestor``.

        Returns
        -------
        list of str
            CURIEs from ``code`` to ``ancestor`` inclusive.

        Raises
        ------
        OntologyError
            If ``ancestor`` does not subsume ``code``.

        See Also
        --------
        Ontology.path_text : the same path as the text used in facts.

        Examples
        --------
        >>> Ontology([("icd10cm:E11", "icd10cm:E08-E13")]).path("icd10cm:E11", "icd10cm:E08-E13")
        ['icd10cm:E11', 'icd10cm:E08-E13']
        """
        return self._path_nodes(code, ancestor)[0]

    def path_text(self, code: str, ancestor: str) -> str:
        """The shortest path as text, non-``is_a`` steps marked (``(xref)``).

        This is the ``_source`` string of :meth:`to_facts`.

        Examples
        --------
        >>> onto = Ontology([("snomed:44054006", "doid:9352", "xref"), ("doid:9352", "icd10cm:E11", "xref")])
        >>> onto.path_text("snomed:44054006", "icd10cm:E11")
        'snomed:44054006 -> doid:9352 (xref) -> icd10cm:E11 (xref)'
        """
        return format_path(*self._path_nodes(code, ancestor))

    # ------------------------------------------------------------------ mappings
    def _reverse_xrefs(self) -> dict[str, list[str]]:
        if self._xrefs_to is None:
            rev: dict[str, list[str]] = {}
            for term, codes in sorted(self._xrefs.items()):
                for code in codes:
                    rev.setdefault(code, []).append(term)
            self._xrefs_to = rev
        return self._xrefs_to

    def _need_xrefs(self) -> None:
        if not self._xrefs:
            raise OntologyError(
                f"Ontology {self.name!r} has no DOID cross-references; use Ontology.load('doid') "
                "or Ontology.load('clinical')."
            )

    def icd10cm_to_doid(self, code: str, *, inherit: bool = False) -> list[str]:
        """DOID classes that cross-reference an ICD-10-CM code.

        Parameters
        ----------
        code : str
            ``icd10cm:<code>`` (bare codes are read as ICD-10-CM).
        inherit : bool, default False
            If the code has no xref, use its nearest ICD-10-CM ancestor that
            has one (needs the ICD-10-CM hierarchy, as in ``"clinical"``).

        Returns
        -------
        list of str
            Sorted DOID CURIEs (empty if none).

        Examples
        --------
        >>> onto = Ontology(nodes=["doid:9352"], xrefs={"doid:9352": ["icd10cm:E11"]})
        >>> onto.icd10cm_to_doid("E11")
        ['doid:9352']
        """
        self._need_xrefs()
        system, local = split_curie(code, "icd10cm")
        if system != "icd10cm":
            raise OntologyError(f"Expected an ICD-10-CM code; got {code!r}.", iri=code)
        curie = f"icd10cm:{local}"
        if any(n.startswith("icd10cm:") for n in self.graph):
            curie = self.resolve(curie)  # the ICD-10-CM hierarchy is loaded: check the code
        rev = self._reverse_xrefs()
        found = sorted(rev.get(curie, []))
        if found or not inherit or curie not in self.graph:
            return found
        for anc in self.ancestors(curie):
            if anc.startswith("icd10cm:") and rev.get(anc):
                return sorted(rev[anc])
        return []

    def doid_to_icd10cm(self, code: str, *, inherit: bool = False) -> list[str]:
        """ICD-10-CM codes that a DOID class cross-references.

        Parameters
        ----------
        code : str
            ``doid:<n>`` (``DOID:<n>`` is accepted).
        inherit : bool, default False
            If the class has no ICD-10-CM xref, use its nearest DOID ancestor's.

        Returns
        -------
        list of str
            Sorted ICD-10-CM CURIEs (empty if none).

        Examples
        --------
        >>> onto = Ontology(nodes=["doid:9352"], xrefs={"doid:9352": ["icd10cm:E11", "snomed:44054006"]})
        >>> onto.doid_to_icd10cm("DOID:9352")
        ['icd10cm:E11']
        """
        self._need_xrefs()
        system, local = split_curie(code, "doid")
        if system != "doid":
            raise OntologyError(f"Expected a DOID code such as 'doid:9352'; got {code!r}.", iri=code)
        curie = self.resolve(f"doid:{local}")
        order = [curie] + ([a for a in self.ancestors(curie) if a.startswith("doid:")] if inherit else [])
        for term in order:
            found = sorted(c for c in self._xrefs.get(term, []) if c.startswith("icd10cm:"))
            if found:
                return found
        return []

    # ------------------------------------------------------------------ facts
    def to_facts(
        self,
        codes: Iterable[str] | None = None,
        ancestors: Iterable[str] | None = None,
        *,
        errors: str = "ignore",
    ) -> pd.DataFrame:
        """The reflexive-transitive ``is_a`` relation as a table of facts.

        One row per (concept, ancestor) pair, the concept itself included:
        ``is_a(system, code, ancestor_system, ancestor_code)`` with the
        shortest ontology path as ``_source``, e.g.
        ``icd10cm:E11.65 -> icd10cm:E11.6 -> icd10cm:E11 -> icd10cm:E08-E13``.

        Parameters
        ----------
        codes : iterable of str, optional
            Only rows whose child is one of these codes (as written, so
            ``omop:<concept_id>`` and ICD-10-CM 7-character codes keep their
            spelling in the ``code`` column).  Default: every concept.
        ancestors : iterable of str, optional
            Only rows whose ancestor is one of these concepts.
        errors : {"ignore", "raise"}, default "ignore"
            What to do with codes the ontology does not know.

        Returns
        -------
        pandas.DataFrame
            Columns ``system, code, ancestor_system, ancestor_code, _source``.

        Examples
        --------
        >>> onto = Ontology([("icd10cm:E11.65", "icd10cm:E11"), ("icd10cm:E11", "icd10cm:E08-E13")])
        >>> onto.to_facts(codes=["icd10cm:E11.65"])["_source"].tolist()
        ['icd10cm:E11.65', 'icd10cm:E11.65 -> icd10cm:E11', 'icd10cm:E11.65 -> icd10cm:E11 -> icd10cm:E08-E13']
        """
        import pandas as pd

        if errors not in ("ignore", "raise"):
            raise OntologyError(f"errors must be 'ignore' or 'raise'; got {errors!r}.")
        if codes is None:
            starts = [(n, n) for n in sorted(self.graph)]
        else:
            starts = []
            for code in dict.fromkeys([codes] if isinstance(codes, str) else codes):
                try:
                    canonical = self.resolve(code)
                except OntologyError:
                    if errors == "raise":
                        raise
                    continue
                system, local = split_curie(code, self.default_system)
                starts.append((f"{system}:{local}", canonical))
        keep = None
        if ancestors is not None:
            keep = set()
            for code in [ancestors] if isinstance(ancestors, str) else ancestors:
                try:
                    keep.add(self.resolve(code))
                except OntologyError:
                    if errors == "raise":
                        raise
        rows = closure_rows(self.graph.succ, starts, keep)
        return pd.DataFrame(rows, columns=IS_A_COLUMNS)

    def label_facts(self, codes: Iterable[str] | None = None) -> pd.DataFrame:
        """The ``concept_label(system, code, label)`` relation for labelled concepts.

        Examples
        --------
        >>> Ontology(nodes=["icd10cm:I10"], labels={"icd10cm:I10": "Essential hypertension"}
        ...          ).label_facts().values.tolist()
        [['icd10cm', 'I10', 'Essential hypertension']]
        """
        import pandas as pd

        chosen = sorted(self._labels) if codes is None else [self.resolve(c) for c in codes]
        rows = [(*c.split(":", 1), self._labels[c]) for c in chosen if c in self._labels]
        return pd.DataFrame(rows, columns=LABEL_COLUMNS)

    # ------------------------------------------------------------------ OWL reasoning
    def to_owlready(self):
        """Load this ontology's OWL files into a new owlready2 ``World``.

        Returns
        -------
        owlready2.World
            For reasoning (``owlready2.sync_reasoner_hermit(world)``) or SPARQL.

        Raises
        ------
        OntologyError
            If the ontology was not built from OWL files (OMOP, hand-built).
        """
        if not self.sources:
            raise OntologyError(f"Ontology {self.name!r} was not loaded from OWL files.")
        world, _ = owlready_world([Path(s) for s in self.sources])
        return world

    def check_consistency(self) -> list[str]:
        """Classify the OWL ontology with HermiT (needs Java) and check it.

        Returns
        -------
        list of str
            Unsatisfiable classes (CURIEs where known); empty when all are
            satisfiable.

        Raises
        ------
        OntologyError
            If HermiT finds the ontology inconsistent or cannot run.
        """
        import contextlib
        import io

        import owlready2

        from neurosym.ontology._codes import from_iri

        world = self.to_owlready()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as err:
            raise OntologyError(f"HermiT found ontology {self.name!r} inconsistent.") from err
        except Exception as err:  # Java missing or reasoner crash
            raise OntologyError(f"Could not run HermiT on {self.name!r}: {err}") from err
        return sorted(from_iri(c.iri) or c.iri for c in world.inconsistent_classes())
