"""Benchmark the native rule engine against pyDatalog, clingo and hand-written DuckDB SQL.

All systems run the same workloads side by side in one run; every measurement
is a fresh Python subprocess (``--worker``), so a baseline that runs away can
be killed at its time-out and the peak resident set size of each system is
its own.  Timed: loading the facts into the system plus evaluation to the
fixpoint (for clingo: parsing the facts, grounding and solving).  Not timed:
generating data, reading it from Parquet, writing clingo's fact file and
counting tuples afterwards.

Workloads (full run; ``--quick`` uses the small sizes in ``QUICK``)
----------------------------------------------------------------------
``tc_random_10k``    transitive closure, 10 000 random edges over 8 000 nodes (seed 0)
``tc_random_50k``    transitive closure, 50 000 random edges over 50 000 nodes (seed 0)
``tc_chain_2k``      transitive closure of a 2 000-edge chain (2 001 000 paths, 2 000 rounds)
``same_generation``  same generation on a random 6-level tree (1 365 nodes, seed 0)
``tc_chain_400``, ``same_generation_small`` (364 nodes), ``clinical_200``
                     small sizes at which pyDatalog finishes (measured ratios, not bounds)
``clinical_100k``    the same on ``synthetic_cohort(100_000, seed=0)``
``rule_library_100k`` the shipped ``rules/`` library on the 100k cohort (native only; its facts are read from
                     Parquet straight into the engine's database with ``load_facts``, timed)

The clinical program (``CLINICAL_RULES``) is representative of the rule
library: latest HbA1c / fasting glucose / creatinine / BMI in a look-back
window via ``max`` aggregates, ADA glycemic status with stratified negation,
CKD-EPI 2021 eGFR (``pow``/``min``/``max`` arithmetic) and KDIGO G stages,
weekly lifelog aggregates (``count``/``sum``) with negation, and risk factors.

Systems
-------
``native``      ``Program.evaluate(facts, engine="native")``
``pydatalog``   ``Program.evaluate(facts, engine="pydatalog")`` (falls back to
                driving pyDatalog directly for the graph workloads if the
                backend is missing)
``clingo``      the same program in ASP syntax (values scaled to integers,
                eGFR by a Python ``@egfr`` function: clingo has no floats)
``duckdb_sql``  the best hand-written DuckDB SQL: ``WITH RECURSIVE ... UNION``
                for closures, joins / ``GROUP BY`` for the clinical rules

Every workload checks that all systems that finished produce the same number
of tuples per output relation.  For the graph workloads the benchmark also times
whole processes on the same files: ``neurosym rules run`` (a subprocess, from
reading ``<rel>.facts`` to writing the sorted ``<rel>.csv``) against a hand-written
DuckDB script run the same way (``read_csv``, ``WITH RECURSIVE``, ``COPY``),
checks the output files are byte-identical and prints the ratios (in-process
native / SQL, whole-process wall time, and whole-process CPU time, which a shared
machine disturbs less) against the 1.5× goal.  The native run at 100k patients also records
peak RSS and ``model.explain`` latency (20 different patients).

Usage::

    python benchmarks/engine.py                 # full run, ~15 min on 2 cores
    python benchmarks/engine.py --quick         # small sizes, < 1 min
    python benchmarks/engine.py --only tc_chain_2k --systems native,duckdb_sql
    python benchmarks/engine.py --profile rule_library_100k --patients 10000   # every SQL statement timed, 10k cohort
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import queue
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

RESULTS = HERE / "results" / "engine.json"
SYSTEMS = ("native", "pydatalog", "clingo", "duckdb_sql")
MARK = "@@BENCH "
#: Resident-memory cap for the pyDatalog and clingo workers (they can exhaust memory on big inputs); the parent
#: polls the worker's VmRSS and kills it above the cap.  (An address-space rlimit would break DuckDB, which
#: reserves virtual memory and is used inside the pyDatalog backend.)
BASELINE_RSS_CAP_MB = 10_240
#: Targets from the issue.
#: The native engine and hand-written SQL are timed up to REPEATS times (best reported) while the total stays under REPEAT_BUDGET s.
REPEATS = 3
REPEAT_BUDGET = 20.0
TARGETS = {"pydatalog": 100.0, "clingo": 1.0, "duckdb_sql": 0.5, "whole_process_ratio": 1.5, "clinical_100k_ratio": 1.2,
           "clinical_200_ratio": 2.0, "library_100k_seconds": 20.0, "peak_rss_mb": 6144.0, "first_explain_ms": 1000.0}

FULL = [
    {"name": "tc_random_10k", "kind": "tc_random", "edges": 10_000, "nodes": 8_000, "seed": 0},
    {"name": "tc_random_50k", "kind": "tc_random", "edges": 50_000, "nodes": 50_000, "seed": 0},
    {"name": "tc_chain_2k", "kind": "tc_chain", "nodes": 2_000},
    {"name": "same_generation", "kind": "sg", "levels": [1, 4, 16, 64, 256, 1024], "seed": 0},
    # small sizes at which pyDatalog finishes within the time-out: measured (not bounded) ratios
    {"name": "tc_chain_400", "kind": "tc_chain", "nodes": 400},
    {"name": "same_generation_small", "kind": "sg", "levels": [1, 3, 9, 27, 81, 243], "seed": 0},
    {"name": "clinical_200", "kind": "clinical", "patients": 200, "seed": 0},
    {"name": "clinical_100k", "kind": "clinical", "patients": 100_000, "seed": 0, "explain": "ckd_stage"},
    {"name": "rule_library_100k", "kind": "library", "patients": 100_000, "seed": 0, "systems": ["native"], "explain": "ckd_g_stage"},
]
QUICK = [
    {"name": "tc_random_100", "kind": "tc_random", "edges": 100, "nodes": 100, "seed": 0},
    {"name": "tc_chain_100", "kind": "tc_chain", "nodes": 100},
    {"name": "same_generation_small", "kind": "sg", "levels": [1, 3, 9, 27, 81], "seed": 0},
    {"name": "clinical_100", "kind": "clinical", "patients": 100, "seed": 0, "explain": "ckd_stage"},
]

# ---------------------------------------------------------------------------
# Programs
# ---------------------------------------------------------------------------
TC_RULES = "path(X, Y) :- edge(X, Y).\npath(X, Z) :- edge(X, Y), path(Y, Z).\n"
SG_RULES = "sg(X, Y) :- par(X, P), par(Y, P), X != Y.\nsg(X, Y) :- par(X, A), sg(A, B), par(Y, B).\n"

CLINICAL_RULES = r"""
% Glycemic status (ADA Standards of Care 2025, 2.1): latest value in a 2-year look-back.
t2d_code("E11.9"). t2d_code("E11.65"). t2d_code("E11.22").
hba1c_day(P, D) :- index_day(P, I), D = max Dl : { lab(P, "4548-4", _, Dl), Dl < I, Dl >= I - 730 }.
hba1c_latest(P, V) :- hba1c_day(P, D), V = max X : lab(P, "4548-4", X, D).
fpg_day(P, D) :- index_day(P, I), D = max Dl : { lab(P, "1558-6", _, Dl), Dl < I, Dl >= I - 730 }.
fpg_latest(P, V) :- fpg_day(P, D), V = max X : lab(P, "1558-6", X, D).
diabetes(P) :- hba1c_latest(P, V), V >= 6.5.
diabetes(P) :- fpg_latest(P, V), V >= 126.
diabetes(P) :- condition(P, "icd10cm", C, D), t2d_code(C), index_day(P, I), D < I.
prediabetes(P) :- hba1c_latest(P, V), V >= 5.7, V < 6.5, not diabetes(P).
prediabetes(P) :- fpg_latest(P, V), V >= 100, V < 126, not diabetes(P).
glycemic_status(P, "diabetes") :- diabetes(P).
glycemic_status(P, "prediabetes") :- prediabetes(P).
glycemic_status(P, "normal") :- hba1c_latest(P, _), not diabetes(P), not prediabetes(P).

% CKD-EPI 2021 creatinine equation and KDIGO G stages.
egfr_coef("female", 0.7, -0.241, 1.012).
egfr_coef("male", 0.9, -0.302, 1.0).
creat_day(P, D) :- index_day(P, I), D = max Dl : { lab(P, "2160-0", _, Dl), Dl < I, Dl >= I - 365 }.
creat_latest(P, S, D) :- creat_day(P, D), S = max X : lab(P, "2160-0", X, D).
egfr(P, E) :- creat_latest(P, S, D), patient(P, Sex, BY), egfr_coef(Sex, K, A, F),
    Age = floor(D / 365.25) + 1970 - BY,
    E = 142 * pow(min(S / K, 1.0), A) * pow(max(S / K, 1.0), -1.2) * pow(0.9938, Age) * F.
ckd_stage(P, "G1") :- egfr(P, E), E >= 90.
ckd_stage(P, "G2") :- egfr(P, E), E >= 60, E < 90.
ckd_stage(P, "G3a") :- egfr(P, E), E >= 45, E < 60.
ckd_stage(P, "G3b") :- egfr(P, E), E >= 30, E < 45.
ckd_stage(P, "G4") :- egfr(P, E), E >= 15, E < 30.
ckd_stage(P, "G5") :- egfr(P, E), E < 15.

% Body mass index: latest value ever recorded before the index day.
bmi_day(P, D) :- index_day(P, I), D = max Dl : { vital(P, "bmi", _, Dl), Dl < I }.
bmi_latest(P, B) :- bmi_day(P, D), B = max X : vital(P, "bmi", X, D).
obese(P) :- bmi_latest(P, B), B >= 30.

% Lifelog: weekly step totals, worn days and short-sleep nights.
week(P, W) :- activity(P, D, _, _, _), W = floor(D / 7).
week_steps(P, W, S) :- week(P, W), S = sum St : { activity(P, D, St, _, _), floor(D / 7) = W }.
week_days(P, W, N) :- week(P, W), N = count : { activity(P, D, _, _, _), floor(D / 7) = W }.
low_activity_week(P, W) :- week_steps(P, W, S), week_days(P, W, N), N >= 4, S < 5000 * N.
active_week(P, W) :- week(P, W), not low_activity_week(P, W).
short_nights(P, W, N) :- week(P, W), N = count : { sleep(P, D, M), M < 360, floor(D / 7) = W }.
short_sleep_week(P, W) :- short_nights(P, W, N), N >= 3.
inactive(P) :- index_day(P, I), N = count : { low_activity_week(P, W), W >= floor(I / 7) - 12 }, N >= 8.

% Risk factors.
risk_factor(P, "inactivity") :- inactive(P).
risk_factor(P, "short_sleep") :- index_day(P, I), N = count : { short_sleep_week(P, W), W >= floor(I / 7) - 12 }, N >= 6.
risk_factor(P, "obesity") :- obese(P).
risk_factor(P, "prediabetes") :- prediabetes(P).
risk_factor(P, "ckd") :- egfr(P, E), E < 60.
at_risk_t2d(P) :- risk_factor(P, "prediabetes"), risk_factor(P, F), F != "prediabetes", not diabetes(P).
"""

CLINICAL_OUTPUTS = [
    "hba1c_latest", "fpg_latest", "diabetes", "prediabetes", "glycemic_status", "creat_latest", "egfr",
    "ckd_stage", "bmi_latest", "obese", "week", "week_steps", "week_days", "low_activity_week", "active_week",
    "short_nights", "short_sleep_week", "inactive", "risk_factor", "at_risk_t2d",
]
CLINICAL_INPUTS = ["patient", "lab", "vital", "condition", "activity", "sleep", "index_day"]

# The clinical program for clingo.  Values are integers scaled by 100 (the
# synthetic data has two decimals); eGFR is computed by @egfr in Python
# (clingo has no floating point) and returned as floor(1000 * eGFR), which
# keeps every integer threshold comparison exact.  `#max` of an empty set is
# #inf in clingo, so the look-backs are guarded by an existence atom.
CLINICAL_ASP = r"""
t2d_code("E11.9"). t2d_code("E11.65"). t2d_code("E11.22").
has_hba1c(P, I) :- index_day(P, I), lab(P, "4548-4", _, D), D < I, D >= I - 730.
hba1c_day(P, D) :- has_hba1c(P, I), D = #max{ Dl : lab(P, "4548-4", _, Dl), Dl < I, Dl >= I - 730 }.
hba1c_latest(P, V) :- hba1c_day(P, D), V = #max{ X : lab(P, "4548-4", X, D) }.
has_fpg(P, I) :- index_day(P, I), lab(P, "1558-6", _, D), D < I, D >= I - 730.
fpg_day(P, D) :- has_fpg(P, I), D = #max{ Dl : lab(P, "1558-6", _, Dl), Dl < I, Dl >= I - 730 }.
fpg_latest(P, V) :- fpg_day(P, D), V = #max{ X : lab(P, "1558-6", X, D) }.
diabetes(P) :- hba1c_latest(P, V), V >= 650.
diabetes(P) :- fpg_latest(P, V), V >= 12600.
diabetes(P) :- condition(P, "icd10cm", C, D), t2d_code(C), index_day(P, I), D < I.
prediabetes(P) :- hba1c_latest(P, V), V >= 570, V < 650, not diabetes(P).
prediabetes(P) :- fpg_latest(P, V), V >= 10000, V < 12600, not diabetes(P).
glycemic_status(P, "diabetes") :- diabetes(P).
glycemic_status(P, "prediabetes") :- prediabetes(P).
glycemic_status(P, "normal") :- hba1c_latest(P, _), not diabetes(P), not prediabetes(P).

has_creat(P, I) :- index_day(P, I), lab(P, "2160-0", _, D), D < I, D >= I - 365.
creat_day(P, D) :- has_creat(P, I), D = #max{ Dl : lab(P, "2160-0", _, Dl), Dl < I, Dl >= I - 365 }.
creat_latest(P, S, D) :- creat_day(P, D), S = #max{ X : lab(P, "2160-0", X, D) }.
egfr(P, E) :- creat_latest(P, S, D), patient(P, Sex, BY), Sex != "unknown", E = @egfr(S, Sex, D, BY).
ckd_stage(P, "G1") :- egfr(P, E), E >= 90000.
ckd_stage(P, "G2") :- egfr(P, E), E >= 60000, E < 90000.
ckd_stage(P, "G3a") :- egfr(P, E), E >= 45000, E < 60000.
ckd_stage(P, "G3b") :- egfr(P, E), E >= 30000, E < 45000.
ckd_stage(P, "G4") :- egfr(P, E), E >= 15000, E < 30000.
ckd_stage(P, "G5") :- egfr(P, E), E < 15000.

has_bmi(P, I) :- index_day(P, I), vital(P, "bmi", _, D), D < I.
bmi_day(P, D) :- has_bmi(P, I), D = #max{ Dl : vital(P, "bmi", _, Dl), Dl < I }.
bmi_latest(P, B) :- bmi_day(P, D), B = #max{ X : vital(P, "bmi", X, D) }.
obese(P) :- bmi_latest(P, B), B >= 3000.

act_week(P, D / 7, D, St) :- activity(P, D, St, _, _).
week(P, W) :- act_week(P, W, _, _).
week_steps(P, W, S) :- week(P, W), S = #sum{ St, D : act_week(P, W, D, St) }.
week_days(P, W, N) :- week(P, W), N = #count{ D : act_week(P, W, D, _) }.
low_activity_week(P, W) :- week_steps(P, W, S), week_days(P, W, N), N >= 4, S < 5000 * N.
active_week(P, W) :- week(P, W), not low_activity_week(P, W).
short_night(P, D / 7, D) :- sleep(P, D, M), M < 360.
short_nights(P, W, N) :- week(P, W), N = #count{ D : short_night(P, W, D) }.
short_sleep_week(P, W) :- short_nights(P, W, N), N >= 3.
inactive(P) :- index_day(P, I), N = #count{ W : low_activity_week(P, W), W >= I / 7 - 12 }, N >= 8.

risk_factor(P, "inactivity") :- inactive(P).
risk_factor(P, "short_sleep") :- index_day(P, I), N = #count{ W : short_sleep_week(P, W), W >= I / 7 - 12 }, N >= 6.
risk_factor(P, "obesity") :- obese(P).
risk_factor(P, "prediabetes") :- prediabetes(P).
risk_factor(P, "ckd") :- egfr(P, E), E < 60000.
at_risk_t2d(P) :- risk_factor(P, "prediabetes"), risk_factor(P, F), F != "prediabetes", not diabetes(P).
"""

# Hand-written DuckDB SQL for the clinical program: the same output relations,
# each materialised as a table (as the Datalog engines do), inputs loaded as
# typed, de-duplicated tables (Datalog relations are sets).
def _latest_sql(table: str, out: str, filt: str, lookback: int | None, keep_day: bool = False) -> str:
    """Latest value before the index day: max value on the max day in the window."""
    window = f" AND l.day >= i.day - {lookback}" if lookback else ""
    day_col = ", m.d" if keep_day else ""
    return f"""
CREATE TABLE {out} AS
WITH m AS (
  SELECT l.patient, max(l.day) AS d FROM {table} l JOIN index_day i ON i.patient = l.patient
  WHERE {filt} AND l.day < i.day{window} GROUP BY l.patient, i.day)
SELECT l.patient, max(l.value) AS v{day_col} FROM {table} l JOIN m ON m.patient = l.patient AND l.day = m.d
WHERE {filt} GROUP BY l.patient, m.d;
"""


def clinical_sql() -> list[str]:
    loads = [
        "CREATE TABLE patient AS SELECT DISTINCT patient, sex, birth_year FROM df_patient",
        "CREATE TABLE lab AS SELECT DISTINCT patient, loinc, value, day FROM df_lab",
        "CREATE TABLE vital AS SELECT DISTINCT patient, kind, value, day FROM df_vital",
        "CREATE TABLE condition AS SELECT DISTINCT patient, system, code, day FROM df_condition",
        "CREATE TABLE activity AS SELECT DISTINCT patient, day, steps, active_minutes, worn_minutes FROM df_activity",
        "CREATE TABLE sleep AS SELECT DISTINCT patient, day, minutes FROM df_sleep",
        "CREATE TABLE index_day AS SELECT DISTINCT patient, day FROM df_index_day",
    ]
    rules = [
        _latest_sql("lab", "hba1c_latest", "l.loinc = '4548-4'", 730),
        _latest_sql("lab", "fpg_latest", "l.loinc = '1558-6'", 730),
        """CREATE TABLE diabetes AS
           SELECT patient FROM hba1c_latest WHERE v >= 6.5
           UNION SELECT patient FROM fpg_latest WHERE v >= 126
           UNION SELECT c.patient FROM condition c JOIN index_day i ON i.patient = c.patient
                 WHERE c.system = 'icd10cm' AND c.code IN ('E11.9', 'E11.65', 'E11.22') AND c.day < i.day""",
        """CREATE TABLE prediabetes AS
           SELECT patient FROM (SELECT patient FROM hba1c_latest WHERE v >= 5.7 AND v < 6.5
                                UNION SELECT patient FROM fpg_latest WHERE v >= 100 AND v < 126) c
           ANTI JOIN diabetes d USING (patient)""",
        """CREATE TABLE glycemic_status AS
           SELECT patient, 'diabetes' AS s FROM diabetes
           UNION ALL SELECT patient, 'prediabetes' FROM prediabetes
           UNION ALL SELECT DISTINCT h.patient, 'normal' FROM hba1c_latest h
                     ANTI JOIN diabetes d USING (patient) ANTI JOIN prediabetes p USING (patient)""",
        _latest_sql("lab", "creat_latest", "l.loinc = '2160-0'", 365, keep_day=True),
        """CREATE TABLE egfr AS
           SELECT DISTINCT c.patient,
                  142 * pow(least(c.v / k.k, 1.0), k.a) * pow(greatest(c.v / k.k, 1.0), -1.2)
                      * pow(0.9938, CAST(floor(c.d / 365.25) AS BIGINT) + 1970 - p.birth_year) * k.f AS e
           FROM creat_latest c JOIN patient p ON p.patient = c.patient
           JOIN (VALUES ('female', 0.7, -0.241, 1.012), ('male', 0.9, -0.302, 1.0)) k(sex, k, a, f) ON k.sex = p.sex""",
        """CREATE TABLE ckd_stage AS
           SELECT DISTINCT patient, CASE WHEN e >= 90 THEN 'G1' WHEN e >= 60 THEN 'G2' WHEN e >= 45 THEN 'G3a'
                                    WHEN e >= 30 THEN 'G3b' WHEN e >= 15 THEN 'G4' ELSE 'G5' END AS g
           FROM egfr WHERE NOT isnan(e)""",
        _latest_sql("vital", "bmi_latest", "l.kind = 'bmi'", None),
        "CREATE TABLE obese AS SELECT DISTINCT patient FROM bmi_latest WHERE v >= 30",
        """CREATE TABLE week_agg AS
           SELECT patient, day // 7 AS w, sum(steps) AS s, count(*) AS n FROM activity GROUP BY ALL""",
        "CREATE TABLE week AS SELECT patient, w FROM week_agg",
        "CREATE TABLE week_steps AS SELECT patient, w, s FROM week_agg",
        "CREATE TABLE week_days AS SELECT patient, w, n FROM week_agg",
        "CREATE TABLE low_activity_week AS SELECT patient, w FROM week_agg WHERE n >= 4 AND s < 5000 * n",
        "CREATE TABLE active_week AS SELECT patient, w FROM week ANTI JOIN low_activity_week USING (patient, w)",
        """CREATE TABLE short_nights AS
           SELECT w.patient, w.w, coalesce(s.n, 0) AS n FROM week w LEFT JOIN
             (SELECT patient, day // 7 AS w, count(*) AS n FROM sleep WHERE minutes < 360 GROUP BY ALL) s
           ON s.patient = w.patient AND s.w = w.w""",
        "CREATE TABLE short_sleep_week AS SELECT patient, w FROM short_nights WHERE n >= 3",
        """CREATE TABLE inactive AS
           SELECT DISTINCT i.patient FROM index_day i JOIN low_activity_week l ON l.patient = i.patient
           WHERE l.w >= i.day // 7 - 12 GROUP BY i.patient, i.day HAVING count(*) >= 8""",
        """CREATE TABLE risk_factor AS
           SELECT patient, 'inactivity' AS f FROM inactive
           UNION SELECT i.patient, 'short_sleep' FROM index_day i JOIN short_sleep_week s ON s.patient = i.patient
                 WHERE s.w >= i.day // 7 - 12 GROUP BY i.patient, i.day HAVING count(*) >= 6
           UNION SELECT patient, 'obesity' FROM obese
           UNION SELECT patient, 'prediabetes' FROM prediabetes
           UNION SELECT patient, 'ckd' FROM egfr WHERE e < 60""",
        """CREATE TABLE at_risk_t2d AS
           SELECT DISTINCT r.patient FROM risk_factor r JOIN risk_factor o ON o.patient = r.patient AND o.f <> 'prediabetes'
           ANTI JOIN diabetes d ON d.patient = r.patient WHERE r.f = 'prediabetes'""",
    ]
    return loads + rules


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def random_edges(m: int, n: int, seed: int):
    """``m`` distinct random directed edges (no self-loops) over ``n`` nodes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pairs = np.empty((0, 2), dtype=np.int64)
    while len(pairs) < m:
        cand = rng.integers(0, n, size=(2 * m, 2))
        cand = cand[cand[:, 0] != cand[:, 1]]
        pairs = np.concatenate([pairs, cand])
        _, first = np.unique(pairs[:, 0] * n + pairs[:, 1], return_index=True)
        pairs = pairs[np.sort(first)]
    return pairs[:m]


def random_tree(levels: list[int], seed: int):
    """(child, parent) pairs: each node of level k gets a uniformly random parent in level k-1."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows, start = [], 0
    for k in range(1, len(levels)):
        prev = np.arange(start, start + levels[k - 1])
        start += levels[k - 1]
        children = np.arange(start, start + levels[k])
        rows.append(np.stack([children, rng.choice(prev, size=levels[k])], axis=1))
    return np.concatenate(rows)


def graph_facts(spec: dict) -> dict:
    import pandas as pd

    if spec["kind"] == "tc_random":
        e = random_edges(spec["edges"], spec["nodes"], spec["seed"])
        return {"edge": pd.DataFrame({"src": e[:, 0], "dst": e[:, 1]})}
    if spec["kind"] == "tc_chain":
        n = spec["nodes"]
        return {"edge": pd.DataFrame({"src": range(n), "dst": range(1, n + 1)})}
    t = random_tree(spec["levels"], spec["seed"])
    return {"par": pd.DataFrame({"child": t[:, 0], "parent": t[:, 1]})}


def describe(spec: dict) -> str:
    kind = spec["kind"]
    if kind == "tc_random":
        return f"transitive closure, {spec['edges']:,} random edges over {spec['nodes']:,} nodes (seed {spec['seed']})"
    if kind == "tc_chain":
        return f"transitive closure of a {spec['nodes']:,}-edge chain"
    if kind == "sg":
        return (f"same generation, random tree with levels {spec['levels']} ({sum(spec['levels']):,} nodes, "
                f"parents uniform in the level above, seed {spec['seed']})")
    if kind == "clinical":
        return f"clinical program (glycemic, CKD-EPI 2021, BMI, lifelog weeks, risk) on synthetic_cohort({spec['patients']:,}, seed={spec['seed']})"
    return f"shipped rules/ library on synthetic_cohort({spec['patients']:,}, seed={spec['seed']})"


def outputs(spec: dict) -> list[str]:
    return {"tc_random": ["path"], "tc_chain": ["path"], "sg": ["sg"], "clinical": CLINICAL_OUTPUTS}.get(spec["kind"], [])


def prepare_cohort(spec: dict, workdir: Path, console, library: bool) -> dict:
    """Generate the cohort once per size and write the facts as Parquet (not timed)."""
    import gc

    from neurosym.data import synthetic_cohort

    directory = workdir / f"cohort_{spec['patients']}_{spec['seed']}"
    info_path = directory / "info.json"
    if info_path.exists():
        info = json.loads(info_path.read_text())
        if not library or info.get("library_dir"):
            return info
    directory.mkdir(parents=True, exist_ok=True)
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    with console.status(f"generating synthetic_cohort({spec['patients']:,}, seed={spec['seed']})"):
        t0 = time.perf_counter()
        cohort = synthetic_cohort(spec["patients"], seed=spec["seed"])
        t1 = time.perf_counter()
        facts = cohort.to_facts()
        t2 = time.perf_counter()
        info.update(generate_seconds=round(t1 - t0, 2), to_facts_seconds=round(t2 - t1, 2), directory=str(directory),
                    rows={rel: len(facts[rel]) for rel in facts})
        for rel in CLINICAL_INPUTS:
            facts[rel].to_parquet(directory / f"{rel}.parquet", index=False)
        if library:
            try:
                from neurosym.facts import clinical_facts

                t3 = time.perf_counter()
                lib = clinical_facts(cohort)
                info["library_facts_seconds"] = round(time.perf_counter() - t3, 2)
                libdir = directory / "library"
                libdir.mkdir(exist_ok=True)
                for rel in lib:
                    frame = lib[rel]
                    if "_source" in frame.columns and frame["_source"].dtype == object:
                        frame = frame.assign(_source=frame["_source"].astype(str))
                    frame.to_parquet(libdir / f"{rel}.parquet", index=False)
                info["library_dir"] = str(libdir)
            except Exception as err:  # the library is optional
                info["library_error"] = f"{type(err).__name__}: {err}"
        del cohort, facts
        gc.collect()
    info_path.write_text(json.dumps(info))
    return info


# ---------------------------------------------------------------------------
# Worker: one system on one workload, in its own process
# ---------------------------------------------------------------------------
def _emit(event: str, **payload) -> None:
    sys.stdout.write(MARK + json.dumps({"event": event, **payload}, default=str) + "\n")
    sys.stdout.flush()


def _rss() -> dict:
    status = Path("/proc/self/status")
    out = {}
    if status.exists():
        for line in status.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.setdefault("VmHWM", peak / 1024**2 if sys.platform == "darwin" else peak / 1024)
    return out


def _read_facts(directory: str, relations: list[str] | None = None) -> dict:
    import pandas as pd

    d = Path(directory)
    names = relations or sorted(p.stem for p in d.glob("*.parquet"))
    return {rel: pd.read_parquet(d / f"{rel}.parquet") for rel in names}


def _program_text(spec: dict) -> str:
    return {"tc_random": TC_RULES, "tc_chain": TC_RULES, "sg": SG_RULES, "clinical": CLINICAL_RULES}[spec["kind"]]


def _load_inputs(spec: dict) -> dict:
    if spec["kind"] == "clinical":
        return _read_facts(spec["data"], CLINICAL_INPUTS)
    if spec["kind"] == "library":
        return _read_facts(spec["data"])
    return graph_facts(spec)


def work_native(spec: dict) -> dict:
    from neurosym.logic import Program

    if spec["kind"] == "library":
        from neurosym.facts import load_rule_library
        from neurosym.logic._factsio import load_facts

        program = load_rule_library()
        used = program.arities()
        paths = {p.stem: p for p in sorted(Path(spec["data"]).glob("*.parquet")) if p.stem in used}

        def facts_for_run():  # Parquet straight into the engine's database (timed: loading is part of the work)
            return load_facts(paths)
    else:
        program = Program.from_text(_program_text(spec))
        facts = _load_inputs(spec)

        def facts_for_run():
            return facts
    loaded = _rss()
    _emit("start")
    times: list[float] = []
    cpu: list[float] = []
    while True:
        model = None  # the previous run's database is freed before the next one starts
        c0, t0 = os.times(), time.perf_counter()
        model = program.evaluate(facts_for_run(), engine="native")
        times.append(time.perf_counter() - t0)
        c1 = os.times()
        cpu.append(c1.user + c1.system - c0.user - c0.system)
        if len(times) >= REPEATS or sum(times) > REPEAT_BUDGET:
            break
    rels = outputs(spec) or model.derived_relations
    counts = {rel: model.count(rel) for rel in rels}
    result = {"seconds": min(times), "all_seconds": times, "cpu_seconds": cpu, "load_average_after": os.getloadavg()[0],
              "counts": counts, "rss_after_load_mb": loaded.get("VmRSS"), "peak_rss_mb": _rss()["VmHWM"]}
    if spec.get("explain"):
        result["explain"] = _explain_latency(model, spec["explain"])
        result["peak_rss_mb_after_explain"] = _rss()["VmHWM"]
    return result


def _explain_latency(model, relation: str, n: int = 20) -> dict:
    """Latency of model.explain on ``n`` different patients' ``relation(P, S)`` facts, the first right after evaluation."""
    patients = [row[0] for row in model.connect().execute(f"SELECT DISTINCT c0 FROM rel_{relation} ORDER BY c0").fetchall()]
    if not patients:
        return {}
    picks = [patients[int(i * (len(patients) - 1) / max(n - 1, 1))] for i in range(n)]
    times, nodes = [], []
    for p in picks:
        t0 = time.perf_counter()
        tree = model.explain(f'{relation}("{p}", S)')
        times.append((time.perf_counter() - t0) * 1000)
        nodes.append(_count_nodes(tree))
    ordered = sorted(times)
    return {"relation": relation, "calls": len(times), "first_ms": round(times[0], 2),
            "median_ms": round(statistics.median(times), 2), "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
            "max_ms": round(ordered[-1], 2), "proof_nodes": int(statistics.median(nodes))}


def _count_nodes(node) -> int:
    return 1 + sum(_count_nodes(c) for c in getattr(node, "children", []))


def work_pydatalog(spec: dict) -> dict:
    from neurosym.logic import Program

    facts = _load_inputs(spec)
    try:
        import neurosym.logic._pydatalog  # noqa: F401

        backend = True
    except ImportError:
        backend = False
    if not backend and spec["kind"] not in ("tc_random", "tc_chain", "sg"):
        return {"status": "unavailable", "note": "neurosym.logic._pydatalog is missing"}
    if backend:
        program = Program.from_text(_program_text(spec))
        _emit("start")
        t0 = time.perf_counter()
        model = program.evaluate(facts, engine="pydatalog", timeout=spec.get("timeout"))
        seconds = time.perf_counter() - t0
        counts = {rel: model.count(rel) for rel in outputs(spec)}
        return {"seconds": seconds, "counts": counts, "driver": "neurosym engine='pydatalog'", "peak_rss_mb": _rss()["VmHWM"]}
    from pyDatalog import pyDatalog

    rel = next(iter(facts))
    rows = list(facts[rel].itertuples(index=False, name=None))
    _emit("start")
    t0 = time.perf_counter()
    pyDatalog.create_terms("edge, par, path, sg, X, Y, Z, A, B, P")
    for row in rows:
        pyDatalog.assert_fact(rel, *row)
    text = ("path(X,Y) <= edge(X,Y)\npath(X,Z) <= edge(X,Y) & path(Y,Z)" if rel == "edge" else
            "sg(X,Y) <= par(X,P) & par(Y,P) & (X != Y)\nsg(X,Y) <= par(X,A) & sg(A,B) & par(Y,B)")
    pyDatalog.load(text)  # our own constant rule text, never user input
    head = "path" if rel == "edge" else "sg"
    answer = pyDatalog.ask(f"{head}(X,Y)")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "counts": {head: len(answer.answers) if answer else 0}, "driver": "pyDatalog direct",
            "peak_rss_mb": _rss()["VmHWM"]}


def _clingo_facts_file(spec: dict) -> Path:
    """Write the clinical facts in ASP syntax with DuckDB (values scaled by 100); cached next to the Parquet."""
    import duckdb

    path = Path(spec["data"]) / "facts.lp"
    if path.exists():
        return path
    d = Path(spec["data"])
    q = lambda c: f"'\"' || {c} || '\"'"  # noqa: E731  (ids and codes contain no quotes)
    i = lambda c: f"CAST(round({c} * 100) AS BIGINT)"  # noqa: E731
    lines = {
        "patient": f"'patient(' || {q('patient')} || ',' || {q('sex')} || ',' || birth_year || ').'",
        "lab": f"'lab(' || {q('patient')} || ',' || {q('loinc')} || ',' || {i('value')} || ',' || day || ').'",
        "vital": f"'vital(' || {q('patient')} || ',' || {q('kind')} || ',' || {i('value')} || ',' || day || ').'",
        "condition": f"'condition(' || {q('patient')} || ',' || {q('system')} || ',' || {q('code')} || ',' || day || ').'",
        "activity": "'activity(' || " + q("patient") + " || ',' || day || ',' || steps || ',' || active_minutes || ',' || worn_minutes || ').'",
        "sleep": f"'sleep(' || {q('patient')} || ',' || day || ',' || minutes || ').'",
        "index_day": f"'index_day(' || {q('patient')} || ',' || day || ').'",
    }
    union = " UNION ALL ".join(f"SELECT {expr} AS line FROM read_parquet('{d / (rel + '.parquet')}')" for rel, expr in lines.items())
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    con.execute(f"COPY ({union}) TO '{tmp}' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\t')")
    con.close()
    tmp.rename(path)
    return path


class _ClingoContext:
    """Python functions called while grounding: the CKD-EPI 2021 equation (clingo has no floats)."""

    def egfr(self, s, sex, day, birth_year):
        import clingo

        scr = s.number / 100
        k, a, f = (0.7, -0.241, 1.012) if sex.string == "female" else (0.9, -0.302, 1.0)
        age = math.floor(day.number / 365.25) + 1970 - birth_year.number
        e = 142 * min(scr / k, 1.0) ** a * max(scr / k, 1.0) ** -1.2 * 0.9938 ** age * f
        return clingo.Number(math.floor(e * 1000))


def work_clingo(spec: dict) -> dict:
    try:
        import clingo
    except ImportError:
        return {"status": "unavailable", "note": "clingo is not installed (pip install clingo, or make bench)"}
    if spec["kind"] == "library":
        return {"status": "unavailable", "note": "no ASP translation of the rule library"}
    if spec["kind"] == "clinical":
        facts_file, program, context = _clingo_facts_file(spec), CLINICAL_ASP, _ClingoContext()
    else:
        facts = graph_facts(spec)
        rel = next(iter(facts))
        fd, name = tempfile.mkstemp(suffix=".lp")
        with os.fdopen(fd, "w") as out:
            out.writelines(f"{rel}({a},{b}).\n" for a, b in facts[rel].itertuples(index=False, name=None))
        facts_file = Path(name)
        program = ("path(X,Y) :- edge(X,Y).\npath(X,Z) :- edge(X,Y), path(Y,Z).\n" if rel == "edge" else
                   "sg(X,Y) :- par(X,P), par(Y,P), X != Y.\nsg(X,Y) :- par(X,A), sg(A,B), par(Y,B).\n")
        context = None
    _emit("start")
    t0 = time.perf_counter()
    ctl = clingo.Control(["--warn=none"])
    ctl.load(str(facts_file))
    ctl.add("base", [], program)
    ctl.ground([("base", [])], context=context)
    ctl.solve()
    seconds = time.perf_counter() - t0
    if spec["kind"] != "clinical":
        facts_file.unlink()
    counts = {}
    for rel in outputs(spec):
        arity = {"path": 2, "sg": 2}.get(rel) or _clinical_arity(rel)
        counts[rel] = sum(1 for a in ctl.symbolic_atoms.by_signature(rel, arity) if a.is_fact)
    return {"seconds": seconds, "counts": counts, "peak_rss_mb": _rss()["VmHWM"]}


def _clinical_arity(rel: str) -> int:
    from neurosym.logic import Program

    return Program.from_text(CLINICAL_RULES).arities()[rel]


def work_duckdb_sql(spec: dict) -> dict:
    import duckdb

    if spec["kind"] == "library":
        return {"status": "unavailable", "note": "no hand-written SQL for the rule library"}
    facts = _load_inputs(spec)
    if spec["kind"] == "clinical":
        statements = clinical_sql()
        tables = {rel: rel for rel in CLINICAL_OUTPUTS}
    else:
        rel = next(iter(facts))
        if rel == "edge":
            statements = [
                "CREATE TABLE edge AS SELECT DISTINCT CAST(src AS BIGINT) AS a, CAST(dst AS BIGINT) AS b FROM df_edge",
                """CREATE TABLE path AS WITH RECURSIVE p(a, b) AS (
                     SELECT a, b FROM edge UNION SELECT e.a, p.b FROM edge e JOIN p ON e.b = p.a)
                   SELECT a, b FROM p""",
            ]
            tables = {"path": "path"}
        else:
            statements = [
                "CREATE TABLE par AS SELECT DISTINCT CAST(child AS BIGINT) AS c, CAST(parent AS BIGINT) AS p FROM df_par",
                """CREATE TABLE sg AS WITH RECURSIVE s(x, y) AS (
                     SELECT a.c, b.c FROM par a JOIN par b ON a.p = b.p AND a.c <> b.c
                     UNION SELECT a.c, b.c FROM s JOIN par a ON a.p = s.x JOIN par b ON b.p = s.y)
                   SELECT x, y FROM s""",
            ]
            tables = {"sg": "sg"}
    loaded = _rss()
    _emit("start")
    times: list[float] = []
    cpu: list[float] = []
    while True:
        con = None
        c0, t0 = os.times(), time.perf_counter()
        con = duckdb.connect(":memory:")
        for rel, frame in facts.items():
            con.register(f"df_{rel}", frame)
        for statement in statements:
            con.execute(statement)
        times.append(time.perf_counter() - t0)
        c1 = os.times()
        cpu.append(c1.user + c1.system - c0.user - c0.system)
        if len(times) >= REPEATS or sum(times) > REPEAT_BUDGET:
            break
    counts = {rel: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for rel, t in tables.items()}
    return {"seconds": min(times), "all_seconds": times, "cpu_seconds": cpu, "counts": counts,
            "rss_after_load_mb": loaded.get("VmRSS"), "peak_rss_mb": _rss()["VmHWM"]}


class _TimedConnection:
    """Wraps the engine's DuckDB connection: times every statement (execute plus fetch)."""

    def __init__(self, con, log: list) -> None:
        self._con, self._log = con, log

    def execute(self, sql, *args, **kwargs):
        entry = [str(sql), 0.0]
        self._log.append(entry)
        t0 = time.perf_counter()
        result = self._con.execute(sql, *args, **kwargs)
        entry[1] += time.perf_counter() - t0
        return _TimedResult(result, entry)

    def __getattr__(self, name):
        return getattr(self._con, name)


class _TimedResult:
    def __init__(self, result, entry: list) -> None:
        self._result, self._entry = result, entry

    def __getattr__(self, name):
        attr = getattr(self._result, name)
        if not callable(attr) or not name.startswith(("fetch", "df")):
            return attr

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._entry[1] += time.perf_counter() - t0
        return timed


def work_profile(spec: dict) -> dict:
    """Native evaluation with every SQL statement timed: where the time goes (``--profile``)."""
    import duckdb

    from neurosym.logic import Program

    if spec["kind"] == "library":
        from neurosym.facts import load_rule_library
        from neurosym.logic._factsio import load_facts

        program = load_rule_library()
        paths = {p.stem: p for p in sorted(Path(spec["data"]).glob("*.parquet")) if p.stem in program.arities()}
        facts_for_run = lambda: load_facts(paths)  # noqa: E731  (read inside the timed database, as work_native does)
    else:
        facts, program = _load_inputs(spec), Program.from_text(_program_text(spec))
        facts_for_run = lambda: facts  # noqa: E731
    log: list = []
    real_connect = duckdb.connect
    duckdb.connect = lambda *a, **k: _TimedConnection(real_connect(*a, **k), log)  # this worker process only
    try:
        _emit("start")
        t0 = time.perf_counter()
        program.evaluate(facts_for_run(), engine="native")
        total = time.perf_counter() - t0
    finally:
        duckdb.connect = real_connect
    in_sql = sum(t for _, t in log)
    kinds: dict[str, list] = {}
    for sql, t in log:
        head = sql.split("(")[0].split(" AS ")[0]
        kind = " ".join(head.split()[:3]) if not sql.startswith("INSERT") else "INSERT INTO " + sql.split()[2]
        agg = kinds.setdefault(kind, [0, 0.0])
        agg[0] += 1
        agg[1] += t
    top = sorted(log, key=lambda e: -e[1])[: spec.get("top", 12)]
    return {"seconds": total, "statements": len(log), "seconds_in_sql": in_sql, "seconds_outside_sql": total - in_sql,
            "by_statement_kind": sorted(([k, n, t] for k, (n, t) in kinds.items()), key=lambda x: -x[2])[:15],
            "top_statements": [[round(t, 3), sql] for sql, t in top]}


WORKERS = {"native": work_native, "pydatalog": work_pydatalog, "clingo": work_clingo, "duckdb_sql": work_duckdb_sql,
           "profile": work_profile}


def worker_main(system: str, spec: dict) -> None:
    try:
        result = WORKERS[system](spec)
        _emit("result", **result)
    except MemoryError:
        _emit("result", status="error", error="out of memory")
    except Exception as err:  # reported, not raised: the benchmark goes on
        import traceback

        _emit("result", status="error", error=f"{type(err).__name__}: {err}"[:500], traceback=traceback.format_exc()[-2000:])


# ---------------------------------------------------------------------------
# Parent: run workers with time-outs, compare, report
# ---------------------------------------------------------------------------
def _child_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_worker(system: str, spec: dict, timeout: float, prep_limit: float, rss_cap_mb: float | None = None) -> dict:
    """Run one worker; kill it ``timeout`` seconds after it starts its clock (or above ``rss_cap_mb``)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", system, "--spec", json.dumps(spec)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    events: queue.Queue = queue.Queue()
    stderr: list[str] = []

    def pump_out() -> None:
        for line in proc.stdout:
            if line.startswith(MARK):
                events.put(json.loads(line[len(MARK):]))
        events.put({"event": "eof"})

    def pump_err() -> None:
        stderr.extend(proc.stderr)

    threading.Thread(target=pump_out, daemon=True).start()
    threading.Thread(target=pump_err, daemon=True).start()
    launched = time.perf_counter()
    started = None
    result: dict = {}
    while True:
        deadline = (started + timeout) if started else (launched + prep_limit)
        try:
            ev = events.get(timeout=min(0.5, max(0.05, deadline - time.perf_counter())))
        except queue.Empty:
            if started and rss_cap_mb and _child_rss_mb(proc.pid) > rss_cap_mb:
                _kill(proc)
                result = {"status": "memory", "error": f"killed above the {rss_cap_mb:,.0f} MB RSS cap after "
                                                       f"{time.perf_counter() - started:.1f} s"}
                break
            if time.perf_counter() < deadline:
                continue
            _kill(proc)
            result = {"status": "timeout", "seconds": timeout} if started else {"status": "error", "error": f"preparation took over {prep_limit:.0f} s"}
            break
        if ev["event"] == "start":
            started = time.perf_counter()
        elif ev["event"] == "result":
            result = {k: v for k, v in ev.items() if k != "event"}
            result.setdefault("status", "ok")
            break
        elif ev["event"] == "eof":
            proc.wait()
            tail = "".join(stderr)[-1500:]
            result = {"status": "error", "error": f"worker exited with code {proc.returncode}", "stderr": tail}
            if started and time.perf_counter() - started > timeout:
                result = {"status": "timeout", "seconds": timeout}
            break
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        _kill(proc)
    return result


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker's own session: only processes this benchmark started
    except ProcessLookupError:
        pass
    proc.wait()


# ---------------------------------------------------------------------------
# Whole processes: `neurosym rules run` vs a hand-written DuckDB script, same files in and out
# ---------------------------------------------------------------------------
#: The hand-written script: DuckDB reads the tab-separated facts, evaluates and COPYs the sorted result.
_SQL_SCRIPT = """
import sys, duckdb
facts, out, rel, target = sys.argv[1:5]
con = duckdb.connect()
con.execute(f"CREATE TABLE {rel} AS SELECT DISTINCT * FROM read_csv('{facts}/{rel}.facts', delim='\\t', header=false, "
            "columns={'a': 'BIGINT', 'b': 'BIGINT'})")
rec = {"path": "SELECT a, b FROM edge UNION SELECT e.a, p.b FROM edge e JOIN p ON e.b = p.a",
       "sg": "SELECT x.a, y.a FROM par x JOIN par y ON x.b = y.b AND x.a <> y.a "
             "UNION SELECT x.a, y.a FROM p JOIN par x ON x.b = p.a JOIN par y ON y.b = p.b"}[target]
con.execute(f"COPY (WITH RECURSIVE p(a, b) AS ({rec}) SELECT a, b FROM p ORDER BY a, b) TO '{out}/{target}.csv' "
            "(FORMAT csv, DELIMITER '\\t', HEADER false)")
"""


def _process_env(base: Path, workdir: Path) -> dict:
    """The environment of the whole processes: a fresh SQL statement cache (in ``base``), and Python bytecode cached
    (in ``workdir``) as in an installed package, even where the shell sets ``PYTHONDONTWRITEBYTECODE``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    shutil.rmtree(base / "cache", ignore_errors=True)
    return {**env, "NEUROSYM_CACHE": str(base / "cache"), "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}


def _cpu_run(command: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=REPO, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def whole_process(spec: dict, workdir: Path, repeats: int = 5) -> dict | None:
    """Seconds of ``neurosym rules run`` and of the hand-written script as whole processes, same outputs.

    The first ``rules run`` compiles the program's SQL (``rules_run_first``); the following ones read it from the
    statement cache, as every later run on the same program does.  The two commands alternate, best of ``repeats``.
    """
    if spec["kind"] not in ("tc_random", "tc_chain", "sg"):
        return None
    rel, frame = next(iter(graph_facts(spec).items()))
    target = outputs(spec)[0]
    base = workdir / f"whole_{spec['name']}"
    (base / "facts").mkdir(parents=True, exist_ok=True)
    frame.to_csv(base / "facts" / f"{rel}.facts", sep="\t", header=False, index=False)
    (base / "program.dl").write_text(_program_text(spec))
    (base / "script.py").write_text(_SQL_SCRIPT)
    env = _process_env(base, workdir)
    commands = {
        "rules_run": [sys.executable, "-m", "neurosym", "rules", "run", str(base / "program.dl"), "--facts", str(base / "facts"),
                      "--output", str(base / "out_rules_run")],
        "duckdb_script": [sys.executable, str(base / "script.py"), str(base / "facts"), str(base / "out_duckdb_script"), rel, target],
    }
    for name in commands:
        (base / f"out_{name}").mkdir(exist_ok=True)
    for command in commands.values():  # warm-up: every module's bytecode cached (the SQL cache stays empty)
        _cpu_run(command, {**env, "NEUROSYM_CACHE": str(base / "warm-up")})
    first_wall, first_cpu = _cpu_run(commands["rules_run"], env)  # compiles the SQL and caches it
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeats):  # alternating, so both see the same load on a shared machine
        for name, command in commands.items():
            runs[name].append(_cpu_run(command, env))
    result: dict = {"rules_run_first": first_wall, "rules_run_first_cpu": first_cpu, "repeats": repeats,
                    "load_average": os.getloadavg()[0]}
    for name, measured in runs.items():
        result[name], result[f"{name}_cpu"] = min(w for w, _ in measured), min(c for _, c in measured)
        result[f"{name}_all_cpu"] = [round(c, 3) for _, c in measured]
    same = (base / "out_rules_run" / f"{target}.csv").read_bytes() == (base / "out_duckdb_script" / f"{target}.csv").read_bytes()
    result.update(ratio=result["rules_run"] / result["duckdb_script"],
                  cpu_ratio=result["rules_run_cpu"] / result["duckdb_script_cpu"],
                  first_cpu_ratio=first_cpu / result["duckdb_script_cpu"], same_output=same)
    return result


def speedups(systems: dict) -> dict:
    """Time of each baseline divided by the native time (> 1: native is faster)."""
    native = systems.get("native", {})
    if native.get("status") != "ok":
        return {}
    out = {}
    for name, res in systems.items():
        if name == "native":
            continue
        if res.get("status") == "ok":
            out[name] = {"value": res["seconds"] / native["seconds"], "lower_bound": False}
        elif res.get("status") == "timeout":
            out[name] = {"value": res["seconds"] / native["seconds"], "lower_bound": True}
    return out


def check_counts(systems: dict) -> tuple[bool, dict]:
    finished = {name: res["counts"] for name, res in systems.items() if res.get("status") == "ok" and "counts" in res}
    if not finished:
        return True, {}
    reference = next(iter(finished.values()))
    agree = all(c == reference for c in finished.values())
    return agree, reference


def _fmt_seconds(res: dict) -> str:
    status = res.get("status")
    if status == "ok":
        return f"{res['seconds']:.2f} s"
    if status == "timeout":
        return f"> {res['seconds']:.0f} s"
    if status == "memory":
        return "> RSS cap"
    return status or "-"


def _fmt_ratio(entry: dict | None) -> str:
    if not entry:
        return "-"
    v = entry["value"]
    text = f"{v:.1f}×" if v >= 0.995 else f"1/{1 / v:.1f}×"
    return ("≥ " if entry["lower_bound"] else "") + text


def render(report: dict, console) -> None:
    from rich.table import Table

    table = Table(title="neurosym native engine vs baselines (speed-up = baseline time / native time)")
    table.add_column("workload")
    table.add_column("tuples", justify="right")
    for s in SYSTEMS:
        table.add_column(s, justify="right")
    for s in SYSTEMS[1:]:
        table.add_column(f"vs {s}", justify="right")
    table.add_column("counts")
    for name, w in report["workloads"].items():
        systems = w["systems"]
        tuples = sum(w["tuples"].values()) if w["tuples"] else 0
        table.add_row(name, f"{tuples:,}", *[_fmt_seconds(systems.get(s, {})) for s in SYSTEMS],
                      *[_fmt_ratio(w["speedup"].get(s)) for s in SYSTEMS[1:]],
                      "ok" if w["counts_agree"] else "[red]MISMATCH[/red]")
    console.print(table)
    ratios = Table(title="time / hand-written DuckDB SQL (goal: <= 1.5x)")
    for column in ("workload", "in-process native / SQL", "rules run (s)", "DuckDB script (s)", "whole-process ratio",
                   "CPU-time ratio", "first run CPU ratio", "same output"):
        ratios.add_column(column, justify="left" if column == "workload" else "right")
    for name, w in report["workloads"].items():
        native, sql, whole = w["systems"].get("native", {}), w["systems"].get("duckdb_sql", {}), w.get("whole_process")
        inproc = f"{native['seconds'] / sql['seconds']:.2f}×" if native.get("status") == sql.get("status") == "ok" else "-"
        if whole:
            ratios.add_row(name, inproc, f"{whole['rules_run']:.2f}", f"{whole['duckdb_script']:.2f}", f"{whole['ratio']:.2f}×",
                           f"{whole['cpu_ratio']:.2f}×", f"{whole['first_cpu_ratio']:.2f}×",
                           "yes" if whole["same_output"] else "[red]NO[/red]")
        else:
            ratios.add_row(name, inproc, "-", "-", "-", "-", "-", "-")
    console.print(ratios)
    for key, value in report.get("native_at_scale", {}).items():
        console.print(f"[bold]{key}[/bold]: {value}")


def _git() -> dict:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "neurosym/logic"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        return {"commit": head, "neurosym_logic_uncommitted_changes": bool(dirty)}
    except OSError:
        return {}


def _versions() -> dict:
    out = {"python": platform.python_version()}
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("duckdb", "sqlglot", "pandas", "clingo", "pyDatalog"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def profile_main(args, specs: list[dict], console) -> int:
    spec = next((s for s in specs if s["name"] == args.profile), None)
    if spec is None:
        console.print(f"unknown workload {args.profile!r}; choose one of {', '.join(s['name'] for s in specs)}")
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="neurosym-engine-bench-"))
    try:
        if spec["kind"] in ("clinical", "library"):
            info = prepare_cohort(spec, workdir, console, library=spec["kind"] == "library")
            spec["data"] = info["library_dir"] if spec["kind"] == "library" else info["directory"]
        res = run_worker("profile", spec, args.native_timeout, prep_limit=900.0)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if res.get("status") != "ok":
        console.print(res)
        return 1
    console.print(f"{spec['name']}: {res['seconds']:.2f} s total, {res['statements']} statements, "
                  f"{res['seconds_in_sql']:.2f} s in DuckDB, {res['seconds_outside_sql']:.2f} s in Python/SQLGlot")
    for kind, n, t in res["by_statement_kind"]:
        console.print(f"  {t:8.3f} s  {n:6d} x  {kind}")
    for t, sql in res["top_statements"]:
        console.print(f"--- {t:.3f} s\n{sql[:1500]}", markup=False, highlight=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (< 1 min), used by the smoke test")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per baseline run (default 60, quick 30)")
    parser.add_argument("--native-timeout", type=float, default=600.0, help="seconds per native / SQL run")
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated systems")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON output path")
    parser.add_argument("--workdir", type=Path, default=None, help="where cohort Parquet files go (default: a temp dir)")
    parser.add_argument("--profile", metavar="WORKLOAD", help="time every SQL statement of the native engine on one workload "
                        "(names of the full or, with --quick, quick list) and print the costliest; writes nothing")
    parser.add_argument("--patients", type=int, default=None, help="cohort size of the clinical and library workloads "
                        "(default: as listed; e.g. 10000 to iterate fast on rule_library_100k)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.worker, json.loads(args.spec))
        return 0

    from rich.console import Console

    console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)
    timeout = args.timeout or (30.0 if args.quick else 60.0)
    specs = [dict(s) for s in (QUICK if args.quick else FULL)]
    if args.patients:
        specs = [dict(s, patients=args.patients) if "patients" in s else s for s in specs]
    if args.profile:
        return profile_main(args, specs, console)
    if args.only:
        wanted = set(args.only.split(","))
        specs = [s for s in specs if s["name"] in wanted]
    systems = [s for s in args.systems.split(",") if s]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="neurosym-engine-bench-"))
    report = {
        "meta": {"quick": args.quick, "baseline_timeout_s": timeout, "native_timeout_s": args.native_timeout,
                 "cpus": os.cpu_count(), "platform": platform.platform(), "versions": _versions(), **_git(),
                 "timed": "loading facts into the system + evaluation to fixpoint (clingo: parse facts, ground, solve); "
                          "data generation, Parquet reads and tuple counting are not timed",
                 "speedup": "baseline seconds / native seconds; '>= x' when the baseline timed out",
                 "targets": TARGETS},
        "workloads": {},
        "cohorts": {},
    }
    failed = False
    try:
        for spec in specs:
            if spec["kind"] in ("clinical", "library"):
                info = prepare_cohort(spec, workdir, console, library=spec["kind"] == "library")
                report["cohorts"][f"{spec['patients']}"] = {k: v for k, v in info.items() if k not in ("directory", "library_dir")}
                if spec["kind"] == "library":
                    if not info.get("library_dir"):
                        console.print(f"[yellow]skipping {spec['name']}: {info.get('library_error')}[/yellow]")
                        continue
                    spec["data"] = info["library_dir"]
                else:
                    spec["data"] = info["directory"]
            entry = {"description": describe(spec), "params": {k: v for k, v in spec.items() if k not in ("data", "systems")},
                     "systems": {}}
            for system in systems:
                if system not in spec.get("systems", SYSTEMS):
                    continue
                limit = timeout if system in ("pydatalog", "clingo") else args.native_timeout
                run_spec = dict(spec, timeout=limit)
                load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
                with console.status(f"{spec['name']}: {system} (time-out {limit:.0f} s)"):
                    res = run_worker(system, run_spec, limit, prep_limit=900.0,
                                     rss_cap_mb=BASELINE_RSS_CAP_MB if system in ("pydatalog", "clingo") else None)
                res["load_average_before"] = load_before
                entry["systems"][system] = res
                console.print(f"  {spec['name']:<22} {system:<11} {_fmt_seconds(res):>10}  "
                              f"{res.get('error', '') or res.get('note', '')}")
            with console.status(f"{spec['name']}: whole processes"):
                entry["whole_process"] = whole_process(spec, workdir, repeats=2 if args.quick else 5)
            entry["counts_agree"], entry["tuples"] = check_counts(entry["systems"])
            entry["speedup"] = speedups(entry["systems"])
            if not entry["counts_agree"]:
                failed = True
                console.print(f"[red]{spec['name']}: systems disagree on tuple counts[/red]")
            report["workloads"][spec["name"]] = entry
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    report["native_at_scale"] = {
        name: {"seconds": native.get("seconds"), "cpu_seconds": native.get("cpu_seconds"), "peak_rss_mb": native.get("peak_rss_mb"),
               "rss_after_loading_facts_mb": native.get("rss_after_load_mb"), "explain": native.get("explain")}
        for name, w in report["workloads"].items() if w["params"].get("explain") and (native := w["systems"].get("native", {}))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    render(report, console)
    console.print(f"wrote {args.out}")
    if failed:
        console.print("[red]correctness guard failed: systems produced different numbers of tuples[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
