import numpy as np
import pytest
import torch

from neurosym import NeurosymError

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
    assert isinstance(module.skip, PiecewiseLinear) and module.skip.weight.shape == (5 + 2 * 8, 6)  # static, summaries
    assert module.engineered.tolist() == list(range(5)) + list(range(5 + 32, 5 + 32 + 16))  # not the encoding
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


def test_fit_wide_fits_the_additive_part_alone_then_the_deep_stage_keeps_it_frozen():
    module = _module(wide=True, wide_l2=0.01)
    batch = _batch(40)
    batch["label"] = (batch["static"][:, 0] > 0).float()  # an additive signal
    assert module.head[-1].weight.abs().sum().item() == 0.0  # the deep part starts silent
    before = module.loss(module.eval()(batch), batch["label"]).item()
    loss = module.fit_wide(batch)
    assert loss < before - 0.15 and module.skip.weight.abs().sum().item() > 0
    assert torch.allclose(module.skip.norm.running_mean, module._engineered(batch).mean(0), atol=1e-5)
    with torch.no_grad():
        penalty = 0.01 * module.skip.weight.pow(2).sum()
        assert abs(module.loss(module(batch), batch["label"]).item() + penalty.item() - loss) < 1e-4
    module.stage = "deep"
    trained = {id(p) for g in module.configure_optimizers().param_groups for p in g["params"]}
    assert trained.isdisjoint(id(p) for p in module.skip.parameters()) and id(module.head[-1].weight) in trained
    module.train()
    assert module.head.training and not module.skip.training and not module.encoders["labs"].norm.training
    with pytest.raises(NeurosymError, match="fit_wide needs a RiskModule with wide=True"):
        _module().fit_wide(batch)
