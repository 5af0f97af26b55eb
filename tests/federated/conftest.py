"""One small federated run, the one ``notebooks/federated_study.ipynb`` makes, shared by the simulation and audit tests.

The notebook is executed once per session, whichever test process asks first
(Flower's simulation engine, Ray, starts once for it): two non-IID sites of about 120 patients, counts of the
example eligibility program, then FedProx with differential privacy, two
rounds of one local epoch.  The tests read its run folder
(:meth:`FederatedResult.load`); ``tests/notebooks/test_federated_notebook.py``
reads the executed notebook from the same session folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from filelock import FileLock
from nbclient import NotebookClient

from neurosym.data import synthetic_sites
from neurosym.federated import EXAMPLE_ELIGIBILITY, DifferentialPrivacy, FederatedResult, Site

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "federated_study.ipynb"
#: The notebook's settings.
ROUNDS = 2
DP = DifferentialPrivacy(noise_multiplier=0.1, clipping_norm=5.0)
CRITERIA = ["age_40_75", "prediabetic_hba1c", "overweight", "no_diabetes"]


def executed_notebook(base: Path) -> tuple[nbformat.NotebookNode, Path]:
    """The notebook executed in ``federated_study`` under the session's folder and that folder.

    ``base`` is a test process's ``getbasetemp()``; under pytest-xdist every worker has its own, and their
    shared parent belongs to this session only, so the workers share one execution (behind a file lock).
    """
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "federated_study"
    done = folder / NOTEBOOK.name
    with FileLock(shared / "federated_study.lock"):
        if not done.is_file():
            folder.mkdir(exist_ok=True)
            notebook = nbformat.read(NOTEBOOK, as_version=4)
            NotebookClient(notebook, timeout=900, kernel_name="python3",
                           resources={"metadata": {"path": str(folder)}}).execute()
            nbformat.write(notebook, done)
    return nbformat.read(done, as_version=4), folder


@pytest.fixture(scope="session")
def fed_settings() -> dict[str, object]:
    """The settings of the shared run: rounds, DP, the small-cell threshold and the counted criteria."""
    return {"rounds": ROUNDS, "dp": DP, "min_cell": 5, "program": EXAMPLE_ELIGIBILITY, "criteria": CRITERIA}


@pytest.fixture(scope="session")
def fed_sites() -> list[Site]:
    """The notebook's sites."""
    return [Site.from_cohort(c) for c in synthetic_sites(2, 240, seed=0, lifelog_days=28)]


@pytest.fixture(scope="session")
def fed_run(tmp_path_factory):
    """The notebook's federated run: its result and work folder."""
    _, folder = executed_notebook(tmp_path_factory.getbasetemp())
    workdir = folder / "federated-run"
    return FederatedResult.load(workdir), workdir
