"""The engine interface and registry: an engine loads inputs, evaluates a plan and returns a result store.

An engine is any object with a ``name`` and a ``run(plan, inputs, limits)``
method returning a :class:`~neurosym.logic.ResultStore` (every relation as an
Arrow table with the provenance columns ``_h``, ``_r``, ``_p``, ``_s``).
:func:`register_engine` makes one available to
:meth:`Program.evaluate(engine=...) <neurosym.logic.Program.evaluate>`; a
Spark or PostgreSQL engine registers itself the same way, without touching
the others.

Examples
--------
>>> from neurosym.logic import ENGINES, Program
>>> list(ENGINES)
['native', 'pydatalog', 'spark', 'postgres']
>>> class Counting:
...     name = "counting"
...     def run(self, plan, inputs, limits):
...         self.runs = getattr(self, "runs", 0) + 1
...         return create_engine("native").run(plan, inputs, limits)
>>> register_engine("counting", Counting)
>>> Program.from_text("p(X) :- q(X).").evaluate({"q": [(1,)]}, engine="counting").query("p").values.tolist()
[[1]]
>>> unregister_engine("counting")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from neurosym._errors import EvaluationError
from neurosym.logic._ast import Decl, Rule
from neurosym.logic._semiring import MaxProduct, Semiring

if TYPE_CHECKING:
    from neurosym.logic._inputs import InputRelation
    from neurosym.logic._store import ResultStore

__all__ = ["ENGINES", "Engine", "Key", "Limits", "Plan", "create_engine", "declared_keys", "register_engine",
           "unregister_engine"]


@dataclass(frozen=True)
class Key:
    """A declared key of an input relation: the column positions whose values identify one row, and where it was declared.

    Written ``.decl rel(name: type, ...) key(name, ...)``: the input facts hold at most one row per value of those
    columns (identical rows count as two).  The native engine checks it when it loads the facts (an
    :class:`~neurosym.EvaluationError` naming the key and its declaration otherwise) and then stores the rows
    without removing duplicates, and knows that rules reading one row per key value derive each head once.
    """

    columns: tuple[int, ...]
    names: tuple[str, ...]
    where: str

    def __repr__(self) -> str:  # the compiled-statement caches key on it: positions only, no file names
        return f"Key{self.columns}"


def declared_keys(decls: list[Decl]) -> dict[str, tuple[Key, ...]]:
    """Relation -> its declared keys, from the ``.decl`` statements.

    >>> from neurosym.logic._parser import parse
    >>> declared_keys(parse(".decl a(p: symbol, d: number, x: float) key(p, d)").decls)
    {'a': (Key(0, 1),)}
    """
    keys: dict[str, tuple[Key, ...]] = {}
    for decl in decls:
        names = [name for name, _ in decl.columns]
        for key in decl.keys:
            found = Key(tuple(names.index(n) for n in key), key, f"{decl.span.path}:{decl.span.line}:{decl.span.col}")
            if found.columns not in [k.columns for k in keys.get(decl.rel, ())]:
                keys[decl.rel] = (*keys.get(decl.rel, ()), found)
    return keys


@dataclass
class Plan:
    """What an engine evaluates: rules, column types, strata, whether probabilities are tracked and how, declared keys."""

    rules: list[Rule]
    types: dict[str, list[str]]
    strata: list[list[str]]
    prob: bool
    semiring: Semiring = field(default_factory=MaxProduct)
    keys: dict[str, tuple[Key, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Limits:
    """Bounds on one evaluation; an engine that exceeds one stops with :class:`~neurosym.EvaluationError`.

    ``max_iterations`` bounds the rounds of a recursive stratum, ``timeout``
    the seconds of the whole run; ``memory_limit`` (e.g. ``"2GB"``) caps an
    engine's database memory where it has one.
    """

    max_iterations: int = 100_000
    timeout: float | None = None
    memory_limit: str | None = None


class Engine(Protocol):
    """Evaluates a :class:`Plan` on normalised inputs and returns a :class:`~neurosym.logic.ResultStore`."""

    name: str

    def run(self, plan: Plan, inputs: Mapping[str, "InputRelation"], limits: Limits) -> "ResultStore": ...


_REGISTRY: dict[str, Callable[[], Engine]] = {}


def register_engine(name: str, factory: Callable[[], Engine]) -> None:
    """Make ``factory()`` the engine used by ``Program.evaluate(engine=name)`` (replacing one of that name)."""
    _REGISTRY[name] = factory


def unregister_engine(name: str) -> None:
    """Remove an engine from the registry."""
    if name not in _REGISTRY:
        raise EvaluationError(f"no engine {name!r} is registered; registered: {', '.join(_REGISTRY)}")
    del _REGISTRY[name]


def create_engine(name: str) -> Engine:
    """A new engine of the registered ``name``; :class:`~neurosym.EvaluationError` naming the registered ones."""
    if name not in _REGISTRY:
        raise EvaluationError(f"unknown engine {name!r}; choose one of {', '.join(_REGISTRY)}")
    return _REGISTRY[name]()


class _Registered(Sequence[str]):
    """The names of the registered engines, read live from the registry."""

    def __getitem__(self, index):  # type: ignore[override]
        return list(_REGISTRY)[index]

    def __len__(self) -> int:
        return len(_REGISTRY)

    def __iter__(self) -> Iterator[str]:
        return iter(list(_REGISTRY))

    def __repr__(self) -> str:
        return repr(tuple(_REGISTRY))


#: Names of the registered engines (``"native"``, ``"pydatalog"``, ``"spark"``, ``"postgres"`` and any registered later).
ENGINES: Sequence[str] = _Registered()


def _native() -> Engine:
    from neurosym.logic._native import NativeEngine

    return NativeEngine()


def _pydatalog() -> Engine:
    from neurosym.logic._pydatalog import PyDatalogEngine  # pyDatalog is imported only when used

    return PyDatalogEngine()


def _spark() -> Engine:
    from neurosym.logic._spark import SparkEngine  # pyspark is imported only when used

    return SparkEngine()


def _postgres() -> Engine:
    from neurosym.logic._postgres import PostgresEngine  # psycopg is imported only when used

    return PostgresEngine()


register_engine("native", _native)
register_engine("pydatalog", _pydatalog)
register_engine("spark", _spark)
register_engine("postgres", _postgres)
