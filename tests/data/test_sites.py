"""Non-IID synthetic sites and the partitioner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neurosym import InputError
from neurosym.data import SITE_CODINGS, partition, synthetic_cohort, synthetic_sites


@pytest.fixture(scope="module")
def sites():
    return synthetic_sites(3, 900, seed=5, lifelog_days=14)


def test_sites_split_one_population(sites):
    population = synthetic_cohort(900, seed=5, lifelog_days=14)
    ids = [pid for s in sites for pid in s.patient_ids]
    assert sorted(ids) == population.patient_ids
    assert [s.name for s in sites] == ["site0:omop-snomed", "site1:fhir-icd10cm", "site2:omop-snomed"]
    assert all(len(s) == len(s.labels) for s in sites)


def test_sites_differ_in_age_prevalence_and_lifelog(sites):
    ages = [s.labels["age"].mean() for s in sites]
    prevalence = [s.labels["incident_t2d"].mean() for s in sites]
    coverage = [s.lifelog.daily["patient_id"].nunique() / len(s) for s in sites]
    assert max(ages) - min(ages) > 8 and max(prevalence) / min(prevalence) > 1.3
    assert max(coverage) - min(coverage) > 0.2


def test_coding_habits_follow_the_site(sites):
    for k, site in enumerate(sites):
        ev = site.events
        conditions = ev[ev["kind"] == "condition"]
        systems = conditions["system"].value_counts()
        assert set(ev["source_dataset"].astype(str)) == {site.name}
        if SITE_CODINGS[k % 2] == "omop-snomed":
            assert systems.idxmax() == "snomed"
            assert set(conditions["source_table"].astype(str)) == {"condition_occurrence"}
        else:
            assert set(conditions["system"].astype(str)) == {"icd10cm"}
            assert set(conditions["source_table"].astype(str)) == {"Condition"}
    snomed = sites[0].events[sites[0].events["system"] == "snomed"]["code"].astype(str)
    assert "59621000" in set(snomed)  # essential hypertension (ICD-10-CM I10)


def test_sites_are_seeded(sites):
    again = synthetic_sites(3, 900, seed=5, lifelog_days=14)
    assert [s.patient_ids for s in again] == [s.patient_ids for s in sites]
    pd.testing.assert_frame_equal(again[1].events, sites[1].events)


def test_partition_by_column_and_by_dirichlet():
    cohort = synthetic_cohort(120, seed=1, lifelog_days=7)
    labels = pd.DataFrame({"patient_id": cohort.patient_ids, "landmark": "2024-01-01", "label": [0, 0, 1] * 40})
    by_sex = partition(cohort, labels, by="sex")
    sexes = [set(c.patients["sex"].astype(str)) for c, _ in by_sex]
    assert sexes == [{"F"}, {"M"}] and sum(len(c) for c, _ in by_sex) == 120
    skewed = partition(cohort, labels, dirichlet=0.1, n_sites=4, seed=2)
    assert sum(len(c) for c, _ in skewed) == 120
    assert all(list(lab["patient_id"]) == c.patient_ids for c, lab in skewed)
    shares = np.array([lab["label"].mean() if len(lab) else 0 for _, lab in skewed])
    assert shares.max() - shares.min() > 0.3  # label mixes differ
    again = partition(cohort, labels, dirichlet=0.1, n_sites=4, seed=2)
    assert [c.patient_ids for c, _ in again] == [c.patient_ids for c, _ in skewed]


@pytest.mark.parametrize("kwargs, match", [
    ({}, "exactly one of"),
    ({"by": "sex", "dirichlet": 1.0}, "exactly one of"),
    ({"by": "blood_group"}, "no column 'blood_group'"),
    ({"dirichlet": 0.0}, "alpha > 0"),
    ({"dirichlet": 1.0, "n_sites": 1}, "n_sites >= 2"),
])
def test_partition_rejects_bad_arguments(kwargs, match):
    cohort = synthetic_cohort(10, seed=0, lifelog_days=7)
    labels = pd.DataFrame({"patient_id": cohort.patient_ids, "landmark": "2024-01-01", "label": 0})
    with pytest.raises(InputError, match=match):
        partition(cohort, labels, **kwargs)


def test_synthetic_sites_needs_two_sites():
    with pytest.raises(InputError, match="n_sites >= 2"):
        synthetic_sites(1, 10)
