"""ReasonerModule: neutral heads, the rule-level warm-up of untied heads, out-of-fold linear fits, folded recalibration."""

import numpy as np
import pytest
import torch

from neurosym import NeurosymError
from neurosym.evaluation import auroc
from neurosym.reasoning import ReasonerModule, neural_predicate
from neurosym.reasoning._model import stratified_folds

RISING = neural_predicate("rising_glycemic_trajectory")


def _batch(n: int = 400, seed: int = 0) -> tuple[dict[str, torch.Tensor], np.ndarray]:
    """Three HbA1c values per patient with a slope per year; one atom proved by the neural fact alone.

    The label is drawn from the slope (rising: more events), so the rule
    ``atom :- rising_glycemic_trajectory(P)`` is the only path from the label to the head.
    """
    rng = np.random.default_rng(seed)
    slope = rng.normal(0.0, 1.0, n)
    age = np.array([2.0, 1.0, 0.0])
    labs = np.zeros((n, 2, 3), dtype=np.float32)
    labs[:, 0] = 5.5 + slope[:, None] * (-age)  # lab_age in years before the landmark
    mask = np.zeros((n, 2, 3), dtype=bool)
    mask[:, 0] = True
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-(2.0 * slope - 1.0)))).astype(np.float32)
    batch = {"labs": torch.from_numpy(labs), "lab_mask": torch.from_numpy(mask),
             "lab_age": torch.from_numpy(np.broadcast_to(age, (n, 2, 3)).astype(np.float32).copy()),
             "static": torch.zeros(n, 2), "var": torch.ones(n, 1, 1, 1, dtype=torch.long),
             "valid": torch.ones(n, 1, 1, dtype=torch.bool), "const": torch.ones(n, 1, 1),
             "label": torch.from_numpy(label)}
    return batch, slope


def _module(**kw) -> ReasonerModule:
    torch.manual_seed(0)
    return ReasonerModule([RISING], list(RISING.inputs), n_rules=0, n_atoms=1, k=1, lifelog_days=7, lr=1e-2, **kw)


def test_heads_start_neutral_at_their_prior():
    batch, _ = _batch(50)
    module = _module()
    with torch.no_grad():
        assert torch.allclose(module.neural_probabilities(batch), torch.full((50, 1), RISING.prior))


def test_untied_head_learns_its_concept_in_the_right_direction_from_the_label_through_the_rule():
    batch, slope = _batch()
    module = _module()
    module.pretrain_heads(batch, torch.arange(len(slope)), epochs=30, batch_size=100, seed=0)
    with torch.no_grad():
        p = module.neural_probabilities(batch)[:, 0].numpy()
    assert auroc(slope > 0, p) > 0.9


def test_cross_validated_linear_fit_leaves_the_module_as_it_was():
    batch, _ = _batch()
    module = _module()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    losses, logits = module.cross_validate_linear(batch, (0.01, 1.0), stratified_folds(batch["label"].numpy(), 3, 0))
    assert losses.shape == (2,) and logits.shape == (2, len(batch["label"])) and np.isfinite(logits).all()
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())


def test_calibration_is_folded_into_the_parts_so_they_still_add_up():
    batch, _ = _batch(60)
    module = _module()
    module.fit_linear(batch, 1.0)
    with torch.no_grad():
        before = module.parts(batch)["logit"]
        module.calibrate(1.3, -0.2)
        parts = module.parts(batch)
    assert torch.allclose(parts["logit"], 1.3 * before - 0.2, atol=1e-5)
    assert torch.allclose(parts["logit"], module.bias + parts["contributions"].sum(1) + parts["residual"], atol=1e-6)
    with pytest.raises(NeurosymError, match="calibration slope must be positive, got 0.0"):
        module.calibrate(0.0, 0.0)
