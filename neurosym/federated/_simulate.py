"""On one machine: the same ClientApp and ServerApp under Flower's simulation engine (Ray).

:func:`simulate` trains a :class:`~neurosym.neural.RiskModel` (or the learned
parameters of a :class:`~neurosym.reasoning.NeuroSymbolicModel`) across sites,
:func:`federated_counts` runs a rule program at every site and combines the
counts.  Each site is written to its own folder, one virtual SuperNode per
site reads it, and every reply a site sends is in the audit log.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from neurosym._errors import InputError, NeurosymError
from neurosym.data import Cohort
from neurosym.federated._audit import read_audit
from neurosym.federated._client import client_app
from neurosym.federated._counts import CountsSummary
from neurosym.federated._server import server_app
from neurosym.federated._site import Site, as_sites
from neurosym.logic import Program

if TYPE_CHECKING:
    from neurosym.neural import RiskModel
    from neurosym.reasoning import NeuroSymbolicModel

__all__ = ["DifferentialPrivacy", "FederatedResult", "federated_counts", "simulate"]

SiteLike = Site | Cohort | tuple[Cohort, pd.DataFrame]


@dataclass(frozen=True)
class DifferentialPrivacy:
    """Client-level differential privacy on model updates (Flower's client-side fixed clipping).

    Each site clips its update (new minus global weights) to L2 norm
    ``clipping_norm``; the server adds Gaussian noise of standard deviation
    ``noise_multiplier * clipping_norm / n_sites`` to the average.  Flower's
    RDP accountant reports epsilon at ``delta`` for the whole run.
    """

    noise_multiplier: float
    clipping_norm: float
    delta: float = 1e-5

    def __post_init__(self) -> None:
        if self.noise_multiplier <= 0 or self.clipping_norm <= 0 or not 0 < self.delta < 1:
            raise InputError(f"differential privacy needs noise_multiplier > 0, clipping_norm > 0 and 0 < delta < 1; "
                             f"got {self}")


@dataclass
class FederatedResult:
    """What a federated training run produced.

    Attributes
    ----------
    model : RiskModel or NeuroSymbolicModel
        The global model of the best round (by the sites' validation AUROC,
        as ``RiskModel.fit`` keeps its best epoch; ``history_`` holds the
        rounds, ``best_epoch_`` that round).
    rounds : pandas.DataFrame
        Per round: ``train_loss`` (weighted over sites), ``eval_loss`` and
        ``eval_auroc`` (the global model on the sites' validation patients,
        weighted by their number), ``seconds``, ``bytes_sent`` (by all
        sites, from the audit log) and ``sites_trained`` (sites whose update
        arrived; a site that fails is left out of that round's average).
    audit : pandas.DataFrame
        :func:`read_audit` of the run: every item of every message that left a site.
    privacy : dict or None
        ``epsilon, delta, releases, noise_multiplier, clipping_norm`` with DP.
    seconds : float
        Wall time of the whole run, Ray start-up included.
    secure_aggregation : bool
        Whether the rounds ran under SecAgg+.
    counts : CountsSummary or None
        The counts asked for before training (``simulate(..., counts=...)``).
    """

    model: RiskModel | NeuroSymbolicModel
    rounds: pd.DataFrame
    audit: pd.DataFrame
    privacy: dict[str, object] | None
    seconds: float
    secure_aggregation: bool = False
    counts: CountsSummary | None = None

    @classmethod
    def load(cls, workdir: str | Path) -> "FederatedResult":
        """The result of the run :func:`simulate` wrote to ``workdir``.

        Raises
        ------
        NeurosymError
            If the run in ``workdir`` did not finish.
        """
        from neurosym.federated._reasoner import REASONER
        from neurosym.neural import RiskModel
        from neurosym.reasoning import NeuroSymbolicModel

        work = Path(workdir)
        out = work / "server"
        if not (out / "rounds.json").is_file() or not (work / "run.json").is_file():
            raise NeurosymError(f"the federated run did not finish; run again with verbose=True (work folder {work})")
        summary = json.loads((out / "rounds.json").read_text())
        run = json.loads((work / "run.json").read_text())
        audit = read_audit(work / "audit")
        table = pd.DataFrame(summary["rounds"])
        sent = audit[audit["message_type"] == "train"].drop_duplicates(["site", "message"])
        table["bytes_sent"] = table["round"].map(sent.groupby("round")["message_bytes"].sum()).fillna(0).astype(int)
        table["sites_trained"] = table["round"].map(
            sent[sent["step"].isin(["", "collect_masked_vectors"])].groupby("round").size()).fillna(0).astype(int)
        counts = _read_counts(out / "counts.json") if (out / "counts.json").is_file() else None
        kind = NeuroSymbolicModel if summary.get("model_kind") == REASONER else RiskModel
        return cls(kind.load(out / "model.pt"), table, audit, summary["privacy"], float(run["seconds"]),
                   bool(run["secure_aggregation"]), counts)


def _run(sites: list[Site], settings: dict[str, object], workdir: Path, verbose: bool) -> None:
    from flwr.simulation import run_simulation

    dirs = [site.save(workdir / "sites" / f"site{i}") for i, site in enumerate(sites)]
    backend = {"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
               "init_args": {"logging_level": logging.INFO if verbose else logging.ERROR, "log_to_driver": verbose}}
    flwr_logger = logging.getLogger("flwr")
    level = flwr_logger.level
    flwr_logger.setLevel(logging.INFO if verbose else logging.ERROR)  # run_simulation's deprecation notice too
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # no GPUs here: silence Ray's warning
    try:
        run_simulation(server_app=server_app(settings | {"output-dir": str(workdir / "server"),
                                                         "min-sites": len(sites)}),
                       client_app=client_app(dirs, workdir / "audit"), num_supernodes=len(sites),
                       backend_config=backend, verbose_logging=verbose)
    finally:
        flwr_logger.setLevel(level)


def _read_counts(path: Path) -> CountsSummary:
    data = json.loads(path.read_text())
    return CountsSummary(*(pd.DataFrame(data[k]) for k in ("relations", "rules", "attrition")),
                         int(data["eligible"]), data["most_excluding"])


def _check_criteria(program: str, criteria: Sequence[str]) -> None:
    known = Program.from_text(program, "<federated program>").arities()
    unknown = [c for c in criteria if c.removeprefix("not ").strip() not in known]
    if unknown:
        raise InputError(f"criteria {unknown} are not relations of the program; it defines {sorted(known)}")


def _check_sites(sites: Sequence[SiteLike]) -> list[Site]:
    if len(sites) < 2:
        raise InputError(f"a federation needs at least 2 sites; got {len(sites)}")
    return as_sites(list(sites))


def simulate(sites: Sequence[SiteLike], model: RiskModel | NeuroSymbolicModel | None = None, *, rounds: int = 5,
             strategy: str = "fedavg", proximal_mu: float = 0.01, local_epochs: int = 1,
             dp: DifferentialPrivacy | None = None, secure_aggregation: bool = False,
             counts: tuple[str, Sequence[str]] | None = None, min_cell: int = 5, seed: int = 0,
             workdir: str | Path | None = None, verbose: bool = False) -> FederatedResult:
    """Train ``model`` across ``sites`` with Flower's simulation engine; only weights and aggregates travel.

    Parameters
    ----------
    sites : sequence of Site, Cohort or (Cohort, labels)
        At least two; a bare cohort uses its ground-truth labels.
    model : RiskModel or NeuroSymbolicModel, optional
        The architecture and training parameters (``batch_size``, ``lr``,
        ``val_fraction`` for the local validation split, ``seed``, ...);
        ``max_epochs`` and ``patience`` are not used.  Default ``RiskModel()``.
        A ``NeuroSymbolicModel`` trains its learned parameters (neural
        predicates, rule and atom weights, bias, wide coefficients) while
        each site grounds its own proofs; what is shared and what differs
        from its ``fit`` is in :mod:`neurosym.federated._reasoner`.  Not
        with ``dp`` or ``secure_aggregation``.
    rounds : int, default 5
    strategy : {"fedavg", "fedprox"}
    proximal_mu : float, default 0.01
        FedProx's proximal weight.
    local_epochs : int, default 1
        Epochs each site trains per round.
    dp : DifferentialPrivacy, optional
    secure_aggregation : bool, default False
        Aggregate with Flower's SecAgg+ (see :mod:`neurosym.federated._secagg`
        for what it protects and what it does not); not with ``dp``.
    counts : (program, criteria), optional
        First count at every site, in the same run, as
        :func:`federated_counts` does (``FederatedResult.counts``).
    min_cell : int, default 5
        Small-cell threshold of the vocabulary step.
    seed : int, default 0
        Seeds the initial global model (the model's own ``seed`` seeds local training).
    workdir : path, optional
        Where site folders, the audit log and the server's output go (default a temporary folder).
    verbose : bool, default False
        Show Flower's and Ray's logs.

    Returns
    -------
    FederatedResult

    Raises
    ------
    InputError
        Fewer than two sites, ``rounds < 1``, an unknown strategy, ``dp`` with
        ``secure_aggregation``, a ``NeuroSymbolicModel`` with either, or an unnamed ontology.
    NeurosymError
        If the run did not finish (the message names the folder with Flower's output).
    """
    from neurosym.federated._plan import model_params
    from neurosym.federated._reasoner import REASONER, reasoner_params
    from neurosym.neural import RiskModel
    from neurosym.reasoning import NeuroSymbolicModel

    model = model if model is not None else RiskModel()
    if rounds < 1 or local_epochs < 1:
        raise InputError(f"rounds and local_epochs must be >= 1; got rounds={rounds}, local_epochs={local_epochs}")
    if strategy not in ("fedavg", "fedprox"):
        raise InputError(f"strategy must be 'fedavg' or 'fedprox'; got {strategy!r}")
    if dp is not None and secure_aggregation:
        raise InputError("secure aggregation and differential privacy are not combined; choose one")
    reasoner = isinstance(model, NeuroSymbolicModel)
    if reasoner and (dp is not None or secure_aggregation):
        raise InputError("a federated NeuroSymbolicModel trains without differential privacy or secure aggregation")
    if counts is not None:
        _check_criteria(*counts)
    site_list = _check_sites(sites)
    settings: dict[str, object] = {
        "task": "train", "model": json.dumps(reasoner_params(model) if reasoner else model_params(model)),
        "model-kind": REASONER if reasoner else "risk", "rounds": rounds, "strategy": strategy,
        "secure-aggregation": secure_aggregation, "program": counts[0] if counts else "",
        "criteria": ",".join(counts[1]) if counts else "", "proximal-mu": proximal_mu, "local-epochs": local_epochs,
        "min-cell": min_cell, "seed": seed}
    if dp is not None:
        settings |= {"dp-noise-multiplier": dp.noise_multiplier, "dp-clipping-norm": dp.clipping_norm,
                     "dp-delta": dp.delta}
    work = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="neurosym-federated-"))
    start = time.perf_counter()
    _run(site_list, settings, work, verbose)
    seconds = time.perf_counter() - start
    if (work / "server" / "rounds.json").is_file():
        (work / "run.json").write_text(json.dumps({"seconds": seconds, "secure_aggregation": secure_aggregation}))
    return FederatedResult.load(work)


def federated_counts(sites: Sequence[SiteLike], program: str, criteria: Sequence[str] = (), *,
                     min_cell: int = 5, dp_epsilon: float | None = None, seed: int = 0,
                     workdir: str | Path | None = None, verbose: bool = False) -> CountsSummary:
    """Run ``program`` at every site through Flower and combine the counts (only counts travel).

    The same as :func:`~neurosym.federated.site_counts` at each site and
    :func:`~neurosym.federated.combine_counts` at the server, with one query
    message per site carrying the program text and the criteria.

    Returns
    -------
    CountsSummary
    """
    _check_criteria(program, criteria)
    site_list = _check_sites(sites)
    settings: dict[str, object] = {"task": "counts", "program": program, "criteria": ",".join(criteria),
                                   "min-cell": min_cell, "dp-epsilon": float(dp_epsilon or 0.0), "seed": seed}
    work = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="neurosym-counts-"))
    _run(site_list, settings, work, verbose)
    path = work / "server" / "counts.json"
    if not path.is_file():
        raise NeurosymError(f"the federated count did not finish; run again with verbose=True (work folder {work})")
    return _read_counts(path)
