"""Cells of notebooks/train_risk_model.ipynb (written by make_notebooks.py)."""

from nbformat.v4 import new_code_cell, new_markdown_cell

TRAIN_RISK_MODEL = [
    new_markdown_cell("""# Train and evaluate a neural risk model

3-year incident type 2 diabetes on the synthetic cohort, the way a clinical ML study reports it:

1. labels from the task (prevalent cases and deaths before the landmark excluded);
2. one seeded patient-level split; the model only ever sees records before each landmark;
3. `RiskModel` (ontology-aware record encoder + lab trajectories + wear-masked lifelog) against logistic
   regression on last values;
4. AUROC with a bootstrap 95 % CI, AUPRC, Brier score, calibration, and the calibration plot.

Small settings keep this notebook fast; `benchmarks/neural.py` runs the full comparison."""),
    new_code_cell("""import numpy as np
from IPython.display import Image
from neurosym.data import synthetic_cohort
from neurosym.evaluation import LastValueLogistic, plot_calibration, plot_roc, report
from neurosym.neural import RiskModel
from neurosym.tasks import ground_truth_labels

cohort = synthetic_cohort(3000, seed=0, lifelog_days=91)
labels = ground_truth_labels(cohort)
labels["excluded"].value_counts(dropna=False)"""),
    new_markdown_cell("## A seeded patient-level split"),
    new_code_cell("""rng = np.random.default_rng(0)
is_test = np.zeros(len(labels), dtype=bool)
is_test[rng.permutation(len(labels))[: len(labels) // 3]] = True
train = labels[~is_test]
test = labels[is_test & labels["excluded"].isna().to_numpy()]
print(f"train {len(train)} patients, test {len(test)} patients with {int(test['label'].sum())} incident cases")"""),
    new_markdown_cell("## Fit the neural model and the baseline"),
    new_code_cell("""model = RiskModel(lifelog_days=91, max_epochs=8, seed=0, progress_bar=False).fit(cohort, train)
baseline = LastValueLogistic().fit(cohort, train)
print("epochs:", len(model.history_), "best:", model.best_epoch_,
      "validation AUROC per epoch:", [round(h["val_auroc"], 3) for h in model.history_])"""),
    new_code_cell("""def scored(m):
    risk = m.predict_proba(cohort, test).merge(test, on=["patient_id", "landmark"])
    return risk["label"].to_numpy(), risk["risk"].to_numpy()

truth = cohort.labels.set_index("patient_id").loc[test["patient_id"], "risk_t2d"].to_numpy()
predictions = {"RiskModel": scored(model), "LR on last values": scored(baseline),
               "true risk (ceiling)": (test["label"].to_numpy(), truth)}
table = report(predictions, n_boot=300)
print(table.round(3).to_string(index=False))
assert table.loc[table["model"] == "RiskModel", "auroc"].item() > 0.65"""),
    new_markdown_cell("## Calibration and ROC"),
    new_code_cell("""cal_png = plot_calibration(predictions, "calibration.png")
roc_png = plot_roc(predictions, "roc.png")
print("calibration plot:", cal_png, cal_png.stat().st_size, "bytes")
Image(filename=str(cal_png))"""),
]
