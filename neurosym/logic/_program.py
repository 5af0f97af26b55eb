"""A :class:`Program`: parsed, checked rules ready to evaluate on facts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from neurosym._errors import EvaluationError, RuleError, UnknownIdError
from neurosym.logic._ast import Module, Rule
from neurosym.logic._checks import body_atoms, check_module, strata
from neurosym.logic._engine import Limits, Plan, create_engine, declared_keys
from neurosym.logic._inputs import InputRelation, normalize_facts
from neurosym.logic._model import Model
from neurosym.logic._parser import parse
from neurosym.logic._semiring import MaxProduct, Semiring
from neurosym.logic._types import infer_types

__all__ = ["Program"]

#: What a semiring must provide (the :class:`~neurosym.logic.Semiring` protocol).
_SEMIRING_MEMBERS = ("zero", "one", "idempotent", "on_demand", "add", "mul", "negate", "sql_add", "sql_mul", "sql_negate")


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
    def from_text(cls, text: str, path: str = "<text>", *, dialect: str = "auto") -> "Program":
        """Parse and check rule text (``path`` is used in error messages).

        ``dialect``: ``"plain"``, ``"souffle"`` or ``"auto"`` (Soufflé's when the text has a ``.decl`` line
        and no line starting with ``%``), as for :func:`~neurosym.logic.parse`.

        >>> Program.from_text("Path(x, y) :- edge(x, y).", dialect="souffle").evaluate({"edge": [(1, 2)]}).count("Path")
        1
        """
        return cls(parse(text, path, dialect))

    @classmethod
    def from_file(cls, path: str | Path, *, dialect: str = "auto") -> "Program":
        """Parse and check one rule file."""
        return cls.from_files([path], dialect=dialect)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], *, dialect: str = "auto") -> "Program":
        """Parse several rule files (or directories of ``*.dl`` files) into one program (each file in ``dialect``)."""
        module = Module()
        for path in _expand(paths):
            module.merge(parse(Path(path).read_text(encoding="utf-8"), str(path), dialect))
        return cls(module)

    def __add__(self, other: "Program") -> "Program":
        module = Module()
        module.merge(self.module)
        module.merge(other.module)
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
        semiring: Semiring | None = None,
        max_iterations: int = 100_000,
        timeout: float | None = None,
        memory_limit: str | None = None,
    ) -> Model:
        """Evaluate on ``facts`` and return a :class:`~neurosym.logic.Model`.

        Parameters
        ----------
        facts : mapping
            Relation name -> pandas DataFrame, pyarrow Table or list of tuples
            (e.g. ``Cohort.to_facts()``), or the tables of facts files read into DuckDB by
            :func:`~neurosym.logic._factsio.load_facts` (evaluated in that database).  Optional columns ``_prob`` and
            ``_source`` carry a probability and a source reference.
        engine : str
            A registered engine (:data:`~neurosym.logic.ENGINES`, :func:`~neurosym.logic.register_engine`):
            ``native`` compiles to SQL and runs semi-naive evaluation in DuckDB;
            ``pydatalog`` runs the design-card pyDatalog engine (small programs, cross-checks).
        semiring : Semiring, optional
            How derived facts get probabilities: :class:`~neurosym.logic.MaxProduct` (default, best proof),
            :class:`~neurosym.logic.AddMult`, :class:`~neurosym.logic.TopKProofs` or any object with the
            :class:`~neurosym.logic.Semiring` members.
        max_iterations, timeout
            Limits that end a runaway evaluation with :class:`~neurosym.EvaluationError`.
        memory_limit : str, optional
            Cap on an engine's database memory (``"2GB"``; the native engine spills to disk beyond).
        """
        semiring = semiring if semiring is not None else MaxProduct()
        missing = [m for m in _SEMIRING_MEMBERS if not hasattr(semiring, m)]
        if missing:
            raise EvaluationError(f"semiring {semiring!r} lacks {', '.join(missing)}; see neurosym.logic.Semiring")
        runner = create_engine(engine)
        plan, inputs = self._plan(facts, semiring)
        store = runner.run(plan, inputs, Limits(max_iterations, timeout, memory_limit))
        columns = {rel: [c for c in names if not c.startswith("_")] for rel in inputs
                   if (names := _column_names(facts[rel])) is not None}
        return Model(self, plan, store, engine=engine, facts=facts, semiring=semiring, input_columns=columns)

    def _plan(self, facts: Mapping[str, Any] | None, semiring: Semiring | None = None) -> tuple[Plan, dict[str, InputRelation]]:
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
        return Plan(self.module.rules, types, order, prob, semiring if semiring is not None else MaxProduct(),
                    declared_keys(self.module.decls)), inputs

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
