"""Point lookups in an evaluated model's relations, shared by explain, why_not and the prover.

Every relation table has argument columns ``c0..`` and the provenance columns
``_h`` (height), ``_r`` (rule index, -1 for inputs), ``_p`` (probability) and
``_s`` (source reference).  A looked-up row is decoded as
``(values, height, rule, probability, source)``.

Examples
--------
>>> from neurosym.logic import Program, parse_atom
>>> model = Program.from_text("p(X) :- q(X).").evaluate({"q": [(1,), (2,)]})
>>> find(model.connect(), model.plan, parse_atom("p(X)"))
[((1,), 1, 0, 1.0, None), ((2,), 1, 0, 1.0, None)]
"""

from __future__ import annotations

from typing import Any

import duckdb

from neurosym._errors import EvaluationError
from neurosym.logic._ast import Atom, Const, Term, Var, format_value
from neurosym.logic._exp import exp
from neurosym.logic._native import DIALECT, Plan
from neurosym.logic._sql import col, literal, table_name

__all__ = ["META", "atom_columns", "atom_text", "coerce", "cyclic", "find", "relation_types", "split_atoms"]

#: Provenance columns of every relation table, in the order rows are decoded.
META = ("_h", "_r", "_p", "_s")


def relation_types(plan: Plan, rel: str) -> list[str]:
    """Column types of ``rel``; :class:`~neurosym.EvaluationError` naming the known relations if it is unknown."""
    if rel not in plan.types:
        raise EvaluationError(f"unknown relation {rel!r}; the program has {', '.join(sorted(plan.types))}")
    return plan.types[rel]


def atom_text(rel: str, values: tuple) -> str:
    """``rel(v1, v2)`` with values formatted as in rules."""
    return f"{rel}({', '.join(format_value(v) for v in values)})"


def coerce(plan: Plan, atom: Atom) -> list[Term]:
    """The atom's arguments, numbers written for symbol columns turned into strings; checks the arity."""
    types = relation_types(plan, atom.rel)
    if len(atom.args) != len(types):
        raise EvaluationError(f"{atom.rel} has {len(types)} arguments, got {len(atom.args)} in {atom}")
    return [Const(str(a.value)) if isinstance(a, Const) and t == "symbol" and not isinstance(a.value, str) else a
            for a, t in zip(atom.args, types)]


def find(con: duckdb.DuckDBPyConnection, plan: Plan, atom: Atom, limit: int | None = None) -> list[tuple]:
    """Tuples matching an atom pattern, ordered by all columns: ``(values, height, rule, probability, source)``."""
    args = coerce(plan, atom)
    conds = [exp.EQ(this=col("t", f"c{i}"), expression=literal(a.value)) for i, a in enumerate(args) if isinstance(a, Const)]
    seen: dict[str, int] = {}
    for i, a in enumerate(args):
        if isinstance(a, Var) and not a.anonymous:
            if a.name in seen:
                conds.append(exp.EQ(this=col("t", f"c{i}"), expression=col("t", f"c{seen[a.name]}")))
            seen.setdefault(a.name, i)
    cols = [col("t", f"c{i}") for i in range(len(args))] + [col("t", c) for c in META]
    q = exp.select(*cols).from_(exp.alias_(exp.to_table(table_name(atom.rel)), "t", table=True))
    if conds:
        q = q.where(exp.and_(*conds))
    q = q.order_by(*cols)  # every column: duplicates of a tuple (two sources) come in the same order in any process
    if limit:
        q = q.limit(limit)
    n = len(args)
    return [(tuple(r[:n]), r[n], r[n + 1], r[n + 2], r[n + 3]) for r in con.execute(q.sql(DIALECT)).fetchall()]


def atom_columns(atoms: list[tuple[str, Atom]]) -> list[exp.Column]:
    """Argument and provenance columns of each body atom, in order (decoded by :func:`split_atoms`)."""
    return [col(alias, c) for alias, atom in atoms for c in [*(f"c{i}" for i in range(atom.arity)), *META]]


def split_atoms(row: tuple, start: int, atoms: list[tuple[str, Atom]]) -> dict[int, tuple[Any, ...]]:
    """Per atom (by id): ``(values, height, rule, probability, source)`` from a row laid out by :func:`atom_columns`."""
    out, k = {}, start
    for _, atom in atoms:
        part = row[k: k + atom.arity + len(META)]
        k += atom.arity + len(META)
        out[id(atom)] = (tuple(part[: atom.arity]), *part[atom.arity:])
    return out


def cyclic(atoms: list[tuple[str, Atom]], atom_rows: dict[int, tuple], stack: set) -> bool:
    """Whether a grounding uses a tuple already on the proof stack."""
    return any((atom.rel, atom_rows[id(atom)][0]) in stack for _, atom in atoms)
