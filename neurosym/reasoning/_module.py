"""The reasoner's Lightning pair: compiled proofs + features as data, neural heads + rule weights + risk head as model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler

from neurosym._errors import NeurosymError
from neurosym.neural import RiskModule
from neurosym.reasoning._predicates import NeuralPredicate, PredicateHead, predicate_inputs
from neurosym.reasoning._proofs import TopKProofs

__all__ = ["ProofDataModule", "ReasonerModule"]


class _Rows(Dataset):
    """Batches of rows of a dict of tensors, indexed by a list of positions."""

    def __init__(self, tensors: dict[str, torch.Tensor], rows: np.ndarray) -> None:
        self.tensors, self.rows = tensors, torch.as_tensor(rows, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, positions: list[int]) -> dict[str, torch.Tensor]:
        rows = self.rows[torch.as_tensor(positions, dtype=torch.long)]
        return {k: v[rows] for k, v in self.tensors.items()}


class ProofDataModule(pl.LightningDataModule):
    """Per-patient feature tensors, compiled proof tensors and labels, split by patient with a seed.

    :meth:`setup` makes a label-stratified validation split of
    ``val_fraction`` of the patients; batches are dicts of tensors.

    Parameters
    ----------
    tensors : dict of str to torch.Tensor
        Feature tensors (:data:`neurosym.neural.TENSOR_KEYS`), ``var``,
        ``valid``, ``const`` and ``label``, one row per patient.
    batch_size : int
    val_fraction : float
    seed : int

    Examples
    --------
    >>> dm = ProofDataModule({"label": torch.tensor([0.0, 1.0, 0.0, 1.0])}, batch_size=2, val_fraction=0.5, seed=0)
    >>> dm.setup("fit"); len(dm.train_idx), len(dm.val_idx)
    (2, 2)
    """

    def __init__(self, tensors: dict[str, torch.Tensor], batch_size: int = 256, val_fraction: float = 0.2,
                 seed: int = 0) -> None:
        super().__init__()
        if not 0.0 <= val_fraction < 1.0:
            raise NeurosymError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
        self.tensors = tensors
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.seed = seed

    def setup(self, stage: str | None = None) -> None:
        y = self.tensors["label"].numpy()
        rng = np.random.default_rng(self.seed)
        val = [rng.permutation(np.flatnonzero(y == cls))[: int(round(self.val_fraction * (y == cls).sum()))]
               for cls in (0.0, 1.0)]
        self.val_idx = np.sort(np.concatenate(val))
        self.train_idx = np.setdiff1d(np.arange(len(y)), self.val_idx)

    def _loader(self, rows: np.ndarray, shuffle: bool) -> DataLoader:
        data = _Rows(self.tensors, rows)
        sampler = (RandomSampler(data, generator=torch.Generator().manual_seed(self.seed)) if shuffle
                   else SequentialSampler(data))
        return DataLoader(data, sampler=BatchSampler(sampler, self.batch_size, drop_last=False), batch_size=None)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_idx, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_idx, shuffle=False)


class ReasonerModule(pl.LightningModule):
    """Neural predicate heads, rule weights and the additive risk head over differentiable proofs.

    ``logit = bias + sum_j w_j p_j + residual``: ``p_j`` is the probability
    of atom ``j`` from its top-k proofs (:class:`TopKProofs`), whose variables
    are the rule weights ``sigmoid(theta_r)`` and the patient's neural facts;
    ``w_j = softplus(u_j) >= 0`` (every atom is a risk factor, which also fixes
    the meaning of the neural predicates: they can only raise the risk);
    ``residual`` is an optional :class:`~neurosym.neural.RiskModule` logit.

    Parameters
    ----------
    predicates : sequence of NeuralPredicate
    analytes : list of str
        Lab channels of the features.
    n_rules, n_atoms : int
        Learned rule weights and risk-head atoms.
    k : int
        Proofs per tuple.
    lifelog_days : int
    residual : RiskModule, optional
    base_rate : float
        Training event rate (initial bias).
    lr, weight_decay : float
    prior_weight : float
        Weight of :meth:`prior_penalty` in the training loss.

    Examples
    --------
    >>> from neurosym.reasoning import neural_predicate
    >>> m = ReasonerModule([neural_predicate("short_sleep_pattern")], [], n_rules=2, n_atoms=3, k=2, lifelog_days=7)
    >>> sorted(m.heads), m.atom_weights().shape
    (['short_sleep_pattern'], torch.Size([3]))
    """

    def __init__(self, predicates: Sequence[NeuralPredicate], analytes: list[str], *, n_rules: int, n_atoms: int,
                 k: int, lifelog_days: int, residual: RiskModule | None = None, base_rate: float = 0.1,
                 lr: float = 1e-2, weight_decay: float = 1e-4, prior_weight: float = 0.1) -> None:
        super().__init__()
        self.prior_weight = prior_weight
        self.predicates = list(predicates)
        self.analytes = list(analytes)
        self.lr, self.weight_decay = lr, weight_decay
        self.heads = nn.ModuleDict({p.name: PredicateHead(p, lifelog_days) for p in self.predicates})
        self.rule_logits = nn.Parameter(torch.full((n_rules,), 2.0))
        self.atom_raw = nn.Parameter(torch.full((n_atoms,), -3.0))  # softplus: 0.05, a start near the base rate
        rate = min(max(base_rate, 1e-3), 1 - 1e-3)
        self.bias = nn.Parameter(torch.tensor(float(np.log(rate / (1 - rate)))))
        self.residual = residual
        self.proofs = TopKProofs(k)
        self.loss = nn.BCEWithLogitsLoss()
        self._val: list[tuple[torch.Tensor, torch.Tensor]] = []

    def atom_weights(self) -> torch.Tensor:
        """``w_j = softplus(u_j)``: the non-negative weight of each atom."""
        return F.softplus(self.atom_raw)

    def neural_probabilities(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """``[B, Q]``: each neural predicate's probability for each patient."""
        return self._neural(batch)[0]

    def _neural(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Neural probabilities ``[B, Q]`` and whether each patient has enough inputs for a candidate fact."""
        if not self.predicates:
            empty = batch["static"].new_zeros((len(batch["static"]), 0))
            return empty, empty.bool()
        inputs = [predicate_inputs(p, self.analytes, batch) for p in self.predicates]
        probs = torch.stack([self.heads[p.name](x) for p, x in zip(self.predicates, inputs)], 1)
        seen = torch.stack([x["observed"] >= p.min_observations for p, x in zip(self.predicates, inputs)], 1)
        return probs, seen

    def prior_penalty(self, neural: torch.Tensor, seen: torch.Tensor) -> torch.Tensor:
        """Binary cross-entropy between each predicate's mean output (patients with a fact) and its prior."""
        penalty = neural.new_zeros(())
        for q, p in enumerate(self.predicates):
            if seen[:, q].any():
                mean = neural[seen[:, q], q].mean().clamp(1e-6, 1 - 1e-6)
                penalty = penalty + F.binary_cross_entropy(mean, mean.new_tensor(p.prior))
        return penalty

    def parts(self, batch: dict[str, torch.Tensor], neural: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The logit and its parts: ``neural`` [B, Q], ``atoms`` p_j [B, J], ``contributions`` w_j p_j, ``residual`` [B], ``logit``.

        ``neural`` overrides the heads' outputs (used to measure a neural fact's share).
        """
        neural = self.neural_probabilities(batch) if neural is None else neural
        b = len(neural)
        values = torch.cat([neural.new_ones((b, 1)), torch.sigmoid(self.rule_logits).expand(b, -1), neural], 1)
        atoms = self.proofs(values, batch["var"], batch["valid"], batch["const"])
        contributions = atoms * self.atom_weights()
        residual = self.residual(batch) if self.residual is not None else neural.new_zeros(b)
        return {"neural": neural, "atoms": atoms, "contributions": contributions, "residual": residual,
                "logit": self.bias + contributions.sum(1) + residual}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.parts(batch)["logit"]

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        neural, seen = self._neural(batch)
        loss = self.loss(self.parts(batch, neural)["logit"], batch["label"]) + self.prior_weight * self.prior_penalty(neural, seen)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["label"]))
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._val.append((self(batch).detach(), batch["label"]))

    def on_validation_epoch_end(self) -> None:
        if not self._val:
            return
        logits = torch.cat([v[0] for v in self._val])
        y = torch.cat([v[1] for v in self._val])
        self._val.clear()
        self.log("val_loss", self.loss(logits, y), prog_bar=True)
        self.log("val_auroc", _auroc(logits, y), prog_bar=True)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)


def _auroc(score: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """AUROC of the validation set; 0.5 when one class is absent."""
    from sklearn.metrics import roc_auc_score

    labels = y.numpy()
    if labels.min() == labels.max():
        return torch.tensor(0.5)
    return torch.tensor(float(roc_auc_score(labels, score.double().numpy())))
