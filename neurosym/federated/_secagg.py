"""Secure aggregation: FedAvg rounds under Flower's SecAgg+ protocol.

Flower 1.42 offers SecAgg+ on its legacy workflow API only
(``flwr.server.workflow.SecAggPlusWorkflow`` on the server, the client mod
``flwr.client.mod.secaggplus_mod`` at each site), so these rounds run as a
``DefaultWorkflow`` whose fit step is SecAgg+ and whose evaluation step
sends the same Message API ``evaluate`` messages as the plain rounds.

What it protects
    The server never sees one site's weights.  Each site quantises its
    weights (scaled by its number of training patients) and adds pairwise
    masks agreed with the other sites plus a private mask; the masks cancel
    only in the sum, which the server learns after enough sites (the
    reconstruction threshold: half of the sites, at least 2) send the shares
    that remove the private masks.  A site that drops out is recovered from
    its shares without exposing its update.

What it does not protect
    * The aggregate itself: the averaged model is revealed to the server
      and returned to every site, and with two sites each site can subtract
      its own update from the average and read the other's.  Differential
      privacy (:class:`~neurosym.federated.DifferentialPrivacy`), not
      SecAgg+, bounds what the aggregate tells about one site; the two are
      not combined here.
    * Collusion: the server together with at least the threshold number of
      sites can rebuild a site's private mask and unmask its update.
    * A malicious server can drop sites to isolate one (SecAgg+ assumes an
      honest-but-curious server), and nothing stops a site from sending a
      poisoned update: the protocol hides updates, it does not check them.
    * Metadata: training loss, number of patients and the evaluation
      metrics still travel in the clear (they are in the audit log).
    * Precision: weights are clipped to ``[-clipping_range, clipping_range]``
      and quantised to ``quantization_range`` levels, so the average differs
      from plain FedAvg by up to about ``2 * clipping_range / quantization_range``
      per weight (and by clipping, for a weight outside the range).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["QUANTIZATION_RANGE", "secure_rounds"]

#: Levels of SecAgg+ quantisation (Flower's default, 2**22).
QUANTIZATION_RANGE = 2**22


def secure_rounds(grid, context, cfg: Mapping[str, object], nodes: list[int], initial, plan: Mapping[str, object],
                  train_patients: int, on_round: Callable[[int, object], None]
                  ) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, float]]]:
    """Run ``cfg["rounds"]`` FedAvg rounds whose aggregation is SecAgg+.

    Parameters
    ----------
    grid, context
        The ServerApp's grid and context.
    cfg : dict
        Server settings (``rounds``, ``evaluate``, ``secagg-clipping-range``).
    nodes : list of int
        The sites' node ids.
    initial : flwr.app.ArrayRecord
        The initial global weights, by name.
    plan : dict
        The training config every site needs (featurizer, model, local epochs).
    train_patients : int
        Training patients over all sites: the largest weight SecAgg+ must represent.
    on_round : callable
        Called with the round and the new global weights (an ``ArrayRecord``) after each round.

    Returns
    -------
    train_metrics, evaluate_metrics : dict of int to dict
        Per round, the patient-weighted ``train-loss`` and ``eval-loss``/``eval-auroc``.
    """
    from flwr.app import Array, ArrayRecord
    from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.compat.common import recorddict_compat as compat
    from flwr.server import LegacyContext, ServerConfig
    from flwr.server.strategy import FedAvg
    from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow
    from flwr.server.workflow.constant import MAIN_CONFIGS_RECORD, MAIN_PARAMS_RECORD, Key

    from neurosym._errors import NeurosymError
    from neurosym.federated._client import legacy_arrays
    from neurosym.federated._messages import evaluate_sites

    names = list(initial.keys())
    dtypes = {k: np.dtype(initial[k].dtype) for k in names}
    shapes = {k: tuple(initial[k].shape) for k in names}
    rounds = int(cfg["rounds"])
    evaluate_metrics: dict[int, dict[str, float]] = {}

    def fit_metrics(replies: list[tuple[int, Mapping[str, float]]]) -> dict[str, float]:
        return {"train-loss": sum(n * float(m["train-loss"]) for n, m in replies) / max(sum(n for n, _ in replies), 1)}

    strategy = FedAvg(fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=len(nodes),
                      min_available_clients=len(nodes),
                      initial_parameters=ndarrays_to_parameters(legacy_arrays({k: initial[k].numpy() for k in names})),
                      on_fit_config_fn=lambda r: dict(plan) | {"server-round": r},
                      fit_metrics_aggregation_fn=fit_metrics)
    legacy = LegacyContext(context, config=ServerConfig(num_rounds=rounds), strategy=strategy)

    def evaluate(grid, ctx) -> None:  # the workflow's evaluation step: Message API evaluate, then on_round
        r = int(ctx.state.config_records[MAIN_CONFIGS_RECORD][Key.CURRENT_ROUND])
        aggregate = parameters_to_ndarrays(compat.arrayrecord_to_parameters(ctx.state.array_records[MAIN_PARAMS_RECORD],
                                                                            keep_input=True))
        arrays = ArrayRecord({k: Array(np.asarray(a, dtype=dtypes[k]).reshape(shapes[k]))
                              for k, a in zip(names, aggregate, strict=True)})
        if bool(cfg["evaluate"]):
            evaluate_metrics[r] = evaluate_sites(grid, nodes, arrays, dict(plan) | {"server-round": r})
        on_round(r, arrays)

    secagg = SecAggPlusWorkflow(num_shares=1.0, reconstruction_threshold=0.5, max_weight=float(max(train_patients, 1)),
                                clipping_range=float(cfg["secagg-clipping-range"]),
                                quantization_range=QUANTIZATION_RANGE)
    DefaultWorkflow(fit_workflow=secagg, evaluate_workflow=evaluate)(grid, legacy)
    losses = legacy.history.metrics_distributed_fit.get("train-loss", [])
    if len(losses) < rounds:
        raise NeurosymError(f"secure aggregation finished {len(losses)} of {rounds} rounds (see Flower's log)")
    return {r: {"train-loss": float(v)} for r, v in losses}, evaluate_metrics
