"""neurosym: neuro-symbolic clinical reasoning with auditable proof traces.

Subpackages, in the order data flows: :mod:`neurosym.data` (patient model
and loaders), :mod:`neurosym.ontology` (medical ontologies),
:mod:`neurosym.facts` (cohort + ontology -> relations; the clinical rule
library), :mod:`neurosym.logic` (a generic Datalog package: rules, engines,
provenance) and :mod:`neurosym.cli`.
"""

from neurosym._errors import (
    ArityError,
    DataLoadError,
    EvaluationError,
    InputError,
    NeurosymError,
    NotFittedError,
    OntologyError,
    ResourceNotFoundError,
    RuleError,
    RuleSyntaxError,
    SafetyError,
    StratificationError,
    UnknownIdError,
    UnknownRelationError,
)

__version__ = "0.1.0"

__all__ = [
    "ArityError",
    "DataLoadError",
    "EvaluationError",
    "InputError",
    "NeurosymError",
    "NotFittedError",
    "OntologyError",
    "ResourceNotFoundError",
    "RuleError",
    "RuleSyntaxError",
    "SafetyError",
    "StratificationError",
    "UnknownIdError",
    "UnknownRelationError",
    "__version__",
]
