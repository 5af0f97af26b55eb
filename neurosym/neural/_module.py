"""The LightningModule that fuses the encoders into one risk logit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn

from neurosym._errors import NeurosymError
from neurosym.neural._additive import PiecewiseLinear
from neurosym.neural._encoders import LifelogEncoder, RecordEncoder, TrajectoryEncoder

__all__ = ["INPUTS", "RiskModule", "ValidationAUROC"]

#: Encoders a :class:`RiskModule` can fuse (static features are always used).
INPUTS = ("record", "labs", "lifelog")
_WIDE_LR = 10.0  # learning rate of the code/ancestor weights, relative to lr


class ValidationAUROC:
    """Validation of a LightningModule whose ``forward`` returns logits: ``val_loss`` and ``val_auroc`` per epoch.

    The metrics are computed over the whole validation set at the end of the
    epoch (an AUROC of batches would not be one), with the module's ``loss``.
    Mix it in before ``pl.LightningModule``; the module sets ``self._val = []``.
    """

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


class RiskModule(ValidationAUROC, pl.LightningModule):
    """Static features plus the chosen encoders, concatenated, through a wide-and-deep head to a logit.

    The logit is an MLP of the concatenation plus a linear term of it (with
    ``wide``, a :class:`PiecewiseLinear` additive term instead), plus
    (with the record encoder) :meth:`RecordEncoder.linear`, a logistic
    regression on code and ancestor indicators whose weights carry an L2
    penalty ``wide_l2`` and learn at ``10 * lr``.  Holds the network, the
    loss (binary cross-entropy on logits) and the optimiser (AdamW); logs
    ``train_loss``, ``val_loss`` and ``val_auroc``.

    Parameters
    ----------
    ancestors : numpy.ndarray
        Code -> concept rows (:func:`ancestor_table`).
    n_concepts, n_analytes, n_static, lifelog_days, n_channels : int
    inputs : sequence of str
        Subset of :data:`INPUTS`.
    flat : bool
        Flat code embeddings (ablation of the ontology).
    dim, dropout, lr, weight_decay
        Width, dropout, learning rate and weight decay.
    wide_l2 : float, default 0.0
        Added to the mean training loss times the sum of squared code and
        ancestor weights (``1 / (2 C n)`` of a scikit-learn logistic regression on ``n`` patients).
    wide : bool, default False
        Wide-and-deep over the engineered features too: the lab and lifelog
        encoders also pass on their normalised summaries, the linear term
        becomes a :class:`PiecewiseLinear` additive term over the static
        features and those summaries (not the encoders' learned outputs),
        and the head's last layer starts at 0, so the module starts as its
        wide part (additive term plus code weights).  :meth:`fit_wide` fits
        that part alone; in the ``"deep"`` :attr:`stage` it stays frozen
        (eval mode, out of the optimiser) while the rest learns the residual.
    gru_steps : int, optional
        Lab values per analyte the trajectory GRU reads (default: all).
    additive_share : float, default 1.0
        L2 penalty of the additive term's weights, as a multiple of ``wide_l2``.

    Attributes
    ----------
    stage : str
        ``"joint"`` (default: training updates every weight) or ``"deep"``
        (training leaves the wide part as :meth:`fit_wide` left it).

    Examples
    --------
    >>> import numpy as np
    >>> m = RiskModule(np.zeros((1, 1), dtype=np.int64), n_concepts=0, n_analytes=1, n_static=5, lifelog_days=7,
    ...                n_channels=4, inputs=("labs",))
    >>> sorted(m.encoders)
    ['labs']
    """

    def __init__(self, ancestors: np.ndarray, *, n_concepts: int, n_analytes: int, n_static: int, lifelog_days: int,
                 n_channels: int, inputs: Sequence[str] = INPUTS, flat: bool = False, dim: int = 64,
                 dropout: float = 0.1, lr: float = 3e-3, weight_decay: float = 1e-4, wide_l2: float = 0.0,
                 wide: bool = False, gru_steps: int | None = None, additive_share: float = 1.0) -> None:
        super().__init__()
        self.lr, self.weight_decay, self.wide_l2, self.additive_share = lr, weight_decay, wide_l2, additive_share
        encoders: dict[str, nn.Module] = {}
        if "record" in inputs:
            encoders["record"] = RecordEncoder(ancestors, n_concepts, dim=dim, flat=flat, dropout=dropout)
        if "labs" in inputs:
            encoders["labs"] = TrajectoryEncoder(n_analytes, dim=dim // 2, gru_steps=gru_steps, wide=wide)
        if "lifelog" in inputs:
            encoders["lifelog"] = LifelogEncoder(n_channels, lifelog_days, dim=dim // 2, wide=wide)
        self.encoders = nn.ModuleDict(encoders)
        width = n_static + sum(e.out_dim for e in encoders.values())
        self.head = nn.Sequential(nn.Linear(width, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, 1))
        # with wide, the additive term reads the engineered columns of the concatenation only: static, summaries
        engineered, start = [torch.arange(n_static)], n_static
        for encoder in encoders.values():
            start += encoder.out_dim
            engineered.append(torch.arange(start - encoder.summary_dim, start))
        self.register_buffer("engineered", torch.cat(engineered), persistent=False)
        self.skip = PiecewiseLinear(len(self.engineered)) if wide else nn.Linear(width, 1)
        self.stage = "joint"
        if wide:  # the deep part starts silent: the model starts as its additive (wide) part
            nn.init.zeros_(self.head[-1].weight)
            nn.init.zeros_(self.head[-1].bias)
        self.loss = nn.BCEWithLogitsLoss()
        self._val: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = [batch["static"]]
        if "record" in self.encoders:
            parts.append(self.encoders["record"](batch["codes"], batch["code_age"], batch["code_count"]))
        if "labs" in self.encoders:
            parts.append(self.encoders["labs"](batch["labs"], batch["lab_age"], batch["lab_mask"]))
        if "lifelog" in self.encoders:
            parts.append(self.encoders["lifelog"](batch["daily"], batch["daily_mask"], batch["wear"],
                                                  batch["wear_known"], batch["landmark_day"]))
        z = torch.cat(parts, dim=-1)
        logit = self.head(z).squeeze(-1) + self.skip(z[:, self.engineered] if self.wide else z).view(-1)
        if "record" in self.encoders:
            logit = logit + self.encoders["record"].linear(batch["codes"])
        return logit

    def _engineered(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """What the additive term reads, without the deep encoders: static features and normalised summaries."""
        parts = [batch["static"]]
        if "labs" in self.encoders:
            parts.append(self.encoders["labs"].summary(batch["labs"], batch["lab_age"], batch["lab_mask"]))
        if "lifelog" in self.encoders:
            parts.append(self.encoders["lifelog"].summary(batch["daily"], batch["daily_mask"], batch["wear"],
                                                          batch["wear_known"], batch["landmark_day"]))
        return torch.cat(parts, -1)

    def fit_wide(self, batch: dict[str, torch.Tensor], max_iter: int = 200) -> float:
        """Fit the wide part alone to ``batch["label"]`` by full-batch L-BFGS; returns the penalised loss.

        The wide part is the additive term over static features and
        summaries and the code and ancestor weights (the deep part starts
        silent, so the model then is the wide part alone).  The batch norms
        in front of the additive term take the statistics of the whole batch.
        The loss is the training loss: mean cross-entropy plus the ``wide_l2`` penalty.
        """
        if not self.wide:
            raise NeurosymError("fit_wide needs a RiskModule with wide=True")
        norms = [self.skip.norm] + [e.norm for e in self.encoders.values() if e.summary_dim]
        momenta = [bn.momentum for bn in norms]
        for bn in norms:  # a cumulative average over one batch: the statistics of the whole batch
            bn.reset_running_stats()
            bn.momentum = None
        self.train()
        with torch.no_grad():
            self.skip(self._engineered(batch))
        for bn, momentum in zip(norms, momenta):
            bn.momentum = momentum
        self.eval()
        with torch.no_grad():
            engineered = self._engineered(batch)
        params = [self.skip.weight, self.skip.bias] + ([self.encoders["record"].wide.weight]
                                                       if "record" in self.encoders else [])
        optimiser = torch.optim.LBFGS(params, lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

        def objective() -> torch.Tensor:
            logit = self.skip(engineered).view(-1)
            if "record" in self.encoders:
                logit = logit + self.encoders["record"].linear(batch["codes"])
            return self.loss(logit, batch["label"]) + self.wide_l2 * sum(share * p.pow(2).sum()
                                                                         for p, share in self._wide())

        def closure() -> torch.Tensor:
            optimiser.zero_grad()
            loss = objective()
            loss.backward()
            return loss

        optimiser.step(closure)
        with torch.no_grad():
            return float(objective())

    @property
    def wide(self) -> bool:
        """Whether the additive term reads the engineered features (a :class:`PiecewiseLinear`)."""
        return isinstance(self.skip, PiecewiseLinear)

    def _wide_modules(self) -> list[nn.Module]:
        """The wide part (frozen in the ``"deep"`` stage): additive term, code weights, the summaries' batch norms."""
        found = [self.skip] + [e.norm for e in self.encoders.values() if e.summary_dim]
        return found + ([self.encoders["record"].wide] if "record" in self.encoders else [])

    def train(self, mode: bool = True) -> "RiskModule":
        """As :meth:`nn.Module.train`, but in the ``"deep"`` stage the wide part stays frozen in eval mode."""
        super().train(mode)
        if self.stage == "deep":
            for module in self._wide_modules():
                module.eval()
        return self

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.loss(self(batch), batch["label"])
        if self.wide_l2 and self.stage != "deep":
            loss = loss + self.wide_l2 * sum(share * p.pow(2).sum() for p, share in self._wide())
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["label"]))
        return loss

    def _wide(self) -> list[tuple[torch.Tensor, float]]:
        """The convex wide weights, each with its share of the ``wide_l2`` penalty: codes/ancestors, additive term."""
        found = [(self.encoders["record"].wide.weight, 1.0)] if "record" in self.encoders else []
        return found + ([(self.skip.weight, self.additive_share)] if isinstance(self.skip, PiecewiseLinear) else [])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        keep = {id(p) for p in self.parameters()}
        if self.stage == "deep":
            keep -= {id(p) for m in self._wide_modules() for p in m.parameters()}
        # the convex wide part converges in a few epochs, before the embeddings overfit
        wide = {id(self.encoders["record"].wide.weight)} if "record" in self.encoders else set()
        deep = [p for p in self.parameters() if id(p) not in wide and id(p) in keep]
        wide = [p for p in self.parameters() if id(p) in wide and id(p) in keep]
        return torch.optim.AdamW([{"params": deep}, {"params": wide, "lr": _WIDE_LR * self.lr, "weight_decay": 0.0}],
                                 lr=self.lr, weight_decay=self.weight_decay)


def _auroc(score: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """AUROC of the validation batch; 0.5 when one class is absent (nothing to rank)."""
    from sklearn.metrics import roc_auc_score

    labels = y.numpy()
    if labels.min() == labels.max():
        return torch.tensor(0.5)
    return torch.tensor(float(roc_auc_score(labels, score.double().numpy())))
