"""The site side: a Flower ``ClientApp`` that answers statistics and count queries, trains and evaluates.

A SuperNode finds its site folder in its node config (``data-dir``, written
by :meth:`Site.save`); under the simulation engine the folder is
``site_dirs[partition-id]``.  torch, Lightning and the neural and reasoning
packages are imported by the steps that need them, so a ClientApp process
that only answers a ``counts`` query (the deployment engine starts one per
message) does not load them.  Replies carry only:

* ``query`` / ``statistics``: code, analyte and lifelog aggregates with small
  cells left out (:func:`~neurosym.federated.local_statistics`);
* ``query`` / ``counts``: :class:`~neurosym.federated.SiteCounts` of a rule program;
* ``query`` / ``reasoner-statistics`` and ``calibration``: a
  ``NeuroSymbolicModel``'s atom counts, wide-design sums and risk-bin counts
  (:mod:`neurosym.federated._reasoner`);
* ``train``: the model's floating-point weights, the number of training
  patients, a constant ``site-weight`` and the last training loss; under
  secure aggregation (Flower's ``secaggplus_mod``) the weights leave only
  masked, as SecAgg+ share and mask messages;
* ``evaluate``: loss and AUROC on the site's validation patients and their number.

:func:`~neurosym.federated.audit_mod` logs every reply; with differential
privacy, Flower's ``fixedclipping_mod`` clips the update before it leaves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from neurosym._errors import InputError
from neurosym.federated._audit import audit_mod
from neurosym.federated._counts import site_counts
from neurosym.federated._site import Site

if TYPE_CHECKING:
    from neurosym.neural import CohortDataModule, RiskModule

__all__ = ["client_app"]


def _site_dir(node: Mapping[str, object], site_dirs: Sequence[str]) -> str:
    if "data-dir" in node:
        return str(node["data-dir"])
    part = int(node.get("partition-id", -1))
    if not 0 <= part < len(site_dirs):
        raise InputError(f"this SuperNode has no site: set --node-config 'data-dir=<folder>' (partition {part})")
    return site_dirs[part]


#: Per site folder: the plan's digest and the site's tensors.  A simulation worker serves several sites in
#: turn, so each keeps its own entry; a new plan (another run) replaces it.
_CACHE: dict[str, tuple[str, CohortDataModule]] = {}


def _prepare(config: Mapping[str, object], folder: str) -> tuple[dict, RiskModule, CohortDataModule]:
    """Params, a module built from the shared featurizer, and the site's tensors (kept while the plan is the same)."""
    from neurosym.federated._local import build_module, site_data
    from neurosym.federated._plan import featurizer_digest, featurizer_from_config

    params = json.loads(str(config["model"]))
    featurizer = featurizer_from_config(config)
    digest = featurizer_digest(config) + str(config["model"])
    if _CACHE.get(folder, ("",))[0] != digest:
        site = Site.load(folder)
        _CACHE[folder] = digest, site_data(site.cohort, site.labels, featurizer, params)
    _, module = build_module(params, featurizer, int(params["seed"]), int(config["train-patients"]))
    return params, module, _CACHE[folder][1]


def _secagg_mod(msg, context, call_next):
    """Flower's ``secaggplus_mod`` on the messages of the SecAgg+ protocol; a pass-through otherwise."""
    from flwr.client.mod import secaggplus_mod
    from flwr.common.secure_aggregation.secaggplus_constants import RECORD_KEY_CONFIGS

    if RECORD_KEY_CONFIGS in msg.content.config_records:
        return secaggplus_mod(msg, context, call_next)
    return call_next(msg, context)


def _clipping_mod(msg, context, call_next):
    """Flower's ``fixedclipping_mod`` on training messages that carry a clipping norm; a pass-through otherwise."""
    from flwr.app import MessageType
    from flwr.clientapp.mod import fixedclipping_mod

    config = next(iter(msg.content.config_records.values()), {})
    if msg.metadata.message_type == MessageType.TRAIN and "clipping_norm" in config:
        return fixedclipping_mod(msg, context, call_next)
    return call_next(msg, context)


def _train(config: Mapping[str, object], state: Mapping[str, object] | Sequence[object], context,
           folders: Sequence[str]) -> tuple[RiskModule, CohortDataModule, float]:
    """Local training from the global weights (by name, or a list in state-dict order): module, data, last loss."""
    from neurosym.federated._local import load_weights, train_local, weights

    params, module, data = _prepare(config, _site_dir(context.node_config, folders))
    load_weights(module, state if isinstance(state, Mapping) else dict(zip(weights(module), state, strict=True)))
    loss = train_local(module, data, epochs=int(config["local-epochs"]),
                       proximal_mu=float(config.get("proximal-mu", 0.0)), seed=_seed(params, config, context))
    return module, data, loss


def _seed(params: Mapping[str, object], config: Mapping[str, object], context) -> int:
    """The seed of a site's local training in a round: the model's seed, the round and the site's partition."""
    return int(params["seed"]) + 1000 * int(config["server-round"]) + int(context.node_config.get("partition-id", 0))


#: The config record of a legacy fit message (what the SecAgg+ workflow sends).
LEGACY_CONFIG = "fitins.config"


def legacy_arrays(state: Mapping[str, object]) -> list[np.ndarray]:
    """Weights as a list for Flower's legacy ``Parameters``, every one at least 1-d.

    Flower 1.42's SecAgg+ unmasking shifts and rescales the aggregate in
    place, array by array, which leaves a 0-d array (a scalar bias) off by
    the clipping range; as 1-d arrays they aggregate exactly.

    >>> import torch
    >>> [a.shape for a in legacy_arrays({"b": torch.tensor(0.5), "w": torch.zeros(2, 3)})]
    [(1,), (2, 3)]
    """
    return [np.atleast_1d(np.asarray(v)) for v in state.values()]


def _train_legacy(msg, context, folders: Sequence[str]):
    """Training under SecAgg+: the weights arrive and leave as Flower's legacy ``Parameters`` (a list, in
    the order of the module's state dict); ``secaggplus_mod`` masks the reply before it leaves."""
    from flwr.app import Message
    from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
    from flwr.compat.common import recorddict_compat as compat

    from neurosym.federated._local import weights

    config = msg.content.config_records[LEGACY_CONFIG]
    arrays = parameters_to_ndarrays(compat.arrayrecord_to_parameters(msg.content.array_records["fitins.parameters"],
                                                                     keep_input=True))
    module, data, loss = _train(config, arrays, context, folders)
    fit = FitRes(Status(Code.OK, "trained"), ndarrays_to_parameters(legacy_arrays(weights(module))),
                 len(data.train_idx), {"train-loss": loss})
    return Message(compat.fitres_to_recorddict(fit, keep_input=True), reply_to=msg)


def client_app(site_dirs: Sequence[str | Path] = (), audit_dir: str | Path | None = None):
    """The site's Flower ``ClientApp``.

    Parameters
    ----------
    site_dirs : sequence of path, optional
        Site folders by partition id (simulation); a deployed SuperNode sets
        ``data-dir`` in its node config instead.
    audit_dir : path, optional
        Where :func:`~neurosym.federated.audit_mod` writes (node config
        ``audit-dir`` wins).

    Returns
    -------
    flwr.clientapp.ClientApp
    """
    from flwr.app import ArrayRecord, ConfigRecord, Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp

    folders = [str(Path(d).resolve()) for d in site_dirs]
    app = ClientApp(mods=[audit_mod(audit_dir), _clipping_mod, _secagg_mod])

    @app.query()
    def query(msg, context):
        config = msg.content["config"]
        folder = _site_dir(context.node_config, folders)
        site = Site.load(folder)
        name = str(context.node_config.get("site-name", site.name))
        if config["step"] == "statistics":
            from neurosym.federated._plan import local_statistics

            reply = local_statistics(site.cohort, site.labels, int(config["min-cell"]))
        elif config["step"] == "reasoner-statistics":
            from neurosym.federated._reasoner import site_statistics

            reply = site_statistics(config, folder)
        elif config["step"] == "calibration":
            from neurosym.federated._reasoner import site_calibration

            reply = site_calibration(config, msg.content["arrays"].to_torch_state_dict(), folder)
        else:
            eps = float(config["dp-epsilon"])
            reply = site_counts(site.cohort, str(config["program"]), list(config["criteria"]),
                                min_cell=int(config["min-cell"]), dp_epsilon=eps if eps > 0 else None,
                                seed=int(config["seed"])).to_config()
        return Message(RecordDict({"reply": ConfigRecord(reply | {"site": name})}), reply_to=msg)

    @app.train()
    def train(msg, context):
        from neurosym.federated._local import weights
        from neurosym.federated._reasoner import REASONER, train_site

        if LEGACY_CONFIG in msg.content.config_records:  # SecAgg+ (Flower's legacy fit messages)
            return _train_legacy(msg, context, folders)
        config = msg.content["config"]
        state = msg.content["arrays"].to_torch_state_dict()
        if config.get("model-kind") == REASONER:
            seed = _seed(json.loads(str(config["model"])), config, context)
            new, n, loss = train_site(config, state, _site_dir(context.node_config, folders), seed)
        else:
            module, data, loss = _train(config, state, context, folders)
            new, n = weights(module), len(data.train_idx)
        metrics = MetricRecord({"num-examples": n, "site-weight": 1, "train-loss": loss})
        return Message(RecordDict({"arrays": ArrayRecord(new), "metrics": metrics}), reply_to=msg)

    @app.evaluate()
    def evaluate(msg, context):
        from neurosym.federated._local import evaluate_local, load_weights
        from neurosym.federated._reasoner import REASONER, evaluate_site

        config, folder = msg.content["config"], _site_dir(context.node_config, folders)
        if config.get("model-kind") == REASONER:
            loss, auroc, n = evaluate_site(config, msg.content["arrays"].to_torch_state_dict(), folder)
        else:
            params, module, data = _prepare(config, folder)
            loss, auroc, n = evaluate_local(load_weights(module, msg.content["arrays"].to_torch_state_dict()), data)
        metrics = MetricRecord({"num-examples": n, "site-weight": 1, "eval-loss": loss, "eval-auroc": auroc})
        return Message(RecordDict({"metrics": metrics}), reply_to=msg)

    return app
