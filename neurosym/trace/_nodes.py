"""The Trace model: why a conclusion holds (or does not), as a typed DAG of nodes.

A trace is its root node.  Inner nodes are rule applications (and, for
predictions, a :class:`Prediction` root); leaves carry the evidence: input
facts with a typed :class:`SourceRef`, ontology paths (:class:`OntologyLeaf`)
and neural predicates (:class:`NeuralLeaf`).  Checks a rule made on the way
(comparisons, absent facts, aggregates) are nodes too.  A subproof used twice
is one node object referenced twice: :meth:`Node.walk` and the serialisation
(:func:`neurosym.trace.to_dict`) see it once.

Values are Python scalars; epoch days are :class:`datetime.date`.

Examples
--------
>>> from datetime import date
>>> lab = FactLeaf("lab(p1, 4548-4, 7.1, 2023-01-17)", "lab", ["p1", "4548-4", 7.1, date(2023, 1, 17)],
...                source=SourceRef(dataset="synthetic", table="labs", row=12))
>>> dm = RuleApplication("dm(p1)", "ada.a1c", bindings={"P": "p1", "V": 7.1}, children=[lab, Check("7.1 >= 6.5")])
>>> [n.kind for n in dm.walk()], [leaf.atom for leaf in dm.leaves()]
(['rule', 'fact', 'comparison'], ['lab(p1, 4548-4, 7.1, 2023-01-17)'])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Union

from neurosym._errors import TraceError

__all__ = ["MODIFIABLE_FACTS", "Aggregate", "Change", "Check", "Counterfactual", "Elided", "FactLeaf", "Negation", "NeuralLeaf",
           "Node", "OntologyLeaf", "OntologyStep", "Prediction", "RuleApplication", "RuleAttempt", "SourceRef", "Value", "WhyNot",
           "children_of"]

#: A value in a trace: a symbol, a number, a date (an epoch day of a date column) or missing.
Value = Union[str, int, float, bool, date, None]


@dataclass(frozen=True)
class SourceRef:
    """Where an input fact came from: the source record, and its original value and unit where known.

    ``text`` is a free description when nothing structured is known (e.g.
    ``fact in drugs.dl line 3``).
    """

    dataset: str | None = None
    table: str | None = None
    row: int | None = None
    id: str | None = None
    value: float | str | None = None
    unit: str | None = None
    text: str | None = None

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> "SourceRef":
        """From a source description: the keys of ``Facts.describe_source`` (``source_dataset``,
        ``source_table``, ``source_row``, ``source_id``) or of this class."""
        def get(key: str) -> Any:
            value = description.get(key, description.get(f"source_{key}"))
            return None if value is None or value != value else value

        row = get("row")
        return cls(dataset=get("dataset"), table=get("table"), row=None if row is None else int(row), id=get("id"),
                   value=get("value"), unit=get("unit"), text=get("text"))


@dataclass(frozen=True)
class OntologyStep:
    """One concept on an ontology path; ``edge`` is the kind of edge that reached it (None for the first)."""

    system: str
    code: str
    label: str | None = None
    edge: str | None = None


@dataclass(eq=False)
class Node:
    """A trace node.  Nodes compare by identity, so a DAG's shared nodes stay shared."""

    kind: ClassVar[str] = "node"

    def walk(self) -> Iterator["Node"]:
        """This node and every node below it, depth first, each node once."""
        seen: set[int] = set()
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            stack.extend(reversed(children_of(node)))

    def leaves(self) -> list["Node"]:
        """The evidence the conclusion rests on: fact, ontology and neural leaves."""
        return [n for n in self.walk() if isinstance(n, (FactLeaf, OntologyLeaf, NeuralLeaf))]

    def render_text(self, **options: Any) -> str:
        """Text tree; see :func:`neurosym.export.to_text`."""
        from neurosym.export import to_text

        return to_text(self, **options)

    def to_json(self, indent: int | None = 2) -> str:
        """JSON document; see :func:`neurosym.export.to_json`."""
        from neurosym.export import to_json

        return to_json(self, indent=indent)


@dataclass(eq=False)
class RuleApplication(Node):
    """A derived atom and the rule that derived it: id, citation, doc, variable bindings, probability, body nodes.

    ``helper`` marks rules annotated ``@helper``; renderers fold them away by default.
    """

    kind: ClassVar[str] = "rule"
    atom: str
    rule_id: str
    cite: str | None = None
    doc: str | None = None
    bindings: dict[str, Value] = field(default_factory=dict)
    probability: float | None = None
    helper: bool = False
    children: list[Node] = field(default_factory=list)
    height: int | None = None
    contribution: float | None = None


@dataclass(eq=False)
class FactLeaf(Node):
    """An input fact: relation, values, probability and source record.

    A fact written in a rule file carries that file's ``rule_id``, ``cite`` and ``doc``.
    """

    kind: ClassVar[str] = "fact"
    atom: str
    relation: str
    values: list[Value] = field(default_factory=list)
    probability: float | None = None
    source: SourceRef | None = None
    rule_id: str | None = None
    cite: str | None = None
    doc: str | None = None
    contribution: float | None = None


@dataclass(eq=False)
class OntologyLeaf(Node):
    """A subsumption fact (``is_a``) shown as the ontology path that proves it."""

    kind: ClassVar[str] = "ontology"
    atom: str
    path: list[OntologyStep] = field(default_factory=list)
    probability: float | None = None
    contribution: float | None = None

    @property
    def text(self) -> str:
        """``icd10cm:E11.65 -> icd10cm:E11 -> icd10cm:E08-E13``, non-``is_a`` edges marked after the concept."""
        parts = []
        for step in self.path:
            label = f" {step.label}" if step.label else ""
            edge = f" ({step.edge.replace('_', ' ')})" if step.edge and step.edge != "is_a" else ""
            parts.append(f"{step.system}:{step.code}{label}{edge}")
        return " -> ".join(parts)


@dataclass(eq=False)
class NeuralLeaf(Node):
    """A neural predicate: the model that computed it, its probability, the input window and attributions."""

    kind: ClassVar[str] = "neural"
    atom: str
    model: str
    probability: float
    window_start: date | None = None
    window_end: date | None = None
    attributions: dict[str, float] = field(default_factory=dict)
    contribution: float | None = None


@dataclass(eq=False)
class Check(Node):
    """A comparison or assignment that held, with the values substituted (``7.1 >= 6.5``)."""

    kind: ClassVar[str] = "comparison"
    text: str

    @property
    def atom(self) -> str:
        return self.text


@dataclass(eq=False)
class Negation(Node):
    """An atom checked absent (``not deceased(p1)``); with probabilities, ``1 - p`` of the atom."""

    kind: ClassVar[str] = "negation"
    atom: str
    probability: float | None = None


@dataclass(eq=False)
class Aggregate(Node):
    """An aggregate's value (``N = count : ... = 5``) and a sample of the facts it was computed from."""

    kind: ClassVar[str] = "aggregate"
    text: str
    value: Value = None
    children: list[Node] = field(default_factory=list)
    contribution: float | None = None

    @property
    def atom(self) -> str:
        return self.text


@dataclass(eq=False)
class Elided(Node):
    """Structure left out (deeper than a depth limit, or folded helper rules): which rules, and the evidence
    leaves they rested on, which are never left out."""

    kind: ClassVar[str] = "elided"
    atom: str
    rule_ids: list[str] = field(default_factory=list)
    probability: float | None = None
    children: list[Node] = field(default_factory=list)
    contribution: float | None = None


@dataclass(eq=False)
class Prediction(Node):
    """A model's prediction: risk of ``target`` within ``horizon_days`` of the ``landmark``, and why.

    The children are the reasons, each with its additive ``contribution`` to the model's ``logit``;
    ``bias`` is the intercept and ``residual`` the residual neural term's share (None: the model has
    none).  Faithful traces satisfy ``logit == bias + residual + sum(contributions)`` and
    ``risk == sigmoid(logit)`` (:func:`neurosym.trace.check_faithful`).  ``threshold`` is the
    "high risk" cut-off, ``calibration`` context for a clinician (``percentile``, ``bin_low``,
    ``bin_high``, ``observed_rate``, ``n``), ``counterfactuals`` the smallest changes that take the
    risk below the threshold and ``why_not`` reports on conclusions that did not fire.
    """

    kind: ClassVar[str] = "prediction"
    target: str
    risk: float
    horizon_days: int | None = None
    landmark: date | None = None
    model_version: str | None = None
    children: list[Node] = field(default_factory=list)
    logit: float | None = None
    bias: float | None = None
    residual: float | None = None
    threshold: float | None = None
    calibration: dict[str, float] | None = None
    counterfactuals: list[Counterfactual] = field(default_factory=list)
    why_not: list[WhyNot] = field(default_factory=list)


@dataclass(eq=False)
class RuleAttempt(Node):
    """Why one rule did not derive an atom: the first failing body literal and the closest bindings;
    ``children``: why that literal does not hold in turn (:class:`WhyNot` reports, ``why_not(..., depth=)``)."""

    kind: ClassVar[str] = "attempt"
    rule_id: str
    rule: str
    failed_literal: str | None
    reason: str
    partial_bindings: list[dict[str, Value]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)


@dataclass(eq=False)
class WhyNot(Node):
    """Why an atom does not hold: one :class:`RuleAttempt` per rule that could derive it."""

    kind: ClassVar[str] = "why_not"
    atom: str
    holds: bool
    attempts: list[RuleAttempt] = field(default_factory=list)
    note: str | None = None


#: The facts a counterfactual may change (the modifiable risk factors).
MODIFIABLE_FACTS = ("hba1c", "bmi", "weight", "steps", "sbp", "dbp", "sleep_hours", "ldl", "smoking")


@dataclass(frozen=True)
class Change:
    """One change to a modifiable fact: its value ``before`` and ``after``, the unit and a phrase for people.

    Examples
    --------
    >>> Change("steps", 4100.0, 6100.0, "steps/day", "walk 2,000 more steps a day").text
    'walk 2,000 more steps a day'
    """

    fact: str
    before: float | str | None
    after: float | str
    unit: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.fact not in MODIFIABLE_FACTS:
            raise TraceError(f"a counterfactual cannot change {self.fact!r}; modifiable facts: {', '.join(MODIFIABLE_FACTS)}")


@dataclass(eq=False)
class Counterfactual(Node):
    """What would change the risk: a set of changes, the risk after them (re-running the model) and whether it
    is below the prediction's threshold."""

    kind: ClassVar[str] = "counterfactual"
    changes: list[Change]
    risk: float
    below_threshold: bool


def children_of(node: Node) -> list[Node]:
    """The nodes below ``node``: none for leaves, a why-not report's rule attempts, a prediction's reasons
    followed by its counterfactuals and why-not reports."""
    if isinstance(node, WhyNot):
        return list(node.attempts)
    if isinstance(node, Prediction):
        return [*node.children, *node.counterfactuals, *node.why_not]
    return list(getattr(node, "children", ()))
