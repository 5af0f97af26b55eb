"""How derived facts get probabilities: small semiring objects, as in Scallop.

A semiring has ``zero``, ``one``, ``add`` (combine alternative derivations),
``mul`` (combine the facts of one derivation) and ``negate`` (``not``), each
in Python and in SQL (``sql_add`` is an aggregate over the alternatives of one
tuple, ``sql_mul`` and ``sql_negate`` are row expressions, all SQLGlot trees).
The SQL engines compile rules with the SQL forms, so a new semiring needs no
compiler change.  Two attributes tell an engine how to evaluate:

``idempotent``
    ``add(a, a) == a``: ``add`` chooses among derivations (max, min).  The
    engine keeps each tuple's chosen derivation and re-derives a tuple only
    when its value improves (semi-naive).  Otherwise every derivation counts
    and the engine recomputes each tuple from all its derivations until no
    value changes (a naive fixpoint).
``on_demand``
    Probabilities are not computed by evaluation but asked of the
    :class:`~neurosym.logic.Prover` when queried; evaluation computes the best
    proof with the semiring's SQL forms, from which the prover's search starts.
    Such a semiring also gives ``k`` (proofs kept per tuple), ``method`` and
    ``combine(proofs, fact_prob)``, as :class:`TopKProofs` does.

Instances:

* :class:`MaxProduct` (default, "best proof"): the product of the best
  proof's fact probabilities.
* :class:`AddMult`: noisy-or of all derivations, ``add(a, b) = a + b - ab``,
  ``mul = a * b``, evaluated to a fixpoint.  Exact only when derivations are
  independent, i.e. for tree-shaped proofs whose derivations share no fact;
  shared facts are counted once per derivation (an over-estimate).
* :class:`TopKProofs`: the ``k`` most probable proofs, each a set of input
  facts, combined by ``noisy_or`` (``1 - prod(1 - p_proof)``) or ``exact``
  (inclusion-exclusion over the proofs' shared facts); on demand.

Examples
--------
>>> MaxProduct().add(0.3, 0.6), MaxProduct().mul(0.5, 0.5), AddMult().add(0.5, 0.5)
(0.6, 0.25, 0.75)
>>> from sqlglot import exp
>>> AddMult().sql_mul([exp.column("a"), exp.column("b")]).sql("duckdb")
'a * b'
>>> round(TopKProofs(k=2).combine([({"a"}, 0.5), ({"b"}, 0.5)], {"a": 0.5, "b": 0.5}), 3)
0.75
>>> round(TopKProofs(k=2, method="exact").combine([({"a", "c"}, 0.25), ({"b", "c"}, 0.25)], {"a": 0.5, "b": 0.5, "c": 0.5}), 4)
0.375
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import ClassVar, Protocol

from neurosym._errors import InputError
from neurosym.logic._exp import exp

__all__ = ["Semiring", "MaxProduct", "AddMult", "TopKProofs", "product"]


class Semiring(Protocol):
    """The operations of a probability semiring, in Python and as SQL expressions."""

    zero: float
    one: float
    idempotent: bool
    on_demand: bool

    def add(self, a: float, b: float) -> float: ...

    def mul(self, a: float, b: float) -> float: ...

    def negate(self, a: float) -> float: ...

    def sql_add(self, values: exp.Expression) -> exp.Expression:
        """An aggregate combining ``values`` over the alternative derivations of one tuple."""
        ...

    def sql_mul(self, factors: Sequence[exp.Expression]) -> exp.Expression:
        """Combine the probabilities of the facts of one derivation (at least one factor)."""
        ...

    def sql_negate(self, value: exp.Expression) -> exp.Expression:
        """The probability of ``not`` a fact of probability ``value``."""
        ...


def product(factors: Sequence[exp.Expression]) -> exp.Expression:
    """``f1 * f2 * ...`` as SQL."""
    out = factors[0]
    for f in factors[1:]:
        out = exp.Mul(this=out, expression=f)
    return out


def _complement(value: exp.Expression) -> exp.Expression:
    return exp.Paren(this=exp.Sub(this=exp.Literal.number(1.0), expression=value))


class _Product:
    """``mul`` = product and ``negate`` = ``1 - p`` (Python and SQL), ``sql_add`` = MAX; subclasses define ``add``."""

    def mul(self, a: float, b: float) -> float:
        return a * b

    def negate(self, a: float) -> float:
        return 1.0 - a

    def sql_add(self, values: exp.Expression) -> exp.Expression:
        return exp.Max(this=values)

    def sql_mul(self, factors: Sequence[exp.Expression]) -> exp.Expression:
        return product(factors)

    def sql_negate(self, value: exp.Expression) -> exp.Expression:
        return _complement(value)


@dataclass(frozen=True)
class MaxProduct(_Product):
    """Best-proof probabilities (the default): ``add = max``, ``mul = *``, ``negate = 1 - p``."""

    zero: float = 0.0
    one: float = 1.0
    idempotent: ClassVar[bool] = True
    on_demand: ClassVar[bool] = False

    def add(self, a: float, b: float) -> float:
        return max(a, b)


@dataclass(frozen=True)
class AddMult(_Product):
    """Noisy-or of derivations under independence: ``add(a, b) = a + b - ab``, ``mul = *``, ``negate = 1 - p``.

    In SQL, ``add`` over alternatives is ``1 - exp(sum(ln(1 - p)))`` (a
    certain alternative, ``p = 1``, gives 1).  Exact for tree-shaped proofs
    only: derivations that share a fact are treated as independent.

    Examples
    --------
    >>> import pandas as pd
    >>> from neurosym.logic import Program
    >>> prog = Program.from_text("p(X) :- a(X). p(X) :- b(X).")
    >>> half = pd.DataFrame({"x": [1], "_prob": [0.5]})
    >>> prog.evaluate({"a": half, "b": half}, semiring=AddMult()).query("p")["probability"].tolist()
    [0.75]
    """

    zero: float = 0.0
    one: float = 1.0
    idempotent: ClassVar[bool] = False
    on_demand: ClassVar[bool] = False

    def add(self, a: float, b: float) -> float:
        return a + b - a * b

    def sql_add(self, values: exp.Expression) -> exp.Expression:
        safe = exp.func("GREATEST", _complement(values), exp.Literal.number("1e-300"))  # ln(0) is undefined
        return _complement(exp.Exp(this=exp.Sum(this=exp.Ln(this=safe))))


@dataclass(frozen=True)
class TopKProofs(_Product):
    """Probability from the ``k`` best proofs, combined by ``noisy_or`` or ``exact`` inclusion-exclusion.

    On demand: evaluation keeps each tuple's best proof (max-product SQL
    forms) and :meth:`Model.query <neurosym.logic.Model.query>` asks the
    :class:`~neurosym.logic.Prover` for the top-k proofs.  ``add`` is the
    noisy-or used by :meth:`combine`.
    """

    k: int = 3
    method: str = "noisy_or"
    zero: float = 0.0
    one: float = 1.0
    idempotent: ClassVar[bool] = True
    on_demand: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.k < 1:
            raise InputError(f"k must be >= 1, got {self.k}")
        if self.method not in ("noisy_or", "exact"):
            raise InputError(f"method must be 'noisy_or' or 'exact', got {self.method!r}")

    def add(self, a: float, b: float) -> float:
        return 1.0 - (1.0 - a) * (1.0 - b)

    def combine(self, proofs: list[tuple[frozenset | set, float]], fact_prob: dict) -> float:
        """Combine proofs (each: its set of input facts and its probability)."""
        best = sorted(proofs, key=lambda p: -p[1])[: self.k]
        if not best:
            return 0.0
        if self.method == "noisy_or":
            out = 0.0
            for _, p in best:
                out = self.add(out, p)
            return out
        total = 0.0
        for size in range(1, len(best) + 1):
            for group in combinations(best, size):
                facts = set().union(*(set(g[0]) for g in group))
                prob = 1.0
                for f in facts:
                    prob *= fact_prob[f]
                total += prob if size % 2 else -prob
        return total
