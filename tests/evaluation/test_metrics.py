import numpy as np
import pytest

from neurosym import NeurosymError
from neurosym.evaluation import auprc, auroc, auroc_ci, brier, calibration


def test_exact_values_on_a_toy_example():
    y, p = [0, 0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8, 0.2]
    assert auroc(y, p) == pytest.approx(5 / 6)
    assert auprc(y, p) == pytest.approx((1 + 2 / 3) / 2)
    assert brier(y, p) == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04 + 0.04) / 5)


def test_bootstrap_ci_is_seeded_and_covers_the_estimate():
    rng = np.random.default_rng(1)
    y = rng.random(500) < 0.2
    p = np.clip(0.2 + 0.25 * y + rng.normal(0, 0.2, 500), 0, 1)
    a, b = auroc_ci(y, p, n_boot=300, seed=4), auroc_ci(y, p, n_boot=300, seed=4)
    assert a == b and a.low < a.auroc < a.high and a.n_boot == 300
    assert a.high - a.low == pytest.approx(2 * 1.96 * 0.021, abs=0.03)


def test_calibration_detects_overconfident_and_underestimated_risks():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.02, 0.5, 40000)
    y = rng.random(40000) < p
    logit = np.log(p / (1 - p))
    too_extreme = 1 / (1 + np.exp(-2 * logit))
    too_low = 1 / (1 + np.exp(-(logit - 0.5)))
    assert calibration(y, too_extreme).slope == pytest.approx(0.5, abs=0.05)
    assert calibration(y, too_low).intercept == pytest.approx(0.5, abs=0.05)
    assert calibration(y, p).ece < 0.01 < calibration(y, too_low).ece
    assert np.isnan(calibration(y, np.full(40000, 0.3)).slope)


def test_bad_input():
    with pytest.raises(NeurosymError, match="differ in length: 2 and 3"):
        auroc([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(NeurosymError, match="needs both classes"):
        auroc([1, 1], [0.1, 0.2])
    with pytest.raises(NeurosymError, match="probabilities in \\[0, 1\\]"):
        brier([0, 1], [0.1, 1.2])
    with pytest.raises(NeurosymError, match="labels must be 0 or 1"):
        brier([0, 2], [0.1, 0.2])
