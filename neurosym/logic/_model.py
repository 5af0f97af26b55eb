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

A model holds a :class:`~neurosym.logic.ResultStore` (Arrow tables), not a
database connection: it pickles, saves and loads, and works in another
process; :meth:`Model.connect` builds a DuckDB connection over the tables when
a process first needs one.

>>> import pickle
>>> pickle.loads(pickle.dumps(model)).query("path").values.tolist()
[[1, 2], [1, 3], [2, 3]]
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from neurosym._errors import EvaluationError
from neurosym.logic._ast import Module, Var
from neurosym.logic._engine import Plan
from neurosym.logic._lookup import find, relation_types
from neurosym.logic._parser import parse, parse_atom
from neurosym.logic._semiring import Semiring
from neurosym.logic._sql import sql_string, table_name
from neurosym.logic._store import LOOKUP_ROWS, ResultStore

if TYPE_CHECKING:
    import pandas as pd

    from neurosym.trace import Node, WhyNot

    from neurosym.logic._program import Program

__all__ = ["Model"]

#: Version of the directory layout written by :meth:`Model.save`.
_FORMAT = 1


class Model:
    """Relations computed by an engine, with provenance, held as Arrow tables.

    Use :meth:`query` for tuples, :meth:`explain` for a proof tree of one
    derived fact and :meth:`why_not` for a fact that was not derived.  A model
    pickles (its DuckDB connection and its ``facts`` stay behind) and
    :meth:`save` / :meth:`load` write and read it as Arrow IPC files plus the
    program text.
    """

    def __init__(self, program: "Program", plan: Plan, store: ResultStore, *, engine: str,
                 facts: Mapping[str, Any] | None, semiring: Semiring, input_columns: Mapping[str, list[str]]) -> None:
        self.program = program
        self.engine = engine
        self.semiring = semiring
        self.plan = plan
        self.store = store
        self.facts = facts
        self._input_columns = dict(input_columns)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """This process's DuckDB connection over the relation tables ``rel_<name>`` (columns ``c0..``, ``_h``, ``_r``, ``_p``, ``_s``).

        Built from the store on first use in a process and cached (right after
        evaluation it is the native engine's own database); never pickled.
        """
        return self.store.connect()

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
        With an on-demand semiring (:class:`~neurosym.logic.TopKProofs`) the
        probabilities come from the :class:`~neurosym.logic.Prover`.
        """
        arity = len(self._types(rel))
        args = [f"c{i}" for i in range(arity)]
        extra = ["_p"] if self.plan.prob else []
        extra += ["_r", "_h"] if provenance else []
        select = ", ".join(args + extra) or "1 AS _dummy"
        order = f" ORDER BY {', '.join(args)}" if args else ""
        frame = self.connect().execute(f"SELECT DISTINCT {select} FROM {table_name(rel)}{order}").df()
        if not args:
            frame = frame.drop(columns=["_dummy"], errors="ignore")
        names = self.columns(rel)
        frame = frame.rename(columns={f"c{i}": names[i] for i in range(arity)})
        if self.plan.prob:
            frame = frame.rename(columns={"_p": "probability"})
            if self.semiring.on_demand and len(frame):
                from neurosym.logic._prover import Prover

                probs = Prover(self).probabilities(rel)  # one pass over the relation's top-k proofs
                if names:
                    frame = frame.drop(columns="probability").merge(probs, on=names, how="left")
                else:
                    frame["probability"] = probs["probability"].to_numpy()
        if provenance:
            import pandas as pd

            frame["_rule"] = [("input" if pd.isna(r) or r < 0 else self.plan.rules[int(r)].id) for r in frame.pop("_r")]
            frame["_height"] = frame.pop("_h")
        return frame

    def __contains__(self, atom: str) -> bool:
        return find(self.connect(), self.plan, parse_atom(atom), limit=1) != []

    def count(self, rel: str) -> int:
        """Number of tuples in ``rel``."""
        args = ", ".join(f"c{i}" for i in range(len(self._types(rel)))) or "1"
        rows = table_name(rel) if rel in self.store.sets else f"(SELECT DISTINCT {args} FROM {table_name(rel)})"
        return int(self.connect().execute(f"SELECT COUNT(*) FROM {rows}").fetchone()[0])

    def write_csv_dir(self, directory: str | Path, relations: list[str] | None = None) -> list[Path]:
        """Write one tab-separated ``<relation>.csv`` per relation (default: derived ones), no header, rows sorted.

        The database writes the files (``COPY``); strings are written as they
        are, without quotes.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        return [self.write_csv(rel, directory / f"{rel}.csv") for rel in relations or self.derived_relations]

    def write_csv(self, relation: str, path: str | Path, delimiter: str = "\t") -> Path:
        """Write one relation's tuples, sorted, one per line, fields separated by ``delimiter``, no header or quotes.

        As Soufflé does, a nullary relation that holds is the line ``()`` and a float with an integral value is
        written without a fraction (``7``, not ``7.0``).
        """
        path = Path(path)
        types = self._types(relation)
        args = [f"c{i}" for i in range(len(types))]
        if not args:
            path.write_text("()\n" if self.count(relation) else "", encoding="utf-8")
            return path
        columns = ", ".join(args)
        shown = ", ".join(f"CASE WHEN {a} = trunc({a}) AND abs({a}) < 1e15 THEN CAST(CAST({a} AS BIGINT) AS VARCHAR) "
                          f"ELSE CAST({a} AS VARCHAR) END AS {a}" if t == "float" else a for a, t in zip(args, types))
        distinct = "" if relation in self.store.sets else "DISTINCT "
        query = f"SELECT {shown} FROM (SELECT {distinct}{columns} FROM {table_name(relation)} ORDER BY {columns})"
        self.connect().execute(f"COPY ({query}) TO {sql_string(str(path))} "
                               f"(FORMAT csv, DELIMITER {sql_string(delimiter)}, HEADER false, QUOTE '', ESCAPE '')")
        return path

    # -- lookups ---------------------------------------------------------
    def prepare_lookups(self, min_rows: int = LOOKUP_ROWS) -> float:
        """Sort large relations by their arguments so point lookups prune storage blocks; returns seconds spent.

        Optional: ``explain`` and ``why_not`` do not call it (at 10k patients the sort took 10 s and proofs were
        not faster); see :meth:`ResultStore.sort_for_lookups <neurosym.logic.ResultStore.sort_for_lookups>`.
        """
        return self.store.sort_for_lookups(min_rows)

    # -- pickling and files ----------------------------------------------
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["facts"] = None  # the input frames stay in the process that evaluated; the store has every fact
        return state

    def save(self, path: str | Path) -> Path:
        """Write the model to directory ``path``: one Arrow IPC file per relation, the program's rule files, ``model.json``.

        No Python object is pickled: :meth:`load` re-parses the rule text and
        rebuilds the semiring from its class name and parameters.  The input
        ``facts`` are not saved (the store holds every fact with its source).
        """
        path = Path(path)
        module = self.program.module
        sources = list(module.sources)
        reparsed = [r.id for text_path in sources for r in parse("\n".join(module.sources[text_path]), text_path, module.dialects.get(text_path, "auto")).rules]
        if reparsed != [r.id for r in self.plan.rules]:
            raise EvaluationError("cannot save this model: its rules do not come from distinct rule texts "
                                  "(give each Program.from_text a distinct path before adding programs)")
        (path / "program").mkdir(parents=True, exist_ok=True)
        for k, text_path in enumerate(sources):
            (path / "program" / f"{k}.dl").write_text("\n".join(module.sources[text_path]), encoding="utf-8")
        self.store.save(path / "tables")
        meta = {"format": _FORMAT, "engine": self.engine, "semiring": _describe_semiring(self.semiring),
                "sources": sources, "dialects": [module.dialects.get(p, "auto") for p in sources], "types": self.plan.types, "strata": self.plan.strata, "prob": self.plan.prob,
                "input_columns": self._input_columns, "rule_ids": reparsed}
        (path / "model.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Model":
        """Read a model written by :meth:`save`."""
        from neurosym.logic._program import Program

        path = Path(path)
        try:
            meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise EvaluationError(f"{path} holds no saved model (model.json unreadable: {err})") from err
        if meta.get("format") != _FORMAT:
            raise EvaluationError(f"{path}: saved model format {meta.get('format')!r}, this version reads {_FORMAT}")
        module = Module()
        dialects = meta.get("dialects", ["auto"] * len(meta["sources"]))  # models saved before dialects were recorded: auto
        for k, text_path in enumerate(meta["sources"]):
            part = parse((path / "program" / f"{k}.dl").read_text(encoding="utf-8"), text_path, dialects[k])
            module.rules += part.rules
            module.decls += part.decls
            module.sources.update(part.sources)
            module.dialects.update(part.dialects)
        program = Program(module)
        if [r.id for r in program.module.rules] != meta["rule_ids"]:
            raise EvaluationError(f"{path}: the saved rule files do not match the saved rule ids")
        semiring = _build_semiring(meta["semiring"])
        plan = Plan(program.module.rules, meta["types"], meta["strata"], meta["prob"], semiring)
        store = ResultStore.load(path / "tables", plan.types)
        return cls(program, plan, store, engine=meta["engine"], facts=None, semiring=semiring,
                   input_columns=meta["input_columns"])

    # -- proofs (delegates) ----------------------------------------------
    def probability(self, atom: str) -> float:
        """Probability of a ground atom (0 if not derived) under the model's semiring; see :class:`~neurosym.logic.Prover`."""
        from neurosym.logic._prover import Prover

        return Prover(self).probability(atom)

    def explain(self, atom: str, max_depth: int | None = 12) -> Node:
        """Proof of a derived (or input) fact; see :meth:`Explainer.explain <neurosym.logic.Explainer.explain>`."""
        from neurosym.logic._explain import Explainer

        return Explainer(self).explain(atom, max_depth=max_depth)

    def why_not(self, atom: str, depth: int = 1) -> WhyNot:
        """Why ``atom`` was not derived, ``depth`` levels deep; see :meth:`Explainer.why_not <neurosym.logic.Explainer.why_not>`."""
        from neurosym.logic._explain import Explainer

        return Explainer(self).why_not(atom, depth)


def _describe_semiring(semiring: Semiring) -> dict[str, Any]:
    """Class path and parameters of a dataclass semiring (what :meth:`Model.load` rebuilds it from)."""
    if not is_dataclass(semiring):
        raise EvaluationError(f"cannot save a model whose semiring {semiring!r} is not a dataclass (its parameters are unknown)")
    return {"class": f"{type(semiring).__module__}:{type(semiring).__qualname__}", "params": asdict(semiring)}


def _build_semiring(spec: Mapping[str, Any]) -> Semiring:
    module, _, name = spec["class"].partition(":")
    try:
        target: Any = importlib.import_module(module)
        for part in name.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as err:
        raise EvaluationError(f"the saved model's semiring {spec['class']} cannot be imported: {err}") from err
    return target(**spec["params"])
