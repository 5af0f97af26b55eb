"""The rule language: parser, checks, engines, provenance and probabilities.

>>> from neurosym.logic import Program
>>> Program.from_text("p(X) :- q(X), not r(X).").evaluate({"q": [(1,), (2,)], "r": [(2,)]}).query("p").values.tolist()
[[1]]

The proof machinery (:class:`Explainer`, :class:`Prover`, which need pandas
and pyarrow) is imported on first use, so evaluating a program and writing
its results (``neurosym rules run``) loads neither.
"""

from typing import TYPE_CHECKING, Any

from neurosym.logic._engine import ENGINES, Engine, Limits, Plan, register_engine, unregister_engine
from neurosym.logic._model import Model
from neurosym.logic._parser import parse, parse_atom
from neurosym.logic._program import Program
from neurosym.logic._semiring import AddMult, MaxProduct, Semiring, TopKProofs
from neurosym.logic._store import ResultStore

if TYPE_CHECKING:
    from neurosym.logic._explain import Explainer
    from neurosym.logic._prover import FACT_ID_BITS, Prover

#: Names imported on first use and their modules: the proof machinery, and the Spark and PostgreSQL engines
#: (pyspark, psycopg and pyarrow load only then).
_LAZY = {"Explainer": "_explain", "Prover": "_prover", "FACT_ID_BITS": "_prover",
         "SparkEngine": "_spark", "SparkRelation": "_spark", "spark_facts": "_spark",
         "PostgresEngine": "_postgres", "PostgresRelation": "_postgres"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"neurosym.logic.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'neurosym.logic' has no attribute {name!r}")


__all__ = [
    "ENGINES",
    "PostgresEngine",
    "PostgresRelation",
    "SparkEngine",
    "SparkRelation",
    "spark_facts",
    "FACT_ID_BITS",
    "AddMult",
    "Engine",
    "Explainer",
    "Limits",
    "MaxProduct",
    "Model",
    "Plan",
    "Program",
    "Prover",
    "ResultStore",
    "Semiring",
    "TopKProofs",
    "parse",
    "parse_atom",
    "register_engine",
    "unregister_engine",
]
