import numpy as np
import torch

from neurosym.neural import PiecewiseLinear, RiskModule


def _module(**kwargs):
    return RiskModule(np.zeros((1, 1), dtype=np.int64), n_concepts=0, n_analytes=2, n_static=5, lifelog_days=7,
                      n_channels=4, inputs=("labs",), **kwargs)


def _batch(n=6):
    gen = torch.Generator().manual_seed(0)
    labs = torch.randn(n, 2, 4, generator=gen)
    return {"static": torch.randn(n, 5, generator=gen), "labs": labs, "lab_age": torch.rand(n, 2, 4, generator=gen),
            "lab_mask": labs > -1, "label": (torch.arange(n) % 2).float()}


def test_wide_module_reads_the_summaries_through_an_additive_term_with_its_own_penalty():
    module = _module(wide=True, wide_l2=0.5, additive_share=2.0)
    assert isinstance(module.skip, PiecewiseLinear) and module.skip.weight.shape == (5 + 32 + 2 * 8, 6)  # static, encoding (dim // 2), summaries
    with torch.no_grad():
        module.skip.weight.fill_(1.0)
    batch = _batch()
    torch.manual_seed(0)
    loss = module.training_step(batch, 0)
    torch.manual_seed(0)
    bce = module.loss(module(batch), batch["label"])
    assert torch.isclose(loss - bce, torch.tensor(0.5 * 2.0 * module.skip.weight.numel()))


def test_without_wide_the_linear_term_is_unpenalised_and_learns_at_lr():
    module = _module()
    assert isinstance(module.skip, torch.nn.Linear)
    batch = _batch()
    torch.manual_seed(0)
    loss = module.training_step(batch, 0)
    torch.manual_seed(0)
    assert torch.equal(loss, module.loss(module(batch), batch["label"]))
    groups = module.configure_optimizers().param_groups
    assert [len(g["params"]) for g in groups] == [len(list(module.parameters())), 0]
