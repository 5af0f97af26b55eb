"""How derived facts get probabilities: small semiring objects, as in Scallop.

A semiring has ``zero``, ``one``, ``add`` (combine alternative proofs),
``mul`` (combine the facts of one proof) and ``negate`` (``not``).

* :class:`MaxProduct` (default, "best proof"): a derived fact's probability is
  the product of its best proof's fact probabilities.  Computed during
  evaluation by the engine.
* :class:`TopKProofs`: the ``k`` most probable proofs, each a set of input
  facts, combined by ``noisy_or`` (``1 - prod(1 - p_proof)``, treating proofs
  as independent) or ``exact`` (inclusion-exclusion over the proofs' shared
  facts).  Computed on demand from the proof search of :meth:`Model.explain`.

Examples
--------
>>> MaxProduct().add(0.3, 0.6), MaxProduct().mul(0.5, 0.5)
(0.6, 0.25)
>>> round(TopKProofs(k=2).combine([({"a"}, 0.5), ({"b"}, 0.5)], {"a": 0.5, "b": 0.5}), 3)
0.75
>>> round(TopKProofs(k=2, method="exact").combine([({"a", "c"}, 0.25), ({"b", "c"}, 0.25)], {"a": 0.5, "b": 0.5, "c": 0.5}), 4)
0.375
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Protocol

from neurosym._errors import InputError

__all__ = ["Semiring", "MaxProduct", "TopKProofs"]


class Semiring(Protocol):
    """The operations a probability semiring provides."""

    zero: float
    one: float

    def add(self, a: float, b: float) -> float: ...

    def mul(self, a: float, b: float) -> float: ...

    def negate(self, a: float) -> float: ...


@dataclass(frozen=True)
class MaxProduct:
    """Best-proof probabilities (the default)."""

    zero: float = 0.0
    one: float = 1.0

    def add(self, a: float, b: float) -> float:
        return max(a, b)

    def mul(self, a: float, b: float) -> float:
        return a * b

    def negate(self, a: float) -> float:
        return 1.0 - a


@dataclass(frozen=True)
class TopKProofs:
    """Probability from the ``k`` best proofs, combined by ``noisy_or`` or ``exact`` inclusion-exclusion."""

    k: int = 3
    method: str = "noisy_or"
    zero: float = 0.0
    one: float = 1.0

    def __post_init__(self) -> None:
        if self.k < 1:
            raise InputError(f"k must be >= 1, got {self.k}")
        if self.method not in ("noisy_or", "exact"):
            raise InputError(f"method must be 'noisy_or' or 'exact', got {self.method!r}")

    def add(self, a: float, b: float) -> float:
        return 1.0 - (1.0 - a) * (1.0 - b)

    def mul(self, a: float, b: float) -> float:
        return a * b

    def negate(self, a: float) -> float:
        return 1.0 - a

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
