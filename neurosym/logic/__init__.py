"""The rule language: parser, checks, engines, provenance and probabilities.

>>> from neurosym.logic import Program
>>> Program.from_text("p(X) :- q(X), not r(X).").evaluate({"q": [(1,), (2,)], "r": [(2,)]}).query("p").values.tolist()
[[1]]
"""

from neurosym.logic._explain import Explainer
from neurosym.logic._model import Model
from neurosym.logic._parser import parse, parse_atom
from neurosym.logic._program import ENGINES, Program
from neurosym.logic._proof import ProofNode, RuleAttempt, WhyNot
from neurosym.logic._prover import Prover
from neurosym.logic._semiring import MaxProduct, Semiring, TopKProofs

__all__ = [
    "ENGINES",
    "Explainer",
    "MaxProduct",
    "Model",
    "ProofNode",
    "Program",
    "Prover",
    "RuleAttempt",
    "Semiring",
    "TopKProofs",
    "WhyNot",
    "parse",
    "parse_atom",
]
