"""Differentiable top-k proofs in torch, in the spirit of Scallop's ``difftopkproofs``.

A tuple's candidate proofs (:class:`~neurosym.reasoning.CompiledProofs`)
each name a few *variables* (rule weights, the patient's neural facts) and a
constant factor.  In the forward pass a proof's probability is the product of
its variables' current probabilities and its constant; the ``k`` most
probable candidates are kept, and the tuple's probability is the exact
probability of their disjunction by inclusion–exclusion over the ``2^k - 1``
non-empty subsets, where a variable shared by several proofs of a subset is
counted once.  Everything is batched tensor algebra: no loop over patients,
tuples or proofs.

Examples
--------
Two proofs sharing a rule weight of 0.5, with neural facts 0.5 and 0.5:
``P = 0.5 * (1 - (1 - 0.5) * (1 - 0.5)) = 0.375``.

>>> values = torch.tensor([[1.0, 0.5, 0.5, 0.5]])       # slot 0 is the constant 1
>>> var = torch.tensor([[[[1, 2], [1, 3]]]])              # [N, J, C, L]: proof 1 = {w, a}, proof 2 = {w, b}
>>> valid, const = torch.ones(1, 1, 2, dtype=torch.bool), torch.ones(1, 1, 2)
>>> round(TopKProofs(k=2)(values, var, valid, const).item(), 4)
0.375
"""

from __future__ import annotations

from itertools import combinations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["TopKProofs"]

_TINY = 1e-12


class TopKProofs(nn.Module):
    """Probability of each tuple from its ``k`` best candidate proofs (exact inclusion–exclusion).

    Parameters
    ----------
    k : int
        Proofs kept per tuple (at most 4: 15 subsets).
    """

    def __init__(self, k: int) -> None:
        super().__init__()
        if not 1 <= k <= 4:
            raise ValueError(f"k must be between 1 and 4, got {k}")
        self.k = k
        subsets = [s for size in range(1, k + 1) for s in combinations(range(k), size)]
        member = torch.zeros(len(subsets), k)
        for i, s in enumerate(subsets):
            member[i, list(s)] = 1.0
        self.register_buffer("subsets", member)
        self.register_buffer("sign", torch.tensor([1.0 if len(s) % 2 else -1.0 for s in subsets]))

    def proof_probabilities(self, values: torch.Tensor, var: torch.Tensor, const: torch.Tensor) -> torch.Tensor:
        """``[N, J, C]``: each candidate proof's probability under ``values`` (``[N, V]``)."""
        n, j, c, l = var.shape
        slot = values.gather(1, var.reshape(n, -1)).reshape(n, j, c, l)
        return slot.prod(-1) * const

    def forward(self, values: torch.Tensor, var: torch.Tensor, valid: torch.Tensor, const: torch.Tensor) -> torch.Tensor:
        """``[N, J]`` tuple probabilities (0 where a tuple has no proof).

        Parameters
        ----------
        values : torch.Tensor
            ``[N, V]`` probability of each variable per patient (column 0 is 1).
        var, valid, const : torch.Tensor
            ``[N, J, C, L]``, ``[N, J, C]``, ``[N, J, C]`` from :func:`compile_proofs`.
        """
        if var.shape[2] < self.k:  # fewer candidates than k: pad with absent proofs
            pad = self.k - var.shape[2]
            var, valid, const = F.pad(var, (0, 0, 0, pad)), F.pad(valid, (0, pad)), F.pad(const, (0, pad))
        n, j, c, l = var.shape
        k = self.k
        subsets, sign = self.subsets.to(values.dtype), self.sign.to(values.dtype)
        score = torch.where(valid, self.proof_probabilities(values, var, const), torch.full_like(const, -1.0))
        best = score.topk(k, dim=-1).indices
        sel_var = var.gather(2, best.unsqueeze(-1).expand(n, j, k, l))
        sel_valid = valid.gather(2, best).to(values.dtype)
        sel_const = const.gather(2, best)
        present = F.one_hot(sel_var, values.shape[1]).amax(3).to(values.dtype)  # [N, J, k, V]
        present[..., 0] = 0.0
        union = torch.einsum("sk,njkv->njsv", subsets, present).clamp(max=1.0)
        log_p = torch.einsum("njsv,nv->njs", union, values.clamp(min=_TINY).log())
        log_p = log_p + torch.einsum("sk,njk->njs", subsets, sel_const.clamp(min=_TINY).log())
        usable = torch.einsum("sk,njk->njs", subsets, 1.0 - sel_valid) == 0
        return (sign * usable.to(values.dtype) * log_p.exp()).sum(-1)
