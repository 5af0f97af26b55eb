"""The audit log: one JSON line per message that leaves a site, written by a client mod.

:func:`audit_mod` wraps the site's ``ClientApp`` as the outermost Flower mod,
so it sees each reply exactly as it is sent (after clipping, if any).  Each
line records the site, round, message type, the serialised size of the whole
content and, per item: record, kind, key, dtype, shape (arrays) or length
(lists), and bytes; numeric metric and config items also record their
minimum and maximum.  Under secure aggregation a round's training is four
SecAgg+ messages per site (``step`` names the stage: setup, share_keys,
collect_masked_vectors, unmask) and the weights leave as masked bytes.  The log holds no payload: no weight, no code name.

:func:`read_audit` reads the log back as one row per item.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

__all__ = ["audit_mod", "describe_content", "read_audit"]


def _numeric(value: object) -> list[float] | None:
    items = value if isinstance(value, list) else [value]
    if items and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items):
        return [float(x) for x in items]
    return None


def describe_content(content: object) -> list[dict[str, object]]:
    """One description per item of a Flower ``RecordDict``: record, kind, key, dtype, shape or length, bytes.

    Examples
    --------
    >>> import numpy as np
    >>> from flwr.app import Array, ArrayRecord, MetricRecord, RecordDict
    >>> content = RecordDict({"arrays": ArrayRecord({"w": Array(np.zeros((2, 3), np.float32))}),
    ...                       "metrics": MetricRecord({"num-examples": 40})})
    >>> [(d["kind"], d["key"], d.get("shape"), d.get("min")) for d in describe_content(content)]
    [('array', 'w', [2, 3], None), ('metric', 'num-examples', None, 40.0)]
    """
    items: list[dict[str, object]] = []
    for name, record in content.array_records.items():
        for key, array in record.items():
            items.append({"record": name, "kind": "array", "key": key, "dtype": array.dtype,
                          "shape": list(array.shape), "bytes": len(array.data)})
    for kind, records in (("metric", content.metric_records), ("config", content.config_records)):
        for name, record in records.items():
            for key, value in record.items():
                item: dict[str, object] = {"record": name, "kind": kind, "key": key,
                                           "dtype": type(value[0] if isinstance(value, list) and value else value).__name__,
                                           "length": len(value) if isinstance(value, list) else None,
                                           "bytes": _size(value)}
                numbers = _numeric(value)
                if numbers:
                    item["min"], item["max"] = min(numbers), max(numbers)
                items.append(item)
    return items


def _size(value: object) -> int:
    """Bytes of a config or metric value: its JSON text, or the raw length of bytes (SecAgg+ keys, shares, masks)."""
    items = value if isinstance(value, list) else [value]
    if items and all(isinstance(x, bytes) for x in items):
        return sum(len(x) for x in items)
    return len(json.dumps(value))


def _round_and_step(msg: object) -> tuple[int, str]:
    """The server round of an incoming message (``server-round`` of its config, else its group id, as SecAgg+
    stages carry it) and its step (``step`` of a query, ``stage`` of SecAgg+)."""
    configs = list(msg.content.config_records.values())
    rounds = [int(c["server-round"]) for c in configs if "server-round" in c]
    group = str(msg.metadata.group_id)
    steps = [str(c.get("step", c.get("stage"))) for c in configs if "step" in c or "stage" in c]
    return (rounds[0] if rounds else int(group) if group.isdigit() else 0), (steps[0] if steps else "")


def _content_bytes(content: object) -> int:
    from flwr.common.serde import recorddict_to_proto

    return int(recorddict_to_proto(content).ByteSize())


def audit_mod(log_dir: str | Path | None = None) -> Callable:
    """A Flower client mod that appends a description of every reply to ``<log_dir>/<site>.jsonl``.

    The directory comes from the node config key ``audit-dir`` when set
    (deployment), else ``log_dir``; the site name from ``site-name``, else
    ``site<partition-id>``.
    """

    def mod(msg, context, call_next):  # (Message, Context, ClientAppCallable) -> Message
        server_round, step = _round_and_step(msg)  # before the inner mods consume the incoming configs
        reply = call_next(msg, context)
        node = context.node_config
        folder = Path(str(node.get("audit-dir", log_dir or "")))
        if not str(folder) or reply.has_error():
            return reply
        site = str(node.get("site-name", f"site{node.get('partition-id', 0)}"))
        line = {"site": site, "time": time.time(), "message_type": msg.metadata.message_type,
                "round": server_round, "step": step,
                "bytes": _content_bytes(reply.content), "items": describe_content(reply.content)}
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{site}.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
        return reply

    return mod


def read_audit(log_dir: str | Path) -> pd.DataFrame:
    """Every audited item of every site's log under ``log_dir``, one row each.

    Columns: ``site, message, message_type, round, step, message_bytes,
    record, kind, key, dtype, shape, length, bytes, min, max``
    (``message`` numbers the messages of a site in order).

    Examples
    --------
    >>> import tempfile
    >>> read_audit(tempfile.mkdtemp()).empty
    True
    """
    rows = []
    for path in sorted(Path(log_dir).glob("*.jsonl")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            entry = json.loads(line)
            head = {"site": entry["site"], "message": i, "message_type": entry["message_type"],
                    "round": entry["round"], "step": entry["step"], "message_bytes": entry["bytes"]}
            rows.extend(head | item for item in entry["items"])
    columns = ["site", "message", "message_type", "round", "step", "message_bytes", "record", "kind", "key", "dtype",
               "shape", "length", "bytes", "min", "max"]
    return pd.DataFrame(rows, columns=columns)
