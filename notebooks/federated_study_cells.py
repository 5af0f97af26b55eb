"""Cells of notebooks/federated_study.ipynb (written by make_notebooks.py)."""

from nbformat.v4 import new_code_cell, new_markdown_cell

FEDERATED_STUDY = [
    new_markdown_cell("""# A federated feasibility study, then federated training

Two hospitals cannot move patient data: one exports OMOP coded in SNOMED CT, the other serves FHIR coded in
ICD-10-CM, and their patients differ in age, diabetes risk and wearable coverage.

1. **Counts first**: each site runs the same trial-eligibility program and sends back only counts (cells
   under 5 suppressed); the server combines them into an attrition table: how many are eligible, and which
   criterion excludes most.
2. **Then training**: a `RiskModel` for 3-year type 2 diabetes is trained with FedAvg through Flower's
   simulation engine; the audit log shows every message that left a site.

Small settings keep the notebook fast; `benchmarks/federated.py` compares federated, centralised and
single-site models."""),
    new_code_cell("""from neurosym.data import synthetic_sites
from neurosym.federated import EXAMPLE_ELIGIBILITY, Site, combine_counts, simulate, site_counts
from neurosym.neural import RiskModel

sites = [Site.from_cohort(c) for c in synthetic_sites(2, 400, seed=0, lifelog_days=28)]
for site in sites:
    conditions = site.cohort.events[site.cohort.events["kind"] == "condition"]
    print(site.name, len(site.cohort), "patients; condition codes:", dict(conditions["system"].value_counts()))"""),
    new_markdown_cell("""## Counts across sites

`site_counts` runs at a site and returns only counts; `combine_counts` is what the server does with them
(`federated_counts` sends the program and the counts through Flower, one message per site)."""),
    new_code_cell("""print(EXAMPLE_ELIGIBILITY)
criteria = ["age_40_75", "prediabetic_hba1c", "overweight", "no_diabetes"]
counts = {s.name: site_counts(s.cohort, EXAMPLE_ELIGIBILITY, criteria, min_cell=5) for s in sites}
summary = combine_counts(counts)
summary.attrition"""),
    new_code_cell("""print("eligible across sites:", summary.eligible)
print("the criterion that excludes most:", summary.most_excluding)
assert summary.eligible == sum(int(c.attrition["remaining"].iloc[-1]) for c in counts.values()
                               if c.attrition["remaining"].notna().iloc[-1])"""),
    new_markdown_cell("""## Federated training

The vocabulary step agrees on one featurizer from small-cell-suppressed code counts and pooled lab and
lifelog sums; then each round every site trains locally from the global weights and FedAvg averages them."""),
    new_code_cell("""model = RiskModel(lifelog_days=28, dim=16, batch_size=64, progress_bar=False)
result = simulate(sites, model, rounds=2, strategy="fedavg", seed=0)
result.rounds"""),
    new_code_cell("""sent = result.audit.drop_duplicates(["site", "message"])
print(sent.groupby(["site", "message_type"]).size())
arrays = result.audit[result.audit["kind"] == "array"]
print("array items sent:", len(arrays), "- all model weights:",
      set(arrays["key"]) == set(k for k, v in result.model.module_.state_dict().items() if v.is_floating_point()))
risk = result.model.predict_proba(sites[1].cohort, sites[1].labels)
print("global model risk at", sites[1].name, "for", len(risk), "patients")"""),
]
