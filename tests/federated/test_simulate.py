"""``simulate`` and ``federated_counts`` under Flower's simulation engine (Ray)."""

from __future__ import annotations

import pandas as pd
import pytest
from flwr.supercore.privacy_accounting import GaussianPrivacyEvent, NeighboringRelation, PrivacyConfig, SamplingMethod
from flwr.supercore.privacy_accounting.rdp_accountant import RdpAccountant

from neurosym import InputError
from neurosym.federated import EXAMPLE_ELIGIBILITY, combine_counts, federated_counts, simulate, site_counts
from neurosym.neural import RiskModel


def test_rounds_table_and_bytes_come_from_the_run(fed_run, fed_settings):
    result, rounds = fed_run[0], fed_settings["rounds"]
    assert result.rounds["round"].tolist() == list(range(1, rounds + 1))
    assert result.rounds[["train_loss", "eval_loss", "eval_auroc", "seconds"]].notna().all().all()
    assert result.rounds["eval_auroc"].between(0, 1).all()
    assert result.rounds["sites_trained"].tolist() == [2] * rounds
    train = result.audit[result.audit["message_type"] == "train"].drop_duplicates(["site", "message"])
    assert result.rounds["bytes_sent"].tolist() == train.groupby("round")["message_bytes"].sum().tolist()
    assert result.seconds > result.rounds["seconds"].sum()


def test_privacy_budget_is_flowers_rdp_account(fed_run, fed_settings):
    result, dp, rounds = fed_run[0], fed_settings["dp"], fed_settings["rounds"]
    accountant = RdpAccountant(PrivacyConfig(target_delta=dp.delta, population_size=2,
                                             neighboring_relation=NeighboringRelation.ADD_OR_REMOVE_ONE,
                                             sampling_method=SamplingMethod.NO_AMPLIFICATION))
    accountant.compose(GaussianPrivacyEvent(dp.noise_multiplier, 2, 2), count=rounds)
    assert result.privacy["epsilon"] == pytest.approx(accountant.get_epsilon(dp.delta))
    assert (result.privacy["releases"], result.privacy["noise_multiplier"], result.privacy["clipping_norm"]) == (
        rounds, dp.noise_multiplier, dp.clipping_norm)


def test_global_model_predicts_at_every_site(fed_run, fed_sites, fed_settings):
    model = fed_run[0].model
    assert model.history_[-1]["round"] == fed_settings["rounds"]
    for site in fed_sites:
        risk = model.predict_proba(site.cohort, site.labels)
        assert len(risk) == len(site.labels) and risk["risk"].between(0, 1).all()
    assert any(c.startswith("snomed:") for c in model.featurizer_.vocabulary_)
    assert any(c.startswith("icd10cm:") for c in model.featurizer_.vocabulary_)


def test_federated_counts_equal_the_sites_own_counts(fed_sites, tmp_path):
    criteria = ["age_40_75", "prediabetic_hba1c", "overweight", "no_diabetes"]
    summary = federated_counts(fed_sites, EXAMPLE_ELIGIBILITY, criteria, workdir=tmp_path)
    local = combine_counts({s.name: site_counts(s.cohort, EXAMPLE_ELIGIBILITY, criteria) for s in fed_sites})
    pd.testing.assert_frame_equal(summary.attrition.astype(str), local.attrition.astype(str), check_dtype=False)
    assert (summary.eligible, summary.most_excluding) == (local.eligible, local.most_excluding)
    assert summary.attrition["total"].tolist() == sorted(summary.attrition["total"], reverse=True)


@pytest.mark.parametrize("kwargs, match", [
    ({"rounds": 0}, "rounds and local_epochs"),
    ({"strategy": "fedsgd"}, "strategy must be"),
])
def test_bad_settings_are_reported_before_ray_starts(fed_sites, kwargs, match):
    with pytest.raises(InputError, match=match):
        simulate(fed_sites, RiskModel(), **kwargs)


def test_one_site_is_not_a_federation(fed_sites):
    with pytest.raises(InputError, match="at least 2 sites"):
        simulate(fed_sites[:1], RiskModel())
    with pytest.raises(InputError, match="not relations of the program"):
        federated_counts(fed_sites, EXAMPLE_ELIGIBILITY, ["adult"])
