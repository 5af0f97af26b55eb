"""Neural risk models against baselines and the generator's ceiling, data efficiency, time and memory.

On the synthetic cohort (3-year incident type 2 diabetes, ground-truth
labels), per seed of ``--seeds`` a cohort and a seeded patient-level split
(75 % train, 25 % test):

* **main table**: logistic regression on last values, gradient boosting on
  engineered features, flat record + labs, ontology-aware record + labs, and
  ontology-aware record + labs + lifelog (alone, and as an ``--ensemble``
  of seeds whose first member is the single model), against the AUROC of
  the generator's true risk (the ceiling) and of the true log-hazard from
  the latent factors with what no model can observe replaced by its mean
  (see :func:`ceilings`), all on exactly the same test rows;
* **data efficiency**: on ``synthetic_cohort(rare_leaf_codes=True)``
  (informative diagnoses coded with one of about 600 rare ICD-10-CM leaves of
  their blocks), the record encoder alone (plus age and sex), ontology-aware
  vs flat, trained on 5 / 10 / 25 / 100 % of the training patients, repeated
  over ``--curve-seeds`` training seeds (subsample and initialisation; the
  cohort and test patients stay fixed), reported as mean and standard deviation;
* seconds per epoch and peak extra memory (RSS) of each fit.

Run: ``python benchmarks/neural.py [--n 20000] [--quick]``; prints tables and
writes ``benchmarks/results/neural.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from neurosym.data import synthetic_cohort
from neurosym.data._synthetic import SHORT_SLEEP_H, T2D_HAZARD
from neurosym.evaluation import EngineeredGBM, LastValueLogistic, auprc, auroc, auroc_ci, brier
from neurosym.neural import RiskModel
from neurosym.tasks import ground_truth_labels

RESULTS = Path(__file__).parent / "results" / "neural.json"
FRACTIONS = (0.05, 0.10, 0.25, 1.0)


class _PeakRss:
    """Peak resident memory of this process above its level at entry, sampled every 20 ms."""

    def __enter__(self) -> "_PeakRss":
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.extra_mb = (max(self.peak, self._rss()) - self.start) / 1024**2


def split(labels: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train frame (all labelled rows of 75 % of the patients) and test frame (usable rows of the rest)."""
    rng = np.random.default_rng(seed)
    ids = labels["patient_id"].to_numpy()
    test = np.zeros(len(ids), dtype=bool)
    test[rng.permutation(len(ids))[: len(ids) // 4]] = True
    return labels[~test].reset_index(drop=True), labels[test & labels["excluded"].isna().to_numpy()].reset_index(drop=True)


def hazard_auroc(cohort, test: pd.DataFrame, unknown: dict[str, np.ndarray] | None = None) -> float:
    """AUROC of the generator's log-hazard from the latent factors, each ``unknown`` latent replaced by its mean.

    ``unknown`` maps a latent column of ``cohort.labels`` to a mask over the
    test rows: where it holds, the value is replaced by the mean of the other
    test rows (what a model that cannot observe it can at best assume).
    With nothing unknown this ranks exactly as the true risk (the ceiling).
    """
    lat = cohort.labels.set_index("patient_id").loc[test["patient_id"]].reset_index(drop=True)
    lat = lat.assign(family_history=lat["family_history"].astype(float), smoker=(lat["smoking"] == "current") * 1.0,
                     gestational_diabetes=lat["gestational_diabetes"].astype(float))
    for column, mask in (unknown or {}).items():
        values = lat[column].to_numpy(dtype=float)
        lat[column] = np.where(mask, values[~mask].mean() if (~mask).any() else 0.0, values)
    b = T2D_HAZARD
    h = lat["latent_hba1c"]
    pre, obese = ((h >= 5.7) & (h <= 6.4)) * 1.0, (lat["latent_bmi"] >= 30) * 1.0
    eta = (b["age"] * (lat["age"] - 50) / 10 + b["hba1c"] * (h - 5.5) + b["prediabetes"] * pre
           + b["bmi"] * (lat["latent_bmi"] - 28) + b["obese"] * obese + b["family_history"] * lat["family_history"]
           + b["rule"] * pre * obese * lat["family_history"] + b["gdm"] * lat["gestational_diabetes"]
           + b["hypertension"] * lat["hypertension"] + b["dyslipidaemia"] * lat["dyslipidaemia"]
           + b["smoker"] * lat["smoker"] + b["hba1c_slope"] * lat["hba1c_slope"]
           - b["activity"] * lat["latent_activity"] + b["short_sleep"] * (lat["sleep_hours"] < SHORT_SLEEP_H)
           - b["step_trend"] * lat["step_trend"] + b["rhr_trend"] * lat["rhr_trend"]
           + b["weekend_drop"] * lat["weekend_drop"] + b["sleep_irregularity"] * lat["sleep_irregularity"])
    return auroc(test["label"], 1 / (1 + np.exp(-eta.to_numpy(dtype=float))))


def ceilings(cohort, test: pd.DataFrame) -> dict[str, float]:
    """The true-risk ceiling and what of it is observable, on exactly the test rows the models are scored on.

    * ``true_risk_*``: the generator's ``risk_t2d`` (the ceiling);
    * ``exact_latent_auroc``: the log-hazard from every latent (a check: ranks as the ceiling);
    * ``observable_latent_auroc``: lifelog latents of patients without a wearable unknown;
    * ``observable_no_slope_auroc``: also the HbA1c slope unknown for everyone (the slope's worth);
    * ``measured_glycaemia_auroc``: lifelog as above, and HbA1c level and slope unknown for the
      patients without an HbA1c or fasting glucose value before the landmark.
    """
    y = test["label"].to_numpy()
    truth = cohort.labels.set_index("patient_id").loc[test["patient_id"], "risk_t2d"].to_numpy()
    lat = cohort.labels.set_index("patient_id").loc[test["patient_id"]]
    no_wearable = ~lat["has_wearable"].to_numpy(dtype=bool)
    lifelog = {c: no_wearable for c in ("latent_activity", "sleep_hours", "step_trend", "rhr_trend", "weekend_drop",
                                        "sleep_irregularity")}
    ev = cohort.events
    glycaemic = ev[(ev["kind"] == "measurement") & ev["code"].isin(["4548-4", "1558-6"]) & ev["value"].notna()]
    landmark = test.set_index("patient_id")["landmark"].reindex(glycaemic["patient_id"]).to_numpy()
    measured = glycaemic.loc[glycaemic["time"].to_numpy() < landmark, "patient_id"]
    unmeasured = ~test["patient_id"].isin(measured).to_numpy()
    return {"true_risk_auroc": auroc(y, truth), "true_risk_auprc": auprc(y, truth), "true_risk_brier": brier(y, truth),
            "exact_latent_auroc": hazard_auroc(cohort, test),
            "observable_latent_auroc": hazard_auroc(cohort, test, lifelog),
            "observable_no_slope_auroc": hazard_auroc(cohort, test, lifelog | {"hba1c_slope": np.ones(len(y), bool)}),
            "measured_glycaemia_auroc": hazard_auroc(cohort, test, lifelog | {"latent_hba1c": unmeasured,
                                                                              "hba1c_slope": unmeasured}),
            "test_patients": len(test), "test_events": int(y.sum()), "no_wearable_share": float(no_wearable.mean()),
            "no_glycaemic_lab_share": float(unmeasured.mean())}


def evaluate(name: str, make, cohort, train: pd.DataFrame, test: pd.DataFrame) -> dict[str, object]:
    start = time.perf_counter()
    with _PeakRss() as mem:
        model = make().fit(cohort, train)
    fit_s = time.perf_counter() - start
    history = getattr(model, "history_", [])
    row = score(name, model, cohort, test)
    row.update({"fit_s": fit_s, "epochs": len(history) or None,
                "s_per_epoch": float(np.mean([h["seconds"] for h in history])) if history else None,
                "peak_extra_mb": mem.extra_mb, "train_patients": len(train)})
    print(f"  {name:<48} AUROC {row['auroc']:.3f} [{row['auroc_low']:.3f}, {row['auroc_high']:.3f}]  "
          f"fit {fit_s:6.1f} s", flush=True)
    return {**row, "model_object": model}


def score(name: str, model, cohort, test: pd.DataFrame) -> dict[str, object]:
    """AUROC with a bootstrap CI, AUPRC and Brier of ``model`` on exactly the rows of ``test``."""
    risk = model.predict_proba(cohort, test).merge(test, on=["patient_id", "landmark"])
    if len(risk) != len(test):  # the ceilings are computed on exactly these rows
        raise RuntimeError(f"{name} scored {len(risk)} of the {len(test)} test rows")
    y, p = risk["label"].to_numpy(), risk["risk"].to_numpy()
    ci = auroc_ci(y, p, n_boot=500)
    return {"model": name, "auroc": ci.auroc, "auroc_low": ci.low, "auroc_high": ci.high, "auprc": auprc(y, p),
            "brier": brier(y, p)}


def first_member(name: str, ensemble_row: dict[str, object], cohort, test: pd.DataFrame) -> dict[str, object]:
    """The row of an ensemble's first member alone: the same model as ``RiskModel(seed=seed)`` fitted alone.

    Its time is the ensemble's fit time less the epochs of the other members.
    """
    model = copy.copy(ensemble_row["model_object"])
    model.members_ = [model.module_]
    first = [h for h in model.history_ if h["member"] == 0]
    others = sum(h["seconds"] for h in model.history_ if h["member"] != 0)
    row = score(name, model, cohort, test)
    row.update({"fit_s": ensemble_row["fit_s"] - others, "epochs": len(first),
                "s_per_epoch": float(np.mean([h["seconds"] for h in first])),
                "peak_extra_mb": ensemble_row["peak_extra_mb"], "train_patients": ensemble_row["train_patients"]})
    print(f"  {name:<48} AUROC {row['auroc']:.3f} [{row['auroc_low']:.3f}, {row['auroc_high']:.3f}]", flush=True)
    return row


def main_table(n: int, epochs: int, seed: int, ensemble: int = 1) -> tuple[list[dict[str, object]], dict[str, float]]:
    cohort = synthetic_cohort(n, seed=seed)
    train, test = split(ground_truth_labels(cohort), seed)
    bounds = ceilings(cohort, test)
    nn = dict(max_epochs=epochs, progress_bar=False, seed=seed)
    models = {
        "LR on last values": lambda: LastValueLogistic(),
        "GBM on engineered features": lambda: EngineeredGBM(seed=seed),
        "flat record + labs": lambda: RiskModel(inputs=("record", "labs"), flat=True, **nn),
        "ontology record + labs": lambda: RiskModel(inputs=("record", "labs"), **nn),
    }
    rows = [evaluate(name, make, cohort, train, test) for name, make in models.items()]
    full = "ontology record + labs + lifelog"
    if ensemble > 1:
        both = evaluate(f"{full}, {ensemble}-seed ensemble", lambda: RiskModel(ensemble=ensemble, **nn), cohort,
                        train, test)
        rows += [first_member(full, both, cohort, test), both]
    else:
        rows.append(evaluate(full, lambda: RiskModel(**nn), cohort, train, test))
    return [{k: v for k, v in row.items() if k != "model_object"} | {"seed": seed} for row in rows], bounds


def data_efficiency(n: int, epochs: int, seed: int, seeds: int = 1) -> list[dict[str, object]]:
    cohort = synthetic_cohort(n, seed=seed + 1, rare_leaf_codes=True)
    train, test = split(ground_truth_labels(cohort), seed)
    rows = []
    for run in range(seed, seed + seeds):
        order = np.random.default_rng(run).permutation(len(train))
        for fraction in FRACTIONS:
            part = train.iloc[np.sort(order[: int(round(fraction * len(train)))])]
            for flat in (False, True):
                name = f"{'flat' if flat else 'ontology'} record @ {fraction:.0%}, seed {run}"
                make = lambda flat=flat, run=run: RiskModel(inputs=("record",), flat=flat, max_epochs=epochs,
                                                            progress_bar=False, seed=run)
                row = evaluate(name, make, cohort, part, test)
                del row["model_object"]
                rows.append({"fraction": fraction, "encoder": "flat" if flat else "ontology", "run_seed": run, **row})
    return rows


def _versions() -> dict[str, str]:
    import pytorch_lightning
    import sklearn
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__,
            "pytorch_lightning": pytorch_lightning.__version__, "sklearn": sklearn.__version__}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="patients per cohort (default 20000, 2000 with --quick)")
    parser.add_argument("--epochs", type=int, default=30, help="maximum epochs (early stopping decides)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1],
                        help="cohort, split and training seeds of the main table (one run each)")
    parser.add_argument("--ensemble", type=int, default=3, help="members of the ensembled full model (1: none)")
    parser.add_argument("--curve-seeds", type=int, default=2, help="training seeds of the data-efficiency curve")
    parser.add_argument("--quick", action="store_true",
                        help="3 epochs, one seed, no ensemble, one curve seed, 2,000 patients: a smoke run")
    parser.add_argument("--parts", nargs="+", choices=("main", "curve"), default=["main", "curve"],
                        help="run the main table, the data-efficiency curve or both (parts can run in parallel)")
    parser.add_argument("--merge", type=Path, nargs="+", help="only combine the JSON of runs of separate parts")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.merge:
        return _write(merge([json.loads(path.read_text()) for path in args.merge]), args.output)
    epochs, seeds, curve_seeds, ensemble = ((3, args.seeds[:1], 1, 1) if args.quick
                                            else (args.epochs, args.seeds, args.curve_seeds, args.ensemble))
    n = args.n or (2000 if args.quick else 20000)
    started = time.perf_counter()
    rows, bounds, curve = [], [], []
    for seed in seeds if "main" in args.parts else []:
        print(f"main table: synthetic_cohort({n}, seed={seed}), 3-year incident T2D", flush=True)
        seed_rows, seed_bounds = main_table(n, epochs, seed, ensemble)
        rows += seed_rows
        bounds.append(seed_bounds | {"seed": seed})
    if "curve" in args.parts:
        print(f"data efficiency: synthetic_cohort({n}, seed={seeds[0] + 1}, rare_leaf_codes=True)", flush=True)
        curve = data_efficiency(n, epochs, seeds[0], curve_seeds)
    result = {"n": n, "max_epochs": epochs, "seeds": seeds, "ensemble": ensemble, "curve_seeds": curve_seeds,
              "ceilings": bounds[0] if bounds else {}, "ceilings_by_seed": bounds, "models": rows,
              "data_efficiency": curve, "total_s": time.perf_counter() - started, "cpus": os.cpu_count(),
              "load_average": os.getloadavg(), "platform": platform.platform(), "versions": _versions()}
    return _write(result, args.output)


def merge(results: list[dict[str, object]]) -> dict[str, object]:
    """One result from runs of separate parts or seeds (same ``n`` and epochs): rows and ceilings concatenated."""
    merged = dict(results[0])
    for key in ("models", "ceilings_by_seed", "data_efficiency"):
        merged[key] = [row for r in results for row in r[key]]
    merged["seeds"] = [b["seed"] for b in merged["ceilings_by_seed"]]
    merged["ceilings"] = merged["ceilings_by_seed"][0] if merged["ceilings_by_seed"] else {}
    merged["curve_seeds"] = max([r["curve_seeds"] for r in results if r["data_efficiency"]], default=0)
    merged["total_s"] = [r["total_s"] for r in results]
    merged["load_average"] = [r["load_average"] for r in results]
    return merged


def _write(result: dict[str, object], output: Path) -> dict[str, object]:
    print_tables(result)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, default=float) + "\n")
    return result


def print_tables(result: dict[str, object]) -> None:
    columns = ["auroc", "auroc_low", "auroc_high", "auprc", "brier", "epochs", "s_per_epoch", "fit_s", "peak_extra_mb"]
    models = pd.DataFrame(result["models"])
    bounds = pd.DataFrame(result["ceilings_by_seed"])
    names = {"true_risk_auroc": "true risk (ceiling)", "observable_latent_auroc": "hazard, observable latents",
             "observable_no_slope_auroc": "  ... and HbA1c slope unknown",
             "measured_glycaemia_auroc": "  ... and unmeasured glycaemia unknown"}
    for seed, part in models.groupby("seed", sort=False) if len(models) else []:
        b = bounds[bounds["seed"] == seed].iloc[0]
        ceiling = pd.DataFrame([{"model": names[k], "auroc": b[k]} for k in names])
        ceiling.loc[0, ["auprc", "brier"]] = b["true_risk_auprc"], b["true_risk_brier"]
        print(f"\nseed {seed}: {int(b['test_patients'])} test patients, {int(b['test_events'])} events")
        print(pd.concat([part[["model", *columns]], ceiling], ignore_index=True)
              .to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep=""))
    if len(models) and models["seed"].nunique() > 1:
        summary = models.groupby("model", sort=False)[["auroc", "auprc", "brier"]].agg(["mean", "std"])
        summary.columns = [f"{a} {b}" for a, b in summary.columns]
        print(f"\nover seeds {result['seeds']}")
        print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    if not result["data_efficiency"]:
        return
    runs = pd.DataFrame(result["data_efficiency"]).pivot(index=["fraction", "run_seed"], columns="encoder",
                                                          values="auroc")
    runs["ontology - flat"] = runs["ontology"] - runs["flat"]
    curve = runs.groupby(level="fraction").agg(["mean", "std"])
    curve.columns = [f"{a} {b}" for a, b in curve.columns]
    print()
    print(curve.to_string(float_format=lambda v: f"{v:.3f}", na_rep=""))


if __name__ == "__main__":
    main(sys.argv[1:])
