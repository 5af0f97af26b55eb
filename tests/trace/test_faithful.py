"""check_faithful: contributions, bias and residual add up to the logit; the risk is its sigmoid."""

import math

import pytest

from neurosym.trace import FactLeaf, Prediction, TraceError, check_faithful
from sample_traces import faithful_prediction


def test_a_faithful_prediction_passes_with_its_gap():
    assert check_faithful(faithful_prediction()) == pytest.approx(0.0, abs=1e-15)


def test_without_residual_or_bias_the_contributions_are_the_logit():
    p = Prediction("t2d", 1 / (1 + math.exp(-1.5)), logit=1.5, children=[FactLeaf("a(p)", "a", contribution=1.5)])
    assert check_faithful(p) == 0.0
    p = Prediction("t2d", math.exp(-800.0), logit=-800.0, children=[FactLeaf("a(p)", "a", contribution=-800.0)])
    assert check_faithful(p) == 0.0


@pytest.mark.parametrize("mutate, message", [
    (lambda p: setattr(p, "residual", 0.3), r"logit -0.8 != bias -2 \+ residual 0.3 \+ contributions 1.1 = -0.6 \(gap 0.2\)"),
    (lambda p: setattr(p.children[1], "contribution", None), r"no contribution on low_activity_pattern\(p1\)"),
    (lambda p: setattr(p, "logit", None), "prediction of type 2 diabetes has no logit"),
    (lambda p: setattr(p, "risk", 0.5), r"risk 0.5 != sigmoid\(logit -0.8\) = 0.310026"),
    (lambda p: setattr(p.children[0], "contribution", 0.8 + 2e-6), r"gap 2e-06"),
])
def test_unfaithful_predictions_raise(mutate, message):
    p = faithful_prediction()
    mutate(p)
    with pytest.raises(TraceError, match=message):
        check_faithful(p)


def test_tolerance_is_a_parameter():
    p = faithful_prediction()
    p.children[0].contribution += 2e-6
    assert check_faithful(p, tol=1e-5) == pytest.approx(2e-6)
