"""The vocabulary step: site aggregates with small cells left out, one featurizer for all sites."""

from __future__ import annotations

import numpy as np
import pytest

from neurosym import InputError
from neurosym.data import synthetic_sites
from neurosym.federated import local_statistics, merge_statistics
from neurosym.federated._plan import (STATISTICS_KEYS, featurizer_digest, featurizer_from_config,
                                      featurizer_to_config, model_params)
from neurosym.neural import RiskModel
from neurosym.ontology import Ontology
from neurosym.neural import usable_labels
from neurosym.tasks import before_landmark, ground_truth_labels


@pytest.fixture(scope="module")
def sites():
    return synthetic_sites(2, 160, seed=3, lifelog_days=14)


@pytest.fixture(scope="module")
def stats(sites):
    return [local_statistics(c, ground_truth_labels(c), min_cell=5) for c in sites]


def test_statistics_are_counts_and_sums_above_the_small_cell_threshold(sites, stats):
    cohort, s = sites[0], stats[0]
    assert set(s) == set(STATISTICS_KEYS)
    cut = before_landmark(cohort, usable_labels(ground_truth_labels(cohort)))
    ev = cut.events[cut.events["kind"].isin(["condition", "drug", "procedure", "observation", "visit"])]
    tokens = ev["system"].astype(str) + ":" + ev["code"].astype(str)
    per_code = ev.groupby(tokens.to_numpy())["patient_id"].nunique()
    assert dict(zip(s["codes"], s["code-patients"])) == per_code[per_code >= 5].to_dict()
    assert (per_code < 5).any()  # some codes were held back
    hba1c = s["analytes"].index("loinc:4548-4")
    values = cut.events.loc[(cut.events["code"] == "4548-4") & cut.events["value"].notna(), "value"]
    assert (s["analyte-n"][hba1c], s["analyte-sum"][hba1c]) == (len(values), pytest.approx(values.sum()))


def test_no_lifelog_sums_when_fewer_than_min_cell_wear_a_device(sites):
    cohort = sites[1]
    s = local_statistics(cohort, ground_truth_labels(cohort), min_cell=10_000)
    assert s["daily-n"] == [0, 0, 0, 0] and s["codes"] == [] and s["analytes"] == []


def test_merged_vocabulary_joins_snomed_and_icd_sites_in_shared_concepts(stats):
    featurizer = merge_statistics(stats, model_params(RiskModel()), min_cell=5)
    vocab = featurizer.vocabulary_
    assert "snomed:59621000" in vocab and "icd10cm:I10" in vocab  # essential hypertension, coded both ways
    onto = Ontology.load("clinical")
    shared = set(onto.ancestors("snomed:59621000")) & set(onto.ancestors("icd10cm:I10"))
    assert shared and shared <= set(vocab)
    totals = {}
    for s in stats:
        for code, n in zip(s["codes"], s["code-patients"]):
            totals[code] = totals.get(code, 0) + n
    seen = [c for c in vocab if c in totals]
    assert seen == sorted(totals, key=lambda c: (-totals[c], c))
    pooled_n = sum(s["daily-n"][0] for s in stats)
    assert featurizer.daily_center_[0] == pytest.approx(sum(s["daily-sum"][0] for s in stats) / pooled_n)


def test_featurizer_travels_as_config_and_gives_identical_tensors(sites, stats):
    featurizer = merge_statistics(stats, model_params(RiskModel(lifelog_days=14)), min_cell=5)
    config = featurizer_to_config(featurizer)
    again = featurizer_from_config(config)
    a = featurizer.transform(sites[0], "2024-01-01")
    b = again.transform(sites[0], "2024-01-01")
    assert all(np.array_equal(a[k], b[k]) for k in ("codes", "labs", "daily", "static"))
    assert featurizer_digest(config) == featurizer_digest(featurizer_to_config(again))


def test_an_ontology_object_cannot_travel():
    with pytest.raises(InputError, match="names its ontologies"):
        model_params(RiskModel(ontologies=(Ontology([("icd10cm:E11.9", "icd10cm:E11")]),)))
