"""One Trace model for explanations and predictions: typed nodes forming a DAG, a JSON form and its schema.

>>> from neurosym.trace import FactLeaf, RuleApplication, to_dict, validate
>>> doc = to_dict(RuleApplication("p(1)", "r1", children=[FactLeaf("q(1)", "q", [1])]))
>>> validate(doc); [n["kind"] for n in doc["nodes"]]
['rule', 'fact']
"""

from neurosym._errors import TraceError
from neurosym.trace._codec import TRACE_VERSION, from_dict, schema, to_dict, validate
from neurosym.trace._faithful import check_faithful
from neurosym.trace._fold import fold
from neurosym.trace._nodes import (
    MODIFIABLE_FACTS,
    Aggregate,
    Change,
    Check,
    Counterfactual,
    Elided,
    FactLeaf,
    Negation,
    NeuralLeaf,
    Node,
    OntologyLeaf,
    OntologyStep,
    Prediction,
    RuleApplication,
    RuleAttempt,
    SourceRef,
    Value,
    WhyNot,
    children_of,
)

__all__ = [
    "MODIFIABLE_FACTS",
    "TRACE_VERSION",
    "Aggregate",
    "Change",
    "Check",
    "Counterfactual",
    "Elided",
    "FactLeaf",
    "Negation",
    "NeuralLeaf",
    "Node",
    "OntologyLeaf",
    "OntologyStep",
    "Prediction",
    "RuleApplication",
    "RuleAttempt",
    "SourceRef",
    "TraceError",
    "Value",
    "WhyNot",
    "check_faithful",
    "children_of",
    "fold",
    "from_dict",
    "schema",
    "to_dict",
    "validate",
]
