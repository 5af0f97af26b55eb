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
from neurosym.reasoning._wide import WideTerm, wide_design

__all__ = ["ReasonerModule"]


class ReasonerModule(ValidationAUROC, pl.LightningModule):
    """Neural predicate heads, rule weights and the additive risk head over differentiable proofs.

    ``logit = bias + sum_j w_j p_j + residual``: ``p_j`` is the probability
    of atom ``j`` from its top-k proofs (:class:`TopKProofs`), whose variables
    are the rule weights ``sigmoid(theta_r)`` and the patient's neural facts;
    ``w_j = softplus(u_j) >= 0`` (every atom is a risk factor: the neural
    predicates can only raise the risk); ``residual`` is the sum of an
    optional wide term (:class:`WideTerm`, a logistic regression on last
    values) and an optional deep :class:`~neurosym.neural.RiskModule` logit.

    A neural predicate with a described ``pattern`` can be tied to it: with
    ``anchor_weight > 0`` the training loss adds that weight times the binary
    cross-entropy between the head's output and the batch's ``anchor``
    column (its weak label from the pattern, NaN where the patient has no
    candidate fact).  Otherwise (weight 0, or no pattern) its mean output is
    pulled towards its ``prior`` (:meth:`prior_penalty`).

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
        The deep residual (its output layers start at zero).
    wide : WideTerm, optional
    n_train : int, default 1
        Training rows (scales the wide term's L2 penalty as scikit-learn does).
    base_rate : float
        Training event rate (initial bias).
    lr, weight_decay : float
    prior_weight : float
        Weight of :meth:`prior_penalty` in the training loss.
    anchor_weight : float, default 0.0
        Weight of :meth:`anchor_loss` in the training loss.

    Examples
    --------
    >>> from neurosym.reasoning import neural_predicate
    >>> m = ReasonerModule([neural_predicate("short_sleep_pattern")], [], n_rules=2, n_atoms=3, k=2, lifelog_days=7)
    >>> sorted(m.heads), m.atom_weights().shape
    (['short_sleep_pattern'], torch.Size([3]))
    """

    def __init__(self, predicates: Sequence[NeuralPredicate], analytes: list[str], *, n_rules: int, n_atoms: int,
                 k: int, lifelog_days: int, residual: RiskModule | None = None, wide: WideTerm | None = None,
                 n_train: int = 1, base_rate: float = 0.1, lr: float = 1e-2, weight_decay: float = 1e-4,
                 prior_weight: float = 0.1, anchor_weight: float = 0.0) -> None:
        super().__init__()
        self.prior_weight, self.anchor_weight, self.n_train = prior_weight, anchor_weight, n_train
        self.predicates = list(predicates)
        self.analytes = list(analytes)
        self.lr, self.weight_decay = lr, weight_decay
        self.heads = nn.ModuleDict({p.name: PredicateHead(p, lifelog_days) for p in self.predicates})
        self.rule_logits = nn.Parameter(torch.full((n_rules,), 2.0))
        self.atom_raw = nn.Parameter(torch.full((n_atoms,), -3.0))  # softplus: 0.05, a start near the base rate
        rate = min(max(base_rate, 1e-3), 1 - 1e-3)
        self.bias = nn.Parameter(torch.tensor(float(np.log(rate / (1 - rate)))))
        self.residual = residual
        self.register_buffer("deep_scale", torch.tensor(1.0))  # a calibration's slope on the deep logit (:meth:`calibrate`)
        if residual is not None:  # start from the wide term and the proofs: the deep part learns what they miss
            for layer in (residual.head[-1], residual.skip):
                nn.init.zeros_(layer.weight)
                nn.init.zeros_(layer.bias)
        self.wide = wide
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

    def _anchored(self, q: int) -> bool:
        return self.anchor_weight > 0 and self.predicates[q].pattern is not None

    def prior_penalty(self, neural: torch.Tensor, seen: torch.Tensor) -> torch.Tensor:
        """Binary cross-entropy between each unanchored predicate's mean output (patients with a fact) and its prior."""
        penalty = neural.new_zeros(())
        for q, p in enumerate(self.predicates):
            if seen[:, q].any() and not self._anchored(q):
                mean = neural[seen[:, q], q].mean().clamp(1e-6, 1 - 1e-6)
                penalty = penalty + F.binary_cross_entropy(mean, mean.new_tensor(p.prior))
        return penalty

    def anchor_loss(self, neural: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
        """Mean binary cross-entropy of each anchored predicate's output against its weak label (``anchor`` [B, Q])."""
        loss = neural.new_zeros(())
        for q in range(len(self.predicates)):
            known = torch.isfinite(anchor[:, q])
            if self._anchored(q) and known.any():
                loss = loss + F.binary_cross_entropy(neural[known, q].clamp(1e-6, 1 - 1e-6), anchor[known, q])
        return loss

    def pretrain_heads(self, tensors: dict[str, torch.Tensor], rows: torch.Tensor, epochs: int, batch_size: int,
                       seed: int, C: float = 0.03) -> None:
        """Give each head a direction before the risk head's linear part is fitted: ``epochs`` shuffled passes of Adam over ``rows``.

        A head tied to its pattern learns its weak labels alone
        (:meth:`anchor_loss`).  An untied head learns from the outcome label
        through the proofs (:meth:`head_warmup_loss`): the linear part is
        first fitted (:meth:`fit_linear`, penalty ``C``) with the heads at
        their neutral start (every patient at the prior), and the warm-up
        logit is that fit's logit plus, for each atom, how far the heads move
        its probability from the neutral start (weight 1).  The other risk
        factors are thus accounted for by the fit (a head is not pushed down
        for patients whom they already make high-risk), and the gradient
        reaches the head even where the fit gave its atom a weight near zero
        (a neutral neural atom only marks who has the inputs).
        """
        params = [p for q, pred in enumerate(self.predicates) for p in self.heads[pred.name].parameters()
                  if self._anchored(q) or "label" in tensors]
        if not params or epochs <= 0:
            return
        tensors = dict(tensors)
        if not all(self._anchored(q) for q in range(len(self.predicates))) and "label" in tensors:
            fitting = {k: v[rows] for k, v in tensors.items()}
            self.fit_linear(fitting, C)
            with torch.no_grad():
                parts = self.parts(fitting)
            tensors["warmup_logit"] = torch.zeros(len(tensors["label"])).index_put((rows,), parts["logit"])
            tensors["warmup_atoms"] = torch.zeros(len(tensors["label"]), parts["atoms"].shape[1]).index_put(
                (rows,), parts["atoms"])
        self.train()
        optimiser = torch.optim.Adam(params, lr=self.lr)
        generator = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            for chunk in torch.randperm(len(rows), generator=generator).split(batch_size):
                batch = {k: v[rows[chunk]] for k, v in tensors.items()}
                loss = self.head_warmup_loss(batch)
                if not loss.requires_grad:  # nothing to learn from in this batch
                    continue
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()

    def head_warmup_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Anchor loss of the tied heads plus, with untied heads, the outcome loss through the proofs.

        The outcome part (when ``batch`` has ``warmup_logit`` and
        ``warmup_atoms``, the logit and atom probabilities at the neutral
        start) is the cross-entropy of ``warmup_logit + sum_j (p_j - warmup_atoms_j)``,
        plus :meth:`prior_penalty`; only the untied heads learn from it.
        """
        neural, seen = self._neural(batch)
        loss = self.anchor_loss(neural, batch["anchor"]) if "anchor" in batch else neural.new_zeros(())
        if "warmup_logit" not in batch:
            return loss
        untied = torch.tensor([not self._anchored(q) for q in range(len(self.predicates))])
        neural = torch.where(untied, neural, neural.detach())  # the tied heads learn from their patterns only
        moved = (self.parts(batch, neural)["atoms"] - batch["warmup_atoms"]).sum(1)
        return (loss + self.loss(batch["warmup_logit"] + moved, batch["label"])
                + self.prior_weight * self.prior_penalty(neural, seen))

    def fit_linear(self, batch: dict[str, torch.Tensor], C: float, max_iter: int = 200) -> float:
        """Fit the bias, the atom weights and the wide term to ``batch["label"]`` by full-batch L-BFGS; returns the loss.

        The neural heads, the rule weights (so the atoms' probabilities) and
        the deep residual stay as they are.  The loss is the mean
        cross-entropy plus scikit-learn's L2 penalty ``|w|^2 / (2 C n)`` on
        the wide weights and the atom weights (``C`` also becomes the wide
        term's penalty for the training that follows).
        """
        if self.wide is not None:
            self.wide.C = C
        return self._fit_linear_on(self.linear_inputs(batch), batch["label"], C, max_iter)

    def linear_inputs(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """What the linear part reads, without gradients: atom probabilities, the deep logit and the scaled wide design."""
        self.eval()
        with torch.no_grad():
            parts = self.parts(batch)
            design = None if self.wide is None else (wide_design(batch, self.wide.lifelog) - self.wide.mean) / self.wide.scale
        return parts["atoms"], parts["deep"], design

    def _linear_logit(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]) -> torch.Tensor:
        atoms, deep, design = inputs
        logit = self.bias + atoms @ self.atom_weights() + deep
        return logit if design is None else logit + self.wide.linear(design).squeeze(-1)

    def _fit_linear_on(self, inputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None], label: torch.Tensor,
                       C: float, max_iter: int = 200) -> float:
        params = [self.bias, self.atom_raw] + ([self.wide.linear.weight] if self.wide is not None else [])
        optimiser = torch.optim.LBFGS(params, lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")
        n = max(len(label), 1)

        def closure() -> torch.Tensor:
            optimiser.zero_grad()
            weights = [self.atom_weights()] + ([self.wide.linear.weight] if self.wide is not None else [])
            loss = self.loss(self._linear_logit(inputs), label) + sum(w.pow(2).sum() for w in weights) / (2.0 * C * n)
            loss.backward()
            return loss

        return float(optimiser.step(closure).detach())

    def cross_validate_linear(self, batch: dict[str, torch.Tensor], grid: Sequence[float], folds: np.ndarray
                              ) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold logits of the linear part (:meth:`fit_linear`) for each ``C`` of ``grid``.

        ``folds`` gives each row of ``batch`` its fold; for each fold and
        ``C`` the linear part is fitted on the other folds and scores the
        fold.  The module's parameters are left as they were.  Returns the
        mean out-of-fold log-loss per ``C`` and the ``[len(grid), N]`` logits.
        """
        inputs, label = self.linear_inputs(batch), batch["label"]
        saved = {k: v.detach().clone() for k, v in self.state_dict().items()}
        logits = np.zeros((len(grid), len(label)))
        for f in np.unique(folds):
            held = torch.from_numpy(folds == f)
            fitting = tuple(None if x is None else x[~held] for x in inputs)
            scored = tuple(None if x is None else x[held] for x in inputs)
            for i, C in enumerate(grid):
                self.load_state_dict(saved)
                self._fit_linear_on(fitting, label[~held], C)
                with torch.no_grad():
                    logits[i, held.numpy()] = self._linear_logit(scored).double().numpy()
        self.load_state_dict(saved)
        y = label.double().numpy()
        losses = np.array([float(F.binary_cross_entropy_with_logits(torch.from_numpy(z), torch.from_numpy(y)))
                           for z in logits])
        return losses, logits

    def calibrate(self, slope: float, intercept: float) -> None:
        """Fold a logistic recalibration ``slope * logit + intercept`` into the parameters (``slope > 0``).

        The bias becomes ``slope * bias + intercept`` and every other part
        of the logit (atom weights, wide weights, the deep logit's scale) is
        multiplied by ``slope``, so the trace's parts still add up to the logit.
        """
        if not slope > 0:
            raise NeurosymError(f"the calibration slope must be positive, got {slope!r}")
        with torch.no_grad():
            self.bias.copy_(slope * self.bias + intercept)
            weights = slope * self.atom_weights()
            self.atom_raw.copy_(torch.where(weights > 20, weights, torch.log(torch.expm1(weights.clamp(min=1e-12)))))
            if self.wide is not None:
                self.wide.linear.weight.mul_(slope)
            self.deep_scale.mul_(slope)

    def parts(self, batch: dict[str, torch.Tensor], neural: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The logit and its parts: ``neural`` [B, Q], ``atoms`` p_j [B, J], ``contributions`` w_j p_j,
        ``wide`` and ``deep`` [B], ``residual`` (their sum) and ``logit``.

        ``neural`` overrides the heads' outputs (used to measure a neural fact's share).
        """
        neural = self.neural_probabilities(batch) if neural is None else neural
        b = len(neural)
        values = torch.cat([neural.new_ones((b, 1)), torch.sigmoid(self.rule_logits).expand(b, -1), neural], 1)
        atoms = self.proofs(values, batch["var"], batch["valid"], batch["const"])
        contributions = atoms * self.atom_weights()
        deep = self.deep_scale * self.residual(batch) if self.residual is not None else neural.new_zeros(b)
        wide = self.wide(batch) if self.wide is not None else neural.new_zeros(b)
        return {"neural": neural, "atoms": atoms, "contributions": contributions, "wide": wide, "deep": deep,
                "residual": wide + deep, "logit": self.bias + contributions.sum(1) + wide + deep}

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.parts(batch)["logit"]

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        neural, seen = self._neural(batch)
        loss = self.loss(self.parts(batch, neural)["logit"], batch["label"]) + self.prior_weight * self.prior_penalty(neural, seen)
        if self.anchor_weight > 0 and "anchor" in batch:
            loss = loss + self.anchor_weight * self.anchor_loss(neural, batch["anchor"])
        if self.wide is not None:
            loss = loss + self.wide.penalty(self.n_train)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["label"]))
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        wide = [p for n, p in self.named_parameters() if n.startswith("wide.")]  # its own L2 penalty (WideTerm.penalty)
        rest = [p for n, p in self.named_parameters() if not n.startswith("wide.")]
        return torch.optim.AdamW([{"params": rest}, {"params": wide, "weight_decay": 0.0}], lr=self.lr,
                                 weight_decay=self.weight_decay)

