"""Encoders as plain ``nn.Module``\\ s: coded records (GRAM-style), lab trajectories, daily lifelog."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from neurosym.neural._features import code_ancestors
from neurosym.neural._summaries import SERIES_SUMMARIES, lifelog_summary, masked_mean, series_summary
from neurosym.ontology import Ontology

__all__ = ["LifelogEncoder", "RecordEncoder", "TrajectoryEncoder", "ancestor_table"]


def ancestor_table(vocabulary: Sequence[str], ontologies: Sequence[Ontology], max_ancestors: int = 8
                   ) -> tuple[list[str], np.ndarray]:
    """Concepts and, per code, its own concept followed by its nearest ancestors in ``ontologies``.

    Ancestors come in the order of :func:`code_ancestors` (the code's own
    classification first: category, block, chapter), so the table keeps the
    code's own hierarchy when it cuts at ``max_ancestors``.

    Parameters
    ----------
    vocabulary : sequence of str
        ``system:code`` tokens; row ``i + 1`` of the table is token ``i``
        (row 0 is padding).
    ontologies : sequence of Ontology
    max_ancestors : int, default 8
        Columns of the table: the code itself and up to ``max_ancestors - 1`` ancestors.

    Returns
    -------
    concepts : list of str
        Concept ``j`` has embedding row ``j + 1``.
    table : numpy.ndarray
        int64 ``[len(vocabulary) + 1, max_ancestors]`` embedding rows (0 = none).

    Examples
    --------
    >>> onto = Ontology([("icd10cm:E66.01", "icd10cm:E66.0"), ("icd10cm:E66.0", "icd10cm:E66")])
    >>> concepts, table = ancestor_table(["icd10cm:E66.01", "rxnorm:6809"], [onto], max_ancestors=3)
    >>> concepts, table.tolist()
    (['icd10cm:E66.01', 'icd10cm:E66.0', 'icd10cm:E66', 'rxnorm:6809'], [[0, 0, 0], [1, 2, 3], [4, 0, 0]])
    """
    index: dict[str, int] = {}
    table = np.zeros((len(vocabulary) + 1, max_ancestors), dtype=np.int64)
    for i, token in enumerate(vocabulary):
        chain = [token, *code_ancestors(token, ontologies)]
        for j, concept in enumerate(chain):
            if j == max_ancestors:
                break
            table[i + 1, j] = index.setdefault(concept, len(index) + 1)
    return list(index), table


def _empty_lifelog(n_channels: int) -> tuple[torch.Tensor, ...]:
    """A one-patient, one-week lifelog with nothing recorded (to size layers by :func:`lifelog_summary`)."""
    x = torch.zeros(1, 7, n_channels)
    return x, x > 0, x[..., 0], x[..., 0] > 0, torch.zeros(1, dtype=torch.long)


def _masked_softmax(score: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = torch.softmax(score.masked_fill(~mask, float("-inf")), dim=-1)
    return torch.nan_to_num(weights, nan=0.0)


class RecordEncoder(nn.Module):
    """Coded events -> a patient vector, with ontology-aware code embeddings in the style of GRAM.

    A code's embedding is its own embedding plus an attention-weighted mean
    of its ancestors' embeddings (after Choi et al., KDD 2017).  Embeddings
    start small, so a rare leaf code starts as (and, seen in few patients,
    stays close to) the mix of its parent concepts, which every code below
    them trains; ``flat=True`` uses the code's own embedding only (the
    ablation).  Each code of a patient adds its recency and count;
    attention, mean and max pooling give the patient vector.  Next to the
    embeddings, :meth:`linear` scores a patient by one weight per code and,
    unless flat, per ancestor: the wide part of a wide-and-deep model.

    Parameters
    ----------
    ancestors : numpy.ndarray or torch.Tensor
        ``[n_codes + 1, n_ancestors]`` concept rows from :func:`ancestor_table`.
    n_concepts : int
    dim : int, default 64
    flat : bool, default False
    dropout : float, default 0.1

    Examples
    --------
    >>> import torch
    >>> enc = RecordEncoder(torch.tensor([[0, 0], [1, 3], [2, 3]]), n_concepts=3, dim=8)
    >>> enc(torch.tensor([[1, 2, 0]]), torch.zeros(1, 3), torch.zeros(1, 3)).shape
    torch.Size([1, 8])
    >>> _ = enc.wide.weight.data.copy_(torch.tensor([[0.0], [1.0], [2.0], [10.0]]))
    >>> enc.linear(torch.tensor([[1, 2, 0]])).tolist()  # (1 + 10) + (2 + 10): both codes share ancestor 3
    [23.0]
    """

    def __init__(self, ancestors: np.ndarray | torch.Tensor, n_concepts: int, dim: int = 64, flat: bool = False,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.flat = flat
        self.out_dim, self.summary_dim = dim, 0
        self.register_buffer("ancestors", torch.as_tensor(np.asarray(ancestors), dtype=torch.long))
        self.embed = nn.Embedding(n_concepts + 1, dim, padding_idx=0)
        nn.init.normal_(self.embed.weight, std=0.1)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        self.attend = nn.Sequential(nn.Linear(2 * dim, dim), nn.Tanh(), nn.Linear(dim, 1))
        self.when = nn.Linear(2, dim)
        self.pool = nn.Linear(dim, 1)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Sequential(nn.Linear(3 * dim, dim), nn.ReLU())
        self.wide = nn.Embedding(n_concepts + 1, 1, padding_idx=0)
        nn.init.zeros_(self.wide.weight)

    def code_embeddings(self) -> torch.Tensor:
        """``[n_codes + 1, dim]``: the embedding of every code (own plus attended ancestors unless flat)."""
        e = self.embed(self.ancestors)
        own = e[:, 0]
        if self.flat:
            return own
        parents = e[:, 1:]
        score = self.attend(torch.cat([own.unsqueeze(1).expand_as(parents), parents], dim=-1)).squeeze(-1)
        weights = _masked_softmax(score, self.ancestors[:, 1:] > 0)
        return own + (weights.unsqueeze(-1) * parents).sum(1)

    def forward(self, codes: torch.Tensor, code_age: torch.Tensor, code_count: torch.Tensor) -> torch.Tensor:
        mask = codes > 0
        h = self.drop(self.code_embeddings()[codes]) + self.when(torch.stack([code_age / 8.0, code_count], -1))
        weights = _masked_softmax(self.pool(torch.tanh(h)).squeeze(-1), mask)
        attended = (weights.unsqueeze(-1) * h).sum(1)
        peak = h.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1).values
        peak = torch.where(mask.any(1, keepdim=True), peak, torch.zeros_like(peak))
        mean = masked_mean(h, mask.unsqueeze(-1), 1)
        return self.out(torch.cat([attended, mean, peak], dim=-1))

    def linear(self, codes: torch.Tensor) -> torch.Tensor:
        """``[B]``: sum over a patient's codes of the code's weight plus, unless flat, its ancestors' weights.

        A logistic regression on code and ancestor counts: a rare leaf code
        scores as its parents do, which all their codes train.  The weights
        start at 0.
        """
        rows = self.ancestors[:, :1] if self.flat else self.ancestors
        return self.wide(rows).sum((1, 2))[codes].sum(1)


class TrajectoryEncoder(nn.Module):
    """Irregular lab series -> a patient vector, from values and time gaps.

    Each analyte's last ``T`` values (right-aligned, with their times before
    the landmark and the gaps between them) run through a shared GRU tagged
    with an analyte embedding; the masked :func:`series_summary` of each
    analyte (last value, mean, least-squares slope over the real time gaps,
    spread, successive difference, last minus first, share observed, time
    since the last value), batch-normalised, join the GRU state.  Missing
    values are masked, never imputed.  The summaries read all ``T`` values;
    the GRU only the last ``gru_steps`` (its cost grows with the steps).

    Parameters
    ----------
    n_analytes : int
    dim : int, default 32
    hidden : int, default 16
    gru_steps : int, optional
        Values per analyte the GRU reads (default: all).
    wide : bool, default False
        Also return the normalised summaries (``out_dim`` grows by ``8 n_analytes``),
        so a head can read them directly: the wide part of a wide-and-deep model.

    Examples
    --------
    >>> import torch
    >>> enc = TrajectoryEncoder(n_analytes=2, dim=8)
    >>> x = torch.zeros(3, 2, 4); enc(x, x, x > 0).shape
    torch.Size([3, 8])
    """

    def __init__(self, n_analytes: int, dim: int = 32, hidden: int = 16, gru_steps: int | None = None,
                 wide: bool = False) -> None:
        super().__init__()
        k = len(SERIES_SUMMARIES)
        self.gru_steps, self.wide = gru_steps, wide
        self.summary_dim = n_analytes * k if wide else 0
        self.out_dim = dim + self.summary_dim
        self.analyte = nn.Parameter(torch.randn(n_analytes, 4) * 0.1)
        self.gru = nn.GRU(8, hidden, batch_first=True)
        self.norm = nn.BatchNorm1d(n_analytes * k)
        self.out = nn.Sequential(nn.Linear(n_analytes * (hidden + k), dim), nn.ReLU())

    def summary(self, labs: torch.Tensor, lab_age: torch.Tensor, lab_mask: torch.Tensor) -> torch.Tensor:
        """``[B, 8 n_analytes]``: the batch-normalised :func:`series_summary` of every analyte (no GRU)."""
        return self.norm(series_summary(labs, -lab_age, lab_mask).flatten(1))

    def forward(self, labs: torch.Tensor, lab_age: torch.Tensor, lab_mask: torch.Tensor) -> torch.Tensor:
        summary = self.summary(labs, lab_age, lab_mask)
        if self.gru_steps is not None:
            labs, lab_age, lab_mask = (x[..., -self.gru_steps:] for x in (labs, lab_age, lab_mask))
        b, a, t = labs.shape
        m = lab_mask.to(labs.dtype)
        gap = torch.cat([torch.zeros_like(lab_age[..., :1]), lab_age[..., :-1] - lab_age[..., 1:]], -1)
        gap = gap * m * torch.cat([torch.zeros_like(m[..., :1]), m[..., :-1]], -1)
        steps = torch.stack([labs * m, lab_age * m, gap, m], -1)
        tag = self.analyte.view(1, a, 1, 4).expand(b, a, t, 4)
        _, state = self.gru(torch.cat([steps, tag], -1).reshape(b * a, t, 8))
        out = self.out(torch.cat([state[-1].reshape(b, -1), summary], -1))
        return torch.cat([out, summary], -1) if self.wide else out


class LifelogEncoder(nn.Module):
    """Daily wearable signals -> a patient vector; unworn and missing days are masked, never zero.

    Values only count where ``daily_mask`` holds (recorded on a worn day):
    weekly means divide by the observed days, and per channel the encoder
    reads level, trend, day-to-day variability, weekend-minus-weekday
    difference and coverage, plus wear statistics; a small temporal
    convolution runs over the weekly means and their coverage.  A patient
    without a wearable gives all-zero coverage, which the model can tell
    apart from low activity.

    Parameters
    ----------
    n_channels : int
    days : int
        Length of the daily tensors (a multiple of 7 is used from the end).
    dim : int, default 32
    hidden : int, default 16
    wide : bool, default False
        Also return the normalised :func:`lifelog_summary` (``out_dim`` grows by its width).

    Examples
    --------
    >>> import torch
    >>> enc = LifelogEncoder(n_channels=4, days=28, dim=8)
    >>> x = torch.zeros(2, 28, 4)
    >>> enc(x, x > 0, torch.zeros(2, 28), torch.zeros(2, 28, dtype=torch.bool), torch.tensor([19000, 19001])).shape
    torch.Size([2, 8])
    """

    def __init__(self, n_channels: int, days: int, dim: int = 32, hidden: int = 16, wide: bool = False) -> None:
        super().__init__()
        width = lifelog_summary(*_empty_lifelog(n_channels)).shape[-1]
        self.wide = wide
        self.summary_dim = width if wide else 0
        self.out_dim = dim + self.summary_dim
        self.weeks = days // 7
        self.conv = nn.Sequential(nn.Conv1d(2 * n_channels + 2, hidden, 3, padding=1), nn.ReLU(),
                                  nn.Conv1d(hidden, hidden, 3, padding=1), nn.ReLU())
        self.norm = nn.BatchNorm1d(width)
        self.out = nn.Sequential(nn.Linear(hidden + width, dim), nn.ReLU())

    def summary(self, daily: torch.Tensor, daily_mask: torch.Tensor, wear: torch.Tensor, wear_known: torch.Tensor,
                landmark_day: torch.Tensor) -> torch.Tensor:
        """The batch-normalised :func:`lifelog_summary` of the whole weeks (no convolution)."""
        d = daily.shape[1] - 7 * self.weeks
        return self.norm(lifelog_summary(daily[:, d:], daily_mask[:, d:], wear[:, d:], wear_known[:, d:], landmark_day))

    def forward(self, daily: torch.Tensor, daily_mask: torch.Tensor, wear: torch.Tensor, wear_known: torch.Tensor,
                landmark_day: torch.Tensor) -> torch.Tensor:
        b, d, c = daily.shape
        w = self.weeks
        summary = self.summary(daily, daily_mask, wear, wear_known, landmark_day)
        x, m = daily[:, d - 7 * w:], daily_mask[:, d - 7 * w:]
        wear, known = wear[:, d - 7 * w:], wear_known[:, d - 7 * w:]
        weekly_m = m.view(b, w, 7, c).to(daily.dtype)
        weekly = (x.view(b, w, 7, c) * weekly_m).sum(2) / weekly_m.sum(2).clamp(min=1.0)
        coverage = weekly_m.mean(2)
        wear_w = wear.view(b, w, 7).mean(2, keepdim=True)
        known_w = known.to(daily.dtype).view(b, w, 7).mean(2, keepdim=True)
        seq = torch.cat([weekly, coverage, wear_w, known_w], -1).transpose(1, 2)  # [B, 2C + 2, W]
        valid = (coverage.sum(-1) > 0).to(daily.dtype)
        pooled = (self.conv(seq) * valid.unsqueeze(1)).sum(-1) / valid.sum(-1, keepdim=True).clamp(min=1.0)
        out = self.out(torch.cat([pooled, summary], -1))
        return torch.cat([out, summary], -1) if self.wide else out
