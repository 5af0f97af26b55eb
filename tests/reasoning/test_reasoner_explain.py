"""Traces of NeuroSymbolicModel predictions: faithful contributions, leaves down to records, neural leaves."""

import math
import re

import numpy as np
import pytest

from neurosym import InputError, UnknownIdError
from neurosym.export import to_text
from neurosym.reasoning._explain import calibration_context
from neurosym.trace import FactLeaf, NeuralLeaf, Prediction, RuleApplication, check_faithful, to_dict, validate

from tests.reasoning.conftest import EARLY


@pytest.fixture(scope="module")
def riskiest(model, cohort, labels):
    risk = model.predict_proba(cohort, labels).sort_values(["risk", "patient_id"])
    return risk.iloc[-1]


@pytest.fixture(scope="module")
def trace(model, cohort, riskiest):
    return model.explain(cohort, riskiest["patient_id"], EARLY, why_not=[f'at_risk_t2d("{riskiest["patient_id"]}")'])


def test_contributions_add_up_to_the_logit_and_the_risk_matches_predict_proba(trace, riskiest, model):
    assert isinstance(trace, Prediction)
    assert check_faithful(trace) <= 1e-9
    assert trace.risk == pytest.approx(riskiest["risk"], abs=1e-6)
    assert trace.logit == pytest.approx(math.fsum([trace.bias, trace.residual] + [c.contribution for c in trace.children]))
    assert trace.model_version == model.model_version_ and trace.landmark.isoformat() == EARLY
    assert trace.horizon_days == 1096 and trace.threshold == 0.15


def test_children_are_rule_applications_with_citations_down_to_records(trace, model):
    assert trace.children and all(isinstance(c, RuleApplication) and c.cite for c in trace.children)
    assert all(c.contribution > 0 and 0 < c.probability <= 1 for c in trace.children)
    weights = dict(zip(model.atoms_, model.module_.atom_weights().detach().numpy()))
    assert [c.contribution for c in trace.children] == sorted((c.contribution for c in trace.children), reverse=True)
    for child in trace.children:
        key = re.sub(r'\("[^"]*"', "(P", child.atom, count=1)
        assert child.contribution == pytest.approx(weights[key] * child.probability, rel=1e-5)
    leaves = trace.leaves()
    sourced = [leaf for leaf in leaves if isinstance(leaf, FactLeaf) and leaf.source and leaf.source.row is not None]
    assert sourced and all(leaf.source.dataset and leaf.source.table for leaf in sourced)


def test_neural_leaves_carry_probability_window_and_dated_attributions(model, cohort, labels):
    atoms = model.predict_atoms(cohort, labels)
    # a patient with a lifelog-based neural proof among their reasons
    pid = atoms.sort_values("t2d_risk_factor(P, short_sleep)", ascending=False)["patient_id"].iloc[0]
    trace = model.explain(cohort, pid, EARLY)
    neural = [leaf for leaf in trace.leaves() if isinstance(leaf, NeuralLeaf)]
    assert neural
    for leaf in neural:
        assert 0 < leaf.probability < 1 and leaf.model.startswith(model.model_version_)
        assert leaf.window_start <= leaf.window_end < trace.landmark
        assert 0 < len(leaf.attributions) <= 5
        assert all(" 20" in name for name in leaf.attributions)  # named by date
        assert leaf.contribution is not None


def test_trace_validates_and_renders(trace):
    validate(to_dict(trace))
    text = to_text(trace)
    assert "Δlogit" in text and trace.children[0].atom in text


def test_calibration_context_and_why_not(trace):
    assert set(trace.calibration) == {"percentile", "bin_low", "bin_high", "observed_rate", "n"}
    assert 0 <= trace.calibration["percentile"] <= 100
    assert len(trace.why_not) == 1


def test_calibration_context_bins():
    train = np.linspace(0.01, 0.5, 100)
    ctx = calibration_context(0.3, train, (train > 0.25).astype(float))
    assert ctx["bin_low"] <= 0.3 <= ctx["bin_high"] and ctx["n"] == 10.0 and ctx["observed_rate"] == 1.0


def test_unknown_patient_and_missing_landmark(model, cohort):
    with pytest.raises(UnknownIdError, match="patient 'nobody' is not in cohort"):
        model.explain(cohort, "nobody", EARLY)
    from neurosym.tasks import before_landmark

    bare = before_landmark(cohort, EARLY)
    bare.labels = None
    with pytest.raises(InputError, match="has no landmarks; pass landmark="):
        model.explain(bare, "S000001")
