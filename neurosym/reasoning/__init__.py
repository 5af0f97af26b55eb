"""Neuro-symbolic reasoning: neural predicates in rules, trained end to end through proofs, predictions with traces.

:class:`NeuralPredicate` declares a predicate computed by a neural head
(:data:`NEURAL_PREDICATES`, :func:`register_predicate`); rules in
``rules/neural/`` use them next to record facts and ontology subsumption.
:class:`NeuroSymbolicModel` grounds the program once per cohort, compiles
the top-k proofs of the prediction-relevant relations into tensors
(:func:`ground`, :func:`compile_proofs`) and trains through them
(:class:`TopKProofs`); its :meth:`~NeuroSymbolicModel.explain` returns a
:class:`~neurosym.trace.Prediction` whose contributions add up to the logit.

Examples
--------
>>> from neurosym.reasoning import NeuroSymbolicModel
>>> NeuroSymbolicModel(seed=3).get_params()["seed"]
3
"""

from neurosym.reasoning._counterfactuals import CHANGE_GRID, counterfactuals
from neurosym.reasoning._grounding import CompiledProofs, Grounding, atom_key, compile_proofs, ground, proof_atoms
from neurosym.reasoning._model import DEFAULT_PREDICATES, NeuroSymbolicModel
from neurosym.reasoning._module import ReasonerModule
from neurosym.reasoning._predicates import (
    NEURAL_PREDICATES,
    PATTERNS,
    NeuralPredicate,
    PredicateHead,
    neural_predicate,
    observed_enough,
    pattern_score,
    predicate_inputs,
    register_predicate,
)
from neurosym.reasoning._program import RELEVANT_RELATIONS, default_program, neural_rule_files, split_program
from neurosym.reasoning._proofs import TopKProofs
from neurosym.reasoning._wide import WideTerm, wide_design

__all__ = [
    "CHANGE_GRID",
    "CompiledProofs",
    "DEFAULT_PREDICATES",
    "Grounding",
    "NEURAL_PREDICATES",
    "NeuralPredicate",
    "NeuroSymbolicModel",
    "PATTERNS",
    "PredicateHead",
    "RELEVANT_RELATIONS",
    "ReasonerModule",
    "TopKProofs",
    "WideTerm",
    "atom_key",
    "compile_proofs",
    "counterfactuals",
    "default_program",
    "ground",
    "neural_predicate",
    "neural_rule_files",
    "observed_enough",
    "pattern_score",
    "predicate_inputs",
    "proof_atoms",
    "register_predicate",
    "split_program",
    "wide_design",
]
