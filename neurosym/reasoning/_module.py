"""The reasoner's LightningModule: neural predicate heads, rule weights and the risk head over compiled proofs.

Its data is a :class:`neurosym.neural.TensorDataModule` over the features and compiled proof tensors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn
from torch.nn import functional as F

from neurosym._errors import NeurosymError
from neurosym.neural import RiskModule, ValidationAUROC
from neurosym.reasoning._predicates import NeuralPredicate, PredicateHead, predicate_inputs
from neurosym.reasoning._proofs import TopKProofs

__all__ = ["ReasonerModule"]


class ReasonerModule(ValidationAUROC, pl.LightningModule):
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

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)

