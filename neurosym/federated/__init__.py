"""Federated training and federated cohort counts over Flower: only weights and counts leave a site.

Needs the ``federated`` extra (``pip install neurosym[federated]``: Flower
with its simulation engine and differential-privacy accounting).

* :func:`simulate` trains a :class:`~neurosym.neural.RiskModel` (or the
  learned parameters of a :class:`~neurosym.reasoning.NeuroSymbolicModel`,
  each site grounding its own proofs) across
  :class:`Site`\\ s under Flower's simulation engine (optionally counting
  first, with differential privacy or with SecAgg+ secure aggregation;
  :meth:`FederatedResult.load` reopens a run); :func:`client_app` and
  :func:`server_app` are the same apps for a deployment (SuperLink and
  SuperNodes), :func:`write_flower_app` writes the Flower app project.
* :func:`site_counts` / :func:`combine_counts` / :func:`federated_counts`:
  a rule program at every site, only (small-cell suppressed) counts back.
* :func:`audit_mod` logs every message that leaves a site; :func:`read_audit` reads it.

Examples
--------
>>> from neurosym.data import synthetic_cohort
>>> counts = site_counts(synthetic_cohort(40, seed=0), EXAMPLE_ELIGIBILITY, ["age_40_75"], min_cell=5)
>>> counts.attrition[["criterion", "remaining"]].values.tolist()
[['age_40_75', 32]]
"""

from neurosym.federated._audit import audit_mod, describe_content, read_audit
from neurosym.federated._client import client_app
from neurosym.federated._counts import EXAMPLE_ELIGIBILITY, CountsSummary, SiteCounts, combine_counts, site_counts
from neurosym.federated._deploy import write_flower_app
from neurosym.federated._plan import local_statistics, merge_statistics
from neurosym.federated._server import SERVER_DEFAULTS, server_app
from neurosym.federated._simulate import DifferentialPrivacy, FederatedResult, federated_counts, simulate
from neurosym.federated._site import Site

__all__ = [
    "CountsSummary",
    "DifferentialPrivacy",
    "EXAMPLE_ELIGIBILITY",
    "FederatedResult",
    "SERVER_DEFAULTS",
    "Site",
    "SiteCounts",
    "audit_mod",
    "client_app",
    "combine_counts",
    "describe_content",
    "federated_counts",
    "local_statistics",
    "merge_statistics",
    "read_audit",
    "server_app",
    "simulate",
    "site_counts",
    "write_flower_app",
]
