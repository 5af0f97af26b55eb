"""One small federated run (Flower's simulation engine, Ray) shared by the simulation and audit tests.

Two non-IID sites of about 120 patients, FedProx with differential privacy,
two rounds of one local epoch: enough to exercise every message type while
keeping Ray's start-up the dominant cost.
"""

from __future__ import annotations

import pytest

from neurosym.data import synthetic_sites
from neurosym.federated import DifferentialPrivacy, Site, simulate
from neurosym.neural import RiskModel

ROUNDS = 2
DP = DifferentialPrivacy(noise_multiplier=0.1, clipping_norm=5.0)


@pytest.fixture(scope="session")
def fed_settings() -> dict[str, object]:
    """The settings of the shared run: rounds, DP and the small-cell threshold."""
    return {"rounds": ROUNDS, "dp": DP, "min_cell": 5}


@pytest.fixture(scope="session")
def fed_sites() -> list[Site]:
    return [Site.from_cohort(c) for c in synthetic_sites(2, 240, seed=0, lifelog_days=28)]


@pytest.fixture(scope="session")
def fed_run(fed_sites, tmp_path_factory):
    model = RiskModel(lifelog_days=28, dim=16, batch_size=64, progress_bar=False)
    workdir = tmp_path_factory.mktemp("federated")
    return simulate(fed_sites, model, rounds=ROUNDS, strategy="fedprox", dp=DP, workdir=workdir), workdir
