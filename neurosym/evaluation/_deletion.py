"""The deletion test of explanations: removing what a trace cites should lower the risk more than removing anything.

For each patient with a trace, the records its fact leaves cite (their
:class:`~neurosym.trace.SourceRef`: dataset, table, row or id) that are events
or lifelog days of that patient strictly before the landmark are removed, and
the model predicts again.  The same number of records drawn at random
(seeded, without replacement) from all of that patient's records before the
landmark are removed ``n_random`` times for comparison.  Every variant of
every patient is a copy in one cohort, scored by one ``predict_proba`` call.
A *drop* is the original risk minus the risk after the removal.  In the
spirit of deletion metrics for saliency (Samek W et al., IEEE TNNLS
2017;28:2660; Hooker S et al., NeurIPS 2019).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from neurosym._errors import InputError, NeurosymError, UnknownIdError
from neurosym.data import WHAT_IF_DATASET, Cohort, clone_patients, drop_records
from neurosym.tasks import as_landmarks
from neurosym.tasks._landmarks import LandmarkSpec
from neurosym.trace import FactLeaf, Node, Prediction

__all__ = ["DeletionReport", "RiskPredictor", "deletion_test"]

_KEYS = ["dataset", "table", "row", "id"]


class RiskPredictor(Protocol):
    """Anything with the estimator contract's ``predict_proba(cohort, landmarks) -> frame(patient_id, landmark, risk)``."""

    def predict_proba(self, cohort: Cohort, landmarks: pd.DataFrame) -> pd.DataFrame: ...


@dataclass(frozen=True)
class DeletionReport:
    """Result of :func:`deletion_test`.

    Attributes
    ----------
    per_patient : pandas.DataFrame
        ``patient_id, landmark, cited, risk, risk_cited_removed,
        risk_random_removed, drop_cited, drop_random`` (random: the mean over
        the draws); patients whose trace cites no removable record have
        ``cited == 0`` and missing risks after removal.
    mean_drop_cited, mean_drop_random : float
        Mean drops over the patients with ``cited > 0``.
    share_cited_greater : float
        Share of those patients whose cited drop exceeds their random drop.
    p_value : float
        One-sided Wilcoxon signed-rank test of cited drop > random drop (NaN
        for fewer than two patients or no difference at all).
    n_patients : int
        Patients with ``cited > 0``.
    """

    per_patient: pd.DataFrame
    mean_drop_cited: float
    mean_drop_random: float
    share_cited_greater: float
    p_value: float
    n_patients: int

    def summary(self) -> dict[str, float]:
        """The numbers to report, rounded to 4 decimals."""
        return {"patients": self.n_patients, "mean_records_cited": round(float(self._tested["cited"].mean()), 4),
                "mean_drop_cited": round(self.mean_drop_cited, 4), "mean_drop_random": round(self.mean_drop_random, 4),
                "share_cited_greater": round(self.share_cited_greater, 4), "p_value": round(self.p_value, 4)}

    @property
    def _tested(self) -> pd.DataFrame:
        return self.per_patient[self.per_patient["cited"] > 0]


def deletion_test(model: RiskPredictor, cohort: Cohort, traces: Mapping[str, Node], *, seed: int,
                  n_random: int = 5, landmarks: LandmarkSpec | None = None) -> DeletionReport:
    """Compare the risk drop after removing the records each trace cites with removing as many random records.

    Parameters
    ----------
    model : object with ``predict_proba(cohort, landmarks)``
        A fitted model.
    cohort : Cohort
    traces : mapping of str to Node
        Patient id -> the trace explaining that patient's prediction (a
        :class:`~neurosym.trace.Prediction`, or any trace such as a rule
        proof); its fact leaves name the cited records.
    seed : int
        Seeds the random draws.
    n_random : int, default 5
        Random removals per patient.
    landmarks : str, date or DataFrame, optional
        The landmarks, as for ``predict_proba``; by default each trace's
        :class:`~neurosym.trace.Prediction` landmark.

    Returns
    -------
    DeletionReport

    Raises
    ------
    InputError
        No traces, ``n_random < 1``, or a patient without a landmark.
    UnknownIdError
        A trace of a patient not in the cohort.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> from neurosym.evaluation import LastValueLogistic
    >>> from neurosym.tasks import ground_truth_labels
    >>> from neurosym.trace import FactLeaf, SourceRef
    >>> cohort = synthetic_cohort(200, seed=0)
    >>> model = LastValueLogistic().fit(cohort, ground_truth_labels(cohort))
    >>> lab = cohort.events.query("patient_id == 'S000002' and code == '4548-4'").iloc[-1]
    >>> leaf = FactLeaf("lab(...)", "lab", source=SourceRef(str(lab.source_dataset), str(lab.source_table), int(lab.source_row)))
    >>> report = deletion_test(model, cohort, {"S000002": leaf}, seed=0, landmarks="2024-01-01")
    >>> report.n_patients, int(report.per_patient["cited"].iloc[0])
    (1, 1)
    """
    if not traces:
        raise InputError("deletion_test needs at least one trace")
    if n_random < 1:
        raise InputError(f"n_random must be >= 1, got {n_random}")
    lm = _landmarks(traces, landmarks, cohort)
    records = _records(cohort, lm)
    cited = _cited(traces, records)
    rng = np.random.default_rng(seed)
    variants, drops = [], []
    for pid in lm["patient_id"]:  # one loop step per patient: copies and the records each copy loses
        mine = cited[cited["patient_id"] == pid]
        variants.append((pid, f"{pid}~deletion-0"))
        if mine.empty:
            continue
        variants.append((pid, f"{pid}~deletion-cited"))
        drops.append(mine.assign(patient_id=f"{pid}~deletion-cited"))
        pool = records[records["patient_id"] == pid]
        for j in range(n_random):
            pick = rng.choice(len(pool), size=min(len(mine), len(pool)), replace=False)
            variants.append((pid, f"{pid}~deletion-random-{j}"))
            drops.append(pool.iloc[np.sort(pick)].assign(patient_id=f"{pid}~deletion-random-{j}"))
    source, ids = zip(*variants)
    copies = clone_patients(cohort, list(source), list(ids))
    if drops:
        copies = drop_records(copies, pd.concat(drops, ignore_index=True)[[*_KEYS, "patient_id"]])
    when = dict(zip(lm["patient_id"], lm["landmark"]))
    risk = model.predict_proba(copies, pd.DataFrame({"patient_id": ids, "landmark": [when[s] for s in source]}))
    return _report(lm, cited, dict(zip(risk["patient_id"].astype(str), risk["risk"].astype(float))), n_random)


def _landmarks(traces: Mapping[str, Node], landmarks: LandmarkSpec | None, cohort: Cohort) -> pd.DataFrame:
    ids = [str(p) for p in traces]
    unknown = sorted(set(ids) - set(cohort.patient_ids))
    if unknown:
        raise UnknownIdError(f"no patient {unknown[0]!r} in {cohort.name}; every trace must explain a patient of the cohort")
    if landmarks is None:
        missing = [p for p in ids if not isinstance(traces[p], Prediction) or traces[p].landmark is None]
        if missing:
            raise InputError(f"the trace of {missing[0]!r} is not a Prediction with a landmark; pass landmarks=")
        return as_landmarks(pd.DataFrame({"patient_id": ids, "landmark": [traces[p].landmark for p in ids]}))
    frame = as_landmarks(landmarks, cohort.select(ids))
    absent = sorted(set(ids) - set(frame["patient_id"]))
    if absent:
        raise InputError(f"no landmark for patient {absent[0]!r}")
    return frame[frame["patient_id"].isin(ids)].reset_index(drop=True)


def _records(cohort: Cohort, lm: pd.DataFrame) -> pd.DataFrame:
    """Pointers of the events and lifelog days of the patients strictly before their landmarks, one row each."""
    when = lm.set_index("patient_id")["landmark"]
    parts = []
    for frame, time in ((cohort.events, "time"), (cohort.lifelog.daily, "date")):
        ids = frame["patient_id"].astype("string")
        limit = ids.map(when)
        rows = frame[limit.notna().to_numpy() & (frame[time] < limit).fillna(False).to_numpy()]
        parts.append(pd.DataFrame({"patient_id": rows["patient_id"].astype(str), "dataset": rows["source_dataset"].astype("string"),
                                   "table": rows["source_table"].astype("string"), "row": rows["source_row"],
                                   "id": rows["source_id"].astype("string")}))
    out = pd.concat(parts, ignore_index=True)
    out = out[(out["row"].notna() | out["id"].notna()) & (out["dataset"] != WHAT_IF_DATASET)]
    return out.assign(key=_key(out)).drop_duplicates(["patient_id", "key"]).reset_index(drop=True)


def _key(frame: pd.DataFrame) -> pd.Series:
    return (frame["dataset"].astype(str) + "|" + frame["table"].astype(str) + "|"
            + frame["row"].astype("string").fillna("") + "|" + frame["id"].fillna("").where(frame["row"].isna(), ""))


def _cited(traces: Mapping[str, Node], records: pd.DataFrame) -> pd.DataFrame:
    """The records each trace cites, among its patient's removable records."""
    rows = [(str(pid), leaf.source.dataset, leaf.source.table, leaf.source.row, leaf.source.id)
            for pid, trace in traces.items() for leaf in trace.leaves()
            if isinstance(leaf, FactLeaf) and leaf.source is not None and leaf.source.table is not None]
    frame = pd.DataFrame(rows, columns=["patient_id", *_KEYS]).astype(
        {"dataset": "string", "table": "string", "row": "Int64", "id": "string"})
    frame = frame.assign(key=_key(frame)).drop_duplicates(["patient_id", "key"])
    return records.merge(frame[["patient_id", "key"]], on=["patient_id", "key"])


def _report(lm: pd.DataFrame, cited: pd.DataFrame, risk: dict[str, float], n_random: int) -> DeletionReport:
    ids = lm["patient_id"].tolist()
    missing = [f"{p}~deletion-0" for p in ids if f"{p}~deletion-0" not in risk]
    if missing:
        raise NeurosymError(f"predict_proba returned no risk for {missing[0]!r}; the deletion test needs every copy scored")
    counts = cited.groupby("patient_id").size()
    n = np.array([int(counts.get(p, 0)) for p in ids])
    base = np.array([risk[f"{p}~deletion-0"] for p in ids])
    removed = np.array([risk.get(f"{p}~deletion-cited", np.nan) for p in ids])
    rand = np.array([np.mean([risk[f"{p}~deletion-random-{j}"] for j in range(n_random)]) if k else np.nan
                     for p, k in zip(ids, n)])
    per = pd.DataFrame({"patient_id": ids, "landmark": lm["landmark"].to_numpy(), "cited": n, "risk": base,
                        "risk_cited_removed": removed, "risk_random_removed": rand,
                        "drop_cited": base - removed, "drop_random": base - rand})
    tested = per[per["cited"] > 0]
    diff = (tested["drop_cited"] - tested["drop_random"]).to_numpy()
    return DeletionReport(per, float(tested["drop_cited"].mean()), float(tested["drop_random"].mean()),
                          float((diff > 0).mean()) if len(diff) else float("nan"), _wilcoxon(diff), len(tested))


def _wilcoxon(diff: np.ndarray) -> float:
    if len(diff) < 2 or not np.any(diff != 0):
        return float("nan")
    from scipy.stats import wilcoxon

    return float(wilcoxon(diff, alternative="greater").pvalue)
