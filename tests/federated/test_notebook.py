"""notebooks/federated_study.ipynb runs top to bottom: counts across sites, then a small Flower simulation."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "federated_study.ipynb"


def test_federated_study_notebook_executes(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))
    for expected in ("eligible across sites:", "the criterion that excludes most:", "all model weights: True",
                     "global model risk at site1:fhir-icd10cm"):
        assert expected in outputs
