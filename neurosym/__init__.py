"""neurosym: neuro-symbolic clinical reasoning with auditable proof traces.

Subpackages, in the order data flows: :mod:`neurosym.data` (patient model
and loaders), :mod:`neurosym.ontology` (medical ontologies),
:mod:`neurosym.facts` (cohort + ontology -> relations; the clinical rule
library), :mod:`neurosym.logic` (a generic Datalog package: rules, engines,
provenance), :mod:`neurosym.tasks` (labels at a landmark), :mod:`neurosym.neural`
(encoders, ``RiskModel``), :mod:`neurosym.reasoning` (``NeuroSymbolicModel``),
:mod:`neurosym.trace` and :mod:`neurosym.export` (traces and their renderings),
:mod:`neurosym.evaluation`, :mod:`neurosym.federated` and :mod:`neurosym.cli`.
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
    TraceError,
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
    "TraceError",
    "UnknownIdError",
    "UnknownRelationError",
    "__version__",
]
