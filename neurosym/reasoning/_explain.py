"""One prediction as a faithful trace: contributions that add up to the logit, proofs down to source records.

The root :class:`~neurosym.trace.Prediction` carries the risk, the logit and
its parts (bias, residual), the threshold and the calibration context.  Each
child is one risk-head atom that holds for the patient: the proof of the
top program (:meth:`Model.explain <neurosym.logic.Model.explain>`), whose
lower-program facts are expanded by the lower model down to source records
and ontology paths, and whose neural facts become
:class:`~neurosym.trace.NeuralLeaf` nodes (probability, input window, top
integrated-gradients attributions named by date).  A child's
``contribution`` is ``w_j p_j``; a neural leaf's is the logit it adds (the
logit minus the logit with that neural fact at probability 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from neurosym._errors import EvaluationError, InputError, UnknownIdError
from neurosym.data import Cohort
from neurosym.logic import Model
from neurosym.logic._ast import format_value
from neurosym.logic._lookup import atom_text
from neurosym.reasoning._grounding import Grounding, proof_atoms
from neurosym.reasoning._predicates import NeuralPredicate, neural_predicate, predicate_inputs
from neurosym.trace import FactLeaf, NeuralLeaf, Node, Prediction

if TYPE_CHECKING:  # pragma: no cover
    from neurosym.reasoning._model import NeuroSymbolicModel

__all__ = ["calibration_context", "explain_prediction"]

#: Names shown for lab analytes in attributions.
ANALYTE_NAMES = {"loinc:4548-4": "HbA1c", "loinc:1558-6": "fasting glucose"}
_TOP_ATTRIBUTIONS = 5
_EPOCH = date(1970, 1, 1)


def calibration_context(risk: float, train_risk: np.ndarray, train_label: np.ndarray, bins: int = 10) -> dict[str, float]:
    """Where ``risk`` sits among the training risks: percentile, and the observed rate in its decile bin.

    >>> calibration_context(0.5, np.array([0.1, 0.2, 0.6, 0.9]), np.array([0, 0, 1, 1]), bins=2)
    {'percentile': 50.0, 'bin_low': 0.4, 'bin_high': 0.9, 'observed_rate': 1.0, 'n': 2.0}
    """
    n = len(train_risk)
    percentile = 100.0 * float(np.searchsorted(train_risk, risk, side="right")) / max(n, 1)
    edges = np.quantile(train_risk, np.linspace(0.0, 1.0, bins + 1))
    b = int(np.clip(np.searchsorted(edges, risk, side="right") - 1, 0, bins - 1))
    lo, hi = float(edges[b]), float(edges[b + 1])
    inside = (train_risk >= lo) & ((train_risk <= hi) if b == bins - 1 else (train_risk < hi))
    rate = float(train_label[inside].mean()) if inside.any() else float("nan")
    return {"percentile": percentile, "bin_low": lo, "bin_high": hi, "observed_rate": rate, "n": float(inside.sum())}


def _landmark(cohort: Cohort, patient_id: str, landmark: object | None) -> pd.Timestamp:
    if str(patient_id) not in set(cohort.patients["patient_id"].astype(str)):
        raise UnknownIdError(f"patient {patient_id!r} is not in cohort {cohort.name!r}")
    if landmark is not None:
        return pd.Timestamp(landmark).normalize()
    labels = cohort.labels
    if labels is None or "landmark" not in labels:
        raise InputError(f"cohort {cohort.name!r} has no landmarks; pass landmark= for patient {patient_id!r}")
    row = labels[labels["patient_id"].astype(str) == str(patient_id)]
    if not len(row):
        raise InputError(f"patient {patient_id!r} has no landmark in cohort.labels; pass landmark=")
    return pd.Timestamp(row["landmark"].iloc[0]).normalize()


def explain_prediction(model: "NeuroSymbolicModel", cohort: Cohort, patient_id: str, landmark: object | None, *,
                       counterfactuals: bool = False, why_not: Sequence[str] = ()) -> Prediction:
    """The :class:`~neurosym.trace.Prediction` trace of one patient (see :meth:`NeuroSymbolicModel.explain`)."""
    when = _landmark(cohort, patient_id, landmark)
    frame = pd.DataFrame({"patient_id": [str(patient_id)], "landmark": [when]})
    features, tensors, grounding = model._prepare(cohort, frame)
    parts = model._parts_of(tensors)
    weights = model.module_.atom_weights().detach().double().numpy()
    atoms = parts["atoms"][0].double().numpy()
    contributions = atoms * weights
    bias = float(model.module_.bias.detach())
    residual = float(parts["residual"][0]) if model.residual or model.wide else None
    logit = math.fsum([bias, residual or 0.0, *contributions.tolist()])
    risk = 1.0 / (1.0 + math.exp(-logit))
    neural = _neural_leaves(model, tensors, parts, features)
    top = _with_neural_probabilities(model, grounding, parts["neural"][0])
    children: list[Node] = []
    present = set(proof_atoms(grounding))
    for j in np.argsort(-contributions, kind="stable"):
        key = model.atoms_[j]
        if key not in present or contributions[j] == 0.0:
            continue
        node = top.explain(_ground_atom(key, str(patient_id)))
        node = _expand(node, grounding, neural)
        node.probability = float(atoms[j])
        node.contribution = float(contributions[j])
        children.append(node)
    prediction = Prediction(target=model.target, risk=risk, horizon_days=model.horizon_days, landmark=when.date(),
                            model_version=model.model_version_, children=children, logit=logit, bias=bias, residual=residual, threshold=model.threshold,
                            calibration=calibration_context(risk, model.train_risk_, model.train_label_))
    if counterfactuals:
        from neurosym.reasoning._counterfactuals import counterfactuals as search

        prediction.counterfactuals = search(model, cohort, str(patient_id), when, threshold=model.threshold)
    prediction.why_not = [_why_not(grounding, atom) for atom in why_not]
    return prediction


def _with_neural_probabilities(model: "NeuroSymbolicModel", grounding: Grounding, neural: torch.Tensor) -> Model:
    """The top program re-evaluated with the patient's neural facts at their current probabilities.

    Its explainer then shows the most probable proof of each atom (max-product,
    rule weights aside) and the neural facts' probabilities along it.
    """
    facts = dict(grounding.top_facts)
    for q, name in enumerate(model.predicates):
        if name in facts:
            facts[name] = facts[name].assign(_prob=float(neural[q]))
    return model._parts[1].evaluate(grounding.facts.with_relations(facts))


def _ground_atom(key: str, patient_id: str) -> str:
    """``t2d_risk_factor(P, overweight)`` -> ``t2d_risk_factor("S01", overweight)``."""
    return key.replace("(P", "(" + format_value(patient_id), 1)


def _why_not(grounding: Grounding, atom: str) -> object:
    """Why ``atom`` does not hold, asked of the model that derives its relation."""
    rel = atom.split("(", 1)[0].strip()
    model = grounding.top if rel in grounding.top.derived_relations else grounding.lower
    return model.why_not(atom, depth=3)


def _expand(node: Node, grounding: Grounding, neural: dict[str, NeuralLeaf]) -> Node:
    """Replace the top proof's leaves: lower facts by their own proofs, neural facts by neural leaves."""
    lower_derived = set(grounding.lower.derived_relations)

    def replace(leaf: Node) -> Node:
        if not isinstance(leaf, FactLeaf):
            return leaf
        if leaf.relation in neural:
            return neural[leaf.relation]
        if leaf.relation in lower_derived:
            values = tuple((v - _EPOCH).days if isinstance(v, date) else v for v in leaf.values)
            try:
                return grounding.lower.explain(atom_text(leaf.relation, values))
            except EvaluationError:  # a value that does not print back exactly: keep the fact itself
                return leaf
        return leaf

    return _map_leaves(node, replace)


def _map_leaves(node: Node, fn: Callable[[Node], Node]) -> Node:
    """``node`` with every child replaced by ``fn(child)`` (leaves) or mapped recursively (inner nodes)."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen or not hasattr(current, "children"):
            continue
        seen.add(id(current))
        for i, child in enumerate(current.children):
            if hasattr(child, "children"):
                stack.append(child)
            else:
                current.children[i] = fn(child)
    return node


def _neural_leaves(model: "NeuroSymbolicModel", tensors: dict[str, torch.Tensor], parts: dict[str, torch.Tensor],
                   features: dict[str, np.ndarray]) -> dict[str, NeuralLeaf]:
    """One neural leaf per predicate for the single patient of ``tensors``."""
    pid = str(features["patient_id"][0])
    landmark = pd.Timestamp(features["landmark"][0]).date()
    leaves = {}
    for q, name in enumerate(model.predicates):
        pred = neural_predicate(name)
        inputs = predicate_inputs(pred, model.featurizer_.analytes_, tensors)
        without = parts["neural"].clone()
        without[:, q] = 0.0
        with torch.no_grad():
            drop = float(parts["logit"][0] - model.module_.parts(tensors, neural=without)["logit"][0])
        start, end = _window(pred, inputs, landmark)
        leaves[name] = NeuralLeaf(f"{name}({format_value(pid)})", f"{model.model_version_} / {name}",
                                  float(parts["neural"][0, q]), start, end,
                                  _attributions(model.module_.heads[name], pred, inputs, landmark), contribution=drop)
    return leaves


def _window(pred: NeuralPredicate, inputs: dict[str, torch.Tensor], landmark: date) -> tuple[date | None, date | None]:
    """First and last day of the inputs the predicate read (observed values only)."""
    if pred.encoder == "trajectory":
        mask = inputs["lab_mask"][0]
        if not mask.any():
            return None, None
        days = (inputs["lab_age"][0][mask] * 365.25).round().long()
        return landmark - timedelta(days=int(days.max())), landmark - timedelta(days=int(days.min()))
    worn = np.flatnonzero(inputs["daily_mask"][0].any(-1).numpy())
    if not len(worn):
        return None, None
    d = inputs["daily"].shape[1]
    return landmark - timedelta(days=int(d - worn[0])), landmark - timedelta(days=int(d - worn[-1]))


def _attributions(head: torch.nn.Module, pred: NeuralPredicate, inputs: dict[str, torch.Tensor], landmark: date
                  ) -> dict[str, float]:
    """Top integrated-gradients attributions of the head's output to its observed inputs, named by date."""
    from captum.attr import IntegratedGradients

    key = "labs" if pred.encoder == "trajectory" else "daily"
    mask = inputs["lab_mask"] if key == "labs" else inputs["daily_mask"]
    if not mask.any():
        return {}
    rest = {k: v for k, v in inputs.items() if k != key}

    def forward(x: torch.Tensor) -> torch.Tensor:
        n = len(x)
        return head({key: x, **{k: v.expand(n, *v.shape[1:]) for k, v in rest.items()}})

    head.eval()
    attr = IntegratedGradients(forward).attribute(inputs[key].float(), baselines=torch.zeros_like(inputs[key]),
                                                  n_steps=32)[0].detach()
    attr = (attr * mask[0]).numpy()
    names: dict[str, float] = {}
    if key == "labs":
        age = inputs["lab_age"][0].numpy()
        for a, t in zip(*np.nonzero(mask[0].numpy())):
            day = landmark - timedelta(days=int(round(age[a, t] * 365.25)))
            label = ANALYTE_NAMES.get(pred.inputs[a], pred.inputs[a])
            names[f"{label} {day.isoformat()}"] = names.get(f"{label} {day.isoformat()}", 0.0) + float(attr[a, t])
    else:
        d = attr.shape[0]
        for slot, c in zip(*np.nonzero(mask[0].numpy())):
            day = landmark - timedelta(days=int(d - slot))
            monday = day - timedelta(days=day.weekday())
            label = f"{pred.inputs[c]} week of {monday.isoformat()}"
            names[label] = names.get(label, 0.0) + float(attr[slot, c])
    top = sorted(names.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:_TOP_ATTRIBUTIONS]
    return {k: round(v, 6) for k, v in top}
