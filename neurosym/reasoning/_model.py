"""``NeuroSymbolicModel``: neural predicates in rules, trained end to end through differentiable top-k proofs."""

from __future__ import annotations

import copy
import hashlib
import inspect
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch

from neurosym import __version__
from neurosym._errors import NeurosymError, NotFittedError
from neurosym.data import Cohort
from neurosym.logic import Program
from neurosym.ontology import Ontology
from neurosym.neural import (DAILY_CHANNELS, STATIC_FEATURES, Featurizer, RiskModule, TensorDataModule, ancestor_table,
                             to_tensors, usable_labels)
from neurosym.neural._risk_model import _KeepBest, _quiet_lightning
from neurosym.reasoning._grounding import Grounding, compile_proofs, ground, proof_atoms
from neurosym.reasoning._module import ReasonerModule
from neurosym.reasoning._predicates import neural_predicate, observed_enough, pattern_score, predicate_inputs
from neurosym.reasoning._program import RELEVANT_RELATIONS, default_program, split_program
from neurosym.reasoning._wide import LIFELOG_SUMMARY_COLUMNS_PER_CHANNEL, LIFELOG_WEAR_COLUMNS, WideTerm
from neurosym.tasks import as_landmarks, before_landmark, resolve_ontologies
from neurosym.tasks._codes import OntologySpec
from neurosym.tasks._landmarks import LandmarkSpec
from neurosym.trace import Prediction

__all__ = ["NeuroSymbolicModel"]

_FEATURIZER_PARAMS = ("max_codes", "max_analytes", "lab_steps", "lifelog_days")
#: Inverse L2 penalties of the risk head's linear part tried on validation (``wide_C=None``).
C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
#: ... and the one used without validation.
C_DEFAULT = 0.03
#: Neural predicates the default model uses.
DEFAULT_PREDICATES = ("rising_glycemic_trajectory", "low_activity_pattern", "short_sleep_pattern")


class NeuroSymbolicModel:
    """Risk from rules over record facts, ontology subsumption and neural predicates, with a faithful trace.

    The program (default: the rule library plus ``rules/neural/*.dl``) is
    grounded once per cohort; the top-k proofs of the prediction-relevant
    relations (default ``t2d_risk_factor(P, F)`` and ``at_risk_t2d(P)``)
    become tensors, and training runs through them
    (:class:`~neurosym.reasoning.TopKProofs`): neural predicate heads and rule
    weights learn from the outcome label (each head also tied to its
    described pattern by weak labels computed from its inputs, so it keeps
    the meaning of its name).  The risk is
    ``sigmoid(bias + sum_j w_j p_j + residual)``, so each atom's ``w_j p_j``
    is its exact contribution in :meth:`explain`'s trace; the residual is a
    wide logistic term on last values and lifelog summaries (plus an optional
    deep term).  Training starts from the L-BFGS fit of the linear part
    (bias, atom weights, wide term), keeps the best of that start and the
    epochs on validation, then refits the linear part on every labelled row
    (its penalty chosen by cross-validation) and recalibrates it on its
    out-of-fold logits.  Scikit-learn style:
    ``__init__`` stores parameters, learned state ends in ``_``, only records
    strictly before each landmark are read, and a seed makes runs identical.

    Parameters
    ----------
    program : Program, optional
        Default :func:`default_program`.
    relations : sequence of str, default ("t2d_risk_factor", "at_risk_t2d")
        Relations whose atoms enter the risk head (first argument: the patient).
    predicates : sequence of str
        Registered neural predicates (:func:`register_predicate`) the program reads.
    k : int, default 3
        Proofs kept per atom (at most 4), re-selected from ``candidates`` by current probability.
    candidates : int, default 6
        Candidate proofs per atom asked of the prover.
    wide : bool, default True
        Add the wide residual term (:class:`WideTerm`): a logistic regression
        on each analyte's last value, whether it was observed, and the static
        features, fitted on the training rows before the proofs are trained
        and trained on with them.
    wide_lifelog : bool, default True
        Add the wear-aware lifelog summaries (:func:`neurosym.neural.lifelog_summary`)
        to the wide design.
    wide_C : float, optional
        Inverse L2 penalty of the risk head's linear part (wide weights and
        atom weights).  None: the value of :data:`C_GRID` with the lowest
        out-of-fold log-loss over ``cv_folds`` folds of the training rows
        (for the start) and of every labelled row (for the final refit).
    cv_folds : int, default 5
        Folds of that cross-validation (< 2: no cross-validation, ``wide_C``
        or :data:`C_DEFAULT`, no calibration).
    calibrate : bool, default True
        Recalibrate the final logit by a logistic slope and intercept fitted
        on the out-of-fold logits of the linear part, folded into its
        parameters (:meth:`ReasonerModule.calibrate`), so traces stay faithful.
    residual : bool, default False
        Add a small deep :class:`~neurosym.neural.RiskModule` logit to the
        residual (its output starts at zero).  Traces show the residual
        (wide plus deep) as one share of the logit.
    residual_inputs : sequence of str, default ("record", "labs", "lifelog")
    residual_dim : int, default 32
    ontologies : sequence of str or Ontology, default ("clinical",)
    max_codes, max_analytes, lab_steps, lifelog_days : int
        Passed to :class:`~neurosym.neural.Featurizer`.
    batch_size, max_epochs, patience : int
    lr, weight_decay, val_fraction : float
    prior_weight : float, default 1.0
        Pull of each neural predicate's mean output towards its ``prior`` (:class:`NeuralPredicate`),
        for predicates not tied to their pattern.
    anchor_weight : float, default 1.0
        Weight of the tie between each neural predicate and its described
        ``pattern`` (weak labels from the inputs, :meth:`ReasonerModule.anchor_loss`);
        it keeps a predicate meaning what its name says.  0: the predicates
        learn from the outcome label through the rules only.
    pretrain_epochs : int, default 5
        Passes that fit each tied predicate's head to its weak labels alone
        before the risk head's linear part (bias, atom weights, wide term) is
        fitted by L-BFGS and everything is trained end to end.
    threshold : float, default 0.15
        The "high risk" cut-off traces report against.
    target : str, default "type 2 diabetes"
    horizon_days : int, default 1096
    seed, num_threads : int
    progress_bar : bool, default True

    Attributes
    ----------
    featurizer_ : Featurizer
    atoms_ : list of str
        Risk-head atoms (:func:`atom_key`), in weight order.
    rules_ : list of str
        Rule ids with a learned weight.
    module_ : ReasonerModule
    history_ : list of dict
    best_epoch_ : int
        -1 when no epoch beat the start on validation.
    C_ : float
        Inverse L2 penalty of the linear part (``wide_C`` or chosen by cross-validation).
    calibration_ : tuple of float
        Slope and intercept of the out-of-fold recalibration ((1, 0) without one).
    train_risk_ : numpy.ndarray
        Sorted risks of the training patients (calibration context).
    train_label_ : numpy.ndarray
        Their labels, in the same order.
    model_version_ : str

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> from neurosym.tasks import ground_truth_labels
    >>> cohort = synthetic_cohort(150, seed=0)
    >>> model = NeuroSymbolicModel(max_epochs=1, lifelog_days=28, progress_bar=False)
    >>> list(model.fit(cohort, ground_truth_labels(cohort)).predict_proba(cohort, "2024-01-01").columns)
    ['patient_id', 'landmark', 'risk']
    """

    def __init__(self, *, program: Program | None = None, relations: Sequence[str] = RELEVANT_RELATIONS,
                 predicates: Sequence[str] = DEFAULT_PREDICATES, k: int = 3, candidates: int = 6,
                 wide: bool = True, wide_lifelog: bool = True, wide_C: float | None = None, cv_folds: int = 5,
                 calibrate: bool = True, residual: bool = False,
                 residual_inputs: Sequence[str] = ("record", "labs", "lifelog"),
                 residual_dim: int = 32, ontologies: Sequence[OntologySpec] = ("clinical",), max_codes: int = 64,
                 max_analytes: int = 24, lab_steps: int = 8, lifelog_days: int = 364, batch_size: int = 256,
                 max_epochs: int = 30, patience: int = 4, lr: float = 3e-3, weight_decay: float = 1e-4,
                 prior_weight: float = 1.0, anchor_weight: float = 1.0, pretrain_epochs: int = 5,
                 val_fraction: float = 0.2, threshold: float = 0.15, target: str = "type 2 diabetes",
                 horizon_days: int = 1096, seed: int = 0, num_threads: int = 1, progress_bar: bool = True) -> None:
        self.program = program
        self.relations = relations
        self.predicates = predicates
        self.k = k
        self.candidates = candidates
        self.wide = wide
        self.wide_lifelog = wide_lifelog
        self.wide_C = wide_C
        self.cv_folds = cv_folds
        self.calibrate = calibrate
        self.residual = residual
        self.residual_inputs = residual_inputs
        self.residual_dim = residual_dim
        self.ontologies = ontologies
        self.max_codes = max_codes
        self.max_analytes = max_analytes
        self.lab_steps = lab_steps
        self.lifelog_days = lifelog_days
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.lr = lr
        self.weight_decay = weight_decay
        self.prior_weight = prior_weight
        self.anchor_weight = anchor_weight
        self.pretrain_epochs = pretrain_epochs
        self.val_fraction = val_fraction
        self.threshold = threshold
        self.target = target
        self.horizon_days = horizon_days
        self.seed = seed
        self.num_threads = num_threads
        self.progress_bar = progress_bar

    def get_params(self) -> dict[str, object]:
        """The constructor parameters, as scikit-learn's ``get_params``."""
        return {name: getattr(self, name) for name in inspect.signature(type(self)).parameters}

    def __repr__(self) -> str:
        return f"NeuroSymbolicModel(relations={tuple(self.relations)!r}, predicates={tuple(self.predicates)!r}, seed={self.seed})"

    # ------------------------------------------------------------------ structure
    def _program(self) -> Program:
        if not hasattr(self, "_program_cache"):
            self._program_cache = self.program if self.program is not None else default_program()
            self._parts = split_program(self._program_cache, self.relations, self.predicates)
            self._ontology = Ontology.load("clinical")
        return self._program_cache

    def _check_params(self) -> None:
        if not 1 <= self.k <= 4 or self.candidates < self.k:
            raise NeurosymError(f"need 1 <= k <= 4 and candidates >= k; got k={self.k}, candidates={self.candidates}")
        for name in self.predicates:
            neural_predicate(name)
        unknown = set(self.predicates) - set(self._program().input_relations)
        if unknown:
            raise NeurosymError(f"neural predicates {sorted(unknown)} are not read by the program; "
                                "add rules that use them or drop them from predicates")

    def _prepare(self, cohort: Cohort, landmarks: LandmarkSpec, fit: bool = False
                 ) -> tuple[dict[str, np.ndarray], dict[str, torch.Tensor], Grounding]:
        """Features, model-input tensors (features + compiled proofs) and the grounding of a cohort at its landmarks."""
        program = self._program()
        lm = as_landmarks(landmarks, cohort)[["patient_id", "landmark"]]
        cut = before_landmark(cohort, lm)
        features = (self.featurizer_.fit_transform if fit else self.featurizer_.transform)(cohort, lm)
        tensors = to_tensors(features)
        preds = [neural_predicate(p) for p in self.predicates]
        candidates = {p.name: observed_enough(p, predicate_inputs(p, self.featurizer_.analytes_, tensors)) for p in preds}
        grounding = ground(self._parts, cut, program, candidates, self.relations, self.candidates, self._ontology)
        if list(grounding.patient_ids) != [str(p) for p in features["patient_id"]]:
            raise NeurosymError("features and facts disagree on the patients at the landmarks")  # pragma: no cover
        if fit:
            self.atoms_ = proof_atoms(grounding)
            self.rules_ = [r.id for r in self._parts[1].rules if not r.is_fact]
        compiled = compile_proofs(grounding, self.atoms_, self.rules_, self.predicates, self.candidates)
        tensors.update(var=torch.from_numpy(compiled.var), valid=torch.from_numpy(compiled.valid),
                       const=torch.from_numpy(compiled.const))
        return features, tensors, grounding

    # ------------------------------------------------------------------ fit
    def fit(self, cohort: Cohort, labels: pd.DataFrame) -> "NeuroSymbolicModel":
        """Train on the labelled patients of ``cohort`` (rows with an ``excluded`` reason are skipped).

        Parameters
        ----------
        cohort : Cohort
        labels : pandas.DataFrame
            ``patient_id, landmark, label[, excluded]``.

        Returns
        -------
        NeuroSymbolicModel
            ``self``.
        """
        self._check_params()
        train = usable_labels(labels)
        if train["label"].nunique() < 2:
            raise NeurosymError(f"fit needs both classes among the usable labels; got {len(train)} rows "
                                f"with labels {sorted(train['label'].unique().tolist())}")
        onts = resolve_ontologies(self.ontologies) if "record" in self.residual_inputs and self.residual else []
        self.featurizer_ = Featurizer(**{k: getattr(self, k) for k in _FEATURIZER_PARAMS}, ontologies=onts)
        features, tensors, _ = self._prepare(cohort, train, fit=True)
        order = pd.Index(train["patient_id"].astype(str)).get_indexer(features["patient_id"].astype(str))
        tensors["label"] = torch.as_tensor(train["label"].to_numpy(dtype=np.float32)[order])
        self.concepts_, self.ancestors_ = ancestor_table(self.featurizer_.vocabulary_, onts)
        return self._train(tensors)

    def _train(self, tensors: dict[str, torch.Tensor]) -> "NeuroSymbolicModel":
        """Train the module on prepared tensors (features, compiled proofs and ``label``)."""
        torch.set_num_threads(self.num_threads)
        pl.seed_everything(self.seed, verbose=False)
        if self.anchor_weight > 0:
            tensors["anchor"] = self._anchors(tensors)
        data = TensorDataModule(tensors, self.batch_size, self.val_fraction, self.seed)
        data.setup("fit")
        module = self._module(float(tensors["label"].mean()), n_train=len(data.train_idx))
        rows = torch.from_numpy(data.train_idx)  # the start is fitted on the training rows, never on validation
        fitting = {k: v[rows] for k, v in tensors.items()}
        if module.wide is not None:
            module.wide.standardise(fitting)
        module.pretrain_heads(tensors, rows, self.pretrain_epochs, self.batch_size, self.seed, C=self.wide_C or C_DEFAULT)
        module.fit_linear(fitting, self._choose_C(module, fitting)[0])
        keep = _KeepBest()
        if self.val_fraction > 0:  # training must beat the start on validation to replace it
            keep.best, keep.state = self._val_auroc(module, tensors, data.val_idx), copy.deepcopy(module.state_dict())
        start = keep.best
        module.train()
        callbacks: list[pl.Callback] = [keep]
        if self.val_fraction > 0:
            callbacks.append(pl.callbacks.EarlyStopping("val_auroc", mode="max", patience=self.patience))
        with _quiet_lightning():
            trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=self.max_epochs, deterministic=True,
                                 logger=False, enable_checkpointing=False, enable_model_summary=False,
                                 enable_progress_bar=self.progress_bar, callbacks=callbacks, num_sanity_val_steps=0,
                                 limit_val_batches=None if self.val_fraction > 0 else 0)
            trainer.fit(module, datamodule=data)
        if self.val_fraction > 0 and keep.state is not None:
            module.load_state_dict(keep.state)
        # validation chose the epoch; the linear part now learns from every row, C and the calibration out of fold
        self.C_, oof = self._choose_C(module, tensors)
        module.fit_linear(tensors, self.C_)
        self.calibration_ = _platt(oof, tensors["label"].numpy()) if self.calibrate and oof is not None else (1.0, 0.0)
        module.calibrate(*self.calibration_)
        module.eval()
        self.module_ = module
        self.history_ = keep.history
        if self.val_fraction > 0 and keep.best == start:
            self.best_epoch_ = -1  # no epoch beat the start on validation
        else:
            self.best_epoch_ = (max(keep.history, key=lambda h: h.get("val_auroc", -1.0))["epoch"] if keep.history
                                else trainer.current_epoch)
        risk = self._risk(tensors)
        order = np.argsort(risk, kind="stable")
        self.train_risk_, self.train_label_ = risk[order], tensors["label"].numpy()[order]
        self.model_version_ = self._version()
        return self

    def _choose_C(self, module: ReasonerModule, tensors: dict[str, torch.Tensor]) -> tuple[float, np.ndarray | None]:
        """``C`` of the linear part and its out-of-fold logits on ``tensors`` (None when not cross-validated).

        ``wide_C`` when given; otherwise the value of :data:`C_GRID` with the
        lowest out-of-fold log-loss over ``cv_folds`` label-stratified folds
        (:meth:`ReasonerModule.cross_validate_linear`; :data:`C_DEFAULT`
        when a class has fewer rows than folds).
        """
        y = tensors["label"].numpy()
        grid = C_GRID if self.wide_C is None else (float(self.wide_C),)
        if self.cv_folds < 2 or min(y.sum(), len(y) - y.sum()) < self.cv_folds:
            return (float(self.wide_C) if self.wide_C is not None else C_DEFAULT), None
        losses, logits = module.cross_validate_linear(tensors, grid, stratified_folds(y, self.cv_folds, self.seed))
        best = int(np.argmin(losses))
        return float(grid[best]), logits[best]

    @staticmethod
    def _val_auroc(module: ReasonerModule, tensors: dict[str, torch.Tensor], rows: np.ndarray) -> float:
        """The module's AUROC on the validation ``rows``."""
        from sklearn.metrics import roc_auc_score

        module.eval()
        with torch.no_grad():
            logit = module({k: v[torch.from_numpy(rows)] for k, v in tensors.items()})
        y = tensors["label"].numpy()[rows]
        return float(roc_auc_score(y, logit.double().numpy())) if 0 < y.sum() < len(y) else 0.5

    def _anchors(self, tensors: dict[str, torch.Tensor]) -> torch.Tensor:
        """``[N, Q]`` weak labels of the neural predicates from their described patterns (NaN: no candidate fact).

        For each predicate with a ``pattern``, the share ``prior`` of the
        patients with a candidate fact whose :func:`pattern_score` is highest
        are 1, the others 0.  Predicates without a pattern get NaN throughout.
        """
        out = torch.full((len(tensors["static"]), len(self.predicates)), float("nan"))
        for q, name in enumerate(self.predicates):
            pred = neural_predicate(name)
            if pred.pattern is None:
                continue
            inputs = predicate_inputs(pred, self.featurizer_.analytes_, tensors)
            seen = torch.from_numpy(observed_enough(pred, inputs))
            if not seen.any():
                continue
            score = pattern_score(pred, inputs).double()
            cut = torch.quantile(score[seen], 1.0 - pred.prior)
            out[seen, q] = (score[seen] >= cut).float()
        return out

    def _module(self, base_rate: float, n_train: int = 1) -> ReasonerModule:
        residual = None
        if self.residual:
            f = self.featurizer_
            residual = RiskModule(self.ancestors_, n_concepts=len(self.concepts_), n_analytes=max(len(f.analytes_), 1),
                                  n_static=len(STATIC_FEATURES), lifelog_days=self.lifelog_days,
                                  n_channels=len(DAILY_CHANNELS), inputs=tuple(self.residual_inputs),
                                  dim=self.residual_dim, dropout=0.1)
        return ReasonerModule([neural_predicate(p) for p in self.predicates], list(self.featurizer_.analytes_),
                              n_rules=len(self.rules_), n_atoms=len(self.atoms_), k=self.k,
                              lifelog_days=self.lifelog_days, residual=residual, base_rate=base_rate, lr=self.lr,
                              wide=self._wide_term() if self.wide else None, n_train=n_train, weight_decay=self.weight_decay,
                              prior_weight=self.prior_weight, anchor_weight=self.anchor_weight)

    def _wide_term(self) -> WideTerm:
        columns = 2 * len(self.featurizer_.analytes_) + len(STATIC_FEATURES)
        if self.wide_lifelog:
            columns += LIFELOG_SUMMARY_COLUMNS_PER_CHANNEL * len(DAILY_CHANNELS) + LIFELOG_WEAR_COLUMNS
        return WideTerm(columns, self.wide_C or C_DEFAULT, lifelog=self.wide_lifelog)

    def _version(self) -> str:
        digest = hashlib.sha256()
        for name, value in sorted(self.module_.state_dict().items()):
            digest.update(name.encode())
            digest.update(value.detach().contiguous().numpy().tobytes())
        return f"neurosym {__version__} NeuroSymbolicModel {digest.hexdigest()[:12]}"

    def _check_fitted(self) -> None:
        if not hasattr(self, "module_"):
            raise NotFittedError("this NeuroSymbolicModel is not fitted yet; call fit(cohort, labels) first")

    # ------------------------------------------------------------------ predict
    def _parts_of(self, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The module's logit parts for every row, in chunks, without gradients."""
        torch.set_num_threads(self.num_threads)
        n = len(tensors["static"])
        chunks = []
        with torch.no_grad():
            for start in range(0, n, 1024):
                chunks.append(self.module_.parts({k: v[start:start + 1024] for k, v in tensors.items()}))
        if not chunks:
            return self.module_.parts({k: v[:0] for k, v in tensors.items()})
        return {k: torch.cat([c[k] for c in chunks]) for k in chunks[0]}

    def _risk(self, tensors: dict[str, torch.Tensor]) -> np.ndarray:
        return torch.sigmoid(self._parts_of(tensors)["logit"]).double().numpy()

    def predict_proba(self, cohort: Cohort, landmarks: LandmarkSpec) -> pd.DataFrame:
        """Risk of every patient with a landmark, from what was recorded strictly before it.

        Parameters
        ----------
        cohort : Cohort
        landmarks : str, date, DataFrame or Series

        Returns
        -------
        pandas.DataFrame
            ``patient_id, landmark, risk``, sorted by patient.
        """
        self._check_fitted()
        features, tensors, _ = self._prepare(cohort, landmarks)
        return pd.DataFrame({"patient_id": pd.array(features["patient_id"], dtype="string"),
                             "landmark": features["landmark"], "risk": self._risk(tensors)})

    def predict_atoms(self, cohort: Cohort, landmarks: LandmarkSpec) -> pd.DataFrame:
        """Per patient, the probability of each risk-head atom and of each neural predicate (columns by name).

        A neural predicate's column is NaN for patients without enough inputs
        for a candidate fact (e.g. no wearable): the predicate does not apply there.
        """
        self._check_fitted()
        features, tensors, grounding = self._prepare(cohort, landmarks)
        parts = self._parts_of(tensors)
        frame = pd.DataFrame({"patient_id": pd.array(features["patient_id"], dtype="string"),
                              "landmark": features["landmark"]})
        for j, atom in enumerate(self.atoms_):
            frame[atom] = parts["atoms"][:, j].double().numpy()
        for q, name in enumerate(self.predicates):
            value = np.full(len(frame), np.nan)
            rows = np.array(grounding.top_facts[name]["_source"] if name in grounding.top_facts else [], dtype=np.int64)
            value[rows] = parts["neural"][torch.from_numpy(rows), q].double().numpy()
            frame[name] = value
        return frame

    # ------------------------------------------------------------------ explain
    def explain(self, cohort: Cohort, patient_id: str, landmark: LandmarkSpec | None = None, *,
                counterfactuals: bool = False, why_not: Sequence[str] = ()) -> Prediction:
        """The prediction for one patient as a trace whose contributions add up to the logit.

        Parameters
        ----------
        cohort : Cohort
        patient_id : str
        landmark : str or date, optional
            Default: the patient's landmark in ``cohort.labels``.
        counterfactuals : bool, default False
            Add the smallest changes of modifiable facts that take the risk below :attr:`threshold`.
        why_not : sequence of str
            Atoms (e.g. ``'at_risk_t2d("S000001")'``) to report on when they do not hold.

        Returns
        -------
        Prediction
            Children: one subtree per atom with a non-zero contribution
            (rule applications down to source records, ontology paths and
            neural leaves), each with its ``contribution``.
        """
        from neurosym.reasoning._explain import explain_prediction

        self._check_fitted()
        return explain_prediction(self, cohort, patient_id, landmark, counterfactuals=counterfactuals, why_not=why_not)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write parameters, rule text, featurizer and weights to ``path`` (a torch file); returns the path."""
        self._check_fitted()
        params = self.get_params()
        params["ontologies"] = tuple(o if isinstance(o, str) else getattr(o, "name", str(o)) for o in self.ontologies)
        params["program"] = None if self.program is None else _program_texts(self.program)
        path = Path(path)
        torch.save({"params": params, "featurizer": self.featurizer_.state(), "concepts": self.concepts_,
                    "ancestors": self.ancestors_, "atoms": self.atoms_, "rules": self.rules_, "C": self.C_, "calibration": self.calibration_,
                    "state_dict": self.module_.state_dict(), "history": self.history_, "best_epoch": self.best_epoch_,
                    "train_risk": self.train_risk_, "train_label": self.train_label_,
                    "model_version": self.model_version_}, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "NeuroSymbolicModel":
        """A fitted model written by :meth:`save` (the file is unpickled: load only files you trust)."""
        saved = torch.load(Path(path), weights_only=False)
        params = dict(saved["params"])
        if params["program"] is not None:
            params["program"] = _program_from_texts(params["program"])
        model = cls(**params)
        model.featurizer_ = Featurizer.from_state(saved["featurizer"])
        model.concepts_, model.ancestors_ = saved["concepts"], saved["ancestors"]
        model.atoms_, model.rules_, model.C_ = saved["atoms"], saved["rules"], saved["C"]
        model.calibration_ = saved.get("calibration", (1.0, 0.0))  # saved before recalibration existed: none
        module = model._module(0.5)
        module.load_state_dict(saved["state_dict"])
        module.eval()
        model.module_ = module
        model.history_, model.best_epoch_ = saved["history"], saved["best_epoch"]
        model.train_risk_, model.train_label_ = saved["train_risk"], saved["train_label"]
        model.model_version_ = saved["model_version"]
        return model


def stratified_folds(label: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A fold number per row, the rows of each class shuffled (seeded) and dealt out in turn.

    >>> stratified_folds(np.array([0, 0, 0, 1, 1, 1]), 3, seed=0).tolist()
    [1, 2, 0, 2, 1, 0]
    """
    rng = np.random.default_rng(seed)
    out = np.empty(len(label), dtype=np.int64)
    for value in np.unique(label):
        rows = np.flatnonzero(label == value)
        out[rng.permutation(rows)] = np.arange(len(rows)) % folds
    return out


def _platt(logit: np.ndarray, label: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of the logistic regression of ``label`` on ``logit`` (unpenalised; slope kept positive)."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=np.inf).fit(logit.reshape(-1, 1), label)
    return max(float(fit.coef_[0, 0]), 1e-3), float(fit.intercept_[0])


def _program_texts(program: Program) -> dict[str, str]:
    """The rule text of each source of ``program`` (path -> text)."""
    return {path: "\n".join(lines) for path, lines in program.module.sources.items()}


def _program_from_texts(texts: dict[str, str]) -> Program:
    programs = [Program.from_text(text, path) for path, text in texts.items()]
    out = programs[0]
    for p in programs[1:]:
        out = out + p
    return out
