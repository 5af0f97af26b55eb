"""The server's messages to every site outside a strategy: queries and evaluations of a global model."""

from __future__ import annotations

from collections.abc import Mapping

from neurosym._errors import NeurosymError

__all__ = ["evaluate_sites", "query_sites"]


def _send(grid, nodes: list[int], content, message_type: str, what: str) -> list:
    """One message per site; their replies (an error reply or a missing site raises)."""
    from flwr.app import Message

    replies = list(grid.send_and_receive([Message(content, dst_node_id=n, message_type=message_type) for n in nodes],
                                         timeout=3600))
    failed = [r for r in replies if r.has_error()]
    if failed or len(replies) < len(nodes):
        reason = failed[0].error.reason if failed else f"{len(nodes) - len(replies)} sites did not answer"
        raise NeurosymError(f"the {what} failed at a site: {reason}")
    return replies


def query_sites(grid, nodes: list[int], config: dict[str, object], arrays=None) -> list[dict[str, object]]:
    """Send one query to every site (with the global ``arrays`` when given) and return their reply configs."""
    from flwr.app import ConfigRecord, MessageType, RecordDict

    content = {"config": ConfigRecord(config)} | ({} if arrays is None else {"arrays": arrays})
    replies = _send(grid, nodes, RecordDict(content), MessageType.QUERY, f"{config['step']} query")
    return [dict(r.content["reply"]) for r in replies]


def evaluate_sites(grid, nodes: list[int], arrays, config: Mapping[str, object]) -> dict[str, float]:
    """Every site scores the global ``arrays`` on its validation patients: ``eval-loss`` and ``eval-auroc``,
    averaged weighted by the sites' numbers of validation patients (as the strategies aggregate)."""
    from flwr.app import ConfigRecord, MessageType, RecordDict

    replies = _send(grid, nodes, RecordDict({"arrays": arrays, "config": ConfigRecord(dict(config))}),
                    MessageType.EVALUATE, "evaluation")
    metrics = [dict(r.content["metrics"]) for r in replies]
    total = sum(int(m["num-examples"]) for m in metrics)
    return {k: sum(int(m["num-examples"]) * float(m[k]) for m in metrics) / max(total, 1)
            for k in ("eval-loss", "eval-auroc")}
