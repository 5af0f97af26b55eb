"""What a site does with the global model: build it, load weights, train a few epochs, evaluate.

The weights that travel are the floating-point entries of the
:class:`~neurosym.neural.RiskModule` state dict (parameters and batch-norm
running statistics).  The code -> concept table is not sent: every site
rebuilds it from the shared vocabulary and the public ontology.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch

from neurosym.data import Cohort
from neurosym.neural import CohortDataModule, Featurizer, RiskModel, RiskModule, ancestor_table
from neurosym.neural._risk_model import _quiet_lightning
from neurosym.tasks import resolve_ontologies

__all__ = ["build_module", "evaluate_local", "load_weights", "site_data", "train_local", "weights"]


def build_module(params: Mapping[str, object], featurizer: Featurizer, seed: int = 0,
                 train_patients: int | None = None) -> tuple[list[str], RiskModule]:
    """Concepts and a freshly initialised (seeded) module for ``params`` and the shared ``featurizer``.

    ``train_patients`` (over all sites) scales the record encoder's L2
    penalty as :meth:`RiskModel.fit` does on pooled data (``wide_l2 / n``):
    every site then minimises its share of the same objective, so the
    weighted average of the sites' objectives is the centralised one.
    ``None`` leaves the penalty out (a module only to hold weights).

    Examples
    --------
    >>> f = Featurizer.from_state({"max_codes": 8, "max_analytes": 2, "lab_steps": 4, "lifelog_days": 7,
    ...     "min_patients": 5, "ontologies": (), "vocabulary_": ["icd10cm:I10"], "analytes_": ["loinc:4548-4"],
    ...     "lab_center_": np.zeros(1), "lab_scale_": np.ones(1), "daily_center_": np.zeros(4),
    ...     "daily_scale_": np.ones(4)})
    >>> concepts, module = build_module(RiskModel(flat=True, lifelog_days=7).get_params(), f)
    >>> concepts, sorted(weights(module))[:2]
    (['icd10cm:I10'], ['encoders.labs.analyte', 'encoders.labs.gru.bias_hh_l0'])
    """
    template = RiskModel(**params)
    concepts, table = ancestor_table(featurizer.vocabulary_, resolve_ontologies(featurizer.ontologies))
    shape = template._shape(featurizer, len(concepts))
    shape["wide_l2"] = float(params["wide_l2"]) / max(train_patients, 1) if train_patients else 0.0
    torch.manual_seed(seed)
    return concepts, RiskModule(table, **shape)


def weights(module: RiskModule) -> dict[str, torch.Tensor]:
    """The floating-point state of ``module`` (what is averaged): parameters and batch-norm statistics."""
    return {k: v.detach().clone() for k, v in module.state_dict().items() if v.is_floating_point()}


def load_weights(module: RiskModule, state: Mapping[str, torch.Tensor]) -> RiskModule:
    """Load averaged weights into ``module``; batch-norm variances stay positive (noise may push them below 0)."""
    current = module.state_dict()
    missing = set(weights(module)) - set(state)
    if missing:
        raise KeyError(f"weights lack {sorted(missing)[:3]}")
    update = {k: torch.as_tensor(np.asarray(v)).to(current[k].dtype).reshape(current[k].shape) for k, v in state.items()}
    for k in update:
        if k.endswith("running_var"):
            update[k] = update[k].clamp_min(1e-5)
    module.load_state_dict(update, strict=False)
    return module


def site_data(cohort: Cohort, labels: pd.DataFrame, featurizer: Featurizer, params: Mapping[str, object]
              ) -> CohortDataModule:
    """A site's tensors under the shared featurizer, split into local train and validation patients (seeded)."""
    data = CohortDataModule(cohort, labels, featurizer, int(params["batch_size"]), float(params["val_fraction"]),
                            int(params["seed"]))
    data.prepare_data()
    data.setup("fit")
    return data


class _Proximal(pl.Callback):
    """FedProx: adds the gradient of ``mu / 2 * ||w - w_global||^2`` after each backward pass."""

    def __init__(self, mu: float, anchor: Mapping[str, torch.Tensor]) -> None:
        self.mu, self.anchor = mu, anchor

    def on_after_backward(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        for name, p in module.named_parameters():
            if p.grad is not None:
                p.grad.add_(p.detach() - self.anchor[name], alpha=self.mu)


def train_local(module: RiskModule, data: CohortDataModule, *, epochs: int = 1, proximal_mu: float = 0.0,
                seed: int = 0) -> float:
    """Train ``module`` in place on the site's training patients; returns the last training loss.

    ``proximal_mu > 0`` adds FedProx's proximal term towards the weights
    ``module`` held when called (the global model).
    """
    pl.seed_everything(seed, verbose=False)
    callbacks = [_Proximal(proximal_mu, {k: p.detach().clone() for k, p in module.named_parameters()})] \
        if proximal_mu > 0 else []
    with _quiet_lightning():
        trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=epochs, deterministic=True, logger=False,
                             enable_checkpointing=False, enable_model_summary=False, enable_progress_bar=False,
                             callbacks=callbacks, num_sanity_val_steps=0, limit_val_batches=0)
        trainer.fit(module, train_dataloaders=data.train_dataloader())
    module.eval()
    return float(trainer.callback_metrics.get("train_loss", torch.tensor(float("nan"))))


def evaluate_local(module: RiskModule, data: CohortDataModule) -> tuple[float, float, int]:
    """Loss, AUROC (0.5 when a class is missing) and size of the site's validation patients."""
    from sklearn.metrics import roc_auc_score

    rows = torch.as_tensor(data.val_idx, dtype=torch.long)
    module.eval()
    with torch.no_grad():
        batch = {k: v[rows] for k, v in data.tensors.items()}
        logits = module(batch)
        y = batch["label"]
        loss = float(torch.nn.functional.binary_cross_entropy_with_logits(logits, y)) if len(y) else float("nan")
    labels = y.numpy()
    auroc = float(roc_auc_score(labels, logits.double().numpy())) if len(np.unique(labels)) == 2 else 0.5
    return loss, auroc, len(labels)
