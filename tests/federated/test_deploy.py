"""The same apps under Flower's deployment engine: a SuperLink and two SuperNodes as separate processes.

Mirrors the README's steps: write site folders and a Flower app project,
start ``flower-superlink --insecure``, one ``flower-supernode --insecure``
per site (its folder in ``--node-config``), point ``flwr run`` at the
SuperLink through a connection in ``$FLWR_HOME/config.toml``, and read the
ServerApp's output and the sites' audit logs.  One round, no federated
evaluation: every message starts a fresh ClientApp process (imports torch),
so this is the slowest test of the package.  Counts take the same path and
are tested under the simulation engine.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neurosym.data import synthetic_sites
from neurosym.federated import Site, read_audit, write_flower_app
from neurosym.federated._plan import model_params
from neurosym.neural import RiskModel

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _wait_listening(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on port {port} after {seconds} s")


@pytest.fixture
def federation(tmp_path):
    """SuperLink + two SuperNodes on localhost; yields (env, sites, folder); stops their process groups."""
    env = os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "FLWR_HOME": str(tmp_path / "flwr")}
    port = _free_port()
    (tmp_path / "flwr").mkdir()
    (tmp_path / "flwr" / "config.toml").write_text(
        f'[superlink]\ndefault = "local-deployment"\n\n[superlink.local-deployment]\n'
        f'address = "127.0.0.1:{port}"\ninsecure = true\n')
    sites = [Site.from_cohort(c) for c in synthetic_sites(2, 120, seed=1, lifelog_days=14)]
    procs = [_start([str(BIN / "flower-superlink"), "--insecure", "--port", str(port)], tmp_path / "superlink.log", env)]
    try:
        _wait_listening(port, 60)
        for i, site in enumerate(sites):
            folder = site.save(tmp_path / "sites" / f"site{i}")
            node_config = f'data-dir="{folder}" audit-dir="{tmp_path / "audit"}" site-name="site{i}"'
            procs.append(_start([str(BIN / "flower-supernode"), "--insecure", "--superlink", f"127.0.0.1:{port}",
                                 "--port", str(_free_port()), "--node-config", node_config],
                                tmp_path / f"supernode{i}.log", env))
        yield env, sites, tmp_path
    finally:
        for proc in procs:  # each was started in its own session: stop it with the processes it spawned
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in procs:
            proc.wait(timeout=30)


def _flwr_run(app: Path, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run([str(BIN / "flwr"), "run", str(app), "local-deployment", "--stream"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_training_on_superlink_and_supernodes(federation):
    env, sites, tmp = federation
    model = RiskModel(lifelog_days=14, dim=16, batch_size=64, progress_bar=False)
    train_app = write_flower_app(tmp / "train-app", {
        "rounds": 1, "min-sites": 2, "evaluate": False, "output-dir": str(tmp / "train-out"),
        "model": json.dumps(model_params(model))}).parent
    _flwr_run(train_app, env, tmp)
    summary = json.loads((tmp / "train-out" / "rounds.json").read_text())
    assert (summary["sites"], len(summary["rounds"])) == (2, 1) and summary["privacy"] is None
    trained = RiskModel.load(tmp / "train-out" / "model.pt")
    risk = trained.predict_proba(sites[0].cohort, sites[0].labels)
    assert len(risk) == len(sites[0].labels) and risk["risk"].between(0, 1).all()
    audit = read_audit(tmp / "audit")
    sent = audit.drop_duplicates(["site", "message"]).groupby(["site", "message_type"]).size().to_dict()
    assert sent == {("site0", "query"): 1, ("site0", "train"): 1, ("site1", "query"): 1, ("site1", "train"): 1}

