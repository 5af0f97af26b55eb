"""The LightningModule that fuses the encoders into one risk logit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn

from neurosym.neural._encoders import LifelogEncoder, RecordEncoder, TrajectoryEncoder

__all__ = ["INPUTS", "RiskModule"]

#: Encoders a :class:`RiskModule` can fuse (static features are always used).
INPUTS = ("record", "labs", "lifelog")


class RiskModule(pl.LightningModule):
    """Static features plus the chosen encoders, concatenated, through an MLP to a logit.

    Holds the network, the loss (binary cross-entropy on logits) and the
    optimiser (AdamW); logs ``train_loss``, ``val_loss`` and ``val_auroc``.

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
                 dropout: float = 0.1, lr: float = 3e-3, weight_decay: float = 1e-4) -> None:
        super().__init__()
        self.lr, self.weight_decay = lr, weight_decay
        encoders: dict[str, nn.Module] = {}
        if "record" in inputs:
            encoders["record"] = RecordEncoder(ancestors, n_concepts, dim=dim, flat=flat, dropout=dropout)
        if "labs" in inputs:
            encoders["labs"] = TrajectoryEncoder(n_analytes, dim=dim // 2)
        if "lifelog" in inputs:
            encoders["lifelog"] = LifelogEncoder(n_channels, lifelog_days, dim=dim // 2)
        self.encoders = nn.ModuleDict(encoders)
        width = n_static + sum(e.out_dim for e in encoders.values())
        self.head = nn.Sequential(nn.Linear(width, dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(dim, 1))
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
        return self.head(torch.cat(parts, dim=-1)).squeeze(-1)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.loss(self(batch), batch["label"])
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
    """AUROC of the validation batch; 0.5 when one class is absent (nothing to rank)."""
    from sklearn.metrics import roc_auc_score

    labels = y.numpy()
    if labels.min() == labels.max():
        return torch.tensor(0.5)
    return torch.tensor(float(roc_auc_score(labels, score.double().numpy())))
