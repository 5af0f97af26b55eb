r"""A synthetic cohort with known ground truth: :func:`synthetic_cohort`.

The cohort is the embedded default data of the demo, the tests and the
benchmarks.  Everything is drawn from one documented generative mechanism,
fully vectorised in numpy and deterministic per ``seed``; the labels hold the
true outcome probabilities and the latent factors that produced them, so a
test can check what a model or a rule set recovers.

Generative mechanism
--------------------
All quantities are per patient ``i``; ``L`` is the landmark, ``H`` the horizon
in years, ``t`` time in years relative to ``L`` (negative before it) and
``sigma(x) = 1 / (1 + exp(-x))``.  The constants named here are module-level
constants of this module.

1. **Demographics.**  ``sex ~ F with P_FEMALE``;
   ``age = 25 + 60 * Beta(2, 2.2)`` (25-85 years at ``L``, mean ~54).
2. **Lifestyle latents.**  ``activity a ~ N(0, 1)`` (standardised daily-step
   level at ``L``); ``sleep_hours ~ N(SLEEP_MEAN_H, SLEEP_SD_H)``;
   ``smoking`` in {never, former, current} with ``SMOKING_P``;
   ``family_history ~ Bernoulli(P_FAMILY_HISTORY)``; gestational diabetes
   history (women only) ``~ Bernoulli(P_GDM)``.
3. **Wearable-only latents** (they raise risk but no guideline rule sees
   them): ``step_trend`` (log-steps per year; ``N(0, 0.08)`` plus
   ``DECLINER_SHIFT`` for a ``P_DECLINER`` share of decliners),
   ``rhr_trend`` (resting-HR bpm per year, higher in decliners),
   ``weekend_drop`` (0-1, share of weekday steps lost at weekends) and
   ``sleep_irregularity`` (0-1, night-to-night sleep variability and weekend
   catch-up sleep).
4. **BMI trajectory.**  ``bmi_L = 28 + BMI_ACTIVITY * a + N(0, BMI_SD)``
   clipped to [16, 60]; ``BMI(t) = bmi_L + bmi_slope * t`` with
   ``bmi_slope ~ N(0.15, 0.35)`` kg/m2 per year.
5. **Insulin resistance** ``ir = IR_COEF . (bmi_L - 28, (age - 50)/10,
   family_history, gdm, -a, short_sleep) + N(0, IR_NOISE)``.
6. **Hypertension, dyslipidaemia, CAD** are logistic in age, BMI, ``ir``
   and smoking (``HTN_COEF``, ``DYS_COEF``, ``CAD_COEF``).
7. **Prevalent type 2 diabetes** ``~ Bernoulli(sigma(PREV_COEF . x))`` with
   diagnosis ``DX_YEARS_MAX * U`` years before ``L`` (never before age 25).
   Diagnosed patients get E11.x codes, metformin, often a statin and, when
   poorly controlled (treated HbA1c >= 8 %), E11.65 and insulin glargine.
8. **HbA1c trajectory** (non-diabetic):
   ``hba1c_L = HBA1C_BASE + HBA1C_IR * ir + N(0, HBA1C_SD)`` clipped to
   [4.3, 6.4] and ``HbA1c(t) = hba1c_L + hba1c_slope * t`` with
   ``hba1c_slope = 0.02 + 0.04 * max(ir, 0) + N(0, 0.03)`` %/year.  Undiagnosed
   diabetes is not simulated: before ``L`` a patient without E11 codes never
   shows HbA1c >= 6.5 % or fasting glucose >= 126 mg/dL.
9. **Incident type 2 diabetes** among the non-diabetic follows a constant
   hazard ``lambda = exp(eta)`` per year, with

   .. math::

      \eta = \beta_0 + \beta_{age}(age-50)/10 + \beta_{a1c}(hba1c_L-5.5)
        + \beta_{pre}\,pre + \beta_{bmi}(bmi_L-28) + \beta_{ob}\,obese
        + \beta_{fh}\,fh + \beta_{rule}\,pre\cdot obese\cdot fh + \beta_{gdm}\,gdm
        + \beta_{htn}\,htn + \beta_{dys}\,dys + \beta_{smk}\,smoker - \beta_{act}\,a
        + \beta_{sleep}\,short\_sleep - \beta_{trend}\,step\_trend
        + \beta_{rhr}\,rhr\_trend + \beta_{slope}\,hba1c\_slope
        + \beta_{wknd}\,weekend\_drop + \beta_{irr}\,sleep\_irregularity

   (coefficients in ``T2D_HAZARD``; ``pre = 5.7 <= hba1c_L <= 6.4`` and
   ``obese = bmi_L >= 30`` are the ADA thresholds, so the interaction is the
   rule "prediabetes and obesity and family history -> high risk").  Onset is
   ``L + Exponential(1 / lambda)``; ``risk_t2d = 1 - exp(-lambda H)`` is the
   true probability of ``incident_t2d`` (0 for prevalent or deceased patients).
10. **Kidney function.**  ``egfr_L = EGFR_BASE - EGFR_AGE (age - 25)
    - 6 prevalent - 4 htn + N(0, 12)`` (CKD-EPI 2021 scale, clipped to
    [6, 135]); ``ACR_L = exp(N(log ACR_MEDIAN + 1.0 prevalent + 0.5 htn
    + 0.3 (hba1c_L - 5.5) + 0.01 (age - 50), ACR_SD))`` mg/g.  Each patient
    declines at ``slope = EGFR_DECLINE . (1, prevalent, htn, (age-50)/10,
    max(log(ACR_L/30), 0), max(hba1c_L - 5.7, 0)) + N(0, EGFR_SLOPE_SD)``
    mL/min per year, observed before ``L`` as ``egfr(t) = egfr_L - slope t``
    (plus measurement noise).  Over the horizon the decline is
    ``D = H (slope + N(0, EGFR_FUTURE_SD))``.  ``ckd_progression`` is the
    KDIGO "certain drop": the eGFR at ``L + H`` falls into a worse category
    (below 60 when ``egfr_L >= 60``, else below the lower bound of the
    current G3a/G3b/G4 category) *and* by at least ``CKD_DROP`` (25 %) of
    ``egfr_L``; with ``m = max(egfr_L - bound, CKD_DROP egfr_L)``,
    ``risk_ckd = Phi((H slope - m) / (H EGFR_FUTURE_SD))``.  Creatinine is
    the exact inverse of CKD-EPI 2021 for the patient's age and sex, and the
    reported eGFR (LOINC 98979-8) is recomputed from the rounded creatinine.
11. **Care process.**  Visits are Poisson over the ``HISTORY_YEARS`` before
    ``L`` at a rate rising with chronic disease; vitals are taken at most
    visits, labs at a per-patient share of visits (``P_NO_LABS`` of patients
    have none), each chronic condition is first coded at its onset and
    re-coded at later visits, drugs are prescriptions every 90 days from the
    treatment start.  ``P_DEATH`` of patients die before ``L``; their records
    stop at death and their labels are negative with zero risk.
12. **Wearable.**  ``P(wearable) = sigma(0.75 - 0.35 (age - 50)/10 + 0.3 a)``.
    Owners start wearing at the window start or (``P_LATE_START``) later,
    have Poisson(1) gaps of ~6 absent days, wear on a day with probability
    ``compliance ~ Beta(8, 1.5)``; an unworn day is an absent row or (40 %) a
    row with ``worn_minutes = 0`` and null values; ``P_PARTIAL`` of worn days
    have < 10 h wear and proportionally fewer steps.  Steps are
    ``exp(log(STEPS_MEDIAN) + 0.4 a + step_trend t + weekend effects + noise)``,
    sleep ``N(sleep_hours + weekend catch-up, 25 + 60 irregularity)`` minutes
    on nights with a sleep record, resting HR
    ``64 - 3 a + 0.25 (bmi_L - 28) + rhr_trend t + N(0, 1.8)`` on days with
    >= 4 h wear.  A day without data is never zero.

Documented statistics
---------------------
Checked by ``tests/data/test_synthetic.py`` (n = 2000; seeds 0-5 verified) and
measured on n = 100 000 (``benchmarks/synthetic.py``):

==========================================================  ===========  ============
statistic                                                   range        100k, seed 0
==========================================================  ===========  ============
prevalent T2D at the landmark                               8-15 %       11.2 %
incident T2D within 3 years among non-diabetic alive        5-12 %       8.5 %
prediabetes by latent HbA1c (5.7-6.4 %), all patients       25-35 %      29.9 %
mean BMI at the landmark                                    27-29        28.0
hypertension                                                25-45 %      36.9 %
CKD G3a or worse (eGFR < 60) at the landmark                5-15 %       10.4 %
CKD progression within 3 years among alive                  2-10 %       5.5 %
patients with a wearable                                    60-70 %      64.1 %
wear fraction (worn days / days since device start)         75-90 %      82.9 %
events per patient                                          80-200       107
deaths before the landmark                                  0.3-2 %      0.9 %
==========================================================  ===========  ============

The mechanism is visible in the data: 3-year incidence by quintile of
``risk_t2d`` is about 1, 2, 4, 8 and 28 %; 44 % in the ADA rule group
(prediabetes, BMI >= 30, family history) against 7 % elsewhere; 14 % in the
lowest activity quartile against 4 % in the highest; 18 % among step
decliners against 7 %.

Examples
--------
>>> from neurosym.data import synthetic_cohort
>>> cohort = synthetic_cohort(3, seed=0)
>>> cohort.name, len(cohort)
('synthetic(n=3, seed=0)', 3)
>>> cohort.labels["patient_id"].tolist()
['S000001', 'S000002', 'S000003']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from neurosym._errors import DataLoadError
from neurosym.data._cohort import Cohort
from neurosym.data._lifelog import Lifelog
from neurosym.data._report import LoadReport
from neurosym.data._schema import HOURLY_COLUMNS, date_to_day

__all__ = ["synthetic_cohort"]

# --------------------------------------------------------------------------- parameters
P_FEMALE = 0.51
SLEEP_MEAN_H, SLEEP_SD_H, SHORT_SLEEP_H = 7.0, 0.8, 6.0
SMOKING_P = {"never": 0.58, "former": 0.27, "current": 0.15}
P_FAMILY_HISTORY = 0.25
P_GDM = 0.08  # among women
P_DECLINER, DECLINER_SHIFT = 0.15, -0.35
BMI_MEAN, BMI_ACTIVITY, BMI_SD = 28.0, -1.0, 5.0
#: insulin resistance: bmi_L - 28, (age - 50)/10, family history, gdm, -activity, short sleep
IR_COEF = np.array([0.10, 0.15, 0.40, 0.50, 0.30, 0.20])
IR_NOISE = 0.8
HBA1C_BASE, HBA1C_IR, HBA1C_SD = 5.52, 0.30, 0.20
#: logistic coefficients: intercept, (age - 50)/10, bmi_L - 28, ir, smoker, family history
HTN_COEF = np.array([-1.00, 0.75, 0.08, 0.20, 0.15, 0.0])
DYS_COEF = np.array([-1.00, 0.45, 0.05, 0.25, 0.20, 0.0])
CAD_COEF = np.array([-3.90, 0.70, 0.03, 0.20, 0.60, 0.0])
PREV_COEF = np.array([-3.05, 0.45, 0.06, 0.75, 0.15, 0.35])
DX_YEARS_MAX = 12.0
#: incident T2D log-hazard per year (see the module docstring)
T2D_HAZARD = {
    "intercept": -5.60,
    "age": 0.20,
    "hba1c": 0.90,
    "prediabetes": 0.40,
    "bmi": 0.04,
    "obese": 0.30,
    "family_history": 0.35,
    "rule": 0.80,
    "gdm": 0.50,
    "hypertension": 0.20,
    "dyslipidaemia": 0.15,
    "smoker": 0.20,
    "activity": 0.25,
    "short_sleep": 0.30,
    "step_trend": 2.50,
    "rhr_trend": 0.15,
    "hba1c_slope": 5.00,
    "weekend_drop": 1.00,
    "sleep_irregularity": 0.60,
}
#: eGFR decline (mL/min/1.73m2 per year): intercept, prevalent, htn, (age-50)/10, log ACR excess, HbA1c excess
EGFR_DECLINE = np.array([0.6, 1.8, 0.8, 0.3, 1.3, 1.0])
EGFR_SLOPE_SD, EGFR_FUTURE_SD = 1.3, 1.3
EGFR_BASE, EGFR_AGE = 115.0, 1.0
ACR_MEDIAN, ACR_SD = 6.0, 0.85
CKD_DROP = 0.25
P_DEATH = 0.01
HISTORY_YEARS = 5
P_NO_LABS = 0.08
# routine-care situations the guideline rules must handle (issue 19), added by _practice
P_UNCODED_TREATED = 0.15  # prevalent diabetes on a sulfonylurea whose diagnosis is coded elsewhere (no E11 code here)
P_REPEAT_BP, REPEAT_SBP_SD, REPEAT_DBP_SD = 0.5, 5.0, 3.0  # a second reading at a BP visit, within-visit variation
P_WHITE_COAT, WHITE_COAT_SBP = 0.05, (10.0, 25.0)  # single visits with an isolated SBP rise (both readings)
P_UNCONFIRMED = 0.04  # patients without diabetes with one unconfirmed diabetes-range HbA1c or FPG
P_OFF_LABEL = {"metformin_prediabetes": 0.10, "sglt2_hf_ckd": 0.25, "beta_blocker_cad": 0.5, "glp1_obesity": 0.05}
STEPS_MEDIAN = 6500.0
P_LATE_START, P_PARTIAL = 0.2, 0.10
_YEAR = 365.25

# --------------------------------------------------------------------------- event vocabulary
#: (kind, system, code, unit, source table) of every generated event type
_EVENT_TYPES: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("visit", "omop", "9202", None, "visits"),  # OMOP visit concepts: outpatient,
    ("visit", "omop", "9201", None, "visits"),  # inpatient,
    ("visit", "omop", "9203", None, "visits"),  # emergency room (facts map them to these kinds)
    *(("condition", "icd10cm", c, None, "conditions") for c in (
        "E11.9", "E11.65", "E11.22", "R73.03", "I10", "E66.9", "E66.01", "E78.5", "N18.1", "N18.2",
        "N18.31", "N18.32", "N18.4", "N18.5", "Z83.3", "I25.10", "O24.419", "Z86.32")),
    ("measurement", "loinc", "39156-5", "kg/m2", "vitals"),
    ("measurement", "loinc", "29463-7", "kg", "vitals"),
    ("measurement", "loinc", "8480-6", "mm[Hg]", "vitals"),
    ("measurement", "loinc", "8462-4", "mm[Hg]", "vitals"),
    ("measurement", "loinc", "8302-2", "cm", "vitals"),
    ("measurement", "loinc", "4548-4", "%", "labs"),
    ("measurement", "loinc", "1558-6", "mg/dL", "labs"),
    ("measurement", "loinc", "2160-0", "mg/dL", "labs"),
    ("measurement", "loinc", "98979-8", "mL/min/1.73m2", "labs"),
    ("measurement", "loinc", "9318-7", "mg/g", "labs"),
    ("measurement", "loinc", "2093-3", "mg/dL", "labs"),
    ("measurement", "loinc", "2085-9", "mg/dL", "labs"),
    ("measurement", "loinc", "18262-6", "mg/dL", "labs"),
    ("measurement", "loinc", "2571-8", "mg/dL", "labs"),
    *(("drug", "rxnorm", c, None, "drugs") for c in ("6809", "29046", "83367", "17767", "274783")),
    *(("procedure", "cpt4", c, None, "procedures") for c in ("93000", "92250", "90935")),
    *(("observation", "snomed", c, None, "observations") for c in ("266919005", "8517006", "77176002")),
    ("death", "local", "death", None, "deaths"),
    # _practice: glipizide, empagliflozin, metoprolol, semaglutide (appended: earlier type numbers are unchanged)
    *(("drug", "rxnorm", c, None, "drugs") for c in ("4821", "1545653", "6918", "1991302")),
)
_T = {code: i for i, (_, _, code, _, _) in enumerate(_EVENT_TYPES)}
_TABLES = ("patients", "visits", "conditions", "vitals", "labs", "drugs", "procedures", "observations",
           "deaths", "lifelog_daily", "lifelog_hourly")
_SMOKING_CODES = ("266919005", "8517006", "77176002")  # never, former, current smoker (SNOMED CT)
_CKD_CODES = ("N18.1", "N18.2", "N18.31", "N18.32", "N18.4", "N18.5")
_LIFELOG_CHUNK = 8192


# --------------------------------------------------------------------------- small helpers
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, error < 1.5e-7)."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner index and position within owner for ``counts[i]`` items of owner ``i``.

    >>> _expand(np.array([2, 0, 1]))
    (array([0, 0, 2]), array([0, 1, 0]))
    """
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def _ckd_stage(egfr: np.ndarray) -> np.ndarray:
    """KDIGO GFR category as 1, 2, 3 (G3a), 4 (G3b), 5 (G4), 6 (G5)."""
    return 6 - np.searchsorted(np.array([15.0, 30.0, 45.0, 60.0, 90.0]), egfr, side="right")


def _creatinine(egfr: np.ndarray, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Serum creatinine (mg/dL) whose CKD-EPI 2021 eGFR is ``egfr``."""
    kappa = np.where(female, 0.7, 0.9)
    alpha = np.where(female, -0.241, -0.302)
    k = 142.0 * 0.9938 ** age * np.where(female, 1.012, 1.0)
    ratio = np.where(egfr >= k, (egfr / k) ** (1.0 / alpha), (egfr / k) ** (1.0 / -1.2))
    return kappa * ratio


def _ckd_epi(scr: np.ndarray, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """CKD-EPI 2021 eGFR (mL/min/1.73m2) from creatinine (mg/dL)."""
    kappa = np.where(female, 0.7, 0.9)
    alpha = np.where(female, -0.241, -0.302)
    r = scr / kappa
    return 142.0 * np.minimum(r, 1.0) ** alpha * np.maximum(r, 1.0) ** -1.2 * 0.9938 ** age * np.where(female, 1.012, 1.0)


# --------------------------------------------------------------------------- latent factors
def _latents(rng: np.random.Generator, n: int, horizon: float) -> dict[str, np.ndarray]:
    """Draw every latent factor, the disease states at the landmark and the outcomes."""
    lat: dict[str, np.ndarray] = {}
    lat["female"] = rng.random(n) < P_FEMALE
    lat["age"] = 25.0 + 60.0 * rng.beta(2.0, 2.2, n)
    lat["activity"] = rng.standard_normal(n)
    lat["sleep_hours"] = rng.normal(SLEEP_MEAN_H, SLEEP_SD_H, n)
    lat["smoking"] = rng.choice(3, n, p=list(SMOKING_P.values()))
    lat["family_history"] = rng.random(n) < P_FAMILY_HISTORY
    lat["gdm"] = lat["female"] & (rng.random(n) < P_GDM)
    decliner = rng.random(n) < P_DECLINER
    lat["step_trend"] = rng.normal(0.0, 0.08, n) + DECLINER_SHIFT * decliner
    lat["rhr_trend"] = rng.normal(0.0, 0.8, n) + 2.5 * decliner
    lat["weekend_drop"] = rng.beta(1.2, 4.0, n)
    lat["sleep_irregularity"] = rng.beta(1.5, 4.0, n)
    lat["height"] = np.where(lat["female"], rng.normal(163.0, 6.5, n), rng.normal(176.0, 7.0, n))
    lat["bmi"] = np.clip(BMI_MEAN + BMI_ACTIVITY * lat["activity"] + rng.normal(0.0, BMI_SD, n), 16.0, 60.0)
    lat["bmi_slope"] = rng.normal(0.15, 0.35, n)
    short_sleep = lat["sleep_hours"] < SHORT_SLEEP_H
    x_ir = np.column_stack([lat["bmi"] - BMI_MEAN, (lat["age"] - 50) / 10, lat["family_history"], lat["gdm"],
                            -lat["activity"], short_sleep])
    lat["ir"] = x_ir @ IR_COEF + rng.normal(0.0, IR_NOISE, n)
    x = np.column_stack([np.ones(n), (lat["age"] - 50) / 10, lat["bmi"] - BMI_MEAN, lat["ir"],
                         lat["smoking"] == 2, lat["family_history"]])
    lat["hypertension"] = rng.random(n) < _sigmoid(x @ HTN_COEF)
    lat["dyslipidaemia"] = rng.random(n) < _sigmoid(x @ DYS_COEF)
    lat["cad"] = rng.random(n) < _sigmoid(x @ CAD_COEF + 0.5 * lat["hypertension"])
    _glycaemia(rng, lat, x)
    _deaths(rng, lat)
    _t2d_outcome(rng, lat, horizon)
    _kidney(rng, lat, horizon)
    return lat


def _glycaemia(rng: np.random.Generator, lat: dict[str, np.ndarray], x: np.ndarray) -> None:
    """Prevalent diabetes with its diagnosis time, and the HbA1c level and slope."""
    n = len(lat["age"])
    lat["prevalent"] = rng.random(n) < _sigmoid(x @ PREV_COEF + 0.6 * lat["gdm"])
    max_years = np.clip(lat["age"] - 25.0, 0.2, DX_YEARS_MAX)
    lat["dx_years"] = np.where(lat["prevalent"], 0.05 + (max_years - 0.05) * rng.random(n), np.nan)
    lat["hba1c_slope"] = 0.02 + 0.04 * np.maximum(lat["ir"], 0.0) + rng.normal(0.0, 0.03, n)
    free = np.clip(HBA1C_BASE + HBA1C_IR * lat["ir"] + rng.normal(0.0, HBA1C_SD, n), 4.3, 6.4)
    treated = np.clip(rng.normal(7.1, 0.9, n), 5.9, 12.0)
    lat["hba1c"] = np.where(lat["prevalent"], treated, free)
    lat["hba1c_present"] = 6.6 + rng.exponential(0.8, n)


def _deaths(rng: np.random.Generator, lat: dict[str, np.ndarray]) -> None:
    """Death before the landmark (years before it), more likely when old or ill."""
    n = len(lat["age"])
    logit = math.log(P_DEATH / (1 - P_DEATH)) - 0.9 + 0.9 * (lat["age"] - 54) / 10 + 0.5 * lat["prevalent"] + 0.7 * lat["cad"]
    dead = rng.random(n) < _sigmoid(logit)
    lat["death_years"] = np.where(dead, HISTORY_YEARS * (0.05 + 0.9 * rng.random(n)), np.nan)
    alive_at_dx = ~(lat["dx_years"] <= lat["death_years"])
    lat["prevalent"] &= alive_at_dx | np.isnan(lat["death_years"])
    lat["dx_years"] = np.where(lat["prevalent"], lat["dx_years"], np.nan)
    lat["alive"] = ~dead


def _t2d_hazard(lat: dict[str, np.ndarray]) -> np.ndarray:
    """Annual hazard of incident type 2 diabetes (``exp(eta)``, see the module docstring)."""
    b = T2D_HAZARD
    h = lat["hba1c"]
    pre = (h >= 5.7) & (h <= 6.4)
    obese = lat["bmi"] >= 30.0
    eta = (b["intercept"] + b["age"] * (lat["age"] - 50) / 10 + b["hba1c"] * (h - 5.5) + b["prediabetes"] * pre
           + b["bmi"] * (lat["bmi"] - BMI_MEAN) + b["obese"] * obese + b["family_history"] * lat["family_history"]
           + b["rule"] * (pre & obese & lat["family_history"]) + b["gdm"] * lat["gdm"]
           + b["hypertension"] * lat["hypertension"] + b["dyslipidaemia"] * lat["dyslipidaemia"]
           + b["smoker"] * (lat["smoking"] == 2) - b["activity"] * lat["activity"]
           + b["short_sleep"] * (lat["sleep_hours"] < SHORT_SLEEP_H) - b["step_trend"] * lat["step_trend"]
           + b["rhr_trend"] * lat["rhr_trend"] + b["hba1c_slope"] * lat["hba1c_slope"]
           + b["weekend_drop"] * lat["weekend_drop"] + b["sleep_irregularity"] * lat["sleep_irregularity"])
    return np.exp(eta)


def _t2d_outcome(rng: np.random.Generator, lat: dict[str, np.ndarray], horizon: float) -> None:
    at_risk = lat["alive"] & ~lat["prevalent"]
    hazard = _t2d_hazard(lat)
    onset = rng.exponential(1.0, len(hazard)) / hazard
    lat["risk_t2d"] = np.where(at_risk, 1.0 - np.exp(-hazard * horizon), 0.0)
    lat["incident"] = at_risk & (onset < horizon)
    lat["onset_years"] = np.where(lat["incident"], onset, np.nan)


def _kidney(rng: np.random.Generator, lat: dict[str, np.ndarray], horizon: float) -> None:
    """Baseline eGFR and ACR, the patient's decline rate and CKD progression over the horizon."""
    n = len(lat["age"])
    prev, htn = lat["prevalent"], lat["hypertension"]
    egfr = EGFR_BASE - EGFR_AGE * (lat["age"] - 25) - 6.0 * prev - 4.0 * htn + rng.normal(0.0, 12.0, n)
    lat["egfr"] = np.clip(egfr, 6.0, 135.0)
    mu = math.log(ACR_MEDIAN) + 1.0 * prev + 0.5 * htn + 0.3 * (lat["hba1c"] - 5.5) + 0.01 * (lat["age"] - 50)
    lat["acr"] = np.exp(rng.normal(mu, ACR_SD))
    x = np.column_stack([np.ones(n), prev, htn, (lat["age"] - 50) / 10, np.maximum(np.log(lat["acr"] / 30), 0.0),
                         np.maximum(lat["hba1c"] - 5.7, 0.0)])
    lat["egfr_slope"] = x @ EGFR_DECLINE + rng.normal(0.0, EGFR_SLOPE_SD, n)
    stage = _ckd_stage(lat["egfr"])
    bound = np.choose(np.clip(stage - 1, 0, 5), [60.0, 60.0, 45.0, 30.0, 15.0, -np.inf])
    # KDIGO "certain drop": a worse GFR category and a decline of at least CKD_DROP from baseline
    margin = np.maximum(lat["egfr"] - bound, CKD_DROP * lat["egfr"])
    decline = horizon * (lat["egfr_slope"] + rng.normal(0.0, EGFR_FUTURE_SD, n))
    future = lat["egfr"] - decline
    risk = _norm_cdf((horizon * lat["egfr_slope"] - margin) / (horizon * EGFR_FUTURE_SD))
    lat["risk_ckd"] = np.where(lat["alive"] & np.isfinite(bound), risk, 0.0)
    lat["ckd_progression"] = lat["alive"] & (decline > margin)
    lat["egfr_horizon"] = np.where(lat["alive"], np.clip(future, 3.0, 140.0), np.nan)


# --------------------------------------------------------------------------- events
@dataclass
class _Events:
    """Columnar event blocks collected per table before assembly."""

    blocks: dict[str, list[tuple[np.ndarray, ...]]] = field(default_factory=dict)

    def add(self, pat: np.ndarray, day: np.ndarray, etype: np.ndarray | int, value: np.ndarray | None = None,
            end: np.ndarray | None = None) -> None:
        n = len(pat)
        etype = np.broadcast_to(np.asarray(etype, dtype=np.int16), (n,))
        table = _EVENT_TYPES[int(etype[0])][4] if n else "visits"
        value = np.full(n, np.nan) if value is None else np.asarray(value, dtype=np.float64)
        end = np.full(n, np.iinfo(np.int64).min) if end is None else np.asarray(end, dtype=np.int64)
        self.blocks.setdefault(table, []).append(
            (pat.astype(np.int32), day.astype(np.int64), etype.astype(np.int16), value, end))


@dataclass
class _Ctx:
    rng: np.random.Generator
    lat: dict[str, np.ndarray]
    landmark: int  # epoch day
    visits_pat: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    visits_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def end_day(self) -> np.ndarray:
        """Last day + 1 with records: the landmark, or the death day."""
        death = self.lat["death_years"]
        return np.where(np.isnan(death), self.landmark, self.landmark - np.round(np.nan_to_num(death) * _YEAR)).astype(np.int64)

    def years(self, pat: np.ndarray, day: np.ndarray) -> np.ndarray:
        return (day - self.landmark) / _YEAR


def _visits(ctx: _Ctx, ev: _Events) -> None:
    """Outpatient, inpatient and emergency visits over the history window."""
    lat, rng = ctx.lat, ctx.rng
    n = len(lat["age"])
    engagement = rng.lognormal(0.0, 0.4, n)
    rate = engagement * (1.4 + 0.8 * lat["hypertension"] + 1.3 * lat["prevalent"] + 0.4 * lat["dyslipidaemia"]
                         + 0.5 * lat["cad"] + 0.02 * np.maximum(lat["age"] - 40, 0))
    counts = rng.poisson(rate * HISTORY_YEARS)
    pat, _ = _expand(counts)
    day = ctx.landmark - 1 - np.floor(rng.random(len(pat)) * HISTORY_YEARS * _YEAR).astype(np.int64)
    keep = day < ctx.end_day[pat]
    pat, day = pat[keep], day[keep]
    order = np.lexsort((day, pat))
    pat, day = pat[order], day[order]
    u = rng.random(len(pat))
    etype = np.where(u < 0.03, _T["9201"], np.where(u < 0.08, _T["9203"], _T["9202"]))
    stay = np.where(etype == _T["9201"], 1 + rng.geometric(0.3, len(pat)), 0)
    end = np.minimum(day + stay, ctx.end_day[pat])
    for t in (_T["9202"], _T["9201"], _T["9203"]):
        m = etype == t
        ev.add(pat[m], day[m], t, end=end[m])
    ctx.visits_pat, ctx.visits_day = pat, day


def _at_visits(ctx: _Ctx, owner_pat: np.ndarray, onset: np.ndarray, p: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(instance index, day) of the patient's visits after ``onset`` kept with probability ``p``."""
    counts = np.bincount(ctx.visits_pat, minlength=len(ctx.lat["age"]))
    starts = np.cumsum(counts) - counts
    inst, pos = _expand(counts[owner_pat])
    day = ctx.visits_day[starts[owner_pat[inst]] + pos]
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), owner_pat.shape)
    keep = (day > onset[inst]) & (ctx.rng.random(len(inst)) < p[inst])
    return inst[keep], day[keep]


def _condition(ctx: _Ctx, ev: _Events, pat: np.ndarray, onset_day: np.ndarray, code: str | np.ndarray,
               p_recode: float = 0.4) -> None:
    """A diagnosis first coded at ``onset_day`` and re-coded at later visits."""
    etype = np.broadcast_to(np.asarray([_T[code]] if isinstance(code, str) else [_T[c] for c in code]
                                       if not isinstance(code, np.ndarray) else code, dtype=np.int16), pat.shape)
    onset_day = np.asarray(onset_day, dtype=np.int64)
    keep = onset_day < ctx.end_day[pat]
    pat, onset_day, etype = pat[keep], onset_day[keep], etype[keep]
    inst, day = _at_visits(ctx, pat, onset_day, p_recode)
    all_pat = np.concatenate([pat, pat[inst]])
    all_day = np.concatenate([onset_day, day])
    all_type = np.concatenate([etype, etype[inst]])
    for t in np.unique(all_type):
        m = all_type == t
        ev.add(all_pat[m], all_day[m], t)


def _days_ago(ctx: _Ctx, years: np.ndarray) -> np.ndarray:
    return ctx.landmark - np.maximum(np.round(np.asarray(years) * _YEAR), 1).astype(np.int64)


def _conditions(ctx: _Ctx, ev: _Events) -> None:
    """ICD-10-CM diagnoses with plausible onset dates and coding probabilities."""
    lat, rng = ctx.lat, ctx.rng
    n = len(lat["age"])
    ids = np.arange(n)
    adult_years = np.maximum(lat["age"] - 22.0, 0.5)
    # type 2 diabetes: E11.65 when poorly controlled, E11.22 with coded CKD below
    prev = ids[lat["prevalent"]]
    code = np.where(lat["hba1c"][prev] >= 8.0, _T["E11.65"], _T["E11.9"]).astype(np.int16)
    _condition(ctx, ev, prev, _days_ago(ctx, lat["dx_years"][prev]), code, 0.6)
    # prediabetes: coded for a share of patients when their HbA1c trajectory crosses 5.7 %
    h, s = lat["hba1c"], np.maximum(lat["hba1c_slope"], 0.005)
    pre = ids[~lat["prevalent"] & (h >= 5.7) & (rng.random(n) < 0.45)]
    cross = np.clip((h[pre] - 5.7) / s[pre], 0.1, HISTORY_YEARS)
    _condition(ctx, ev, pre, _days_ago(ctx, cross), "R73.03", 0.3)
    for name, code_ in (("hypertension", "I10"), ("dyslipidaemia", "E78.5"), ("cad", "I25.10")):
        who = ids[lat[name] & (rng.random(n) < 0.9)]
        years = rng.random(len(who)) * np.minimum(adult_years[who], 15.0)
        _condition(ctx, ev, who, _days_ago(ctx, years), code_, 0.45)
    bmi = lat["bmi"]
    obese = ids[(bmi >= 30.0) & (rng.random(n) < 0.55)]
    _condition(ctx, ev, obese, _days_ago(ctx, rng.random(len(obese)) * HISTORY_YEARS),
               np.where(bmi[obese] >= 40.0, _T["E66.01"], _T["E66.9"]).astype(np.int16), 0.3)
    fh = ids[lat["family_history"] & (rng.random(n) < 0.7)]
    _condition(ctx, ev, fh, _days_ago(ctx, rng.random(len(fh)) * HISTORY_YEARS), "Z83.3", 0.1)
    gdm = ids[lat["gdm"]]
    preg_age = 22.0 + rng.random(len(gdm)) * (np.minimum(40.0, lat["age"][gdm] - 0.5) - 22.0)
    _condition(ctx, ev, gdm, _days_ago(ctx, np.maximum(lat["age"][gdm] - preg_age, 0.1)), "O24.419", 0.0)
    hist = gdm[rng.random(len(gdm)) < 0.6]
    _condition(ctx, ev, hist, _days_ago(ctx, rng.random(len(hist)) * HISTORY_YEARS), "Z86.32", 0.2)
    _ckd_conditions(ctx, ev)


def _ckd_conditions(ctx: _Ctx, ev: _Events) -> None:
    """N18.x coded for most patients with eGFR < 60 and some with albuminuria; E11.22 when diabetic."""
    lat, rng = ctx.lat, ctx.rng
    n = len(lat["age"])
    stage = _ckd_stage(lat["egfr"])
    coded = ((stage >= 3) & (rng.random(n) < 0.75)) | ((stage <= 2) & (lat["acr"] >= 30) & (rng.random(n) < 0.3))
    who = np.flatnonzero(coded)
    slope = np.maximum(lat["egfr_slope"][who], 0.3)
    threshold = np.where(stage[who] >= 3, 60.0, 90.0)
    since = np.clip((threshold - lat["egfr"][who]) / slope, 0.1, 6.0)
    since = np.where(stage[who] >= 3, since, 0.1 + 3.0 * rng.random(len(who)))
    codes = np.array([_T[c] for c in _CKD_CODES], dtype=np.int16)[np.minimum(stage[who], 6) - 1]
    _condition(ctx, ev, who, _days_ago(ctx, since), codes, 0.45)
    dm = who[lat["prevalent"][who]]
    _condition(ctx, ev, dm, _days_ago(ctx, np.minimum(since[lat["prevalent"][who]], lat["dx_years"][dm])), "E11.22", 0.4)


def _vitals(ctx: _Ctx, ev: _Events) -> None:
    """BMI, weight, blood pressure and (sometimes) height at visits."""
    lat, rng = ctx.lat, ctx.rng
    take = rng.random(len(ctx.visits_pat)) < 0.9
    pat, day = ctx.visits_pat[take], ctx.visits_day[take]
    t = ctx.years(pat, day)
    m = len(pat)
    bmi = np.clip(lat["bmi"][pat] + lat["bmi_slope"][pat] * t + rng.normal(0.0, 0.35, m), 15.0, 70.0)
    height = lat["height"][pat]
    ev.add(pat, day, _T["39156-5"], np.round(bmi, 1))
    ev.add(pat, day, _T["29463-7"], np.round(bmi * (height / 100) ** 2, 1))
    age = lat["age"][pat] + t
    htn = lat["hypertension"][pat]
    offset = rng.normal(0.0, 6.0, len(lat["age"]))[pat]
    sbp = (118.0 + 0.45 * (age - 50) + 0.5 * (bmi - 28) + 14.0 * htn + offset + rng.normal(0.0, 9.0, m))
    ev.add(pat, day, _T["8480-6"], np.round(np.clip(sbp, 85, 230)))
    ev.add(pat, day, _T["8462-4"], np.round(np.clip(0.5 * sbp + 16 + rng.normal(0.0, 6.0, m), 45, 130)))
    tall = rng.random(m) < 0.15
    ev.add(pat[tall], day[tall], _T["8302-2"], np.round(height[tall] + rng.normal(0.0, 0.8, int(tall.sum())), 1))


def _hba1c_at(lat: dict[str, np.ndarray], pat: np.ndarray, t: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """HbA1c (%) of patients ``pat`` at times ``t`` (years relative to the landmark)."""
    prevalent = lat["prevalent"][pat]
    free = np.clip(lat["hba1c"][pat] + lat["hba1c_slope"][pat] * t + noise, 4.0, 6.4)
    since_dx = t + np.nan_to_num(lat["dx_years"][pat])
    pre_dx = np.clip(6.4 + 0.3 * since_dx + noise, 5.0, 6.4)
    present, treated = lat["hba1c_present"][pat], lat["hba1c"][pat]
    post_dx = treated + (present - treated) * np.exp(-np.maximum(since_dx, 0) / 0.25) + 1.5 * noise
    return np.where(prevalent, np.where(since_dx < 0, pre_dx, post_dx), free)


def _labs(ctx: _Ctx, ev: _Events) -> None:
    """Lab draws at a per-patient share of visits, each with a random set of panels."""
    lat, rng = ctx.lat, ctx.rng
    n = len(lat["age"])
    p_lab = np.where(rng.random(n) < P_NO_LABS, 0.0, rng.beta(3.0, 4.0, n) + 0.2 * lat["prevalent"])
    draw = rng.random(len(ctx.visits_pat)) < p_lab[ctx.visits_pat]
    pat, day = ctx.visits_pat[draw], ctx.visits_day[draw]
    t = ctx.years(pat, day)
    m = len(pat)
    prev = lat["prevalent"][pat]
    high = prev | lat["hypertension"][pat] | (lat["egfr"][pat] < 60)
    a1c = _hba1c_at(lat, pat, t, rng.normal(0.0, 0.1, m))
    sel = rng.random(m) < np.where(prev, 0.95, np.where(lat["hba1c"][pat] >= 5.7, 0.8, 0.6))
    ev.add(pat[sel], day[sel], _T["4548-4"], np.round(a1c[sel], 1))
    fpg = 95.0 + 25.0 * (a1c - 5.4) + rng.normal(0.0, 7.0, m)
    fpg = np.where(prev, fpg, np.minimum(fpg, 125.0))
    sel = rng.random(m) < 0.5
    ev.add(pat[sel], day[sel], _T["1558-6"], np.round(np.clip(fpg[sel], 55, 450)))
    _kidney_labs(ctx, ev, pat, day, t, rng.random(m) < 0.7, (rng.random(m) < np.where(high, 0.5, 0.12)))
    _lipid_labs(ctx, ev, pat, day, rng.random(m) < 0.45)


def _kidney_labs(ctx: _Ctx, ev: _Events, pat: np.ndarray, day: np.ndarray, t: np.ndarray, crea: np.ndarray,
                 acr: np.ndarray) -> None:
    lat, rng = ctx.lat, ctx.rng
    pat_c, day_c, t_c = pat[crea], day[crea], t[crea]
    egfr = np.clip(lat["egfr"][pat_c] - lat["egfr_slope"][pat_c] * t_c + rng.normal(0.0, 4.0, len(pat_c)), 4.0, 140.0)
    age, female = lat["age"][pat_c] + t_c, lat["female"][pat_c]
    scr = np.round(_creatinine(egfr, age, female), 2)
    ev.add(pat_c, day_c, _T["2160-0"], scr)
    ev.add(pat_c, day_c, _T["98979-8"], np.round(_ckd_epi(scr, age, female)))
    pat_a, day_a = pat[acr], day[acr]
    value = lat["acr"][pat_a] * np.exp(rng.normal(0.0, 0.35, len(pat_a)) - 0.05 * t[acr])
    ev.add(pat_a, day_a, _T["9318-7"], np.round(value, 1))


def _lipid_labs(ctx: _Ctx, ev: _Events, pat: np.ndarray, day: np.ndarray, sel: np.ndarray) -> None:
    lat, rng = ctx.lat, ctx.rng
    pat, day = pat[sel], day[sel]
    m = len(pat)
    dys, bmi = lat["dyslipidaemia"][pat], lat["bmi"][pat]
    statin = dys | lat["prevalent"][pat]
    ldl = np.clip((112.0 + 38.0 * dys + rng.normal(0.0, 22.0, m)) * np.where(statin, 0.7, 1.0), 30, 300)
    hdl = np.clip(56.0 - 7.0 * ~lat["female"][pat] - 0.5 * (bmi - 28) + rng.normal(0.0, 10.0, m), 18, 120)
    tg = np.clip(np.exp(4.75 + 0.025 * (bmi - 28) + 0.12 * lat["ir"][pat] + 0.2 * dys + rng.normal(0.0, 0.35, m)), 30, 1500)
    ev.add(pat, day, _T["2093-3"], np.round(ldl + hdl + tg / 5))
    ev.add(pat, day, _T["2085-9"], np.round(hdl))
    ev.add(pat, day, _T["18262-6"], np.round(ldl))
    ev.add(pat, day, _T["2571-8"], np.round(tg))


def _prescriptions(ctx: _Ctx, ev: _Events, pat: np.ndarray, start_day: np.ndarray, code: str) -> None:
    """A 90-day prescription every ~90 days from ``start_day`` (or the window start) to the record end."""
    window = ctx.landmark - int(HISTORY_YEARS * _YEAR)
    first = np.maximum(start_day, window + ctx.rng.integers(0, 90, len(pat)))
    end = ctx.end_day[pat]
    counts = np.maximum(np.ceil((end - first) / 90.0), 0).astype(np.int64)
    inst, k = _expand(counts)
    day = first[inst] + 90 * k + ctx.rng.integers(-5, 6, len(inst))
    keep = (day < end[inst]) & (day >= window)
    inst, day = inst[keep], day[keep]
    ev.add(pat[inst], day, _T[code], end=np.minimum(day + 90, end[inst]))


def _drugs(ctx: _Ctx, ev: _Events) -> None:
    """Metformin, insulin glargine, lisinopril, amlodipine and atorvastatin (RxNorm ingredients)."""
    lat, rng = ctx.lat, ctx.rng
    n = len(lat["age"])
    ids = np.arange(n)
    prev = ids[lat["prevalent"] & (rng.random(n) < 0.9)]
    dx = _days_ago(ctx, lat["dx_years"][prev])
    _prescriptions(ctx, ev, prev, dx + rng.integers(0, 60, len(prev)), "6809")
    poor = lat["prevalent"] & ((lat["hba1c"] >= 8.0) & (rng.random(n) < 0.6) | (lat["dx_years"] > 8) & (rng.random(n) < 0.2))
    ins = ids[poor]
    _prescriptions(ctx, ev, ins, _days_ago(ctx, lat["dx_years"][ins] * rng.random(len(ins))), "274783")
    htn = ids[lat["hypertension"] & (rng.random(n) < 0.8)]
    u = rng.random(len(htn))
    start = _days_ago(ctx, rng.random(len(htn)) * np.minimum(lat["age"][htn] - 22, 12))
    _prescriptions(ctx, ev, htn[u < 0.8], start[u < 0.8], "29046")
    both = (u >= 0.8) | (u < 0.2)
    _prescriptions(ctx, ev, htn[both], start[both] + 180, "17767")
    statin = ids[(lat["dyslipidaemia"] & (rng.random(n) < 0.7)) | (lat["prevalent"] & (lat["age"] >= 40) & (rng.random(n) < 0.6))]
    _prescriptions(ctx, ev, statin, _days_ago(ctx, rng.random(len(statin)) * 10), "83367")


def _procedures_observations(ctx: _Ctx, ev: _Events) -> None:
    """ECGs, diabetic eye exams, dialysis, and smoking status observations at visits."""
    lat, rng = ctx.lat, ctx.rng
    pat, day = ctx.visits_pat, ctx.visits_day
    m = len(pat)
    u = rng.random(m)
    ecg = u < np.where(lat["cad"][pat] | lat["hypertension"][pat], 0.12, 0.03)
    ev.add(pat[ecg], day[ecg], _T["93000"])
    dx_day = ctx.landmark - np.round(np.nan_to_num(lat["dx_years"], nan=-1e6) * _YEAR)
    eye = lat["prevalent"][pat] & (day > dx_day[pat]) & (rng.random(m) < 0.2)
    ev.add(pat[eye], day[eye], _T["92250"])
    dial = (lat["egfr"][pat] - lat["egfr_slope"][pat] * ctx.years(pat, day) < 15) & (rng.random(m) < 0.9)
    ev.add(pat[dial], day[dial], _T["90935"])
    smk = rng.random(m) < 0.2
    codes = np.array([_T[c] for c in _SMOKING_CODES], dtype=np.int16)[lat["smoking"][pat[smk]]]
    for c in np.unique(codes):
        ev.add(pat[smk][codes == c], day[smk][codes == c], c)


def _death_events(ctx: _Ctx, ev: _Events) -> None:
    dead = np.flatnonzero(~ctx.lat["alive"])
    ev.add(dead, ctx.end_day[dead], _T["death"])


def _practice(ctx: _Ctx, ev: _Events) -> None:
    """Routine-care situations (issue 19), drawn last so that the other events do not change.

    Treated diabetes without a code (a sulfonylurea, the E11 codes removed); a repeat
    reading at half of the BP visits and isolated high-SBP visits; one unconfirmed
    diabetes-range HbA1c or FPG in patients without diabetes; metformin for
    prediabetes, an SGLT2 inhibitor for CKD or coronary disease, a beta blocker for
    coronary disease and a GLP-1 agonist for obesity, without diabetes or hypertension.
    """
    lat, rng = ctx.lat, ctx.rng
    n = len(lat["age"])
    ids = np.arange(n)
    uncoded = ids[lat["prevalent"] & (rng.random(n) < P_UNCODED_TREATED)]
    _prescriptions(ctx, ev, uncoded, _days_ago(ctx, lat["dx_years"][uncoded]), "4821")
    drop = np.isin(ids, uncoded)
    e11 = [_T["E11.9"], _T["E11.65"], _T["E11.22"]]
    ev.blocks["conditions"] = [tuple(col[keep] for col in block) for block in ev.blocks.get("conditions", [])
                               for keep in [~(drop[block[0]] & np.isin(block[2], e11))]]
    vitals = {b[2][0]: b for b in ev.blocks.get("vitals", []) if len(b[2])}
    empty = (np.zeros(0, np.int32), np.zeros(0, np.int64), None, np.zeros(0))
    pat, day, _, sbp = vitals.get(_T["8480-6"], empty)[:4]
    dbp = vitals.get(_T["8462-4"], empty)[3]
    spike = rng.random(len(pat)) < P_WHITE_COAT
    sbp[spike] += np.round(rng.uniform(*WHITE_COAT_SBP, int(spike.sum())))
    again = rng.random(len(pat)) < P_REPEAT_BP
    m = int(again.sum())
    ev.add(pat[again], day[again], _T["8480-6"], np.round(np.clip(sbp[again] + rng.normal(0.0, REPEAT_SBP_SD, m), 85, 230)))
    ev.add(pat[again], day[again], _T["8462-4"], np.round(np.clip(dbp[again] + rng.normal(0.0, REPEAT_DBP_SD, m), 45, 130)))
    chosen = ~lat["prevalent"] & (rng.random(n) < P_UNCONFIRMED)
    for block in ev.blocks.get("labs", []):
        if not len(block[2]) or block[2][0] not in (_T["4548-4"], _T["1558-6"]):
            continue
        rows = np.flatnonzero(chosen[block[0]])
        rows = rows[rng.permutation(len(rows))]
        rows = rows[np.unique(block[0][rows], return_index=True)[1]]  # one draw per patient
        high = rng.uniform(6.5, 6.9, len(rows)) if block[2][0] == _T["4548-4"] else rng.uniform(126.0, 140.0, len(rows))
        block[3][rows] = np.round(high, 1 if block[2][0] == _T["4548-4"] else 0)
        chosen[block[0][rows]] = False  # one unconfirmed value per patient
    free = ~lat["prevalent"]
    for share, who, start_years, code in (
            ("metformin_prediabetes", free & (lat["hba1c"] >= 5.7), 2.0, "6809"),
            ("sglt2_hf_ckd", free & ((lat["egfr"] < 60) | lat["cad"]), 1.5, "1545653"),
            ("beta_blocker_cad", lat["cad"] & ~lat["hypertension"], 4.0, "6918"),
            ("glp1_obesity", free & (lat["bmi"] >= 35), 1.0, "1991302")):
        pick = ids[who & (rng.random(n) < P_OFF_LABEL[share])]
        _prescriptions(ctx, ev, pick, _days_ago(ctx, rng.random(len(pick)) * start_years), code)


# --------------------------------------------------------------------------- frames
def _categorical(codes: np.ndarray, categories: list[str] | pd.Index) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype="string"))


def _nullable_int(values: np.ndarray, mask: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    mask = np.zeros(len(values), dtype=bool) if mask is None else mask
    return pd.arrays.IntegerArray(values.astype(np.int64, copy=False), mask)


def _null_strings(n: int) -> pd.api.extensions.ExtensionArray:
    return pd.array(pa.nulls(n, pa.large_string()), dtype="string")


def _source_columns(dataset: str, table_codes: np.ndarray, rows: np.ndarray) -> dict[str, object]:
    n = len(rows)
    return {
        "source_dataset": _categorical(np.zeros(n, np.int8), [dataset]),
        "source_table": _categorical(table_codes.astype(np.int8), list(_TABLES)),
        "source_row": _nullable_int(rows),
        "source_id": _null_strings(n),
    }


def _datetimes(days: np.ndarray) -> np.ndarray:
    return (days.astype(np.int64) * 86400).astype("datetime64[s]")


def _events_frame(ev: _Events, ids: pd.Index, dataset: str, report: LoadReport) -> pd.DataFrame:
    """Concatenate blocks, number rows within each source table, sort by (patient, day)."""
    parts, tables, rows = [], [], []
    for table in _TABLES:
        blocks = ev.blocks.pop(table, [])
        size = sum(len(b[0]) for b in blocks)
        if table not in ("patients", "lifelog_daily", "lifelog_hourly"):
            report.count(table, read=size, loaded=size)
        parts.extend(list(b) for b in blocks)
        tables.append(np.full(size, _TABLES.index(table), dtype=np.int8))
        rows.append(np.arange(1, size + 1, dtype=np.int64))
    dtypes = (np.int32, np.int64, np.int16, np.float64, np.int64)

    def column(i: int) -> np.ndarray:  # concatenate column i of every block, freeing the blocks' copies
        out = np.concatenate([p[i] for p in parts], dtype=dtypes[i]) if parts else np.zeros(0, dtypes[i])
        for p in parts:
            p[i] = None
        return out

    pat, day = column(0), column(1)
    order = np.argsort((pat.astype(np.int64) << 24) | (day - (day.min() if len(day) else 0)), kind="stable")
    pat, day = pat[order], day[order]
    etype, value, end = column(2)[order], column(3)[order], column(4)[order]
    table, row = np.concatenate(tables)[order], np.concatenate(rows)[order]
    del order, parts
    return pd.DataFrame(_event_columns(pat, day, etype, value, end, ids) | _source_columns(dataset, table, row),
                        copy=False)


def _event_columns(pat, day, etype, value, end, ids) -> dict[str, object]:
    vocab = {col: sorted({t[i] for t in _EVENT_TYPES if t[i] is not None}) for i, col in enumerate(("kind", "system", "code", "unit"))}
    lookup = {col: np.array([-1 if t[i] is None else vocab[col].index(t[i]) for t in _EVENT_TYPES], dtype=np.int16)
              for i, col in enumerate(("kind", "system", "code", "unit"))}
    end_time = np.where(end == np.iinfo(np.int64).min, np.iinfo(np.int64).min, end * 86400).view("datetime64[s]")
    return {
        "patient_id": _categorical(pat, ids),
        "time": _datetimes(day),
        "end_time": end_time,
        "kind": _categorical(lookup["kind"][etype], vocab["kind"]),
        "system": _categorical(lookup["system"][etype], vocab["system"]),
        "code": _categorical(lookup["code"][etype], vocab["code"]),
        "value": value,
        "unit": _categorical(lookup["unit"][etype], vocab["unit"]),
        "value_text": _categorical(np.full(len(pat), -1, np.int8), []),
        "comparator": _categorical(np.full(len(pat), -1, np.int8), []),
    }


def _patients_frame(lat: dict[str, np.ndarray], ids: pd.Index, landmark: int, dataset: str) -> pd.DataFrame:
    n = len(ids)
    birth = landmark - np.round(lat["age"] * _YEAR).astype(np.int64)
    death = np.where(lat["alive"], np.iinfo(np.int64).min,
                     (landmark - np.round(np.nan_to_num(lat["death_years"]) * _YEAR)).astype(np.int64) * 86400)
    return pd.DataFrame({
        "patient_id": pd.array(ids, dtype="string"),
        "sex": _categorical(np.where(lat["female"], 0, 1).astype(np.int8), ["F", "M"]),
        "birth_date": _datetimes(birth),
        "death_date": death.view("datetime64[s]"),
        **_source_columns(dataset, np.zeros(n, np.int8), np.arange(1, n + 1)),
    })


def _labels_frame(lat: dict[str, np.ndarray], ids: pd.Index, landmark: int, horizon_days: int) -> pd.DataFrame:
    n = len(ids)
    nat = np.iinfo(np.int64).min
    onset = np.where(lat["incident"], landmark * 86400 + np.round(np.nan_to_num(lat["onset_years"]) * _YEAR) * 86400, nat)
    dx = np.where(lat["prevalent"], (landmark - np.round(np.nan_to_num(lat["dx_years"]) * _YEAR)) * 86400, nat)
    return pd.DataFrame({
        "patient_id": pd.array(ids, dtype="string"),
        "landmark": _datetimes(np.full(n, landmark)),
        "horizon_days": np.full(n, horizon_days, dtype=np.int64),
        "alive": lat["alive"],
        "prevalent_t2d": lat["prevalent"],
        "incident_t2d": lat["incident"],
        "t2d_onset": onset.astype(np.int64).view("datetime64[s]"),
        "t2d_diagnosis_date": dx.astype(np.int64).view("datetime64[s]"),
        "ckd_progression": lat["ckd_progression"],
        "risk_t2d": lat["risk_t2d"],
        "risk_ckd": lat["risk_ckd"],
        "age": lat["age"],
        "female": lat["female"],
        "latent_bmi": lat["bmi"],
        "bmi_slope": lat["bmi_slope"],
        "family_history": lat["family_history"],
        "gestational_diabetes": lat["gdm"],
        "latent_hba1c": lat["hba1c"],
        "hba1c_slope": lat["hba1c_slope"],
        "insulin_resistance": lat["ir"],
        "latent_activity": lat["activity"],
        "step_trend": lat["step_trend"],
        "rhr_trend": lat["rhr_trend"],
        "weekend_drop": lat["weekend_drop"],
        "sleep_hours": lat["sleep_hours"],
        "sleep_irregularity": lat["sleep_irregularity"],
        "smoking": pd.Categorical.from_codes(lat["smoking"], categories=list(SMOKING_P)),
        "hypertension": lat["hypertension"],
        "dyslipidaemia": lat["dyslipidaemia"],
        "cad": lat["cad"],
        "egfr_landmark": lat["egfr"],
        "egfr_slope": lat["egfr_slope"],
        "egfr_horizon": lat["egfr_horizon"],
        "acr_landmark": lat["acr"],
        "has_wearable": lat["wearable"],
        "wear_compliance": lat["compliance"],
    })


# --------------------------------------------------------------------------- lifelog
def _wearers(rng: np.random.Generator, lat: dict[str, np.ndarray]) -> None:
    n = len(lat["age"])
    p = _sigmoid(0.75 - 0.35 * (lat["age"] - 50) / 10 + 0.3 * lat["activity"])
    lat["wearable"] = rng.random(n) < p
    lat["compliance"] = np.where(lat["wearable"], rng.beta(8.0, 1.5, n), np.nan)


def _day_masks(rng: np.random.Generator, m: int, days: int, first: np.ndarray, last: np.ndarray,
               compliance: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (owner, day): row present, worn, partially worn."""
    col = np.arange(days)
    in_window = (col >= first[:, None]) & (col < last[:, None])
    gaps = np.zeros((m, days + 1), dtype=np.int16)
    n_gaps = rng.poisson(1.0, m)
    owner, _ = _expand(n_gaps)
    start = rng.integers(0, days, len(owner))
    stop = np.minimum(start + rng.geometric(1 / 6, len(owner)), days)
    np.add.at(gaps, (owner, start), 1)
    np.add.at(gaps, (owner, stop), -1)
    in_gap = np.cumsum(gaps, axis=1)[:, :days] > 0
    worn = in_window & ~in_gap & (rng.random((m, days)) < compliance[:, None])
    present = worn | (in_window & ~in_gap & (rng.random((m, days)) < 0.4))
    partial = worn & (rng.random((m, days)) < P_PARTIAL)
    return present, worn, partial


def _daily_chunk(rng: np.random.Generator, lat: dict[str, np.ndarray], who: np.ndarray, day0: int, days: int,
                 end_day: np.ndarray) -> dict[str, np.ndarray]:
    """Daily rows of owners ``who``; returns flat arrays of the present (owner, day) cells."""
    m = len(who)
    late = rng.random(m) < P_LATE_START
    first = np.where(late, rng.integers(0, max(days - 30, 1), m), 0)
    last = np.clip(end_day[who] - day0, 0, days)
    present, worn, partial = _day_masks(rng, m, days, first, last, lat["compliance"][who])
    epoch = day0 + np.arange(days)
    weekend = ((epoch + 3) % 7 >= 5)[None, :]
    t = ((epoch - (day0 + days)) / _YEAR)[None, :]
    a, trend = lat["activity"][who, None], lat["step_trend"][who, None]
    log_steps = (math.log(STEPS_MEDIAN) + 0.4 * a + trend * t + np.log1p(-lat["weekend_drop"][who, None] * weekend)
                 - 0.008 * (lat["age"][who, None] - 50) + rng.normal(0.0, 0.35, (m, days)))
    wear_min = np.where(partial, rng.integers(30, 600, (m, days)), np.clip(rng.normal(870, 110, (m, days)), 600, 1440))
    wear_min = np.where(worn, wear_min, 0).astype(np.int64)
    steps = np.exp(log_steps) * np.minimum(wear_min / 840.0, 1.0)
    active = np.minimum(np.maximum(steps - 2500.0, 0.0) / 110.0 * rng.uniform(0.7, 1.3, (m, days)), wear_min)
    irr = lat["sleep_irregularity"][who, None]
    sleep = rng.normal(lat["sleep_hours"][who, None] * 60 + 45 * irr * weekend, 25 + 60 * irr, (m, days))
    has_sleep = worn & (rng.random((m, days)) < 0.8) & ~partial
    rhr = (64.0 - 3.0 * a + 0.25 * (lat["bmi"][who, None] - 28) + lat["rhr_trend"][who, None] * t
           + rng.normal(0.0, 1.8, (m, days)))
    has_rhr = worn & (wear_min >= 240)
    r, c = np.nonzero(present)
    return {  # compact dtypes; _daily_frame widens them column by column
        "pat": who[r].astype(np.int32), "day": epoch[c].astype(np.int32), "worn": wear_min[r, c].astype(np.int16),
        "steps": np.round(steps[r, c]).astype(np.int32), "active": np.round(active[r, c]).astype(np.int16),
        "sleep": np.round(np.clip(sleep[r, c], 120, 840)).astype(np.int16),
        "rhr": np.round(rhr[r, c], 1).astype(np.float32),
        "no_steps": ~worn[r, c], "no_sleep": ~has_sleep[r, c], "no_rhr": ~has_rhr[r, c],
    }


def _take_column(chunks: list[dict[str, np.ndarray]], key: str, dtype: type) -> np.ndarray:
    """Concatenate one column of all chunks to ``dtype`` and free it from the chunks."""
    out = np.concatenate([c.pop(key) for c in chunks], dtype=dtype) if chunks else np.zeros(0, dtype)
    return out


def _daily_frame(chunks: list[dict[str, np.ndarray]], ids: pd.Index, dataset: str) -> pd.DataFrame:
    """The daily lifelog frame, built one column at a time to bound peak memory."""
    no_steps = _take_column(chunks, "no_steps", bool)
    columns = {
        "patient_id": _categorical(_take_column(chunks, "pat", np.int32), ids),
        "date": _datetimes(_take_column(chunks, "day", np.int64)),
        "steps": _nullable_int(_take_column(chunks, "steps", np.int64), no_steps),
        "active_minutes": _nullable_int(_take_column(chunks, "active", np.int64), no_steps.copy()),
        "sleep_minutes": _nullable_int(_take_column(chunks, "sleep", np.int64), _take_column(chunks, "no_sleep", bool)),
        "resting_hr": pd.arrays.FloatingArray(np.round(_take_column(chunks, "rhr", np.float64), 1),
                                              _take_column(chunks, "no_rhr", bool)),
        "worn_minutes": _nullable_int(_take_column(chunks, "worn", np.int64)),
    }
    n = len(no_steps)
    columns.update(_source_columns(dataset, np.full(n, _TABLES.index("lifelog_daily"), np.int8), np.arange(1, n + 1)))
    return pd.DataFrame(columns, copy=False)


#: Share of a day's steps in each hour of the day (waking hours only).
_HOURLY_PROFILE = np.array([0, 0, 0, 0, 0, 0.2, 0.8, 1.5, 1.6, 1.3, 1.2, 1.3, 1.5, 1.3, 1.1, 1.1, 1.3, 1.7, 1.6,
                            1.2, 0.9, 0.6, 0.3, 0.1])


def _hourly_frame(rng: np.random.Generator, daily: pd.DataFrame, lat: dict[str, np.ndarray], ids: pd.Index,
                  dataset: str) -> pd.DataFrame:
    """Hourly steps and heart rate for the worn hours of worn days, summing to the daily steps."""
    worn = daily["worn_minutes"].to_numpy(dtype=np.int64) > 0
    pat = daily["patient_id"].cat.codes.to_numpy()[worn]
    day = daily["date"].to_numpy().astype("datetime64[D]").astype(np.int64)[worn]
    steps = daily["steps"].to_numpy(dtype=np.float64)[worn]
    wear_h = np.maximum(daily["worn_minutes"].to_numpy(dtype=np.int64)[worn] // 60, 1)
    wake = rng.integers(6, 9, len(pat))
    hours = np.arange(24)
    offset = (hours[None, :] - wake[:, None]) % 24
    on = offset < np.minimum(wear_h, 24)[:, None]
    w = _HOURLY_PROFILE[None, :] * on * rng.gamma(4.0, 0.25, (len(pat), 24))
    w = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-9)
    cum = np.round(np.cumsum(w, axis=1) * steps[:, None])
    hour_steps = np.diff(cum, axis=1, prepend=0.0)
    rhr = daily["resting_hr"].to_numpy(dtype=np.float64, na_value=np.nan)[worn]
    base = np.where(np.isnan(rhr), 64.0 - 3.0 * lat["activity"][pat], rhr)
    hr = base[:, None] + 6.0 + 0.012 * hour_steps + rng.normal(0.0, 3.0, hour_steps.shape)
    r, h = np.nonzero(on)
    n = len(r)
    return pd.DataFrame({
        "patient_id": _categorical(pat[r].astype(np.int32), ids),
        "time": ((day[r] * 24 + h) * 3600).astype("datetime64[s]"),
        "steps": _nullable_int(hour_steps[r, h].astype(np.int64)),
        "heart_rate": pd.arrays.FloatingArray(np.round(hr[r, h], 1), np.zeros(n, dtype=bool)),
        **_source_columns(dataset, np.full(n, _TABLES.index("lifelog_hourly")), np.arange(1, n + 1)),
    })


# --------------------------------------------------------------------------- progress and entry point
class _Progress:
    """A rich progress bar when asked for, else a no-op."""

    def __init__(self, enabled: bool, total: int) -> None:
        self._bar = None
        if enabled:
            from rich.progress import Progress  # lazy: rich is only needed for the bar

            self._bar = Progress(transient=True)
            self._task = self._bar.add_task("synthetic cohort", total=total)

    def __enter__(self) -> "_Progress":
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def step(self, what: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=what)


def _check_args(n: int, horizon_years: float, lifelog_days: int) -> None:
    for name, value, low in (("n", n, 0), ("horizon_years", horizon_years, 0), ("lifelog_days", lifelog_days, 0)):
        if not isinstance(value, (int, float, np.integer, np.floating)) or value < low:
            raise DataLoadError(f"{name} must be a number >= {low}, got {value!r}", source="synthetic_cohort")
    if n > 999_999_999:
        raise DataLoadError(f"n must be < 1e9 (ids are S + 9 digits), got {n}", source="synthetic_cohort")


def synthetic_cohort(n: int, seed: int = 0, *, landmark: str = "2024-01-01", horizon_years: float = 3,
                     lifelog_days: int = 365, hourly: bool = False, rare_leaf_codes: bool = False,
                     progress: bool = False) -> Cohort:
    """A synthetic cohort with known ground truth for type 2 diabetes and CKD.

    Patients get demographics, ICD-10-CM diagnoses, LOINC labs and vitals in
    canonical units, RxNorm prescriptions, visits, procedures, smoking status
    and (for about two thirds) a daily wearable lifelog with realistic
    missingness, all strictly before ``landmark``.  ``cohort.labels`` holds
    the outcomes over ``horizon_years`` after the landmark, their true
    probabilities and the latent factors that produced them.  The mechanism
    and its parameters are documented in :mod:`neurosym.data._synthetic`.

    Parameters
    ----------
    n : int
        Number of patients (ids ``S000001`` ...).
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical
        frames.
    landmark : str, default "2024-01-01"
        ISO date at which risk is predicted; no record is on or after it.
    horizon_years : float, default 3
        Prediction horizon after the landmark.
    lifelog_days : int, default 365
        Days of wearable data before the landmark.
    hourly : bool, default False
        Also generate hourly steps and heart rate for worn hours (about 15
        rows per worn day; meant for small ``n``).
    rare_leaf_codes : bool, default False
        Code each informative diagnosis with a leaf drawn uniformly (once per
        patient and diagnosis) from the ICD-10-CM leaves of its block or
        category: prediabetes from R70-R79 (43 leaves), obesity from E65-E68
        (14), hypertension from I10-I16 (17), dyslipidaemia from E70-E88
        (254), family history of diabetes from Z83 (15) and gestational
        diabetes from O20-O29 (256).  The parents stay informative while
        most leaves are rare (a few patients each in a thousand), the setting
        where ontology-aware code embeddings should help.  Everything else is
        unchanged.
    progress : bool, default False
        Show a rich progress bar.

    Returns
    -------
    Cohort
        With ``labels``: one row per patient with ``patient_id``,
        ``landmark``, ``horizon_days``, ``alive`` (false if the patient died
        before the landmark), ``prevalent_t2d``, ``incident_t2d``,
        ``t2d_onset`` (incident onset, else NaT), ``t2d_diagnosis_date``
        (prevalent diagnosis, else NaT), ``ckd_progression``, ``risk_t2d``
        and ``risk_ckd`` (true probabilities of the two labels) and the latent
        factors (``latent_activity``, ``latent_hba1c``, ``family_history``, ...).

    Raises
    ------
    DataLoadError
        If ``n``, ``horizon_years`` or ``lifelog_days`` is negative.

    See Also
    --------
    Cohort.to_facts : the base relations rules are written against.

    Examples
    --------
    >>> cohort = synthetic_cohort(4, seed=0)
    >>> cohort.patient_ids
    ['S000001', 'S000002', 'S000003', 'S000004']
    >>> bool((cohort.events["time"] < cohort.labels["landmark"][0]).all())
    True
    """
    _check_args(n, horizon_years, lifelog_days)
    n, lifelog_days = int(n), int(lifelog_days)
    dataset = f"synthetic(seed={seed})"
    day = date_to_day(landmark)
    ids = pd.Index([f"S{i:06d}" if n <= 999_999 else f"S{i:09d}" for i in range(1, n + 1)], dtype="string")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    n_chunks = max(math.ceil(n / _LIFELOG_CHUNK), 1)
    with _Progress(progress, 9 + n_chunks + hourly) as bar:
        lat = _latents(streams[0], n, float(horizon_years))
        _wearers(streams[0], lat)
        bar.step("latent factors")
        report = LoadReport(dataset)
        report.count("patients", read=n, loaded=n)
        ctx = _Ctx(streams[1], lat, day)
        ev = _Events()
        for stage in (_visits, _conditions, _vitals, _labs, _drugs, _procedures_observations, _death_events, _practice):
            stage(ctx, ev)
            bar.step(stage.__name__.strip("_"))
        patients = _patients_frame(lat, ids, day, dataset)
        events = _events_frame(ev, ids, dataset, report)
        if rare_leaf_codes:
            events = _spread_to_leaves(events, np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(4,))))
        del ev
        daily = _lifelog(streams[2], lat, ids, day, lifelog_days, ctx.end_day, dataset, bar)
        report.count("lifelog_daily", read=len(daily), loaded=len(daily))
        hourly_frame = None
        if hourly:
            hourly_frame = _hourly_frame(streams[3], daily, lat, ids, dataset)
            report.count("lifelog_hourly", read=len(hourly_frame), loaded=len(hourly_frame))
            bar.step("hourly lifelog")
        lifelog = Lifelog(daily, hourly_frame if hourly_frame is not None else _empty(HOURLY_COLUMNS, ids, dataset))
        labels = _labels_frame(lat, ids, day, int(round(horizon_years * _YEAR)))
    return Cohort(patients, events, lifelog, report, labels, f"synthetic(n={n}, seed={seed})")


def _lifelog(rng: np.random.Generator, lat: dict[str, np.ndarray], ids: pd.Index, day: int, days: int,
             end_day: np.ndarray, dataset: str, bar: _Progress) -> pd.DataFrame:
    owners = np.flatnonzero(lat["wearable"])
    chunks = []
    for start in range(0, max(len(owners), 1), _LIFELOG_CHUNK):
        who = owners[start:start + _LIFELOG_CHUNK]
        if len(who) and days:
            chunks.append(_daily_chunk(rng, lat, who, day - days, days, end_day))
        bar.step("daily lifelog")
    return _daily_frame(chunks, ids, dataset)


def _empty(columns: dict[str, str], ids: pd.Index, dataset: str) -> pd.DataFrame:
    frame = {"patient_id": _categorical(np.zeros(0, np.int32), ids)}
    for name, dtype in columns.items():
        if name not in frame and name not in ("source_dataset", "source_table", "source_row", "source_id"):
            frame[name] = pd.Series(dtype=dtype).array
    return pd.DataFrame(frame | _source_columns(dataset, np.zeros(0, np.int8), np.zeros(0, np.int64)))



#: ICD-10-CM block or category of each generated diagnosis that ``rare_leaf_codes`` spreads over its leaves.
_LEAF_PARENTS = {"R73.03": "R70-R79", "E66.9": "E65-E68", "E66.01": "E65-E68", "I10": "I10-I16", "E78.5": "E70-E88",
                 "Z83.3": "Z83", "O24.419": "O20-O29"}


def _leaves(onto, parent: str) -> list[str]:
    """ICD-10-CM leaf codes under ``parent`` in ``onto`` (the shipped ICD-10-CM ontology)."""
    return sorted(c.split(":", 1)[1] for c in onto.descendants(f"icd10cm:{parent}", include_self=True)
                  if not onto.children(c))


def _spread_to_leaves(events: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Recode the diagnoses of :data:`_LEAF_PARENTS` with one random leaf per (patient, code).

    >>> plain, leaves = synthetic_cohort(300, seed=0), synthetic_cohort(300, seed=0, rare_leaf_codes=True)
    >>> codes = leaves.events.loc[leaves.events["kind"] == "condition", "code"].astype(str)
    >>> codes[codes.str.startswith("E6")].nunique(), codes[codes.str.startswith("I1")].nunique(), codes.nunique()
    (13, 17, 175)
    >>> leaves.events.drop(columns="code").equals(plain.events.drop(columns="code"))
    True
    """
    from neurosym.ontology import Ontology  # only this setting needs the ontology

    onto = Ontology.load("icd10cm")
    leaves = {code: _leaves(onto, parent) for code, parent in _LEAF_PARENTS.items()}
    categories = list(events["code"].cat.categories)
    new_categories = sorted(set(categories) | {leaf for ls in leaves.values() for leaf in ls})
    remap = pd.Index(new_categories).get_indexer(categories)
    codes = remap[events["code"].cat.codes.to_numpy()]
    pat = events["patient_id"].cat.codes.to_numpy().astype(np.int64)
    n_pat = max(int(pat.max(initial=0)) + 1, 1)
    for code, options in leaves.items():
        if code not in categories:
            continue
        rows = codes == new_categories.index(code)
        draw = rng.integers(0, len(options), n_pat)  # one leaf per patient and diagnosis
        codes[rows] = pd.Index(new_categories).get_indexer(np.asarray(options, dtype=object)[draw[pat[rows]]])
    events = events.copy()
    events["code"] = pd.Categorical.from_codes(codes, categories=pd.Index(new_categories, dtype=events["code"].cat.categories.dtype))
    return events
