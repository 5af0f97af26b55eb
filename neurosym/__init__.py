"""neurosym: neuro-symbolic clinical reasoning with auditable proof traces.

Subpackages: :mod:`neurosym.data` (patient model and loaders),
:mod:`neurosym.logic` (Datalog rules, engines, provenance),
:mod:`neurosym.ontology` (medical ontologies) and :mod:`neurosym.cli`.
"""

from neurosym._errors import (
    ArityError,
    DataLoadError,
    EvaluationError,
    NeurosymError,
    NotFittedError,
    OntologyError,
    RuleError,
    RuleSyntaxError,
    SafetyError,
    StratificationError,
    UnknownRelationError,
)

__version__ = "0.1.0"

__all__ = [
    "ArityError",
    "DataLoadError",
    "EvaluationError",
    "NeurosymError",
    "NotFittedError",
    "OntologyError",
    "RuleError",
    "RuleSyntaxError",
    "SafetyError",
    "StratificationError",
    "UnknownRelationError",
    "__version__",
]
