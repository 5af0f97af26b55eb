"""The result of evaluation: query and count relations.

Proofs live elsewhere: :class:`~neurosym.logic.Explainer` (``explain``,
``why_not``) and :class:`~neurosym.logic.Prover` (top-k proof sets,
probabilities); :meth:`Model.explain`, :meth:`Model.why_not` and
:meth:`Model.probability` are conveniences that call them.

Examples
--------
>>> from neurosym.logic import Program
>>> prog = Program.from_text('path(X, Z) :- edge(X, Y), path(Y, Z). path(X, Y) :- edge(X, Y).')
>>> model = prog.evaluate({"edge": [(1, 2), (2, 3)]})
>>> model.query("path").values.tolist()
[[1, 2], [1, 3], [2, 3]]
>>> model.count("path")
3
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from neurosym.logic._ast import Var
from neurosym.logic._lookup import atom_text, find, relation_types
from neurosym.logic._native import Plan
from neurosym.logic._parser import parse_atom
from neurosym.logic._proof import ProofNode, WhyNot
from neurosym.logic._semiring import MaxProduct, TopKProofs
from neurosym.logic._sql import table_name

if TYPE_CHECKING:
    from neurosym.logic._program import Program

__all__ = ["Model"]


class Model:
    """Relations computed by an engine, with provenance.

    Use :meth:`query` for tuples, :meth:`explain` for a proof tree of one
    derived fact and :meth:`why_not` for a fact that was not derived.
    """

    def __init__(self, program: "Program", plan: Plan, con: duckdb.DuckDBPyConnection, *, engine: str,
                 facts: Mapping[str, Any] | None, semiring: MaxProduct | TopKProofs,
                 input_columns: Mapping[str, list[str]]) -> None:
        self.program = program
        self.engine = engine
        self.semiring = semiring
        self.plan = plan
        self.facts = facts
        self._con = con
        self._input_columns = dict(input_columns)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection holding the relation tables ``rel_<name>`` (columns ``c0..``, ``_h``, ``_r``, ``_p``, ``_s``)."""
        return self._con

    # -- tuples ----------------------------------------------------------
    @property
    def relations(self) -> list[str]:
        """Every relation of the program (inputs and derived), sorted."""
        return sorted(self.plan.types)

    @property
    def derived_relations(self) -> list[str]:
        """Relations defined by rules, sorted."""
        return sorted({r.head.rel for r in self.plan.rules})

    def columns(self, rel: str) -> list[str]:
        """Column names: from ``.decl``, else the input frame, else the first rule's head variables."""
        arity = len(self._types(rel))
        for decl in self.program.module.decls:
            if decl.rel == rel:
                return [name for name, _ in decl.columns]
        if rel in self._input_columns:
            return self._input_columns[rel]
        for rule in self.plan.rules:
            if rule.head.rel == rel and not rule.is_fact:
                names = [a.name if isinstance(a, Var) else f"c{i}" for i, a in enumerate(rule.head.args)]
                if len(set(names)) == len(names):
                    return names
        return [f"c{i}" for i in range(arity)]

    def _types(self, rel: str) -> list[str]:
        return relation_types(self.plan, rel)

    def query(self, rel: str, *, provenance: bool = False) -> pd.DataFrame:
        """All tuples of ``rel``, sorted, as a frame (plus ``probability`` when facts carry probabilities).

        ``provenance=True`` adds ``_rule`` (rule id or ``input``) and ``_height``.
        """
        arity = len(self._types(rel))
        args = [f"c{i}" for i in range(arity)]
        extra = ["_p"] if self.plan.prob else []
        extra += ["_r", "_h"] if provenance else []
        select = ", ".join(args + extra) or "1 AS _dummy"
        order = f" ORDER BY {', '.join(args)}" if args else ""
        frame = self._con.execute(f"SELECT DISTINCT {select} FROM {table_name(rel)}{order}").df()
        if not args:
            frame = frame.drop(columns=["_dummy"], errors="ignore")
        names = self.columns(rel)
        frame = frame.rename(columns={f"c{i}": names[i] for i in range(arity)})
        if self.plan.prob:
            frame = frame.rename(columns={"_p": "probability"})
            if isinstance(self.semiring, TopKProofs) and len(frame):
                frame["probability"] = [self.probability(atom_text(rel, row[:arity])) for row in frame.itertuples(index=False)]
        if provenance:
            frame["_rule"] = [("input" if pd.isna(r) or r < 0 else self.plan.rules[int(r)].id) for r in frame.pop("_r")]
            frame["_height"] = frame.pop("_h")
        return frame

    def __contains__(self, atom: str) -> bool:
        return find(self._con, self.plan, parse_atom(atom), limit=1) != []

    def count(self, rel: str) -> int:
        """Number of tuples in ``rel``."""
        self._types(rel)
        args = ", ".join(f"c{i}" for i in range(len(self._types(rel)))) or "1"
        return int(self._con.execute(f"SELECT COUNT(*) FROM (SELECT DISTINCT {args} FROM {table_name(rel)})").fetchone()[0])

    def write_csv_dir(self, directory: str | Path, relations: list[str] | None = None) -> list[Path]:
        """Write one tab-separated ``<relation>.csv`` per relation (default: derived ones), no header, rows sorted."""
        from neurosym.logic._factsio import write_relation

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for rel in relations or self.derived_relations:
            frame = self._con.execute(
                f"SELECT DISTINCT {', '.join(f'c{i}' for i in range(len(self._types(rel)))) or '1'} FROM {table_name(rel)}").df()
            written.append(write_relation(directory / f"{rel}.csv", frame if self._types(rel) else frame.iloc[:, :0]))
        return written

    # -- lookups ---------------------------------------------------------
    def prepare_lookups(self, min_rows: int = 100_000) -> float:
        """Sort large relations by their arguments so point lookups prune storage blocks; returns seconds spent.

        ``explain`` and ``why_not`` call this on first use: a proof asks for a
        few tuples of one patient at a time, and on sorted tables DuckDB's
        min/max zone maps skip almost every block (100x faster at 100k
        patients).  Evaluation itself does not pay for the sort.
        """
        import time

        if getattr(self, "_prepared", False):
            return 0.0
        start = time.perf_counter()
        for rel, types in self.plan.types.items():
            rows = self._con.execute(f"SELECT COUNT(*) FROM {table_name(rel)}").fetchone()[0]
            if types and rows >= min_rows:
                order = ", ".join(f"c{i}" for i in range(len(types)))
                self._con.execute(f"CREATE OR REPLACE TABLE {table_name(rel)} AS SELECT * FROM {table_name(rel)} ORDER BY {order}")
        self._prepared = True
        return time.perf_counter() - start

    # -- proofs (delegates) ----------------------------------------------
    def probability(self, atom: str) -> float:
        """Probability of a ground atom (0 if not derived) under the model's semiring; see :class:`~neurosym.logic.Prover`."""
        from neurosym.logic._prover import Prover

        return Prover(self).probability(atom)

    def explain(self, atom: str, max_depth: int = 12) -> ProofNode:
        """Proof of a derived (or input) fact; see :meth:`Explainer.explain <neurosym.logic.Explainer.explain>`."""
        from neurosym.logic._explain import Explainer

        return Explainer(self).explain(atom, max_depth=max_depth)

    def why_not(self, atom: str) -> WhyNot:
        """Why ``atom`` was not derived; see :meth:`Explainer.why_not <neurosym.logic.Explainer.why_not>`."""
        from neurosym.logic._explain import Explainer

        return Explainer(self).why_not(atom)
