"""The notebooks run top to bottom (they assert what they show)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.parametrize("name, expected", [("ontology_and_rules", ("ontology path: snomed:44054006", "icd10cm:E08-E13")),
                                            ("train_risk_model", ("RiskModel", "calibration plot: calibration.png")),
                                            ("explain_a_prediction", ("faithful to within", "html report: report.html",
                                                                      "fhir bundle: RiskAssessment"))])
def test_notebook_executes(name, expected, shared_data, tmp_path):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))
    assert all(text in outputs for text in expected)
