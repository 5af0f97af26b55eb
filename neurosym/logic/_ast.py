"""Syntax tree of the rule language.

Nodes are small frozen dataclasses; every node that can be wrong carries a
:class:`Span` (line and column, 1-based) so errors point at the exact token.

Examples
--------
>>> from neurosym.logic._parser import parse
>>> rule = parse('h(X) :- a(X, 1), not b(X), X != "Z".').rules[0]
>>> str(rule)
'h(X) :- a(X, 1), not b(X), X != "Z".'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

__all__ = [
    "Span",
    "Var",
    "Const",
    "BinOp",
    "Call",
    "Term",
    "Atom",
    "Negation",
    "Comparison",
    "Aggregate",
    "Assignment",
    "Literal",
    "Rule",
    "Decl",
    "Module",
    "FUNCTIONS",
    "AGGREGATES",
    "COMPARISONS",
    "PREDICATES",
    "term_vars",
    "format_value",
]

#: Built-in functions usable in expressions, with their arities.
FUNCTIONS: dict[str, tuple[int, ...]] = {
    "min": (2, 3, 4, 5, 6, 7, 8),
    "max": (2, 3, 4, 5, 6, 7, 8),
    "abs": (1,),
    "pow": (2,),
    "exp": (1,),
    "log": (1,),
    "sqrt": (1,),
    "floor": (1,),
    "ceil": (1,),
    "round": (1,),
    # strings (Soufflé's functors; positions count from 0)
    "cat": (2, 3, 4, 5, 6, 7, 8), "strlen": (1,), "substr": (3,), "to_number": (1,), "to_string": (1,),
    # Soufflé's number conversions and its prefix operators bnot (bitwise) and lnot (logical: 1 if zero, else 0)
    "to_float": (1,), "to_unsigned": (1,), "bnot": (1,), "lnot": (1,),
    # Soufflé's ord: a number itself; a symbol orders as itself (see docs/rule-language.md)
    "ord": (1,),
    # Soufflé's generator, only as V = range(from, to[, step]): V takes each value (neurosym.logic._sql.range_assignment)
    "range": (2, 3),
    # dates (integer epoch days, neurosym.logic._dates)
    "year": (1,), "month": (1,), "day_of_month": (1,), "day_of_week": (1,), "week_start": (1,), "date": (1,),
    "add_months": (2,), "add_years": (2,), "years_between": (2,),
}

#: Aggregate functions: ``count`` takes no expression, the others one.
AGGREGATES: tuple[str, ...] = ("count", "sum", "min", "max", "mean")

COMPARISONS: tuple[str, ...] = ("=", "!=", "<", "<=", ">", ">=")

#: Soufflé's two-argument string constraints, written ``match(pattern, text)`` / ``contains(part, text)``, and their
#: negations (``!match(...)``): comparisons whose operator is the name.
PREDICATES: tuple[str, ...] = ("match", "contains", "!match", "!contains")


@dataclass(frozen=True)
class Span:
    """Position of a node in its source text (1-based line and column; ``path`` names the text)."""

    line: int
    col: int
    path: str = "<text>"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


_NOWHERE = Span(0, 0)


def format_value(value: object) -> str:
    """Rule-language spelling of a constant: strings quoted unless plain identifiers.

    >>> format_value("icd10cm"), format_value("E11.9"), format_value(6.5)
    ('icd10cm', '"E11.9"', '6.5')
    """
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if text and text[0].islower() and text.replace("_", "a").isalnum() and text.isascii() and text not in ("not",):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


@dataclass(frozen=True)
class Var:
    """A variable; ``_`` (anonymous) occurrences are renamed apart by the parser."""

    name: str
    span: Span = field(default=_NOWHERE, compare=False)

    @property
    def anonymous(self) -> bool:
        return self.name.startswith("_#")

    def __str__(self) -> str:
        return "_" if self.anonymous else self.name


@dataclass(frozen=True)
class Const:
    """A constant: string, integer or float."""

    value: Union[str, int, float]
    span: Span = field(default=_NOWHERE, compare=False)

    def __str__(self) -> str:
        return format_value(self.value)


@dataclass(frozen=True)
class BinOp:
    """Arithmetic ``left op right`` with op in ``+ - * /``, ``%`` (remainder), ``^`` (power) and Soufflé's integer
    operators: bitwise ``band bor bxor bshl bshr``, logical ``land lor lxor`` (1 or 0, any non-zero is true)."""

    op: str
    left: "Term"
    right: "Term"
    span: Span = field(default=_NOWHERE, compare=False)

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


@dataclass(frozen=True)
class Call:
    """A built-in function call, e.g. ``pow(X, 2)``."""

    func: str
    args: tuple["Term", ...]
    span: Span = field(default=_NOWHERE, compare=False)

    def __str__(self) -> str:
        return f"{self.func}({', '.join(map(str, self.args))})"


Term = Union[Var, Const, BinOp, Call]


def term_vars(term: Term) -> list[Var]:
    """Variables of a term, in order of appearance.

    >>> [v.name for v in term_vars(BinOp("+", Var("X"), Call("abs", (Var("Y"),))))]
    ['X', 'Y']
    """
    if isinstance(term, Var):
        return [term]
    if isinstance(term, BinOp):
        return term_vars(term.left) + term_vars(term.right)
    if isinstance(term, Call):
        return [v for a in term.args for v in term_vars(a)]
    return []


@dataclass(frozen=True)
class Atom:
    """``rel(t1, ..., tn)``."""

    rel: str
    args: tuple[Term, ...]
    span: Span = field(default=_NOWHERE, compare=False)

    @property
    def arity(self) -> int:
        return len(self.args)

    def vars(self) -> list[Var]:
        return [v for a in self.args for v in term_vars(a)]

    def __str__(self) -> str:
        return f"{self.rel}({', '.join(map(str, self.args))})"


@dataclass(frozen=True)
class Negation:
    """``not atom`` (stratified negation)."""

    atom: Atom
    span: Span = field(default=_NOWHERE, compare=False)

    def __str__(self) -> str:
        return f"not {self.atom}"


@dataclass(frozen=True)
class Comparison:
    """``left op right``; ``V = expr`` with ``V`` otherwise unbound is an assignment.

    ``op`` may also be one of :data:`PREDICATES`: ``match(left, right)`` holds when the regular expression ``left``
    matches all of ``right``, ``contains(left, right)`` when ``left`` occurs in ``right``.
    """

    op: str
    left: Term
    right: Term
    span: Span = field(default=_NOWHERE, compare=False)

    def __str__(self) -> str:
        if self.op in PREDICATES:
            return f"{self.op}({_bare(self.left)}, {_bare(self.right)})"
        return f"{_bare(self.left)} {self.op} {_bare(self.right)}"


@dataclass(frozen=True)
class Aggregate:
    """``func expr : { body }``; ``count`` has no expression."""

    func: str
    expr: Term | None
    body: tuple["Literal", ...]
    span: Span = field(default=_NOWHERE, compare=False)

    def __str__(self) -> str:
        expr = f" {_bare(self.expr)}" if self.expr is not None else ""
        body = ", ".join(map(str, self.body))
        return f"{self.func}{expr} : {{ {body} }}" if len(self.body) > 1 else f"{self.func}{expr} : {body}"


@dataclass(frozen=True)
class Assignment:
    """``Var = aggregate``: binds ``var`` to the aggregate's value per group."""

    var: Var
    aggregate: Aggregate
    span: Span = field(default=_NOWHERE, compare=False)

    def __str__(self) -> str:
        return f"{self.var} = {self.aggregate}"


Literal = Union[Atom, Negation, Comparison, Assignment]


def _bare(term: Term | None) -> str:
    text = str(term)
    return text[1:-1] if isinstance(term, BinOp) else text


@dataclass(frozen=True)
class Rule:
    """``head :- body.`` with its annotations; a fact has an empty body."""

    head: Atom
    body: tuple[Literal, ...]
    id: str
    cite: str | None = None
    doc: str | None = None
    span: Span = field(default=_NOWHERE, compare=False)
    path: str = field(default="<text>", compare=False)
    helper: bool = False  # @helper: intermediate structure that traces fold away

    @property
    def is_fact(self) -> bool:
        return not self.body

    def positive_atoms(self) -> list[Atom]:
        return [lit for lit in self.body if isinstance(lit, Atom)]

    def __str__(self) -> str:
        if not self.body:
            return f"{self.head}."
        return f"{self.head} :- {', '.join(map(str, self.body))}."


@dataclass(frozen=True)
class Decl:
    """``.decl rel(name: type, ...) key(name, ...)``; types ``symbol``, ``number`` (integer) or ``float``; ``keys``: the
    column names of each declared key (one input row per key value, checked by the native engine)."""

    rel: str
    columns: tuple[tuple[str, str], ...]
    span: Span = field(default=_NOWHERE, compare=False)
    path: str = field(default="<text>", compare=False)
    keys: tuple[tuple[str, ...], ...] = ()

    @property
    def arity(self) -> int:
        return len(self.columns)


@dataclass
class Module:
    """Everything parsed from one or more texts: rules (facts included), declarations and sources."""

    rules: list[Rule] = field(default_factory=list)
    decls: list[Decl] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)  # path -> lines, for error carets
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)  # .input rel(key=value, ...): relation -> parameters
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # .output rel(...)
    dialects: dict[str, str] = field(default_factory=dict)  # path -> "plain" or "souffle", as the text was read

    def merge(self, other: "Module") -> None:
        """Add another module's statements to this one."""
        self.rules += other.rules
        self.decls += other.decls
        self.sources.update(other.sources)
        self.inputs.update(other.inputs)
        self.outputs.update(other.outputs)
        self.dialects.update(other.dialects)
