"""Write the notebooks in this folder from their cell sources (run: python notebooks/make_notebooks.py).

Keeping the cells here keeps the notebooks reviewable as code; the test suite
executes the written .ipynb files.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

ONTOLOGY_AND_RULES = [
    new_markdown_cell("""# Ontology and rules on real OMOP data

A real record from the shared OMOP CDM sample (OHDSI Eunomia *Synthea27Nj*, 28 synthetic patients) is matched
through the ontology and explained down to its source row:

1. load the OMOP tables (every row accounted for in the load report);
2. find a type 2 diabetes diagnosis, coded in **SNOMED CT**;
3. see how the clinical ontology bridges it to the ICD-10-CM block **E08-E13** (diabetes mellitus);
4. evaluate the ADA glycemic rules and explain the conclusion: the proof tree shows the rule, its citation,
   the source record and the ontology path."""),
    new_code_cell("""from pathlib import Path
from neurosym.data import load_omop
from neurosym.ontology import Ontology, shared_data_dir
from neurosym.export import to_text
from neurosym.facts import clinical_facts, load_rule_library
from neurosym.trace import FactLeaf, OntologyLeaf

omop_dir = shared_data_dir() / "omop_synthea27nj"
cohort = load_omop(omop_dir)
cohort.report.check()          # read == loaded + rejected + skipped for every table
cohort.report.summary()"""),
    new_markdown_cell("## A SNOMED-coded diagnosis and its place in the ontology"),
    new_code_cell("""events = cohort.events
t2d = events[(events["system"] == "snomed") & (events["code"] == "44054006")]
record = t2d.iloc[0]
record[["patient_id", "time", "system", "code", "source_dataset", "source_table", "source_row", "source_id"]]"""),
    new_code_cell("""clinical = Ontology.load("clinical")
print(clinical.label("snomed:44054006"), "->", clinical.label("icd10cm:E08-E13"))
print(" -> ".join(clinical.path("snomed:44054006", "icd10cm:E08-E13")))
assert clinical.is_a("snomed:44054006", "icd10cm:E08-E13")"""),
    new_markdown_cell("## The ADA glycemic rules, explained"),
    new_code_cell("""facts = clinical_facts(cohort, clinical)
model = load_rule_library(["glycemic"]).evaluate(facts)
model.query("glycemic_status").iloc[:, 1].value_counts()"""),
    new_code_cell("""patient = str(record["patient_id"])
proof = model.explain(f'glycemic_status("{patient}", diabetes)')
print(to_text(proof))"""),
    new_code_cell('''ontology_leaf = next(leaf for leaf in proof.leaves() if isinstance(leaf, OntologyLeaf))
source_leaf = next(leaf for leaf in proof.leaves() if isinstance(leaf, FactLeaf) and leaf.relation == "condition")
path = " -> ".join(f"{step.system}:{step.code}" for step in ontology_leaf.path)
print("ontology path:", path)
print("source record:", source_leaf.source)
assert "icd10cm:E08-E13" in path
assert source_leaf.source.table == "condition_occurrence"'''),
]


def write(name: str, cells: list) -> Path:
    notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path = HERE / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return path


if __name__ == "__main__":
    from explain_a_prediction_cells import EXPLAIN_A_PREDICTION
    from train_risk_model_cells import TRAIN_RISK_MODEL

    print(write("ontology_and_rules", ONTOLOGY_AND_RULES))
    print(write("train_risk_model", TRAIN_RISK_MODEL))
    print(write("explain_a_prediction", EXPLAIN_A_PREDICTION))
