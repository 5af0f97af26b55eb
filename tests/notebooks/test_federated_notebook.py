"""notebooks/federated_study.ipynb runs top to bottom: counts across sites, then federated training.

It is executed once per session: ``tests/federated`` reads the same
executed notebook and its run folder for the simulation and audit tests, so
Flower's simulation engine starts once for both.
"""

import importlib.util
from pathlib import Path

import pandas as pd

from neurosym.federated import FederatedResult

_spec = importlib.util.spec_from_file_location(
    "federated_conftest", Path(__file__).resolve().parents[1] / "federated" / "conftest.py")
federated = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(federated)


def test_federated_study_notebook_executes(tmp_path_factory):
    notebook, folder = federated.executed_notebook(tmp_path_factory.getbasetemp())
    outputs = "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))
    assert not [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    result = FederatedResult.load(folder / "federated-run")
    for expected in (f"eligible across sites: {result.counts.eligible}",
                     f"the criterion that excludes most: {result.counts.most_excluding}",
                     f"kept round {result.model.best_epoch_}", "all model weights: True",
                     "global model risk at site1:fhir-icd10cm for"):
        assert expected in outputs
    assert f"epsilon={result.privacy['epsilon']:.1f} at delta=1e-05 per site" in outputs
    # counts first, then training: the counts query precedes every training message of every site
    sent = result.audit.drop_duplicates(["site", "message"])
    for _, messages in sent.groupby("site"):
        steps = messages.sort_values("message")["step"].tolist()
        assert steps[:2] == ["counts", "statistics"]
    assert result.counts.attrition["criterion"].tolist() == federated.CRITERIA
    assert isinstance(result.rounds, pd.DataFrame) and len(result.rounds) == federated.ROUNDS
