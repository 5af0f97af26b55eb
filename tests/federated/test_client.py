"""The deployed ClientApp (``neurosym.federated._apps``) answers a counts query without loading torch.

The deployment engine starts one ClientApp process per message; a process
that only counts must not pay for torch, Lightning or the neural and
reasoning packages.  A fresh interpreter loads the app, answers one
``counts`` query for a site folder, and reports its reply and which of those
modules it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

from neurosym.data import synthetic_cohort
from neurosym.federated import EXAMPLE_ELIGIBILITY, Site, read_audit, site_counts

HEAVY = ("torch", "pytorch_lightning", "neurosym.neural", "neurosym.reasoning")

PROBE = """
import json, sys
from flwr.app import ConfigRecord, Context, Message, MessageType, Metadata, RecordDict
from neurosym.federated import EXAMPLE_ELIGIBILITY
from neurosym.federated._apps import clientapp

config = ConfigRecord({"step": "counts", "program": EXAMPLE_ELIGIBILITY, "criteria": ["age_40_75", "overweight"],
                       "min-cell": 5, "dp-epsilon": 0.0, "seed": 0})
metadata = Metadata(run_id=1, message_id="query", src_node_id=0, dst_node_id=1, reply_to_message_id="", group_id="",
                    created_at=0.0, ttl=60.0, message_type=MessageType.QUERY)
node = {"data-dir": sys.argv[1], "audit-dir": sys.argv[2], "site-name": "site0"}
context = Context(run_id=1, node_id=1, node_config=node, state=RecordDict(), run_config={})
reply = clientapp(Message(content=RecordDict({"config": config}), metadata=metadata), context)
print(json.dumps({"reply": dict(reply.content["reply"]), "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def test_counts_query_answers_without_torch_lightning_or_the_neural_packages(tmp_path):
    cohort = synthetic_cohort(40, seed=0)
    folder = Site.from_cohort(cohort).save(tmp_path / "site0")
    done = subprocess.run([sys.executable, "-c", PROBE, str(folder), str(tmp_path / "audit")], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    expected = site_counts(cohort, EXAMPLE_ELIGIBILITY, ["age_40_75", "overweight"], min_cell=5).to_config()
    assert out == {"reply": json.loads(json.dumps(expected)) | {"site": "site0"}, "loaded": []}
    assert read_audit(tmp_path / "audit")[["site", "message_type", "step"]].drop_duplicates().values.tolist() == [
        ["site0", "query", "counts"]]
