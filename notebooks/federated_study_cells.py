"""Cells of notebooks/federated_study.ipynb (run this file to write the notebook).

The test suite executes the notebook once and reads its run folder
(``federated-run``) for the simulation and audit tests, so its settings are
the small ones of ``tests/federated/conftest.py``.
"""

from nbformat.v4 import new_code_cell, new_markdown_cell

FEDERATED_STUDY = [
    new_markdown_cell("""# A federated feasibility study, then federated training

Two hospitals cannot move patient data: one exports OMOP coded in SNOMED CT, the other serves FHIR coded in
ICD-10-CM, and their patients differ in age, diabetes risk and wearable coverage.

1. **Counts first**: each site runs the same trial-eligibility program and sends back only counts (cells
   under 5 suppressed); the server combines them into an attrition table: how many are eligible, and which
   criterion excludes most.
2. **Then training**: a `RiskModel` for 3-year type 2 diabetes is trained with FedProx through Flower's
   simulation engine, with differential privacy on the sites' updates; the audit log shows every message that
   left a site.

Both steps run in one federation (one Flower simulation). Small settings keep the notebook fast;
`benchmarks/federated.py` compares federated, centralised and single-site models."""),
    new_code_cell("""from neurosym.data import synthetic_sites
from neurosym.federated import EXAMPLE_ELIGIBILITY, DifferentialPrivacy, Site, simulate, site_counts
from neurosym.neural import RiskModel

sites = [Site.from_cohort(c) for c in synthetic_sites(2, 240, seed=0, lifelog_days=28)]
for site in sites:
    conditions = site.cohort.events[site.cohort.events["kind"] == "condition"]
    print(site.name, len(site.cohort), "patients; condition codes:", dict(conditions["system"].value_counts()))"""),
    new_markdown_cell("""## What one site sends for the counts

`site_counts` is what a site runs: the program's relations, rule firings and attrition as counts, cells under
`min_cell` suppressed (shown as missing)."""),
    new_code_cell("""print(EXAMPLE_ELIGIBILITY)
criteria = ["age_40_75", "prediabetic_hba1c", "overweight", "no_diabetes"]
site_counts(sites[0].cohort, EXAMPLE_ELIGIBILITY, criteria, min_cell=5).attrition"""),
    new_markdown_cell("""## The federation: counts across sites, then training

The server first sends the program to every site and combines the counts; then the vocabulary step agrees on
one featurizer from small-cell-suppressed code counts and pooled lab and lifelog sums; then each round every
site trains from the global weights, clips its update, and the server averages with Gaussian noise. The round
whose global model the sites' validation patients score best is kept."""),
    new_code_cell("""model = RiskModel(lifelog_days=28, dim=16, batch_size=64, progress_bar=False)
dp = DifferentialPrivacy(noise_multiplier=0.1, clipping_norm=5.0)
result = simulate(sites, model, rounds=2, strategy="fedprox", dp=dp, counts=(EXAMPLE_ELIGIBILITY, criteria),
                  seed=0, workdir="federated-run")
result.counts.attrition"""),
    new_code_cell("""print("eligible across sites:", result.counts.eligible)
print("the criterion that excludes most:", result.counts.most_excluding)
local = [site_counts(s.cohort, EXAMPLE_ELIGIBILITY, criteria, min_cell=5) for s in sites]
assert result.counts.eligible == sum(int(c.attrition["remaining"].iloc[-1]) for c in local
                                     if c.attrition["remaining"].notna().iloc[-1])"""),
    new_code_cell("""print(f"privacy: epsilon={result.privacy['epsilon']:.1f} at delta={result.privacy['delta']:g} per site")
print("kept round", result.model.best_epoch_)
result.rounds"""),
    new_code_cell("""sent = result.audit.drop_duplicates(["site", "message"])
print(sent.groupby(["site", "message_type"]).size())
arrays = result.audit[result.audit["kind"] == "array"]
print("array items sent:", len(arrays), "- all model weights:",
      set(arrays["key"]) == set(k for k, v in result.model.module_.state_dict().items() if v.is_floating_point()))
risk = result.model.predict_proba(sites[1].cohort, sites[1].labels)
print("global model risk at", sites[1].name, "for", len(risk), "patients")"""),
]

if __name__ == "__main__":
    from make_notebooks import write

    print(write("federated_study", FEDERATED_STUDY))
