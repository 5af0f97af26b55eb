"""The coordinating side: a Flower ``ServerApp`` for federated training or federated counts.

Training (``task = "train"``):

1. wait for ``min-sites`` SuperNodes;
2. the vocabulary step: a ``query`` message asks every site for its
   aggregates and :func:`~neurosym.federated.merge_statistics` builds the one
   featurizer all sites use;
3. Flower's FedAvg or FedProx (``flwr.serverapp.strategy``) runs ``rounds``
   rounds, each site evaluating the global model on its validation
   patients after each (unless ``evaluate`` is false); with differential
   privacy it is wrapped in ``DifferentialPrivacyClientSideFixedClipping``
   (sites clip their update,
   the server adds Gaussian noise to the average) with Flower's RDP
   accountant (client-level DP: neighbouring federations differ by one site);
   with ``secure-aggregation`` the rounds run under SecAgg+ instead
   (:func:`~neurosym.federated._secagg.secure_rounds`: the server sees only
   the sum of the sites' weights);
4. the global :class:`~neurosym.neural.RiskModel` of the best round (by
   the sites' validation AUROC, see :func:`_best_round`), or the mean of
   the ``snapshots`` best rounds' weights when the sites score it at least
   as well (:func:`_snapshot_average`, as ``RiskModel`` averages its best
   epochs), is written to
   ``<output-dir>/model.pt`` and the per-round metrics to ``rounds.json``.

With ``model-kind = "reasoner"`` the model is a
:class:`~neurosym.reasoning.NeuroSymbolicModel`: a second query agrees its
atoms and wide-term scales from aggregates, FedAvg or FedProx average its
learned parameters, and a last query pools the calibration counts of its
traces (:mod:`neurosym.federated._reasoner`).

Every site minimises its share of the centralised objective: the record
encoder's L2 penalty is ``wide_l2`` over the training patients of all sites
(from the patient counts of the statistics step), as ``RiskModel.fit``
sets it on pooled data.

Counts (``task = "counts"``, or before training when ``program`` is set):
one ``query`` carries the rule program and criteria, each site answers with
:class:`~neurosym.federated.SiteCounts` and the combined tables go to
``<output-dir>/counts.json``.

Settings come from the run config (``flwr run``) and the ``settings``
given to :func:`server_app` (simulation); see :data:`SERVER_DEFAULTS`.
Training imports torch, Lightning and the neural (and reasoning) packages
when it starts: a counts-only ServerApp process does not load them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

from neurosym._errors import NeurosymError
from neurosym.federated._counts import SiteCounts, combine_counts
from neurosym.federated._messages import evaluate_sites, query_sites
from neurosym.federated._secagg import secure_rounds

__all__ = ["SERVER_DEFAULTS", "server_app"]

#: Run-config keys of the ServerApp and their defaults.
SERVER_DEFAULTS: dict[str, object] = {
    "task": "train", "output-dir": "", "min-sites": 2, "wait-seconds": 120.0, "seed": 0, "min-cell": 5,
    "model": "", "model-kind": "risk",
    "rounds": 3, "strategy": "fedavg", "proximal-mu": 0.01, "local-epochs": 1, "evaluate": True,
    "dp-noise-multiplier": 0.0, "dp-clipping-norm": 0.0, "dp-delta": 1e-5,
    "secure-aggregation": False, "secagg-clipping-range": 8.0,
    "program": "", "criteria": "", "dp-epsilon": 0.0,
}


def _wait_for_sites(grid, count: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        nodes = sorted(grid.get_node_ids())
        if len(nodes) >= count:
            return nodes
        if time.monotonic() > deadline:
            raise NeurosymError(f"only {len(nodes)} of {count} sites connected within {seconds:.0f} s")
        time.sleep(0.5)


def _strategy(cfg: Mapping[str, object], n_sites: int):
    """FedAvg or FedProx, wrapped for differential privacy when a noise multiplier is set."""
    from flwr.serverapp.strategy import DifferentialPrivacyClientSideFixedClipping, FedAvg, FedProx

    noise = float(cfg["dp-noise-multiplier"])
    evaluate = bool(cfg["evaluate"])
    common = {"min_train_nodes": n_sites, "min_evaluate_nodes": n_sites if evaluate else 0,
              "fraction_evaluate": 1.0 if evaluate else 0.0, "min_available_nodes": n_sites,
              "weighted_by_key": "site-weight" if noise > 0 else "num-examples"}
    name = str(cfg["strategy"]).lower()
    if name not in ("fedavg", "fedprox"):
        raise NeurosymError(f"strategy must be 'fedavg' or 'fedprox'; got {cfg['strategy']!r}")
    base = FedProx(proximal_mu=float(cfg["proximal-mu"]), **common) if name == "fedprox" else FedAvg(**common)
    if noise <= 0:
        return base
    from flwr.supercore.privacy_accounting import NeighboringRelation, PrivacyConfig, SamplingMethod
    from flwr.supercore.privacy_accounting.rdp_accountant import RdpAccountant

    accountant = RdpAccountant(PrivacyConfig(target_delta=float(cfg["dp-delta"]), population_size=n_sites,
                                             neighboring_relation=NeighboringRelation.ADD_OR_REMOVE_ONE,
                                             sampling_method=SamplingMethod.NO_AMPLIFICATION))
    return DifferentialPrivacyClientSideFixedClipping(base, noise_multiplier=noise,
                                                      clipping_norm=float(cfg["dp-clipping-norm"]),
                                                      num_sampled_clients=n_sites, accountant=accountant)


def _best_round(rounds: list[dict[str, object]]) -> int:
    """The round whose global model the sites' validation patients scored best (the last without evaluation).

    As :class:`~neurosym.neural.RiskModel` keeps its best epoch on pooled
    data, the federation keeps its best round: later rounds overfit the
    sites' training patients just as later epochs do.

    >>> _best_round([{"round": 1, "eval_auroc": 0.6}, {"round": 2, "eval_auroc": 0.7}, {"round": 3, "eval_auroc": 0.7}])
    2
    >>> _best_round([{"round": 1, "eval_auroc": None}, {"round": 2, "eval_auroc": None}])
    2
    """
    scored = [(r["eval_auroc"], -r["round"]) for r in rounds if r["eval_auroc"] is not None]
    return -max(scored)[1] if scored else int(rounds[-1]["round"])


def _snapshot_average(grid, nodes: list[int], rounds: list[dict[str, object]], snapshots: dict[int, object],
                      best: int, count: int, config: dict[str, object]) -> tuple[object, float | None]:
    """The weights to keep: the mean of the ``count`` best rounds' global weights when the sites score it at
    least as well as the best round's (one more evaluation message per site), else the best round's.

    The federated counterpart of ``RiskModel(snapshots=...)``; returns the
    weights and the averaged model's validation AUROC (None when not tried).
    """
    from flwr.app import ArrayRecord

    from neurosym.neural import average_states

    scored = sorted((r for r in rounds if r["eval_auroc"] is not None), key=lambda r: (-r["eval_auroc"], r["round"]))
    top = [int(r["round"]) for r in scored[:count]]
    if len(top) < 2:
        return snapshots[best], None
    mean = average_states([snapshots[r] for r in top])
    auroc = evaluate_sites(grid, nodes, ArrayRecord(mean), config)["eval-auroc"]
    return (mean if auroc >= scored[0]["eval_auroc"] else snapshots[best]), auroc


def _rounds(grid, context, cfg: Mapping[str, object], nodes: list[int], initial: dict, plan: dict[str, object],
            train_patients: int, snapshots: int
            ) -> tuple[dict, list[dict[str, object]], int, float | None, dict | None]:
    """The federated rounds from the ``initial`` weights: the kept weights, per-round metrics, the best round,
    the averaged snapshots' AUROC (None when not tried) and the privacy spent (None without DP)."""
    from flwr.app import ArrayRecord, ConfigRecord

    strategy = _strategy(cfg, len(nodes))
    secure = bool(cfg["secure-aggregation"])
    if secure and float(cfg["dp-noise-multiplier"]) > 0:
        raise NeurosymError("secure aggregation and differential privacy are not combined; choose one")
    if secure and str(cfg["strategy"]).lower() == "fedprox":
        plan["proximal-mu"] = float(cfg["proximal-mu"])
    ticks, kept_rounds = [time.perf_counter()], {}

    def tick(server_round: int, arrays) -> None:  # Flower calls it after every round: wall time and global weights
        ticks.append(time.perf_counter())
        kept_rounds[server_round] = arrays.to_torch_state_dict()

    if secure:
        tick(0, ArrayRecord(initial))  # as Flower's strategies call it before round 1
        train_metrics, evaluate_metrics = secure_rounds(grid, context, cfg, nodes, ArrayRecord(initial), plan,
                                                        train_patients, tick)
    else:
        result = strategy.start(grid, ArrayRecord(initial), num_rounds=int(cfg["rounds"]),
                                train_config=ConfigRecord(dict(plan)), evaluate_config=ConfigRecord(dict(plan)),
                                evaluate_fn=tick)
        train_metrics, evaluate_metrics = result.train_metrics_clientapp, result.evaluate_metrics_clientapp
    rounds = []
    for r in range(1, int(cfg["rounds"]) + 1):
        train = dict(train_metrics.get(r, {}))
        evaluation = dict(evaluate_metrics.get(r, {}))
        rounds.append({"round": r, "train_loss": train.get("train-loss"), "eval_loss": evaluation.get("eval-loss"),
                       "eval_auroc": evaluation.get("eval-auroc"), "seconds": ticks[r + 1] - ticks[r]})
    best = _best_round(rounds)
    kept, averaged_auroc = _snapshot_average(grid, nodes, rounds, kept_rounds, best, snapshots,
                                             dict(plan) | {"server-round": int(cfg["rounds"])})
    privacy = None
    if float(cfg["dp-noise-multiplier"]) > 0:
        spent = strategy.privacy_spent()
        privacy = {"epsilon": spent.epsilon, "delta": spent.delta, "releases": spent.num_releases,
                   "noise_multiplier": float(cfg["dp-noise-multiplier"]),
                   "clipping_norm": float(cfg["dp-clipping-norm"]), "unit": "site (client-level DP)"}
    return kept, rounds, best, averaged_auroc, privacy


def _summary(out: Path, kind: str, rounds: list, best: int, privacy: dict | None, averaged_auroc: float | None,
             nodes: list[int], train_patients: int, featurizer) -> None:
    (out / "rounds.json").write_text(json.dumps({"model_kind": kind, "rounds": rounds, "best_round": best,
                                                 "privacy": privacy, "averaged_auroc": averaged_auroc,
                                                 "sites": len(nodes), "train_patients": train_patients,
                                                 "vocabulary": len(featurizer.vocabulary_)}, indent=1))


def _statistics(grid, nodes: list[int], params: Mapping[str, object], min_cell: int, val_fraction: float):
    """The vocabulary step: the shared featurizer and the training patients over all sites."""
    from neurosym.federated._plan import merge_statistics

    stats = query_sites(grid, nodes, {"step": "statistics", "min-cell": min_cell})
    featurizer = merge_statistics(stats, params, min_cell)
    return featurizer, round(sum(int(s["patients"]) for s in stats) * (1 - val_fraction))


def _train(grid, context, cfg: Mapping[str, object], nodes: list[int], out: Path) -> None:
    from neurosym.federated._local import build_module, load_weights, weights
    from neurosym.federated._plan import featurizer_to_config, model_params
    from neurosym.neural import RiskModel

    params = json.loads(str(cfg["model"])) if cfg["model"] else model_params(RiskModel())
    featurizer, train_patients = _statistics(grid, nodes, params, int(cfg["min-cell"]), float(params["val_fraction"]))
    concepts, module = build_module(params, featurizer, int(cfg["seed"]), train_patients)
    plan = featurizer_to_config(featurizer) | {"model": json.dumps(params), "local-epochs": int(cfg["local-epochs"]),
                                               "train-patients": train_patients}
    kept, rounds, best, averaged_auroc, privacy = _rounds(grid, context, cfg, nodes, weights(module), plan,
                                                          train_patients, int(params.get("snapshots", 1)))
    load_weights(module.eval(), kept)
    model = RiskModel(**params)
    model.featurizer_, model.concepts_, model.module_ = featurizer, concepts, module
    model.history_, model.best_epoch_ = rounds, best
    model.save(out / "model.pt")
    _summary(out, "risk", rounds, best, privacy, averaged_auroc, nodes, train_patients, featurizer)


def _train_reasoner(grid, context, cfg: Mapping[str, object], nodes: list[int], out: Path) -> None:
    """A :class:`~neurosym.reasoning.NeuroSymbolicModel` (see :mod:`neurosym.federated._reasoner`)."""
    from flwr.app import ArrayRecord

    from neurosym.federated._plan import featurizer_to_config
    from neurosym.federated._reasoner import (REASONER, featurizer_params, finish_reasoner, merge_reasoner_statistics,
                                              shared_weights, start_reasoner)

    if float(cfg["dp-noise-multiplier"]) > 0 or bool(cfg["secure-aggregation"]):
        raise NeurosymError("a federated NeuroSymbolicModel trains without differential privacy or secure aggregation")
    params = json.loads(str(cfg["model"]))
    min_cell = int(cfg["min-cell"])
    featurizer, train_patients = _statistics(grid, nodes, featurizer_params(params), min_cell,
                                             float(params["val_fraction"]))
    plan = featurizer_to_config(featurizer) | {"model": str(cfg["model"]), "model-kind": REASONER,
                                               "min-cell": min_cell, "local-epochs": int(cfg["local-epochs"]),
                                               "train-patients": train_patients}
    plan |= merge_reasoner_statistics(query_sites(grid, nodes, plan | {"step": "reasoner-statistics"}), min_cell)
    model, module = start_reasoner(params, featurizer, plan, int(cfg["seed"]))
    kept, rounds, best, averaged_auroc, _ = _rounds(grid, context, cfg, nodes, shared_weights(module), plan,
                                                    train_patients, 1)
    calibration = query_sites(grid, nodes, plan | {"step": "calibration"}, arrays=ArrayRecord(kept))
    finish_reasoner(model, module, kept, rounds, best, calibration).save(out / "model.pt")
    _summary(out, REASONER, rounds, best, None, averaged_auroc, nodes, train_patients, featurizer)


def _counts(grid, cfg: Mapping[str, object], nodes: list[int], out: Path) -> None:
    criteria = [c.strip() for c in str(cfg["criteria"]).split(",") if c.strip()]
    replies = query_sites(grid, nodes, {"step": "counts", "program": str(cfg["program"]), "criteria": criteria,
                                   "min-cell": int(cfg["min-cell"]), "dp-epsilon": float(cfg["dp-epsilon"]),
                                   "seed": int(cfg["seed"])})
    eps = float(cfg["dp-epsilon"]) or None
    counts = {str(r["site"]): SiteCounts.from_config(r, eps) for r in sorted(replies, key=lambda r: str(r["site"]))}
    summary = combine_counts(counts)
    tables = {k: json.loads(getattr(summary, k).to_json(orient="records")) for k in ("relations", "rules", "attrition")}
    (out / "counts.json").write_text(json.dumps(tables | {"eligible": summary.eligible,
                                                          "most_excluding": summary.most_excluding}, indent=1))


def server_app(settings: Mapping[str, object] | None = None):
    """The coordinating Flower ``ServerApp``.

    Parameters
    ----------
    settings : dict, optional
        Overrides of :data:`SERVER_DEFAULTS` on top of the run config.

    Returns
    -------
    flwr.serverapp.ServerApp
    """
    from flwr.serverapp import ServerApp

    app = ServerApp()

    @app.main()
    def main(grid, context) -> None:
        cfg = SERVER_DEFAULTS | dict(context.run_config) | dict(settings or {})
        out = Path(str(cfg["output-dir"]) or ".").resolve()
        out.mkdir(parents=True, exist_ok=True)
        nodes = _wait_for_sites(grid, int(cfg["min-sites"]), float(cfg["wait-seconds"]))
        if cfg["task"] == "counts" or cfg["program"]:
            _counts(grid, cfg, nodes, out)
        if cfg["task"] == "train":
            from neurosym.federated._reasoner import REASONER

            (_train_reasoner if cfg["model-kind"] == REASONER else _train)(grid, context, cfg, nodes, out)

    return app
