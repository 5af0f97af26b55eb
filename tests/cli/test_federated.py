"""``neurosym federated``: site folders and a Flower app project, and user mistakes as messages.

The commands that start Flower's simulation engine are exercised by
``tests/federated`` through the same functions; here they only fail early.
"""

import re
import tomllib

import pytest

from neurosym.cli import main
from neurosym.federated import Site


@pytest.mark.parametrize("argv, message", [
    (["federated", "simulate", "--sites", "1", "--patients", "20"], "n_sites >= 2"),
    (["federated", "simulate", "--partition", "random", "--patients", "20"], "--partition must be one of non-iid"),
    (["federated", "simulate", "--partition", "dirichlet", "--sites", "1", "--patients", "20"], "--sites must be"),
    (["federated", "simulate", "--strategy", "fedsgd", "--patients", "30", "--lifelog-days", "7"],
     "strategy must be 'fedavg' or 'fedprox'"),
    (["federated", "simulate", "--secagg", "--dp-noise", "0.5", "--patients", "30", "--lifelog-days", "7"],
     "secure aggregation and differential privacy are not combined"),
    (["federated", "counts", "--criteria", "adult,smoker", "--patients", "30"], r"criteria \['adult', 'smoker'\]"),
])
def test_user_mistakes_are_messages(capsys, argv, message):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert re.search(message, err)


def test_sites_then_app_write_what_supernodes_and_flwr_run_read(tmp_path, capsys):
    assert main(["federated", "sites", str(tmp_path / "sites"), "--sites", "2", "--patients", "40",
                 "--lifelog-days", "7"]) == 0
    out = capsys.readouterr().out
    assert "site0:omop-snomed" in out and "site1:fhir-icd10cm" in out
    site = Site.load(tmp_path / "sites" / "site1")
    assert site.name == "site1:fhir-icd10cm" and list(site.labels.columns) == ["patient_id", "landmark", "label",
                                                                                "excluded"]
    assert main(["federated", "app", str(tmp_path / "app"), "--rounds", "4", "--sites", "2",
                 "--output-dir", str(tmp_path / "out")]) == 0
    config = tomllib.loads((tmp_path / "app" / "pyproject.toml").read_text())
    app = config["tool"]["flwr"]["app"]
    assert app["components"] == {"serverapp": "neurosym.federated._apps:serverapp",
                                 "clientapp": "neurosym.federated._apps:clientapp"}
    assert (app["config"]["rounds"], app["config"]["min-sites"], app["config"]["output-dir"]) == (
        4, 2, str((tmp_path / "out").resolve()))
