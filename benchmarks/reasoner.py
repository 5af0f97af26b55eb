"""The neuro-symbolic reasoner against neural-only, rules-only and logistic-regression baselines.

On the synthetic cohort (3-year incident type 2 diabetes, ground-truth
labels), one seeded patient-level split (75 % train, 25 % test):

* **neurosym**: :class:`~neurosym.reasoning.NeuroSymbolicModel` (rule library
  + neural-predicate rules, trained through differentiable top-k proofs, its
  neural predicates tied to their described patterns, with its wide residual
  term: a logistic regression on last values and wear-aware lifelog summaries);
* **neurosym, weak supervision only**: the same rules and neural predicates
  without the wide term and without the ties to the patterns
  (``wide=False, anchor_weight=0``): the predicates learn only from the
  onset label through the rules;
* **neural-only**: :class:`~neurosym.neural.RiskModel` (record + labs + lifelog);
* **rules-only**: the rule library alone, its atoms weighted by a logistic
  risk head (``NeuroSymbolicModel(program=load_rule_library(), predicates=(), wide=False)``);
* **LR on last values** (:class:`~neurosym.evaluation.LastValueLogistic`);
* the generator's **true risk** (the ceiling).

Each row: AUROC with a bootstrap 95 % CI, AUPRC, Brier, calibration slope and
ECE (:func:`neurosym.evaluation.report`), fit seconds, and the **AUROC against the true risk** (:func:`expected_auroc`:
each test outcome replaced by the generator's risk, so about the mean AUROC
over draws of the test outcomes; with ~100 test events the realised AUROC
moves by a few hundredths from one draw of outcomes to the next, this does not).  Then the **concepts**
of the neural predicates, for the weak-supervision model (never given their
own labels, nor tied to a pattern) and for the full model (tied to their
patterns by weak labels computed from the inputs): their outputs on the test
patients are compared with the generator's latent truth (AUROC and accuracy
at 0.5): rising glycemia = ``hba1c_slope`` above its median, low activity =
``latent_activity`` below its median, short sleep = ``sleep_hours`` < 7 h.
Last, **faithfulness**: ``--traces`` test patients are explained and
:func:`neurosym.trace.check_faithful` gives the largest gap between the
logit and bias + residual + the contributions.

Run: ``python benchmarks/reasoner.py [--n 5000] [--seeds 0 1] [--quick] [--models NAME ...]``;
prints the tables and writes ``benchmarks/results/reasoner.json`` (one run per
seed; with ``--models`` only those models, and the concepts and faithfulness
only when their model is among them).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from neurosym.data import synthetic_cohort
from neurosym.data._synthetic import SHORT_SLEEP_H
from neurosym.evaluation import LastValueLogistic, auroc, report
from neurosym.facts import load_rule_library
from neurosym.neural import RiskModel
from neurosym.reasoning import NeuroSymbolicModel
from neurosym.tasks import ground_truth_labels, split_patients
from neurosym.trace import check_faithful

RESULTS = Path(__file__).parent / "results" / "reasoner.json"
WEAK = "neurosym, weak supervision only"

#: Neural predicate -> (latent column, concept from the latent: True where the concept holds).
CONCEPTS = {
    "rising_glycemic_trajectory": ("hba1c_slope", lambda v: v > np.median(v)),
    "low_activity_pattern": ("latent_activity", lambda v: v < np.median(v)),
    "short_sleep_pattern": ("sleep_hours", lambda v: v < SHORT_SLEEP_H),
}


def expected_auroc(risk: np.ndarray, score: np.ndarray) -> float:
    """The AUROC of ``score`` with each outcome replaced by its probability ``risk``.

    Pairs ``(i, j)``, ``i != j``, weigh ``risk_i (1 - risk_j)`` (i the case, j the control); ties count one
    half.  It is close to the mean AUROC over independent draws of the outcomes from ``risk``.

    >>> expected_auroc(np.array([0.9, 0.1]), np.array([2.0, 1.0]))
    0.9878048780487805
    """
    order = np.argsort(score, kind="stable")
    r, s = risk[order], score[order]
    first = np.searchsorted(s, s, side="left")  # rows strictly below each score, then its ties
    last = np.searchsorted(s, s, side="right")
    controls = np.concatenate([[0.0], np.cumsum(1.0 - r)])
    below, tied = controls[first], controls[last] - controls[first] - (1.0 - r)
    pairs = r.sum() * (1.0 - r).sum() - (r * (1.0 - r)).sum()
    return float((r * (below + 0.5 * tied)).sum() / pairs)


def concept_scores(model: NeuroSymbolicModel, cohort, test: pd.DataFrame) -> list[dict[str, object]]:
    """AUROC and accuracy (at 0.5) of each neural predicate against its latent concept, on the patients it reads."""
    atoms = model.predict_atoms(cohort, test)
    truth = cohort.labels.set_index("patient_id")
    rows = []
    for name, (column, concept) in CONCEPTS.items():
        if name not in atoms:
            continue
        latent = truth.loc[atoms["patient_id"].astype(str), column].to_numpy(dtype=float)
        keep = np.isfinite(latent) & atoms[name].notna().to_numpy()  # patients with a candidate fact
        y, p = concept(latent[keep]), atoms[name].to_numpy()[keep]
        rows.append({"predicate": name, "latent": column, "patients": int(keep.sum()), "auroc": auroc(y, p),
                     "accuracy": float(((p >= 0.5) == y).mean()), "positive_share": float(y.mean())})
    return rows


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=None, help="Patients (default 5000; 1000 with --quick).")
    parser.add_argument("--quick", action="store_true", help="Small cohort, few epochs.")
    parser.add_argument("--epochs", type=int, default=None, help="Maximum epochs (default 20; 5 with --quick).")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="Cohort, split and training seeds.")
    parser.add_argument("--traces", type=int, default=10, help="Test patients explained for the faithfulness check.")
    parser.add_argument("--models", nargs="+", default=None, help="Only these models (names as in the table).")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    n = args.n or (1000 if args.quick else 5000)
    epochs = args.epochs or (5 if args.quick else 20)
    result = {"n": n, "quick": args.quick, "max_epochs": epochs,
              "runs": [run(n, epochs, seed, args.traces, args.models) for seed in args.seeds],
              "python": platform.python_version()}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return result


def run(n: int, epochs: int, seed: int, traces: int, only: list[str] | None = None) -> dict[str, object]:
    """One seed: cohort, split, every model, the concepts of the neural predicates and the faithfulness check."""
    cohort = synthetic_cohort(n, seed=seed)
    labels = ground_truth_labels(cohort)
    train, test = split_patients(labels, 0.25, seed)
    test = test[test["excluded"].isna()].reset_index(drop=True)
    common = dict(max_epochs=epochs, progress_bar=False, seed=seed)
    models = {
        "neurosym": lambda: NeuroSymbolicModel(**common),
        WEAK: lambda: NeuroSymbolicModel(wide=False, anchor_weight=0.0, **common),
        "neural-only (RiskModel)": lambda: RiskModel(**common),
        "rules-only (library atoms)": lambda: NeuroSymbolicModel(program=load_rule_library(), predicates=(),
                                                                 wide=False, **common),
        "LR on last values": lambda: LastValueLogistic(),
    }
    unknown = set(only or ()) - set(models)
    if unknown:
        raise SystemExit(f"unknown models {sorted(unknown)}; choose from {list(models)}")
    models = {k: v for k, v in models.items() if only is None or k in only}
    predictions, fits, fitted, order = {}, {}, {}, {}
    y = test["label"].to_numpy()
    for name, make in models.items():
        start = time.perf_counter()
        model = make().fit(cohort, train)
        fits[name] = time.perf_counter() - start
        start = time.perf_counter()
        risk = model.predict_proba(cohort, test).merge(test, on=["patient_id", "landmark"])
        predict_s = time.perf_counter() - start
        predictions[name] = (risk["label"].to_numpy(), risk["risk"].to_numpy())
        order[name] = risk["patient_id"].astype(str).to_numpy()
        fitted[name] = model
        print(f"  seed {seed}: {name:<28} fit {fits[name]:6.1f} s  predict {predict_s:5.1f} s", flush=True)
    truth = cohort.labels.set_index("patient_id").loc[test["patient_id"], "risk_t2d"].to_numpy()
    predictions["true risk (ceiling)"] = (y, truth)
    order["true risk (ceiling)"] = test["patient_id"].astype(str).to_numpy()
    table = report(predictions, n_boot=500, seed=seed)
    table["fit_s"] = table["model"].map(fits)
    truth_of = cohort.labels.set_index("patient_id")["risk_t2d"]
    table["expected_auroc"] = [expected_auroc(truth_of.loc[pids].to_numpy(), predictions[name][1])
                               for name, pids in zip(table["model"], (order[m] for m in table["model"]))]
    result = {"seed": seed, "train_rows": len(train), "test_patients": len(test), "test_events": int(y.sum()),
              "models": json.loads(table.to_json(orient="records")),
              "weak_supervision": concept_scores(fitted[WEAK], cohort, test) if WEAK in fitted else [],
              "full_model_concepts": concept_scores(fitted["neurosym"], cohort, test) if "neurosym" in fitted else [],
              "faithfulness": (faithfulness(fitted["neurosym"], cohort, test, predictions["neurosym"][1], traces, seed)
                               if "neurosym" in fitted else None)}
    print_tables(n, result)
    return result


def faithfulness(model: NeuroSymbolicModel, cohort, test: pd.DataFrame, risk: np.ndarray, traces: int,
                 seed: int) -> dict[str, object]:
    """Explain ``traces`` random test patients (``risk``: the model's risks, test order).

    The largest |logit - (bias + residual + contributions)| of a trace, the
    largest |trace logit - the logit of ``predict_proba``|, and the mean share
    of the residual among the absolute parts of the logit.
    """
    rows = test.assign(model_logit=np.log(risk) - np.log1p(-risk)).sample(min(traces, len(test)), random_state=seed)
    gaps, model_gaps, shares = [], [], []
    for pid, landmark, logit in zip(rows["patient_id"], rows["landmark"], rows["model_logit"]):
        trace = model.explain(cohort, str(pid), landmark)
        gaps.append(check_faithful(trace))
        model_gaps.append(abs(trace.logit - logit))
        parts = [abs(trace.bias), abs(trace.residual or 0.0), *(abs(c.contribution or 0.0) for c in trace.children)]
        shares.append(abs(trace.residual or 0.0) / max(sum(parts), 1e-12))
    return {"traces": len(gaps), "max_gap": float(max(gaps)), "max_gap_to_predict_proba": float(max(model_gaps)),
            "mean_residual_share": float(np.mean(shares))}


def print_tables(n: int, result: dict[str, object]) -> None:
    print(f"\nT2D within 3 years, synthetic n={n}, seed {result['seed']} ({result['test_patients']} test patients, "
          f"{result['test_events']} events)")
    print(f"{'model':<34} {'AUROC':>6} {'95% CI':>15} {'AUPRC':>6} {'Brier':>6} {'slope':>6} {'ECE':>6} {'fit s':>7} "
          f"{'E[AUROC]':>8}")
    for row in result["models"]:
        fit = f"{row['fit_s']:7.1f}" if row.get("fit_s") == row.get("fit_s") and row.get("fit_s") is not None else "      -"
        print(f"{row['model']:<34} {row['auroc']:6.3f} [{row['auroc_low']:.3f}, {row['auroc_high']:.3f}] "
              f"{row['auprc']:6.3f} {row['brier']:6.3f} {row['calibration_slope']:6.2f} {row['ece']:6.3f} {fit} "
              f"{row['expected_auroc']:8.3f}")
    for key, title in (("weak_supervision", "weak supervision only (onset label through the rules)"),
                       ("full_model_concepts", "full model (tied to the described patterns)")):
        print(f"\nNeural predicates vs latent truth, {title}")
        for row in result[key]:
            print(f"{row['predicate']:<28} vs {row['latent']:<16} n={row['patients']:<5} AUROC {row['auroc']:.3f}  "
                  f"accuracy {row['accuracy']:.3f}")
    f = result["faithfulness"]
    if f is None:
        return
    print(f"\nFaithfulness over {f['traces']} traces: max |logit - sum| = {f['max_gap']:.2e}, "
          f"max |trace logit - predict_proba logit| = {f['max_gap_to_predict_proba']:.2e}; "
          f"mean residual share {f['mean_residual_share']:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
