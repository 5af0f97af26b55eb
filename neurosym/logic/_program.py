"""A :class:`Program`: parsed, checked rules ready to evaluate on facts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from neurosym._errors import EvaluationError, RuleError, UnknownIdError
from neurosym.logic._ast import Module, Rule
from neurosym.logic._checks import body_atoms, check_module, strata
from neurosym.logic._inputs import InputRelation, normalize_facts
from neurosym.logic._model import Model
from neurosym.logic._native import NativeEngine, Plan
from neurosym.logic._parser import parse
from neurosym.logic._semiring import MaxProduct, TopKProofs
from neurosym.logic._types import infer_types

__all__ = ["Program", "ENGINES"]

ENGINES = ("native", "pydatalog")


class Program:
    """Datalog rules with annotations, checked before evaluation.

    Build one with :meth:`from_text`, :meth:`from_file` or :meth:`from_files`;
    evaluate it on facts with :meth:`evaluate`.

    Examples
    --------
    >>> prog = Program.from_text('''
    ...   @id("ada.a1c") @cite("ADA Standards of Care 2025, 2.1")
    ...   diabetes(P) :- lab(P, "4548-4", V, _), V >= 6.5.
    ... ''')
    >>> model = prog.evaluate({"lab": [("p1", "4548-4", 7.1, 19000), ("p2", "4548-4", 5.2, 19000)]})
    >>> model.query("diabetes")["P"].tolist()
    ['p1']
    """

    def __init__(self, module: Module) -> None:
        self.module = module
        duplicates = sorted(i for i, n in Counter(r.id for r in module.rules).items() if n > 1)
        if duplicates:
            first = next(r for r in module.rules if r.id == duplicates[0])
            raise RuleError(f"rule id {duplicates[0]!r} is used by more than one rule; ids must be unique",
                            path=first.path, line=first.span.line, col=first.span.col)
        errors = [e for e in check_module(module, known=None) if type(e).__name__ != "UnknownRelationError"]
        if errors:
            raise errors[0]

    # -- construction ----------------------------------------------------
    @classmethod
    def from_text(cls, text: str, path: str = "<text>") -> "Program":
        """Parse and check rule text (``path`` is used in error messages)."""
        return cls(parse(text, path))

    @classmethod
    def from_file(cls, path: str | Path) -> "Program":
        """Parse and check one rule file."""
        return cls.from_files([path])

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> "Program":
        """Parse several rule files (or directories of ``*.dl`` files) into one program."""
        module = Module()
        for path in _expand(paths):
            part = parse(Path(path).read_text(encoding="utf-8"), str(path))
            module.rules += part.rules
            module.decls += part.decls
            module.sources.update(part.sources)
        return cls(module)

    def __add__(self, other: "Program") -> "Program":
        module = Module(self.module.rules + other.module.rules, self.module.decls + other.module.decls,
                        {**self.module.sources, **other.module.sources})
        return Program(module)

    # -- introspection ---------------------------------------------------
    @property
    def rules(self) -> list[Rule]:
        """All rules (facts written in the program included)."""
        return list(self.module.rules)

    def rule(self, rule_id: str) -> Rule:
        """The rule with ``@id(rule_id)``."""
        for r in self.module.rules:
            if r.id == rule_id:
                return r
        raise UnknownIdError(f"no rule with id {rule_id!r}")

    def arities(self) -> dict[str, int]:
        """Arity of every relation the program mentions."""
        out: dict[str, int] = {d.rel: d.arity for d in self.module.decls}
        for rule in self.module.rules:
            out.setdefault(rule.head.rel, rule.head.arity)
            for atom, _ in body_atoms(rule.body):
                out.setdefault(atom.rel, atom.arity)
        return out

    @property
    def input_relations(self) -> list[str]:
        """Relations used in bodies but defined by no rule: they must come from facts."""
        heads = {r.head.rel for r in self.module.rules}
        return sorted(set(self.arities()) - heads)

    def check(self, known: Mapping[str, int] | Iterable[str] | None = None) -> list[RuleError]:
        """Every error of the program given the input relations ``known`` (name -> arity, or names)."""
        if known is not None and not isinstance(known, Mapping):
            arities = self.arities()
            known = {name: arities.get(name, 0) for name in known}
        return check_module(self.module, known=known)

    # -- evaluation ------------------------------------------------------
    def evaluate(
        self,
        facts: Mapping[str, Any] | None = None,
        *,
        engine: str = "native",
        semiring: MaxProduct | TopKProofs | None = None,
        max_iterations: int = 100_000,
        timeout: float | None = None,
        memory_limit: str | None = None,
    ) -> Model:
        """Evaluate on ``facts`` and return a :class:`~neurosym.logic.Model`.

        Parameters
        ----------
        facts : mapping
            Relation name -> pandas DataFrame, pyarrow Table or list of tuples
            (e.g. ``Cohort.to_facts()``).  Optional columns ``_prob`` and
            ``_source`` carry a probability and a source reference.
        engine : {"native", "pydatalog"}
            ``native`` compiles to SQL and runs semi-naive evaluation in DuckDB;
            ``pydatalog`` runs the design-card pyDatalog engine (small programs, cross-checks).
        semiring : MaxProduct or TopKProofs, optional
            How derived facts get probabilities (default best proof).
        max_iterations, timeout
            Limits that end a runaway evaluation with :class:`~neurosym.EvaluationError`.
        memory_limit : str, optional
            Native engine: cap the database's memory (``"2GB"``); it spills to disk beyond.
        """
        if engine not in ENGINES:
            raise EvaluationError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        semiring = semiring or MaxProduct()
        plan, inputs = self._plan(facts)
        if engine == "native":
            con = NativeEngine(max_iterations=max_iterations, timeout=timeout, memory_limit=memory_limit).run(plan, inputs)
        else:
            from neurosym.logic._pydatalog import PyDatalogEngine

            con = PyDatalogEngine(timeout=timeout).run(plan, inputs)
        columns = {rel: [c for c in names if not c.startswith("_")] for rel in inputs
                   if (names := _column_names(facts[rel])) is not None}
        return Model(self, plan, con, engine=engine, facts=facts, semiring=semiring, input_columns=columns)

    def _plan(self, facts: Mapping[str, Any] | None) -> tuple[Plan, dict[str, InputRelation]]:
        arities = self.arities()
        inputs = normalize_facts(facts, arities)
        errors = check_module(self.module, known={rel: arities[rel] for rel in inputs})
        if errors:
            raise errors[0]
        base = {rel: list(data.types) for rel, data in inputs.items()}
        order = strata(self.module)
        types = infer_types(self.module, base, order)
        for rel, arity in arities.items():
            types.setdefault(rel, ["symbol"] * arity)
        prob = any(data.has_prob for data in inputs.values())
        return Plan(self.module.rules, types, order, prob), inputs

    def __repr__(self) -> str:
        return f"Program({len(self.module.rules)} rules, relations={sorted(self.arities())})"


def _column_names(data: Any) -> list[str] | None:
    """Column names of a pandas frame or pyarrow table (None for a list of tuples)."""
    if hasattr(data, "column_names"):
        return [str(c) for c in data.column_names]
    if hasattr(data, "columns"):
        return [str(c) for c in data.columns]
    return None


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        out += sorted(p.glob("*.dl")) if p.is_dir() else [p]
    return out
