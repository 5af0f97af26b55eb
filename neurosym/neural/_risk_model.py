"""The neural-only risk model, scikit-learn style, around a Lightning training loop."""

from __future__ import annotations

import copy
import inspect
import logging
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch

from neurosym._errors import NeurosymError, NotFittedError
from neurosym.data import Cohort
from neurosym.neural._datamodule import CohortDataModule, to_tensors, usable_labels
from neurosym.neural._encoders import ancestor_table
from neurosym.neural._features import DAILY_CHANNELS, STATIC_FEATURES, Featurizer
from neurosym.neural._module import INPUTS, RiskModule, _auroc
from neurosym.tasks import as_landmarks, resolve_ontologies
from neurosym.tasks._codes import OntologySpec
from neurosym.tasks._landmarks import LandmarkSpec

__all__ = ["RiskModel", "average_states", "validation_share"]

_FEATURIZER_PARAMS = ("max_codes", "max_analytes", "lab_steps", "lifelog_days", "min_patients")


def validation_share(y: np.ndarray, fraction: float, min_events: int, cap: float = 0.4) -> float:
    """Share of training patients held out for early stopping: ``fraction``, raised on small data.

    Validation AUROC over a handful of events is noise, so the share grows
    until the validation split holds ``min_events`` events of the rarer
    class, up to ``cap`` (``fraction`` 0 keeps no validation split).

    >>> validation_share(np.array([1] * 100 + [0] * 900), 0.2, 40), validation_share(np.ones(10) > 0, 0.0, 40)
    (0.4, 0.0)
    """
    rarer = min(int(np.sum(y == 1)), int(np.sum(y == 0)))
    if fraction <= 0 or rarer == 0:
        return fraction
    return max(fraction, min(cap, min_events / rarer))


class _KeepBest(pl.Callback):
    """Remembers the weights of the best validation AUROC (and of the ``snapshots`` best epochs) and each epoch's metrics."""

    def __init__(self, snapshots: int = 1, start: tuple[float, dict[str, torch.Tensor]] | None = None) -> None:
        self.best, self.state, self.history = -np.inf, None, []
        self.snapshots, self.states = snapshots, []  # (val AUROC, epoch, state), best first
        if start is not None:  # weights to beat (epoch -1), e.g. of an earlier stage
            self.best, self.state = start
            self.states = [(start[0], -1, start[1])] if snapshots > 1 else []
        self._start = 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        self.history.append({"epoch": trainer.current_epoch, "seconds": time.perf_counter() - self._start, **metrics})
        score = metrics.get("val_auroc", 0.0)
        improved = score > self.best
        state = copy.deepcopy(module.state_dict()) if improved or self.snapshots > 1 else None
        if improved:
            self.best, self.state = score, state
        if self.snapshots > 1:
            self.states.append((score, trainer.current_epoch, state))
            self.states = sorted(self.states, key=lambda s: (-s[0], s[1]))[: self.snapshots]


def average_states(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Element-wise mean of state dicts (snapshot averaging); integer buffers are taken from the first.

    >>> average_states([{"w": torch.tensor([1.0, 2.0]), "n": torch.tensor(3)},
    ...                 {"w": torch.tensor([3.0, 4.0]), "n": torch.tensor(5)}])
    {'w': tensor([2., 3.]), 'n': tensor(3)}
    """
    first = states[0]
    return {k: torch.stack([s[k] for s in states]).mean(0) if v.is_floating_point() else v.clone()
            for k, v in first.items()}


class RiskModel:
    """Risk of an outcome from a patient's record, lab trajectories and lifelog at a landmark.

    A scikit-learn style estimator: ``__init__`` only stores its parameters,
    :meth:`fit` learns from a cohort and a label frame and returns ``self``,
    learned state ends in ``_``, :meth:`predict_proba` returns a frame
    ``patient_id, landmark, risk``.  Inside, a :class:`RiskModule` fuses the
    encoders and trains with Lightning (progress bar, early stopping on
    validation AUROC, best weights restored).  Only records strictly before
    each patient's landmark reach the model.  The same ``seed`` (and
    ``num_threads``) gives identical predictions, also in a fresh process.

    Parameters
    ----------
    inputs : sequence of str, default ("record", "labs", "lifelog")
        Encoders to fuse; static features (age, sex, record volume) always enter.
    flat : bool, default False
        Flat code embeddings instead of ontology-aware ones (ablation).
    ontologies : sequence of str or Ontology, default ("clinical",)
        Where code ancestors come from; add ``Ontology.from_omop(dir)`` for OMOP data.
    dim : int, default 64
    max_codes, max_analytes, lab_steps, lifelog_days, min_patients : int
        Passed to :class:`Featurizer` (with ontologies, a code seen in fewer
        than ``min_patients`` training patients reads as its nearest ancestor).
        ``lab_steps`` (default 16) values per analyte feed the trajectory summaries.
    gru_steps : int, default 8
        The most recent of them the trajectory GRU reads.
    wide : bool, default True
        Wide-and-deep over the engineered lab and lifelog summaries too
        (see :class:`RiskModule`): a :class:`PiecewiseLinear` additive term
        and the MLP read them next to the encoders' outputs.
    stagewise : bool, default True
        With ``wide``, fit in two stages, like boosting: first the wide part
        alone (additive term, code and ancestor weights: a penalised GAM
        fitted exactly by full-batch L-BFGS, :meth:`RiskModule.fit_wide`);
        then, with it frozen, the deep part on what it misses, starting
        silent, so the model stays the wide part alone unless an epoch of
        the deep part validates better.
    wide_l2 : float, default 25.0
        L2 penalty of the record encoder's code and ancestor weights, as
        ``1 / (2 C)`` of a logistic regression (divided by the number of training patients).
    additive_l2 : float, default 25.0
        The same for the weights of the additive term over the (standardised) features.
    batch_size : int, default 256
    max_epochs : int, default 30
    min_epochs : int, default 5
        Epochs trained before early stopping may stop (the best epoch may still be an earlier one).
    patience : int, default 4
        Epochs without a better validation AUROC before training stops.
    lr, weight_decay, dropout : float
    snapshots : int, default 3
        Snapshot averaging: the weights of the ``snapshots`` best epochs (by
        validation AUROC) are averaged, and kept when the average scores at
        least the best epoch on validation (1: the best epoch only).
    ensemble : int, default 1
        Members trained with seeds ``seed, seed + 1, ...`` (each its own
        initialisation and validation split); predictions average their logits.
    val_fraction : float, default 0.2
        Share of the training patients held out for early stopping, raised
        by :func:`validation_share` on small data (0: no early stopping).
    min_val_events : int, default 40
        Events (of the rarer class) the validation split should hold.
    seed : int, default 0
    num_threads : int, default 1
        ``torch.set_num_threads`` while fitting and predicting.
    progress_bar : bool, default True

    Attributes
    ----------
    featurizer_ : Featurizer
    concepts_ : list of str
        Ontology concepts with an embedding.
    module_ : RiskModule
        The first member.
    members_ : list of RiskModule
        All ``ensemble`` members.
    history_ : list of dict
        Per member and epoch: seconds, train/validation loss, validation AUROC.
    best_epoch_ : int
        Of the first member (-1: the stagewise fit kept the wide part alone).

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> from neurosym.tasks import ground_truth_labels
    >>> cohort = synthetic_cohort(120, seed=0)
    >>> model = RiskModel(max_epochs=1, lifelog_days=28, progress_bar=False).fit(cohort, ground_truth_labels(cohort))
    >>> list(model.predict_proba(cohort, "2024-01-01").columns)
    ['patient_id', 'landmark', 'risk']
    """

    def __init__(self, *, inputs: Sequence[str] = INPUTS, flat: bool = False,
                 ontologies: Sequence[OntologySpec] = ("clinical",), dim: int = 64, max_codes: int = 64,
                 max_analytes: int = 24, lab_steps: int = 16, gru_steps: int = 8, lifelog_days: int = 364,
                 min_patients: int = 1, wide: bool = True, stagewise: bool = True, wide_l2: float = 25.0,
                 additive_l2: float = 25.0, batch_size: int = 256,
                 max_epochs: int = 30, min_epochs: int = 5, patience: int = 6, lr: float = 3e-3,
                 weight_decay: float = 1e-4, dropout: float = 0.1, snapshots: int = 3, ensemble: int = 1,
                 val_fraction: float = 0.2,
                 min_val_events: int = 40, seed: int = 0, num_threads: int = 1, progress_bar: bool = True) -> None:
        self.inputs = inputs
        self.flat = flat
        self.ontologies = ontologies
        self.dim = dim
        self.max_codes = max_codes
        self.max_analytes = max_analytes
        self.lab_steps = lab_steps
        self.gru_steps = gru_steps
        self.lifelog_days = lifelog_days
        self.min_patients = min_patients
        self.wide = wide
        self.stagewise = stagewise
        self.wide_l2 = wide_l2
        self.additive_l2 = additive_l2
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.min_epochs = min_epochs
        self.patience = patience
        self.lr = lr
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.snapshots = snapshots
        self.ensemble = ensemble
        self.val_fraction = val_fraction
        self.min_val_events = min_val_events
        self.seed = seed
        self.num_threads = num_threads
        self.progress_bar = progress_bar

    def get_params(self) -> dict[str, object]:
        """The constructor parameters, as scikit-learn's ``get_params``."""
        return {name: getattr(self, name) for name in inspect.signature(type(self)).parameters}

    def __repr__(self) -> str:
        return f"RiskModel(inputs={tuple(self.inputs)!r}, flat={self.flat}, seed={self.seed})"

    # ------------------------------------------------------------------ fit
    def fit(self, cohort: Cohort, labels: pd.DataFrame) -> "RiskModel":
        """Train on the labelled patients of ``cohort`` (rows with an ``excluded`` reason are skipped).

        Parameters
        ----------
        cohort : Cohort
        labels : pandas.DataFrame
            ``patient_id, landmark, label[, excluded]``, e.g. from a task.

        Returns
        -------
        RiskModel
            ``self``.
        """
        unknown = set(self.inputs) - set(INPUTS)
        if unknown or not self.inputs:
            raise NeurosymError(f"inputs must be a non-empty subset of {INPUTS}; got {tuple(self.inputs)!r}")
        train = usable_labels(labels)
        if train["label"].nunique() < 2:
            raise NeurosymError(f"fit needs both classes among the usable labels; got {len(train)} rows "
                                f"with labels {sorted(train['label'].unique().tolist())}")
        torch.set_num_threads(self.num_threads)
        pl.seed_everything(self.seed, verbose=False)
        onts = [] if self.flat or "record" not in self.inputs else resolve_ontologies(self.ontologies)
        # with ontologies, codes unseen in training are read as their nearest ancestor in the vocabulary
        featurizer = Featurizer(**{k: getattr(self, k) for k in _FEATURIZER_PARAMS}, ontologies=onts)
        val_share = validation_share(train["label"].to_numpy(), self.val_fraction, self.min_val_events)
        data = CohortDataModule(cohort, train, featurizer, self.batch_size, val_share, self.seed)
        data.prepare_data()  # fits the featurizer on the training records
        concepts, table = ancestor_table(featurizer.vocabulary_, onts)
        shape = self._shape(featurizer, len(concepts))
        shape["wide_l2"] = self.wide_l2 / max(round(len(train) * (1 - val_share)), 1)
        members, history = [], []
        for member in range(max(self.ensemble, 1)):
            module, keep = self._train(data, table, shape, self.seed + member)
            members.append(module)
            history += [{"member": member, **h} for h in keep.history]
            if member == 0:
                self.best_epoch_ = (max(keep.history, key=lambda h: h.get("val_auroc", -1.0))["epoch"]
                                    if keep.history else len(keep.history) - 1)
        self.featurizer_, self.concepts_, self.module_, self.members_ = featurizer, concepts, members[0], members
        self.history_ = history
        return self

    def _train(self, data: CohortDataModule, table: np.ndarray, shape: dict[str, object], seed: int
               ) -> tuple[RiskModule, _KeepBest]:
        """One member: seeded initialisation and validation split, early stopping, best (or averaged) weights.

        With ``wide`` and ``stagewise``, the wide part is fitted first, then
        frozen while the deep part learns the residual, starting from (and
        kept only where it validates better than) the wide part alone.
        """
        pl.seed_everything(seed, verbose=False)
        data.seed = seed
        module = RiskModule(table, **shape)
        start, history = None, []
        if self.wide and self.stagewise:
            data.setup("fit")
            started = time.perf_counter()
            loss = module.fit_wide({k: v[torch.as_tensor(data.train_idx)] for k, v in data.tensors.items()})
            history = [{"stage": "wide", "epoch": -1, "seconds": time.perf_counter() - started, "train_loss": loss}]
            if self.val_fraction > 0:
                history[0]["val_auroc"] = _validation_auroc(module, data)
                start = (history[0]["val_auroc"], copy.deepcopy(module.state_dict()))
            module.stage = "deep"
        keep = self._fit_stage(module, data, _KeepBest(self.snapshots, start))
        module.stage = "joint"
        if self.val_fraction > 0 and keep.state is not None:
            module.load_state_dict(keep.state)
            if len(keep.states) > 1:
                self._average_snapshots(module, keep, data)
        keep.history = history + [{"stage": "deep" if history else "joint", **h} for h in keep.history]
        module.eval()
        return module, keep

    def _fit_stage(self, module: RiskModule, data: CohortDataModule, keep: _KeepBest) -> _KeepBest:
        """Train ``module`` (in its current stage) with early stopping; ``keep`` records the epochs."""
        callbacks: list[pl.Callback] = [keep]
        if self.val_fraction > 0:
            callbacks.append(pl.callbacks.EarlyStopping("val_auroc", mode="max", patience=self.patience))
        with _quiet_lightning():
            trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=self.max_epochs,
                                 min_epochs=min(self.min_epochs, self.max_epochs), deterministic=True,
                                 logger=False, enable_checkpointing=False, enable_model_summary=False,
                                 enable_progress_bar=self.progress_bar, callbacks=callbacks, num_sanity_val_steps=0,
                                 limit_val_batches=None if self.val_fraction > 0 else 0)
            module.train()  # Lightning keeps each submodule's mode (the deep stage keeps the wide part in eval)
            trainer.fit(module, datamodule=data)
        return keep

    @staticmethod
    def _average_snapshots(module: RiskModule, keep: _KeepBest, data: CohortDataModule) -> None:
        """Load the mean weights of the best epochs when they score at least the best epoch on validation."""
        module.load_state_dict(average_states([s[2] for s in keep.states]))
        score = _validation_auroc(module, data)
        keep.history[-1]["val_auroc_averaged"] = score
        if score < keep.best:
            module.load_state_dict(keep.state)

    def _shape(self, featurizer: Featurizer, n_concepts: int) -> dict[str, object]:
        return {"n_concepts": n_concepts, "n_analytes": max(len(featurizer.analytes_), 1),
                "n_static": len(STATIC_FEATURES), "lifelog_days": self.lifelog_days,
                "n_channels": len(DAILY_CHANNELS), "inputs": tuple(self.inputs), "flat": self.flat,
                "dim": self.dim, "dropout": self.dropout, "lr": self.lr, "weight_decay": self.weight_decay,
                "wide": self.wide, "gru_steps": self.gru_steps,
                "additive_share": self.additive_l2 / self.wide_l2 if self.wide_l2 else 0.0}

    def _check_fitted(self) -> None:
        if not hasattr(self, "module_"):
            raise NotFittedError("this RiskModel is not fitted yet; call fit(cohort, labels) first")

    # ------------------------------------------------------------------ predict
    def predict_proba(self, cohort: Cohort, landmarks: LandmarkSpec) -> pd.DataFrame:
        """Risk of every patient with a landmark, from what was recorded strictly before it.

        Parameters
        ----------
        cohort : Cohort
        landmarks : str, date, DataFrame or Series
            A date for all patients, or a label/landmark frame.

        Returns
        -------
        pandas.DataFrame
            ``patient_id, landmark, risk`` in the order of the landmark frame (sorted by patient).
        """
        self._check_fitted()
        lm = as_landmarks(landmarks, cohort)[["patient_id", "landmark"]]
        features = self.featurizer_.transform(cohort, lm)
        tensors = to_tensors(features)
        torch.set_num_threads(self.num_threads)
        logits = []
        members = getattr(self, "members_", [self.module_])
        with torch.no_grad():
            for start in range(0, len(features["patient_id"]), 1024):
                batch = {k: v[start:start + 1024] for k, v in tensors.items()}
                logits.append(torch.stack([m(batch) for m in members]).mean(0))  # ensemble: mean logit
        risk = torch.sigmoid(torch.cat(logits)).double().numpy() if logits else np.zeros(0)
        return pd.DataFrame({"patient_id": pd.array(features["patient_id"], dtype="string"),
                             "landmark": features["landmark"], "risk": risk})

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write parameters, featurizer and weights to ``path`` (a torch file); returns the path."""
        self._check_fitted()
        params = self.get_params()
        params["ontologies"] = tuple(o if isinstance(o, str) else getattr(o, "name", str(o)) for o in self.ontologies)
        path = Path(path)
        torch.save({"params": params, "featurizer": self.featurizer_.state(), "concepts": self.concepts_,
                    "ancestors": self.module_.encoders["record"].ancestors.numpy() if "record" in self.module_.encoders
                    else np.zeros((1, 1), dtype=np.int64),
                    "state_dict": self.module_.state_dict(),
                    "members": [m.state_dict() for m in getattr(self, "members_", [self.module_])[1:]],
                    "history": self.history_,
                    "best_epoch": self.best_epoch_}, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "RiskModel":
        """A fitted model written by :meth:`save` (the file is unpickled: load only files you trust)."""
        saved = torch.load(Path(path), weights_only=False)
        model = cls(**saved["params"])
        featurizer = Featurizer.from_state(saved["featurizer"])
        members = []
        for state in [saved["state_dict"], *saved.get("members", [])]:
            module = RiskModule(saved["ancestors"], **model._shape(featurizer, len(saved["concepts"])))
            module.load_state_dict(state)
            members.append(module.eval())
        model.featurizer_, model.concepts_, model.module_, model.members_ = (featurizer, saved["concepts"], members[0],
                                                                              members)
        model.history_, model.best_epoch_ = saved["history"], saved["best_epoch"]
        return model


def _validation_auroc(module: RiskModule, data: CohortDataModule) -> float:
    """AUROC of ``module`` (in eval mode) on the validation patients of ``data``."""
    module.eval()
    with torch.no_grad():
        batches = list(data.val_dataloader())
        logits = torch.cat([module(b) for b in batches])
    return float(_auroc(logits, torch.cat([b["label"] for b in batches])))


class _quiet_lightning:
    """Silence Lightning's info lines (device summary, seeding) while keeping warnings."""

    def __enter__(self) -> None:
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.filterwarnings("ignore", message=".*treespec.*")
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*module\\(s\\) in eval mode at the start of training.*")
        self._loggers = [logging.getLogger(n) for n in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric")]
        self._levels = [lg.level for lg in self._loggers]
        for lg in self._loggers:
            lg.setLevel(logging.WARNING)

    def __exit__(self, *exc: object) -> None:
        for lg, level in zip(self._loggers, self._levels):
            lg.setLevel(level)
        self._warnings.__exit__(*exc)
