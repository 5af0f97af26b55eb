"""Federated training of a :class:`~neurosym.reasoning.NeuroSymbolicModel`'s learned parameters.

**What is global and travels** (FedAvg or FedProx average it): every
floating-point entry of the :class:`~neurosym.reasoning.ReasonerModule`
state dict but the wide design's centre and scale -- the neural predicates'
encoders and heads (with their batch-norm statistics), the rule weights
``rule_logits``, the atom weights ``atom_raw`` (``softplus``: non-negative),
the bias, the wide term's coefficients and, with ``residual=True``, the deep
residual (:func:`shared_weights`).

**What is agreed before training, from aggregates** (two query steps):

1. the featurizer, by the vocabulary step of :mod:`neurosym.federated._plan`;
2. per site (:func:`site_statistics`): its number of positive labels; each
   risk-head atom (:func:`~neurosym.reasoning.atom_key`: a relation of the
   program with its public constants) and how many of its labelled patients
   have a proof of it, only atoms with at least ``min_cell`` such patients;
   per column of the wide design, count, sum and sum of squares over its
   training rows (none with fewer than ``min_cell`` rows).  The server keeps
   the atoms with at least ``min_cell`` patients over all sites (sorted; an
   atom rarer than that at every site is not in the model) and pools the
   columns' means and standard deviations into the wide term's centre and
   scale, sent to the sites with the plan (:func:`merge_reasoner_statistics`).

**What stays at the site**: the features, the grounding and the compiled
proofs (index tensors), the weak labels of the anchored predicates (each
site cuts its own pattern-score quantile), the train/validation split.

**What differs from** :meth:`NeuroSymbolicModel.fit`:

* fit's start -- the heads pretrained on their weak labels
  (:meth:`ReasonerModule.pretrain_heads`), then the linear part (bias, atom
  weights, wide coefficients) fitted by L-BFGS (:meth:`ReasonerModule.fit_linear`)
  -- runs at each site on its own training rows in round 1, before its local
  epochs, and FedAvg averages the sites' starts (an average of local fits,
  not the fit on pooled rows); the final refit of the linear part on every
  row is not run;
* ``C`` is ``wide_C`` (default :data:`~neurosym.reasoning._model.C_DEFAULT`),
  not chosen on validation;
* the kept model is the best round by the sites' validation AUROC (as for
  ``RiskModel``), ``best_epoch_`` that round;
* the calibration context of traces (``train_risk_``, ``train_label_``) comes
  from per-site counts of training risks in :data:`CALIBRATION_BINS` fixed
  bins, bins with a small cell among their patients, positives or negatives left out
  (:func:`site_calibration`): ``train_risk_`` holds bin midpoints;
* differential privacy and secure aggregation are not offered for it.

Under the deployment engine, set the run config's ``model-kind = "reasoner"`` and
``model`` to the JSON of :func:`reasoner_params`.  Custom neural predicates must be registered (:func:`~neurosym.reasoning.register_predicate`)
in the sites' processes too; the program travels as its rule text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from neurosym._errors import InputError, NeurosymError
from neurosym.federated._local import evaluate_local, load_weights, train_local, weights
from neurosym.federated._plan import featurizer_digest, featurizer_from_config
from neurosym.federated._site import Site
from neurosym.neural import Featurizer, TensorDataModule, ancestor_table, usable_labels
from neurosym.reasoning import NeuroSymbolicModel, ReasonerModule, compile_proofs, proof_atoms, wide_design
from neurosym.reasoning._model import C_DEFAULT, _program_from_texts, _program_texts
from neurosym.tasks import resolve_ontologies

__all__ = ["CALIBRATION_BINS", "REASONER", "evaluate_site", "featurizer_params", "finish_reasoner",
           "merge_reasoner_statistics", "reasoner_params", "released_bins", "shared_weights", "site_calibration",
           "site_statistics", "start_reasoner", "train_site"]

#: The ``model-kind`` of a federated NeuroSymbolicModel run.
REASONER = "reasoner"
#: Fixed risk bins of the calibration context.
CALIBRATION_BINS = 20
#: Buffers agreed from aggregates before training (in the plan, never averaged).
_WIDE_BUFFERS = ("wide.mean", "wide.scale")


def reasoner_params(model: NeuroSymbolicModel) -> dict[str, object]:
    """The parameters of ``model`` as JSON-able values (the program as its rule text, ontologies by name).

    >>> p = reasoner_params(NeuroSymbolicModel(seed=2))
    >>> p["seed"], p["program"], p["predicates"][0]
    (2, None, 'rising_glycemic_trajectory')
    """
    params = model.get_params()
    if any(not isinstance(o, str) for o in params["ontologies"]):
        raise InputError("a federated NeuroSymbolicModel names its ontologies (e.g. ontologies=('clinical',)) so "
                         "that every site loads the same public ontology; got an Ontology object")
    for key in ("relations", "predicates", "residual_inputs", "ontologies"):
        params[key] = list(params[key])
    params["program"] = None if model.program is None else _program_texts(model.program)
    return params


def featurizer_params(params: Mapping[str, object]) -> dict[str, object]:
    """What :func:`~neurosym.federated.merge_statistics` reads, for the reasoner's featurizer (ontology
    ancestors only when the deep residual reads the record, as in ``fit``)."""
    record = bool(params["residual"]) and "record" in params["residual_inputs"]
    return {k: params[k] for k in ("max_codes", "max_analytes", "lab_steps", "lifelog_days", "ontologies")} | {
        "flat": not record, "inputs": list(params["residual_inputs"]) if params["residual"] else []}


def _skeleton(params: Mapping[str, object], featurizer: Featurizer, atoms: Sequence[str]) -> NeuroSymbolicModel:
    """An unfitted model with the shared featurizer, atoms and rules set (what ``_prepare`` needs)."""
    args = dict(params) | {"progress_bar": False}
    if args["program"] is not None:
        args["program"] = _program_from_texts(dict(args["program"]))
    model = NeuroSymbolicModel(**args)
    model._check_params()
    onts = resolve_ontologies(featurizer.ontologies) if featurizer.ontologies else []
    model.featurizer_ = featurizer
    model.concepts_, model.ancestors_ = ancestor_table(featurizer.vocabulary_, onts)
    model.atoms_, model.rules_ = list(atoms), [r.id for r in model._parts[1].rules if not r.is_fact]
    return model


#: Per site folder: the plan's key, the skeleton, the site's tensors (no proofs) and its grounding.
_GROUNDED: dict[str, tuple[str, NeuroSymbolicModel, dict[str, torch.Tensor], object]] = {}
#: Per site folder: the key with the atoms, the model and the data module with the compiled proofs.
_COMPILED: dict[str, tuple[str, NeuroSymbolicModel, TensorDataModule]] = {}


def _grounded(config: Mapping[str, object], folder: str) -> tuple[NeuroSymbolicModel, dict[str, torch.Tensor], object]:
    """The site's features, labels, weak labels and grounding under the plan (computed once per plan)."""
    key = featurizer_digest(config) + str(config["model"])
    if _GROUNDED.get(folder, ("",))[0] != key:
        site = Site.load(folder)
        params = json.loads(str(config["model"]))
        model = _skeleton(params, featurizer_from_config(config), [])
        train = usable_labels(site.labels)
        features, tensors, grounding = model._prepare(site.cohort, train)
        labels = train.set_index(train["patient_id"].astype(str))["label"]
        tensors["label"] = torch.as_tensor(labels.loc[features["patient_id"].astype(str)].to_numpy(dtype=np.float32))
        if model.anchor_weight > 0:
            tensors["anchor"] = model._anchors(tensors)
        _GROUNDED[folder] = key, model, tensors, grounding
    return _GROUNDED[folder][1:]


def _site_data(config: Mapping[str, object], folder: str) -> tuple[NeuroSymbolicModel, TensorDataModule]:
    """The model (the plan's atoms) and the site's data module with its proofs compiled for those atoms."""
    atoms = [str(a) for a in config.get("atoms", [])]
    key = featurizer_digest(config) + str(config["model"]) + json.dumps(atoms)
    if _COMPILED.get(folder, ("",))[0] != key:
        base, tensors, grounding = _grounded(config, folder)
        model = _skeleton(json.loads(str(config["model"])), base.featurizer_, atoms)
        compiled = compile_proofs(grounding, atoms, model.rules_, model.predicates, model.candidates)
        tensors = tensors | {"var": torch.from_numpy(compiled.var), "valid": torch.from_numpy(compiled.valid),
                             "const": torch.from_numpy(compiled.const)}
        data = TensorDataModule(tensors, model.batch_size, model.val_fraction, model.seed)
        data.setup("fit")  # a training patient alone in the last batch moves to validation
        _COMPILED[folder] = key, model, data
    return _COMPILED[folder][1:]


def site_statistics(config: Mapping[str, object], folder: str) -> dict[str, list | int]:
    """A site's aggregates for the reasoner's plan (see the module docstring), small cells left out."""
    min_cell = int(config["min-cell"])
    model, tensors, grounding = _grounded(config, folder)
    atoms = proof_atoms(grounding)
    compiled = compile_proofs(grounding, atoms, model.rules_, model.predicates, model.candidates)
    patients = compiled.valid.any(axis=2).sum(axis=0)
    kept = patients >= min_cell
    data = TensorDataModule(tensors, model.batch_size, model.val_fraction, model.seed)
    data.setup("fit")
    rows = torch.from_numpy(data.train_idx)
    x = wide_design({k: v[rows] for k, v in tensors.items()}, model.wide_lifelog).double()
    enough = len(rows) >= min_cell
    positives = int(tensors["label"].sum())
    return {"patients": len(tensors["label"]), "positives": positives if positives >= min_cell else 0,
            "atoms": [a for a, k in zip(atoms, kept) if k], "atom-patients": [int(n) for n in patients[kept]],
            "wide-n": len(rows) if enough else 0,
            "wide-sum": x.sum(0).tolist() if enough else [0.0] * x.shape[1],
            "wide-sumsq": (x * x).sum(0).tolist() if enough else [0.0] * x.shape[1]}


def merge_reasoner_statistics(statistics: Sequence[Mapping[str, object]], min_cell: int = 5) -> dict[str, object]:
    """The plan entries from the sites' :func:`site_statistics`: atoms, wide centre and scale, base rate.

    >>> s = {"patients": 12, "positives": 6, "atoms": ["at_risk_t2d(P)"], "atom-patients": [3], "wide-n": 10,
    ...      "wide-sum": [20.0, 0.0], "wide-sumsq": [61.375, 0.0]}
    >>> merge_reasoner_statistics([s, s])
    {'atoms': ['at_risk_t2d(P)'], 'wide-mean': [2.0, 0.0], 'wide-scale': [1.5, 1.0], 'base-rate': 0.5}
    """
    counts: dict[str, int] = {}
    for s in statistics:
        for atom, n in zip(s["atoms"], s["atom-patients"], strict=True):
            counts[str(atom)] = counts.get(str(atom), 0) + int(n)
    n = sum(int(s["wide-n"]) for s in statistics)
    if n == 0:
        raise NeurosymError("no site reported its wide-design aggregates "
                            f"(each needs at least {min_cell} training rows)")
    total = np.sum([s["wide-sum"] for s in statistics], axis=0)
    total2 = np.sum([s["wide-sumsq"] for s in statistics], axis=0)
    mean = total / n
    sd = np.sqrt(np.maximum(total2 / n - mean ** 2, 0.0) * n / max(n - 1, 1))  # as torch's std (unbiased)
    patients = sum(int(s["patients"]) for s in statistics)
    return {"atoms": sorted(a for a, c in counts.items() if c >= min_cell), "wide-mean": mean.tolist(),
            "wide-scale": np.where(sd > 1e-8, sd, 1.0).tolist(),
            "base-rate": sum(int(s["positives"]) for s in statistics) / max(patients, 1)}


def _module(model: NeuroSymbolicModel, config: Mapping[str, object], base_rate: float = 0.5, seed: int = 0
            ) -> ReasonerModule:
    """A module for ``model`` (initialised with ``seed``) with the plan's wide centre, scale and ``C`` and the
    penalty scale of all sites' training patients."""
    torch.manual_seed(seed)
    module = model._module(base_rate, n_train=int(config["train-patients"]))
    if module.wide is not None:
        module.wide.C = float(model.wide_C or C_DEFAULT)
        module.wide.mean.copy_(torch.as_tensor(list(config["wide-mean"]), dtype=module.wide.mean.dtype))
        module.wide.scale.copy_(torch.as_tensor(list(config["wide-scale"]), dtype=module.wide.scale.dtype))
    return module


def shared_weights(module: ReasonerModule) -> dict[str, torch.Tensor]:
    """What travels and is averaged: the floating-point state but the wide design's centre and scale."""
    return {k: v for k, v in weights(module).items() if k not in _WIDE_BUFFERS}


def _load(module: ReasonerModule, state: Mapping[str, object]) -> ReasonerModule:
    extra = set(state) - set(shared_weights(module))
    if extra:
        raise KeyError(f"unexpected weights {sorted(extra)[:3]}")
    return load_weights(module, dict(state) | {k: v for k, v in weights(module).items() if k in _WIDE_BUFFERS})


def start_reasoner(params: Mapping[str, object], featurizer: Featurizer, plan: Mapping[str, object], seed: int
                   ) -> tuple[NeuroSymbolicModel, ReasonerModule]:
    """The server's model and its initial module (seeded) for the plan (atoms, wide centre and scale, patients)."""
    model = _skeleton(params, featurizer, [str(a) for a in plan["atoms"]])
    return model, _module(model, plan, float(plan["base-rate"]), seed)


def train_site(config: Mapping[str, object], state: Mapping[str, object], folder: str, seed: int
               ) -> tuple[dict[str, torch.Tensor], int, float]:
    """Local epochs from the global weights: the new shared weights, the training patients and the last loss."""
    model, data = _site_data(config, folder)
    module = _load(_module(model, config), state)
    if int(config["server-round"]) == 1:  # fit's start, on the site's training rows; FedAvg averages the starts
        rows = torch.from_numpy(data.train_idx)
        module.pretrain_heads(data.tensors, rows, model.pretrain_epochs, model.batch_size, seed)
        module.fit_linear({k: v[rows] for k, v in data.tensors.items()}, float(model.wide_C or C_DEFAULT))
    loss = train_local(module, data, epochs=int(config["local-epochs"]),
                       proximal_mu=float(config.get("proximal-mu", 0.0)), seed=seed)
    return shared_weights(module), len(data.train_idx), loss


def evaluate_site(config: Mapping[str, object], state: Mapping[str, object], folder: str) -> tuple[float, float, int]:
    """Loss, AUROC and number of the site's validation patients under the global weights."""
    model, data = _site_data(config, folder)
    return evaluate_local(_load(_module(model, config), state), data)


def site_calibration(config: Mapping[str, object], state: Mapping[str, object], folder: str) -> dict[str, list]:
    """Per fixed risk bin: the site's training patients and positives under ``state``.

    A bin whose patients, positives or negatives are a small cell (1 to ``min-cell`` - 1) reports zeros, so
    no count below ``min-cell`` leaves the site, not even as the difference of two released counts."""
    model, data = _site_data(config, folder)
    module = _load(_module(model, config), state).eval()
    rows = torch.from_numpy(data.train_idx)
    with torch.no_grad():
        risk = torch.sigmoid(module({k: v[rows] for k, v in data.tensors.items()})).double().numpy()
    bins = np.clip((risk * CALIBRATION_BINS).astype(np.int64), 0, CALIBRATION_BINS - 1)
    patients = np.bincount(bins, minlength=CALIBRATION_BINS)
    positives = np.bincount(bins, weights=data.tensors["label"].numpy()[data.train_idx], minlength=CALIBRATION_BINS)
    return released_bins(patients, positives, int(config["min-cell"]))


def released_bins(patients: np.ndarray, positives: np.ndarray, min_cell: int) -> dict[str, list]:
    """Bin counts as they may leave a site: a bin with a small cell (1 to ``min_cell`` - 1) among its patients,
    positives or negatives is released as zeros.

    >>> released_bins(np.array([0, 9, 10, 9]), np.array([0, 2, 5, 8]), 5)
    {'risk-patients': [0, 0, 10, 0], 'risk-positives': [0, 0, 5, 0]}
    """
    small = [(0 < c) & (c < min_cell) for c in (patients, positives, patients - positives)]
    kept = ~(small[0] | small[1] | small[2])
    return {"risk-patients": np.where(kept, patients, 0).astype(int).tolist(),
            "risk-positives": np.where(kept, positives, 0).astype(int).tolist()}


def _calibration(replies: Sequence[Mapping[str, object]]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted bin-midpoint risks and their labels from the sites' :func:`site_calibration` counts."""
    patients = np.sum([r["risk-patients"] for r in replies], axis=0).astype(np.int64)
    positives = np.sum([r["risk-positives"] for r in replies], axis=0).astype(np.int64)
    if patients.sum() == 0:
        raise NeurosymError("every calibration bin was a small cell at every site; lower min_cell or add patients")
    mids = (np.arange(CALIBRATION_BINS) + 0.5) / CALIBRATION_BINS
    risk = np.repeat(mids, patients)
    label = np.concatenate([np.r_[np.zeros(n - p), np.ones(p)] for n, p in zip(patients, positives)])
    return risk, label.astype(np.float32)


def finish_reasoner(model: NeuroSymbolicModel, module: ReasonerModule, state: Mapping[str, object],
                    history: list[dict[str, object]], best: int, calibration: Sequence[Mapping[str, object]]
                    ) -> NeuroSymbolicModel:
    """The fitted global model: the kept weights, the rounds as ``history_``, the pooled calibration context."""
    model.module_ = _load(module, state).eval()
    model.C_, model.calibration_ = float(model.wide_C or C_DEFAULT), (1.0, 0.0)  # no out-of-fold recalibration
    model.history_, model.best_epoch_ = history, best
    model.train_risk_, model.train_label_ = _calibration(calibration)
    model.model_version_ = model._version()
    return model

