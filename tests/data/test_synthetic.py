"""Tests of neurosym/data/_synthetic.py: schema, determinism, no leakage, labels, statistics, mechanism."""

from __future__ import annotations

import pandas as pd
import pytest

from neurosym import DataLoadError
from neurosym.data import (
    DAILY_COLUMNS,
    EVENT_COLUMNS,
    HOURLY_COLUMNS,
    PATIENT_COLUMNS,
    synthetic_cohort,
)
from neurosym.data._schema import conform
from neurosym.facts import FACT_SCHEMAS

N = 2000
LANDMARK = pd.Timestamp("2024-01-01")


@pytest.fixture(scope="module")
def cohort():
    return synthetic_cohort(N, seed=0)


@pytest.fixture(scope="module")
def labels(cohort):
    return cohort.labels


@pytest.fixture(scope="module")
def at_risk(labels):
    """Labels of patients alive and free of type 2 diabetes at the landmark."""
    return labels[labels["alive"] & ~labels["prevalent_t2d"]]


def _codes(cohort, prefix: str) -> set[str]:
    ev = cohort.events
    mask = ev["code"].astype("string").str.startswith(prefix).to_numpy(dtype=bool)
    return set(ev["patient_id"].astype("string")[mask])


# --------------------------------------------------------------------------- shape and schema
def test_ids_name_and_size(cohort):
    assert cohort.name == f"synthetic(n={N}, seed=0)"
    assert len(cohort) == N
    assert cohort.patient_ids[:2] == ["S000001", "S000002"]
    assert cohort.patient_ids == sorted(cohort.patient_ids)
    assert cohort.labels["patient_id"].tolist() == cohort.patient_ids


@pytest.mark.parametrize("attr, columns", [
    ("patients", PATIENT_COLUMNS), ("events", EVENT_COLUMNS), ("daily", DAILY_COLUMNS), ("hourly", HOURLY_COLUMNS)])
def test_frames_have_canonical_columns_and_dtypes(cohort, attr, columns):
    frame = getattr(cohort.lifelog, attr) if attr in ("daily", "hourly") else getattr(cohort, attr)
    assert list(frame.columns) == list(columns)
    assert {c: str(frame[c].dtype) for c in frame} == columns


@pytest.mark.parametrize("attr, columns, keys", [
    ("patients", PATIENT_COLUMNS, ["patient_id"]), ("events", EVENT_COLUMNS, ["patient_id", "time"])])
def test_frames_are_conformed_and_sorted(cohort, attr, columns, keys):
    frame = getattr(cohort, attr)
    again = conform(frame, columns, sort_by=keys)
    assert list(again.dtypes.astype(str)) == list(frame.dtypes.astype(str))
    # (source_table, source_row) identifies a row, so equal pointers mean the order is unchanged
    for col in ("source_table", "source_row"):
        assert (again[col].astype(str).to_numpy() == frame[col].astype(str).to_numpy()).all()


def test_daily_sorted_by_patient_and_date(cohort):
    daily = cohort.lifelog.daily
    again = daily.sort_values(["patient_id", "date"], kind="stable")
    assert (again.index == daily.index).all()
    assert not daily.duplicated(["patient_id", "date"]).any()


def test_labels_columns(labels):
    expected = {"patient_id", "landmark", "horizon_days", "prevalent_t2d", "incident_t2d", "t2d_onset",
                "ckd_progression", "risk_t2d", "risk_ckd", "latent_activity", "family_history", "latent_hba1c",
                "latent_bmi"}
    assert expected <= set(labels.columns)
    assert str(labels["landmark"].dtype) == "datetime64[s]"
    assert (labels["landmark"] == LANDMARK).all()
    assert (labels["horizon_days"] == 1096).all()
    for col in ("prevalent_t2d", "incident_t2d", "ckd_progression", "alive"):
        assert labels[col].dtype == bool


# --------------------------------------------------------------------------- determinism
def test_same_seed_gives_identical_frames():
    a, b = synthetic_cohort(150, seed=7), synthetic_cohort(150, seed=7)
    for x, y in ((a.patients, b.patients), (a.events, b.events), (a.lifelog.daily, b.lifelog.daily),
                 (a.labels, b.labels)):
        pd.testing.assert_frame_equal(x, y)


def test_different_seeds_differ():
    a, b = synthetic_cohort(300, seed=1), synthetic_cohort(300, seed=2)
    assert not a.labels["latent_hba1c"].equals(b.labels["latent_hba1c"])
    assert len(a.events) != len(b.events) or not a.events["value"].equals(b.events["value"])
    assert a.events["source_dataset"].iloc[0] == "synthetic(seed=1)"


def test_progress_and_hourly_do_not_change_the_other_frames():
    plain = synthetic_cohort(40, seed=3)
    fancy = synthetic_cohort(40, seed=3, hourly=True, progress=True)
    pd.testing.assert_frame_equal(plain.events, fancy.events)
    pd.testing.assert_frame_equal(plain.lifelog.daily, fancy.lifelog.daily)


# --------------------------------------------------------------------------- no leakage
def test_no_record_on_or_after_landmark(cohort):
    ev = cohort.events
    assert (ev["time"] < LANDMARK).all()
    assert (ev["end_time"].dropna() <= LANDMARK).all()
    daily = cohort.lifelog.daily
    assert (daily["date"] < LANDMARK).all()
    assert (daily["date"] >= LANDMARK - pd.Timedelta(days=365)).all()


def test_records_within_life(cohort):
    ev = cohort.events.merge(cohort.patients[["patient_id", "birth_date", "death_date"]].astype({"patient_id": "category"}),
                             on="patient_id")
    assert (ev["time"] > ev["birth_date"]).all()
    dead = ev["death_date"].notna()
    assert (ev.loc[dead, "time"] <= ev.loc[dead, "death_date"]).all()


def test_landmark_and_lifelog_days_are_respected():
    c = synthetic_cohort(50, seed=4, landmark="2020-06-01", lifelog_days=30, horizon_years=1)
    assert (c.events["time"] < pd.Timestamp("2020-06-01")).all()
    assert (c.lifelog.daily["date"] >= pd.Timestamp("2020-05-02")).all()
    assert (c.labels["horizon_days"] == 365).all()


# --------------------------------------------------------------------------- labels
def test_incident_and_prevalent_are_exclusive(labels):
    assert not (labels["incident_t2d"] & labels["prevalent_t2d"]).any()
    dead = ~labels["alive"]
    assert not labels.loc[dead, ["incident_t2d", "ckd_progression"]].to_numpy().any()
    assert (labels.loc[dead, ["risk_t2d", "risk_ckd"]].to_numpy() == 0).all()


def test_onset_within_horizon_iff_incident(labels):
    onset = labels["t2d_onset"]
    assert (onset.notna() == labels["incident_t2d"]).all()
    inc = onset.dropna()
    assert (inc > LANDMARK).all() and (inc <= LANDMARK + pd.Timedelta(days=1096)).all()
    dx = labels["t2d_diagnosis_date"]
    assert (dx.notna() == labels["prevalent_t2d"]).all()
    assert (dx.dropna() < LANDMARK).all()


def test_diabetes_codes_only_for_prevalent(cohort, labels):
    prevalent = set(labels.loc[labels["prevalent_t2d"], "patient_id"])
    coded = _codes(cohort, "E11")
    assert coded <= prevalent
    # treated diabetes coded elsewhere (issue 19): the uncoded prevalent patients are the sulfonylurea users
    assert prevalent - coded <= _codes(cohort, "4821") <= prevalent
    assert 0 < len(prevalent - coded) < 0.25 * len(prevalent)
    # metformin outside diabetes only for prediabetes (a latent HbA1c >= 5.7 %)
    off_label = _codes(cohort, "6809") - prevalent
    assert off_label and (labels.set_index("patient_id").loc[sorted(off_label), "latent_hba1c"] >= 5.7).all()


def test_undiagnosed_patients_have_at_most_one_diabetes_value(cohort, labels):
    """Patients without diabetes have at most one (unconfirmed) diabetes-range HbA1c or FPG (issue 19)."""
    prevalent = set(labels.loc[labels["prevalent_t2d"], "patient_id"])
    ev = cohort.events
    others = ~ev["patient_id"].astype("string").isin(prevalent).to_numpy(dtype=bool)
    code = ev["code"].astype("string").to_numpy(dtype=object)
    value = ev["value"].to_numpy()
    high = others & (((code == "4548-4") & (value >= 6.5)) | ((code == "1558-6") & (value >= 126)))
    per_patient = ev.loc[high, "patient_id"].astype("string").value_counts()
    assert len(per_patient) > 0 and (per_patient == 1).all()


def test_risks_are_probabilities_and_calibrated(labels, at_risk):
    for col in ("risk_t2d", "risk_ckd"):
        assert labels[col].between(0, 1).all()
    assert (labels.loc[labels["prevalent_t2d"], "risk_t2d"] == 0).all()
    assert abs(at_risk["risk_t2d"].mean() - at_risk["incident_t2d"].mean()) < 0.025
    alive = labels[labels["alive"]]
    assert abs(alive["risk_ckd"].mean() - alive["ckd_progression"].mean()) < 0.025


# --------------------------------------------------------------------------- documented statistics
def test_documented_statistics(cohort, labels, at_risk):
    hba1c = labels["latent_hba1c"]
    prediabetes = (~labels["prevalent_t2d"] & hba1c.between(5.7, 6.4)).mean()
    alive = labels["alive"]
    checks = {
        "prevalent T2D": (labels["prevalent_t2d"].mean(), 0.08, 0.15),
        "3-year incidence": (at_risk["incident_t2d"].mean(), 0.05, 0.12),
        "prediabetes": (prediabetes, 0.25, 0.35),
        "mean BMI": (labels["latent_bmi"].mean(), 27.0, 29.0),
        "hypertension": (labels["hypertension"].mean(), 0.25, 0.45),
        "eGFR < 60": ((labels["egfr_landmark"] < 60).mean(), 0.05, 0.15),
        "CKD progression": (labels.loc[alive, "ckd_progression"].mean(), 0.02, 0.10),
        "wearable": (labels["has_wearable"].mean(), 0.60, 0.70),
        "events per patient": (len(cohort.events) / N, 80, 200),
        "deaths": (1 - alive.mean(), 0.003, 0.02),
    }
    for name, (value, low, high) in checks.items():
        assert low <= value <= high, f"{name}: {value:.4f} outside [{low}, {high}]"


def test_wear_fraction_among_owners(cohort):
    daily = cohort.lifelog.daily
    worn = (daily["worn_minutes"] > 0).to_numpy()
    first = daily.groupby("patient_id", observed=True)["date"].min()
    days = (LANDMARK - first).dt.days.sum()
    assert 0.75 <= worn.sum() / days <= 0.90


def test_lab_and_vital_units_are_canonical(cohort):
    ev = cohort.events[cohort.events["kind"] == "measurement"]
    units = ev.groupby("code", observed=True)["unit"].agg(lambda s: set(s.astype(str)))
    expected = {"4548-4": "%", "1558-6": "mg/dL", "2160-0": "mg/dL", "9318-7": "mg/g", "2093-3": "mg/dL",
                "2085-9": "mg/dL", "18262-6": "mg/dL", "2571-8": "mg/dL", "39156-5": "kg/m2", "8480-6": "mm[Hg]",
                "8462-4": "mm[Hg]", "29463-7": "kg"}
    for code, unit in expected.items():
        assert units[code] == {unit}
    bmi = ev.loc[ev["code"] == "39156-5", "value"]
    assert 15 <= bmi.min() and bmi.max() <= 70


def test_some_patients_have_no_labs(cohort):
    labs = cohort.events[cohort.events["source_table"] == "labs"]
    with_labs = labs["patient_id"].astype("string").nunique()
    assert 0.8 * N < with_labs < N


# --------------------------------------------------------------------------- mechanism
def test_incidence_rises_with_true_risk(at_risk):
    quintile = pd.qcut(at_risk["risk_t2d"], 5, labels=False)
    rates = at_risk.groupby(quintile)["incident_t2d"].mean()
    assert rates.iloc[-1] > 3 * rates.iloc[0]
    assert rates.is_monotonic_increasing or rates.iloc[-1] > rates.iloc[2] > rates.iloc[0]


def test_ada_rule_group_has_higher_incidence(at_risk):
    rule = at_risk["latent_hba1c"].between(5.7, 6.4) & (at_risk["latent_bmi"] >= 30) & at_risk["family_history"]
    assert rule.sum() > 30
    assert at_risk.loc[rule, "incident_t2d"].mean() > 2 * at_risk.loc[~rule, "incident_t2d"].mean()
    pre_obese = at_risk["latent_hba1c"].between(5.7, 6.4) & (at_risk["latent_bmi"] >= 30)
    assert at_risk.loc[pre_obese, "incident_t2d"].mean() > at_risk.loc[~pre_obese, "incident_t2d"].mean()


def test_low_activity_and_declining_steps_raise_incidence(at_risk):
    act = at_risk["latent_activity"]
    low = at_risk.loc[act < act.quantile(0.25), "incident_t2d"].mean()
    high = at_risk.loc[act > act.quantile(0.75), "incident_t2d"].mean()
    assert low > 1.5 * high
    decline = at_risk["step_trend"] < -0.2
    assert at_risk.loc[decline, "incident_t2d"].mean() > at_risk.loc[~decline, "incident_t2d"].mean()


def test_declining_step_trend_is_visible_in_the_lifelog(cohort, labels):
    daily = cohort.lifelog.daily
    worn = daily[daily["worn_minutes"] >= 600]
    late = worn["date"] >= LANDMARK - pd.Timedelta(days=90)
    early = worn["date"] < LANDMARK - pd.Timedelta(days=275)
    ratio = (worn[late].groupby("patient_id", observed=True)["steps"].median()
             / worn[early].groupby("patient_id", observed=True)["steps"].median()).dropna()
    trend = labels.set_index("patient_id")["step_trend"].reindex(ratio.index.astype(str))
    assert ratio[(trend < -0.2).to_numpy()].median() < 0.9 < ratio[(trend > 0).to_numpy()].median()


def test_ckd_progression_follows_decline(labels):
    alive = labels[labels["alive"]]
    fast = alive["egfr_slope"] > alive["egfr_slope"].quantile(0.8)
    assert alive.loc[fast, "ckd_progression"].mean() > 2 * alive.loc[~fast, "ckd_progression"].mean()
    prog = alive[alive["ckd_progression"]]
    assert (prog["egfr_horizon"] <= 0.75 * prog["egfr_landmark"] + 1e-9).all()


# --------------------------------------------------------------------------- lifelog missingness
def test_missing_days_are_absent_or_null(cohort, labels):
    daily = cohort.lifelog.daily
    unworn = daily["worn_minutes"] == 0
    assert unworn.any()
    for col in ("steps", "active_minutes", "sleep_minutes", "resting_hr"):
        assert daily.loc[unworn, col].isna().all()
    worn = ~unworn
    assert daily.loc[worn, ["steps", "active_minutes"]].notna().all().all()
    assert (daily.loc[worn, "steps"] > 0).mean() > 0.999
    assert daily["worn_minutes"].notna().all()
    assert ((daily["worn_minutes"] > 0) & (daily["worn_minutes"] < 600)).any()  # partial wear
    assert daily.loc[worn, "sleep_minutes"].isna().any()  # nights without a sleep record
    owners = set(labels.loc[labels["has_wearable"], "patient_id"])
    assert set(daily["patient_id"].astype(str).unique()) <= owners
    assert len(owners) < N


def test_hourly_detail_sums_to_daily_steps():
    c = synthetic_cohort(20, seed=5, hourly=True)
    hourly, daily = c.lifelog.hourly, c.lifelog.daily
    assert len(hourly) and (hourly["time"] < LANDMARK).all()
    per_day = hourly.assign(date=hourly["time"].dt.floor("D")).groupby(["patient_id", "date"], observed=True)["steps"].sum()
    worn = daily[daily["worn_minutes"] > 0].set_index(["patient_id", "date"])["steps"]
    assert (per_day.reindex(worn.index) == worn).all()
    assert c.report.read["lifelog_hourly"] == len(hourly)


# --------------------------------------------------------------------------- source pointers and facts
def test_every_row_has_a_source_pointer(cohort):
    frames = {"patients": cohort.patients, "events": cohort.events, "daily": cohort.lifelog.daily}
    for name, frame in frames.items():
        assert (frame["source_dataset"] == "synthetic(seed=0)").all(), name
        assert frame["source_table"].notna().all() and frame["source_row"].notna().all(), name
        rows = frame.groupby("source_table", observed=True)["source_row"].agg(["min", "max", "count", "nunique"])
        assert (rows["min"] == 1).all() and (rows["max"] == rows["count"]).all() and (rows["nunique"] == rows["count"]).all()
    tables = set(cohort.events["source_table"].astype(str))
    assert tables == {"visits", "conditions", "vitals", "labs", "drugs", "procedures", "observations", "deaths"}


def test_report_counts_every_table(cohort):
    report = cohort.report
    report.check()
    assert report.read == report.loaded
    counts = cohort.events["source_table"].astype(str).value_counts().to_dict()
    counts.update(patients=N, lifelog_daily=len(cohort.lifelog.daily))
    assert {k: v for k, v in report.read.items() if v} == counts


def test_to_facts_fills_every_relation(cohort):
    facts = cohort.to_facts()
    assert set(FACT_SCHEMAS) <= set(facts)
    for name in FACT_SCHEMAS:
        assert len(facts[name]) > 0, name
    lab = facts["lab"]
    assert {"4548-4", "1558-6", "2160-0", "9318-7", "2093-3", "2085-9", "18262-6", "2571-8"} <= set(lab["loinc"])
    assert {"bmi", "sbp", "dbp", "weight"} <= set(facts["vital"]["kind"])
    assert set(facts["visit"]["kind"]) == {"outpatient", "inpatient", "emergency"}
    assert not facts["death"]["patient"].duplicated().any()
    assert (facts["index_day"]["day"] == (LANDMARK - pd.Timestamp("1970-01-01")).days).all()
    pointer = facts.describe_source("lab", lab["_source"].iloc[0])
    assert pointer["source_dataset"] == "synthetic(seed=0)" and pointer["source_table"] == "labs"


def test_empty_and_invalid_arguments():
    empty = synthetic_cohort(0)
    assert len(empty) == 0 and len(empty.events) == 0 and len(empty.labels) == 0
    with pytest.raises(DataLoadError, match="n must be"):
        synthetic_cohort(-1)
    with pytest.raises(DataLoadError, match="lifelog_days"):
        synthetic_cohort(3, lifelog_days=-5)
