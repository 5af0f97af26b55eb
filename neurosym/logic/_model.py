"""The result of evaluation: query relations, explain derived facts, say why others fail.

The engine stores, per tuple, only the rule that first derived it and its
height (Soufflé-style).  :meth:`Model.explain` rebuilds a proof on demand: for
a tuple of height h derived by rule r it binds r's head to the tuple and asks
the database for one body grounding whose atoms all have height < h, then
recurses.  Tuples without a recorded height (the ``pydatalog`` engine, and
``WITH RECURSIVE`` strata of the native one) are searched without the bound,
refusing cyclic proofs instead.

Examples
--------
>>> from neurosym.logic import Program
>>> prog = Program.from_text('@id("tc.step") path(X, Z) :- edge(X, Y), path(Y, Z). path(X, Y) :- edge(X, Y).')
>>> model = prog.evaluate({"edge": [(1, 2), (2, 3)]})
>>> model.query("path").values.tolist()
[[1, 2], [1, 3], [2, 3]]
>>> print(model.explain("path(1, 3)").render_text())
path(1, 3)
└─ rule tc.step  {X=1, Y=2, Z=3}
   ├─ edge(1, 2)
   └─ path(2, 3)
      └─ rule <text>:1:54  {X=2, Y=3}
         └─ edge(2, 3)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
from sqlglot import exp

from neurosym._errors import EvaluationError
from neurosym.logic._ast import Aggregate, Assignment, Atom, BinOp, Call, Comparison, Const, Literal, Negation, Rule, Term, Var, format_value, term_vars
from neurosym.logic._native import DIALECT, Plan
from neurosym.logic._parser import parse_atom
from neurosym.logic._proof import ProofNode, RuleAttempt, WhyNot
from neurosym.logic._semiring import MaxProduct, TopKProofs
from neurosym.logic._sql import _literal_vars, cast, col, compile_body, compile_term, literal, table_name, tolerant_equal

if TYPE_CHECKING:
    from neurosym.logic._program import Program

__all__ = ["Model"]

_MAX_PROOF_NODES = 10_000


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
        self._plan = plan
        self._con = con
        self._facts = facts
        self._input_columns = dict(input_columns)

    # -- tuples ----------------------------------------------------------
    @property
    def relations(self) -> list[str]:
        """Every relation of the program (inputs and derived), sorted."""
        return sorted(self._plan.types)

    @property
    def derived_relations(self) -> list[str]:
        """Relations defined by rules, sorted."""
        return sorted({r.head.rel for r in self._plan.rules})

    def columns(self, rel: str) -> list[str]:
        """Column names: from ``.decl``, else the input frame, else the first rule's head variables."""
        arity = len(self._types(rel))
        for decl in self.program.module.decls:
            if decl.rel == rel:
                return [name for name, _ in decl.columns]
        if rel in self._input_columns:
            return self._input_columns[rel]
        for rule in self._plan.rules:
            if rule.head.rel == rel and not rule.is_fact:
                names = [a.name if isinstance(a, Var) else f"c{i}" for i, a in enumerate(rule.head.args)]
                if len(set(names)) == len(names):
                    return names
        return [f"c{i}" for i in range(arity)]

    def _types(self, rel: str) -> list[str]:
        if rel not in self._plan.types:
            raise EvaluationError(f"unknown relation {rel!r}; the program has {', '.join(self.relations)}")
        return self._plan.types[rel]

    def query(self, rel: str, *, provenance: bool = False) -> pd.DataFrame:
        """All tuples of ``rel``, sorted, as a frame (plus ``probability`` when facts carry probabilities).

        ``provenance=True`` adds ``_rule`` (rule id or ``input``) and ``_height``.
        """
        arity = len(self._types(rel))
        args = [f"c{i}" for i in range(arity)]
        extra = ["_p"] if self._plan.prob else []
        extra += ["_r", "_h"] if provenance else []
        select = ", ".join(args + extra) or "1 AS _dummy"
        order = f" ORDER BY {', '.join(args)}" if args else ""
        frame = self._con.execute(f"SELECT DISTINCT {select} FROM {table_name(rel)}{order}").df()
        if not args:
            frame = frame.drop(columns=["_dummy"], errors="ignore")
        names = self.columns(rel)
        frame = frame.rename(columns={f"c{i}": names[i] for i in range(arity)})
        if self._plan.prob:
            frame = frame.rename(columns={"_p": "probability"})
            if isinstance(self.semiring, TopKProofs) and len(frame):
                frame["probability"] = [self.probability(self._atom_text(rel, row[:arity])) for row in frame.itertuples(index=False)]
        if provenance:
            frame["_rule"] = [("input" if pd.isna(r) or r < 0 else self._plan.rules[int(r)].id) for r in frame.pop("_r")]
            frame["_height"] = frame.pop("_h")
        return frame

    def __contains__(self, atom: str) -> bool:
        return self._find(parse_atom(atom), limit=1) != []

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
        for rel, types in self._plan.types.items():
            rows = self._con.execute(f"SELECT COUNT(*) FROM {table_name(rel)}").fetchone()[0]
            if types and rows >= min_rows:
                order = ", ".join(f"c{i}" for i in range(len(types)))
                self._con.execute(f"CREATE OR REPLACE TABLE {table_name(rel)} AS SELECT * FROM {table_name(rel)} ORDER BY {order}")
        self._prepared = True
        return time.perf_counter() - start

    def _atom_text(self, rel: str, values) -> str:
        return f"{rel}({', '.join(format_value(v) for v in values)})"

    def _coerce(self, rel: str, atom: Atom) -> list[Term]:
        types = self._types(rel)
        if len(atom.args) != len(types):
            raise EvaluationError(f"{rel} has {len(types)} arguments, got {len(atom.args)} in {atom}")
        out = []
        for arg, t in zip(atom.args, types):
            if isinstance(arg, Const) and t == "symbol" and not isinstance(arg.value, str):
                arg = Const(str(arg.value))
            out.append(arg)
        return out

    def _find(self, atom: Atom, limit: int | None = None) -> list[tuple]:
        """Tuples matching an atom pattern: (values, height, rule, probability, source)."""
        args = self._coerce(atom.rel, atom)
        conds = [exp.EQ(this=col("t", f"c{i}"), expression=literal(a.value)) for i, a in enumerate(args) if isinstance(a, Const)]
        seen: dict[str, int] = {}
        for i, a in enumerate(args):
            if isinstance(a, Var) and not a.anonymous:
                if a.name in seen:
                    conds.append(exp.EQ(this=col("t", f"c{i}"), expression=col("t", f"c{seen[a.name]}")))
                seen.setdefault(a.name, i)
        cols = [col("t", f"c{i}") for i in range(len(args))] + [col("t", c) for c in _META]
        q = exp.select(*cols).from_(exp.alias_(exp.to_table(table_name(atom.rel)), "t", table=True))
        if conds:
            q = q.where(exp.and_(*conds))
        q = q.order_by(*[col("t", f"c{i}") for i in range(len(args))]) if args else q
        if limit:
            q = q.limit(limit)
        n = len(args)
        return [(tuple(r[:n]), r[n], r[n + 1], r[n + 2], r[n + 3]) for r in self._con.execute(q.sql(DIALECT)).fetchall()]

    def probability(self, atom: str) -> float:
        """Probability of a ground atom (0 if not derived) under the model's semiring."""
        parsed = parse_atom(atom)
        found = self._find(parsed, limit=1)
        if not found:
            return 0.0
        if not isinstance(self.semiring, TopKProofs):
            return float(found[0][3])
        proofs = self._proof_sets(parsed.rel, found[0][0], self.semiring.k, set(), {})
        fact_prob = self._fact_probs
        return float(self.semiring.combine(proofs, fact_prob))

    # -- explain ---------------------------------------------------------
    def explain(self, atom: str, max_depth: int = 12) -> ProofNode:
        """Proof tree of a derived (or input) fact.

        ``atom`` may contain variables (``'glycemic_status("S01", S)'``): the
        first matching tuple is explained.  Subproofs deeper than
        ``max_depth`` are elided.  Raises :class:`~neurosym.EvaluationError`
        if nothing matches; :meth:`why_not` says why.
        """
        parsed = parse_atom(atom)
        self.prepare_lookups()
        found = self._find(parsed, limit=1)
        if not found:
            raise EvaluationError(f"{atom} is not derived; use why_not({atom!r}) to see which rule body fails")
        budget = [_MAX_PROOF_NODES]
        return self._explain(parsed.rel, found[0], max_depth, set(), budget)

    def _explain(self, rel: str, row: tuple, depth: int, stack: set, budget: list[int]) -> ProofNode:
        values, height, rule_index, prob, source = row
        text = self._atom_text(rel, values)
        p = float(prob) if self._plan.prob and prob is not None else None
        budget[0] -= 1
        if rule_index is None:
            rule_index = self._guess_rule(rel, values, stack)
        if rule_index is None or rule_index < 0:
            return ProofNode("fact", text, probability=p, height=0, source=self._describe(rel, source))
        rule = self._plan.rules[int(rule_index)]
        if rule.is_fact:
            return ProofNode("fact", text, rule_id=rule.id, cite=rule.cite, doc=rule.doc, probability=p, height=0,
                             source={"text": f"fact in {rule.path} line {rule.span.line}"})
        if depth <= 0 or budget[0] <= 0:
            return ProofNode("elided", text, rule_id=rule.id, probability=p, height=height)
        grounding = self._ground(rule, values, height, stack | {(rel, values)})
        node = ProofNode("rule", text, rule_id=rule.id, cite=rule.cite, doc=rule.doc, probability=p, height=height)
        if grounding is None:
            node.kind = "elided"
            return node
        bindings, atom_rows = grounding
        node.bindings = {k: v for k, v in bindings.items() if not k.startswith("_#")}
        for lit in rule.body:
            node.children.append(self._literal_node(lit, bindings, atom_rows, depth, stack | {(rel, values)}, budget))
        return node

    def _literal_node(self, lit: Literal, bindings: dict, atom_rows: dict, depth: int, stack: set, budget: list[int]) -> ProofNode:
        if isinstance(lit, Atom):
            row = atom_rows[id(lit)]
            return self._explain(lit.rel, row, depth - 1, stack, budget)
        if isinstance(lit, Negation):
            text = _substitute_atom(lit.atom, bindings)
            p = None
            if self._plan.prob:
                found = self._find(Atom(lit.atom.rel, tuple(Const(bindings[a.name]) if isinstance(a, Var) and a.name in bindings
                                                             else a for a in lit.atom.args)), limit=1)
                p = 1.0 - (float(found[0][3]) if found else 0.0)
            return ProofNode("negation", text, probability=p)
        if isinstance(lit, Comparison):
            return ProofNode("comparison", _substitute_comparison(lit, bindings))
        if isinstance(lit, Assignment):
            return self._aggregate_node(lit, bindings, depth, stack, budget)
        raise TypeError(lit)

    def _aggregate_node(self, lit: Assignment, bindings: dict, depth: int, stack: set, budget: list[int]) -> ProofNode:
        agg = lit.aggregate
        value = bindings.get(lit.var.name)
        node = ProofNode("aggregate", f"{lit.var} = {agg}  = {_fmt(value)}")
        outer = {k: v for k, v in bindings.items() if any(k == x.name for l in agg.body for x in _vars_of(l))
                 and k not in _inner_only(agg, bindings)}
        body = compile_body(list(agg.body), self._plan.types, fixed=outer, prefix="g")
        if not body.atoms:
            return node
        select = body.select.select(*_atom_columns(body.atoms), copy=False).limit(5, copy=False)
        for r in self._con.execute(select.sql(DIALECT)).fetchall():
            atom_rows = _split_atoms(r, 0, body.atoms)
            for _, atom in body.atoms:
                node.children.append(self._explain(atom.rel, atom_rows[id(atom)], depth - 1, stack, budget))
        return node

    def _ground(self, rule: Rule, values: tuple, height: int | None, stack: set) -> tuple[dict, dict] | None:
        fixed: dict[str, object] = {}
        extra: list[tuple[Term, object]] = []
        for arg, v in zip(rule.head.args, values):
            if isinstance(arg, Var):
                if arg.name in fixed and fixed[arg.name] != v:
                    return None
                fixed[arg.name] = v
            elif isinstance(arg, Const):
                if arg.value != v and not (isinstance(v, (int, float)) and arg.value == v):
                    return None
            else:
                extra.append((arg, v))
        use_height = height is not None
        body = compile_body(list(rule.body), self._plan.types, prob=self._plan.prob, fixed=fixed,
                            height_below=int(height) if use_height else None)
        select = body.select
        if extra:
            select = select.where(exp.and_(*[tolerant_equal(compile_term(t, body.env), literal(v)) for t, v in extra]), copy=False)
        named = sorted(body.env)
        cols = [exp.alias_(body.env[name], f"v{k}") for k, name in enumerate(named)] + _atom_columns(body.atoms)
        select = select.select(*cols, copy=False)
        if self._plan.prob:
            select = select.order_by(exp.Ordered(this=body.probability(), desc=True), copy=False)
        rows = self._con.execute(select.limit(1 if use_height else 50, copy=False).sql(DIALECT)).fetchall()
        for r in rows:
            atom_rows = _split_atoms(r, len(named), body.atoms)
            if not _cyclic(body.atoms, atom_rows, stack):
                return {name: r[k] for k, name in enumerate(named)}, atom_rows
        return None

    def _guess_rule(self, rel: str, values: tuple, stack: set) -> int | None:
        """For engines without recorded provenance: an input fact, else the first rule with an acyclic grounding."""
        found = self._con.execute(
            f"SELECT COUNT(*) FROM {table_name(rel)} WHERE _r = -1 AND " + (" AND ".join(
                f"c{i} = {literal(v).sql(DIALECT)}" for i, v in enumerate(values)) or "TRUE")).fetchone()[0]
        if found:
            return -1
        for index, rule in enumerate(self._plan.rules):
            if rule.head.rel == rel and (rule.is_fact or self._ground(rule, values, None, stack | {(rel, values)})):
                return index
        return None

    def _describe(self, rel: str, source: object) -> dict[str, Any] | None:
        if source is None or (isinstance(source, float) and math.isnan(source)):
            return None
        describe = getattr(self._facts, "describe_source", None)
        if describe is not None:
            return describe(rel, source)
        return {"text": str(source)}

    # -- top-k proofs ----------------------------------------------------
    @property
    def _fact_probs(self) -> dict:
        return self.__dict__.setdefault("_fact_prob_cache", {})

    def _proof_sets(self, rel: str, values: tuple, k: int, stack: set, memo: dict) -> list[tuple[frozenset, float]]:
        key = (rel, values)
        if key in memo:
            return memo[key]
        proofs: list[tuple[frozenset, float]] = []
        input_row = self._find(Atom(rel, tuple(Const(v) for v in values)), limit=1)
        if input_row and (input_row[0][2] is not None and input_row[0][2] < 0 or input_row[0][2] is not None and self._plan.rules[int(input_row[0][2])].is_fact):
            p = float(input_row[0][3])
            self._fact_probs[key] = p
            proofs.append((frozenset([key]), p))
        for rule in self._plan.rules:
            if rule.head.rel != rel or rule.is_fact or len(proofs) >= 4 * k:
                continue
            for bindings, atom_rows, neg_p in self._groundings(rule, values, stack | {key}, limit=k):
                combos: list[tuple[frozenset, float]] = [(frozenset(), neg_p)]
                for lit in rule.positive_atoms():
                    vals = atom_rows[id(lit)][0]
                    sub = self._proof_sets(lit.rel, vals, k, stack | {key}, memo)
                    combos = sorted(((f | sf, self._set_prob(f | sf) * neg_p) for f, _ in combos for sf, _ in sub),
                                    key=lambda x: -x[1])[:k]
                proofs += combos
        proofs = sorted(set(proofs), key=lambda x: -x[1])[:k]
        if not stack:
            memo[key] = proofs
        return proofs

    def _set_prob(self, facts: frozenset) -> float:
        p = 1.0
        for f in facts:
            p *= self._fact_probs.get(f, 1.0)
        return p

    def _groundings(self, rule: Rule, values: tuple, stack: set, limit: int):
        fixed = {a.name: v for a, v in zip(rule.head.args, values) if isinstance(a, Var)}
        body = compile_body(list(rule.body), self._plan.types, prob=True, fixed=fixed)
        cols = _atom_columns(body.atoms)
        negs = [p for p in body.probs if not isinstance(p, exp.Column)]
        neg = negs[0] if negs else exp.Literal.number(1.0)
        for p in negs[1:]:
            neg = exp.Mul(this=neg, expression=p)
        q = body.select.select(*cols, exp.alias_(cast(neg, "float"), "_neg")).order_by(
            exp.Ordered(this=body.probability(), desc=True)).limit(limit * 4)
        out = []
        for r in self._con.execute(q.sql(DIALECT)).fetchall():
            atom_rows = _split_atoms(r, 0, body.atoms)
            if not _cyclic(body.atoms, atom_rows, stack):
                out.append(({}, atom_rows, float(r[-1])))
        return out[:limit]

    # -- why not ---------------------------------------------------------
    def why_not(self, atom: str) -> WhyNot:
        """Why ``atom`` was not derived: per rule, the first body literal that fails and the closest bindings."""
        parsed = parse_atom(atom)
        values = self._coerce(parsed.rel, parsed)
        text = str(parsed)
        self.prepare_lookups()
        if self._find(parsed, limit=1):
            return WhyNot(text, True)
        rules = [r for r in self._plan.rules if r.head.rel == parsed.rel and not r.is_fact]
        if not rules:
            return WhyNot(text, False, note=f"{parsed.rel} is an input relation and this fact is not among the inputs")
        result = WhyNot(text, False)
        for rule in rules:
            result.attempts.append(self._attempt(rule, values))
        return result

    def _attempt(self, rule: Rule, values: list[Term]) -> RuleAttempt:
        fixed: dict[str, object] = {}
        for arg, v in zip(rule.head.args, values):
            if isinstance(v, Var):
                continue
            if isinstance(arg, Var):
                if arg.name in fixed and fixed[arg.name] != v.value:
                    return RuleAttempt(rule.id, str(rule), None, f"the head needs {arg} to be both {fixed[arg.name]} and {v.value}")
                fixed[arg.name] = v.value
            elif isinstance(arg, Const) and arg.value != v.value:
                return RuleAttempt(rule.id, str(rule), None, f"the head has constant {arg} where the atom has {format_value(v.value)}")
        previous: list[dict] = []
        body = list(rule.body)
        for i, lit in enumerate(body):
            prefix = body[: i + 1]
            if not _checkable(prefix):
                continue
            compiled = compile_body(prefix, self._plan.types, fixed=fixed, prefix="w")
            named = sorted(n for n in compiled.env if not n.startswith("_#"))
            rows = self._con.execute(compiled.select.select(*[exp.alias_(compiled.env[n], f"v{k}") for k, n in enumerate(named)] or [exp.Literal.number(1)])
                                     .limit(3).sql(DIALECT)).fetchall()
            if not rows:
                reason = f"no {lit.rel} fact matches" if isinstance(lit, Atom) else "this condition fails for every binding so far"
                if isinstance(lit, Negation):
                    reason = "the negated fact exists for every binding so far"
                return RuleAttempt(rule.id, str(rule), str(lit), reason, previous or [{k: v for k, v in fixed.items()}])
            previous = [{n: r[k] for k, n in enumerate(named)} for r in rows] if named else []
        return RuleAttempt(rule.id, str(rule), None, "the body holds for some bindings but none produce this head")


_META = ("_h", "_r", "_p", "_s")


def _atom_columns(atoms: list[tuple[str, Atom]]) -> list[exp.Column]:
    """Argument and provenance columns of each body atom, in order (decoded by :func:`_split_atoms`)."""
    return [col(alias, c) for alias, atom in atoms for c in [*(f"c{i}" for i in range(atom.arity)), *_META]]


def _split_atoms(row: tuple, start: int, atoms: list[tuple[str, Atom]]) -> dict[int, tuple]:
    """Per atom (by id): ``(values, height, rule, probability, source)`` from a row laid out by :func:`_atom_columns`."""
    out, k = {}, start
    for _, atom in atoms:
        part = row[k: k + atom.arity + len(_META)]
        k += atom.arity + len(_META)
        out[id(atom)] = (tuple(part[: atom.arity]), *part[atom.arity:])
    return out


def _cyclic(atoms: list[tuple[str, Atom]], atom_rows: dict[int, tuple], stack: set) -> bool:
    return any((atom.rel, atom_rows[id(atom)][0]) in stack for _, atom in atoms)


def _checkable(prefix: list[Literal]) -> bool:
    from neurosym.logic._checks import bound_variables

    bound = bound_variables(prefix)
    last = prefix[-1]
    needed = _vars_of(last) if not isinstance(last, Atom) else []
    if isinstance(last, Comparison) and last.op == "=":
        return any(all(v.name in bound for v in term_vars(side)) for side in (last.left, last.right)) and \
            all(v.name in bound for v in needed)
    if isinstance(last, Negation):
        needed = [v for v in needed if not v.anonymous]
    if isinstance(last, Assignment):
        return True
    return all(v.name in bound for v in needed)


def _vars_of(lit: Literal) -> list[Var]:
    """Variables a literal mentions at rule level (an aggregate: only the variable it assigns)."""
    return [lit.var] if isinstance(lit, Assignment) else _literal_vars(lit)


def _inner_only(agg: Aggregate, bindings: dict) -> set[str]:
    return {v.name for lit in agg.body if isinstance(lit, Atom) for v in lit.vars()} - set(bindings)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return format_value(value) if value is not None else "?"


def _substitute(term: Term, bindings: dict) -> str:
    if isinstance(term, Var):
        return _fmt(bindings[term.name]) if term.name in bindings else str(term)
    if isinstance(term, Const):
        return str(term)
    if isinstance(term, BinOp):
        return f"({_substitute(term.left, bindings)} {term.op} {_substitute(term.right, bindings)})"
    if isinstance(term, Call):
        return f"{term.func}({', '.join(_substitute(a, bindings) for a in term.args)})"
    return str(term)


def _substitute_atom(atom: Atom, bindings: dict) -> str:
    return f"{atom.rel}({', '.join(_substitute(a, bindings) for a in atom.args)})"


def _substitute_comparison(lit: Comparison, bindings: dict) -> str:
    left, right = _substitute(lit.left, bindings), _substitute(lit.right, bindings)
    if lit.op == "=" and isinstance(lit.left, Var) and not isinstance(lit.right, (Var, Const)):
        return f"{lit.left} = {_strip(right)} = {left}"
    return f"{_strip(left)} {lit.op} {_strip(right)}"


def _strip(text: str) -> str:
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text
