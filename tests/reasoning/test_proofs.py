"""Differentiable top-k proofs: exact inclusion-exclusion, re-selection by current probability, gradients."""

import itertools

import pytest
import torch

from neurosym.logic import TopKProofs as SymbolicTopK
from neurosym.reasoning import TopKProofs


def _reference(proofs: list[set[int]], values: list[float], k: int) -> float:
    """The logic package's exact combination of the k most probable proofs."""
    probs = {i: values[i] for i in range(len(values))}
    scored = []
    for proof in proofs:
        p = 1.0
        for v in proof:
            p *= values[v]
        scored.append((frozenset(proof), p))
    return SymbolicTopK(k=k, method="exact").combine(scored, probs)


def _tensors(proofs: list[set[int]], width: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    var = torch.zeros(1, 1, len(proofs), width, dtype=torch.long)
    for c, proof in enumerate(proofs):
        var[0, 0, c, : len(proof)] = torch.tensor(sorted(proof))
    return var, torch.ones(1, 1, len(proofs), dtype=torch.bool), torch.ones(1, 1, len(proofs))


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_matches_exact_inclusion_exclusion_of_the_k_best_proofs(k):
    gen = torch.Generator().manual_seed(k)
    values = [1.0, *torch.rand(6, generator=gen, dtype=torch.float64).mul(0.9).add(0.05).tolist()]
    proofs = [{1, 2}, {1, 3}, {2, 3, 4}, {5}, {4, 6}, {2, 6}]
    var, valid, const = _tensors(proofs, 3)
    got = TopKProofs(k)(torch.tensor([values], dtype=torch.float64), var, valid, const.double()).item()
    assert got == pytest.approx(_reference(proofs, values, k), abs=1e-12)


def test_absent_proofs_and_tuples_count_zero():
    var = torch.tensor([[[[1], [0]], [[0], [0]]]])
    valid = torch.tensor([[[True, False], [False, False]]])
    out = TopKProofs(2)(torch.tensor([[1.0, 0.3]]), var, valid, torch.ones(1, 2, 2))
    assert out.tolist() == [[pytest.approx(0.3), 0.0]]


def test_constant_factors_multiply_each_proof():
    var = torch.tensor([[[[1], [1]]]])
    out = TopKProofs(2)(torch.tensor([[1.0, 0.5]]), var, torch.ones(1, 1, 2, dtype=torch.bool), torch.tensor([[[0.5, 0.5]]]))
    # both proofs share the variable (0.5): 0.5 * (0.5 + 0.5 - 0.25) with the constants as independent factors
    assert out.item() == pytest.approx(0.375)


def test_gradient_reaches_every_variable_of_a_kept_proof():
    values = torch.tensor([[1.0, 0.6, 0.7, 0.2]], requires_grad=True)
    var = torch.tensor([[[[1, 2], [3, 0]]]])
    TopKProofs(2)(values, var, torch.ones(1, 1, 2, dtype=torch.bool), torch.ones(1, 1, 2)).sum().backward()
    assert (values.grad[0, 1:] > 0).all()


def test_reselects_the_most_probable_candidates():
    values = torch.tensor([[1.0, 0.1, 0.9, 0.8]])
    var = torch.tensor([[[[1], [2], [3]]]])
    out = TopKProofs(1)(values, var, torch.ones(1, 1, 3, dtype=torch.bool), torch.ones(1, 1, 3))
    assert out.item() == pytest.approx(0.9)
    both = TopKProofs(2)(values, var, torch.ones(1, 1, 3, dtype=torch.bool), torch.ones(1, 1, 3))
    assert both.item() == pytest.approx(1 - 0.1 * 0.2)


def test_fewer_candidates_than_k_are_padded():
    out = TopKProofs(4)(torch.tensor([[1.0, 0.5]]), torch.tensor([[[[1]]]]), torch.ones(1, 1, 1, dtype=torch.bool),
                        torch.ones(1, 1, 1))
    assert out.item() == pytest.approx(0.5)


def test_k_out_of_range():
    with pytest.raises(ValueError, match="k must be between 1 and 4, got 5"):
        TopKProofs(5)


def test_subsets_cover_every_nonempty_combination():
    module = TopKProofs(3)
    rows = {tuple(int(x) for x in row) for row in module.subsets.tolist()}
    assert rows == {tuple(int(i in s) for i in range(3)) for n in (1, 2, 3) for s in itertools.combinations(range(3), n)}
