"""Cells of notebooks/explain_a_prediction.ipynb (written by make_notebooks.py)."""

from nbformat.v4 import new_code_cell, new_markdown_cell

EXPLAIN_A_PREDICTION = [
    new_markdown_cell("""# Explain a prediction: from training to a clinician's report and a FHIR bundle

3-year incident type 2 diabetes on the synthetic cohort with the neuro-symbolic model:

1. train `NeuroSymbolicModel`: the clinical rule library plus neural predicates (a glycemic trajectory, an
   activity pattern on worn days, a sleep pattern) whose facts are probabilities, trained end to end through the
   top-k proofs of the risk factors;
2. compare it on held-out patients with the generator's true risk;
3. explain one patient: the trace's contributions add up to the model's logit, its leaves point at source
   records, ontology paths and neural predicates with their input attributions;
4. what would change the risk (counterfactuals, re-computed by the model);
5. export the trace as a self-contained HTML report and as a FHIR R4 `RiskAssessment` + `Provenance` bundle.

Small settings keep this notebook fast; `benchmarks/reasoner.py` runs the full comparison."""),
    new_code_cell("""import json
from neurosym.data import synthetic_cohort
from neurosym.evaluation import report
from neurosym.reasoning import NeuroSymbolicModel
from neurosym.tasks import ground_truth_labels, split_patients

cohort = synthetic_cohort(1500, seed=0, lifelog_days=182)
train, test = split_patients(ground_truth_labels(cohort), 0.3, seed=0)
print(f"train {len(train)} patients, test {len(test)} patients with {int(test['label'].sum())} incident cases")"""),
    new_markdown_cell("## Train through the proofs"),
    new_code_cell("""model = NeuroSymbolicModel(lifelog_days=182, max_epochs=8, seed=0, progress_bar=False).fit(cohort, train)
risk = test.merge(model.predict_proba(cohort, test), on=["patient_id", "landmark"])
truth = cohort.labels.set_index("patient_id").loc[risk["patient_id"], "risk_t2d"].to_numpy()
table = report({"neurosym": (risk["label"], risk["risk"]), "true risk (ceiling)": (risk["label"], truth)}, n_boot=200)
print(table[["model", "auroc", "auroc_low", "auroc_high", "auprc", "brier"]].round(3).to_string(index=False))"""),
    new_markdown_cell("## One patient's trace"),
    new_code_cell("""from neurosym.export import to_text
from neurosym.trace import NeuralLeaf, check_faithful

patient = str(risk.sort_values("risk", ascending=False)["patient_id"].iloc[0])
landmark = risk["landmark"].iloc[0]
trace = model.explain(cohort, patient, landmark, counterfactuals=True)
print(to_text(trace, max_depth=3))
print("faithful to within", check_faithful(trace))"""),
    new_code_cell("""for leaf in {id(n): n for n in trace.walk() if isinstance(n, NeuralLeaf)}.values():
    top = ", ".join(f"{name} {value:+.3f}" for name, value in list(leaf.attributions.items())[:3])
    print(f"{leaf.atom}: p={leaf.probability:.2f}, read {leaf.window_start}..{leaf.window_end}; top inputs: {top}")"""),
    new_markdown_cell("## What would change the risk"),
    new_code_cell("""for option in trace.counterfactuals:
    changes = "; ".join(change.text or change.fact for change in option.changes)
    print(f"{changes}: risk {trace.risk:.2f} -> {option.risk:.2f}{'  (below threshold)' if option.below_threshold else ''}")"""),
    new_markdown_cell("## A report for clinicians and a FHIR bundle for services"),
    new_code_cell("""from fhir.resources.R4B.bundle import Bundle
from neurosym.export import patient_timeline, to_fhir, write_html
from neurosym.trace import to_dict, validate

validate(to_dict(trace))                      # the published JSON Schema
html = write_html(trace, "report.html", timeline=patient_timeline(cohort, patient, landmark))
print("html report:", html.name, f"{html.stat().st_size:,} bytes")
bundle = to_fhir(trace, patient_id=patient, outcome=["icd10cm:E11", "snomed:44054006"])
Bundle.model_validate(bundle)                 # FHIR R4 models of fhir.resources 8.x
print("fhir bundle:", ", ".join(entry["resource"]["resourceType"] for entry in bundle["entry"]))
with open("bundle.json", "w") as f:
    json.dump(bundle, f, indent=2)"""),
]
