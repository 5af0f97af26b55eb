"""Disease-onset prediction tasks: :class:`DiseaseOnset` and the :func:`t2d_3y` preset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from neurosym._errors import NeurosymError
from neurosym.data import Cohort
from neurosym.tasks._codes import OntologySpec, expand_codes, match_codes, resolve_ontologies
from neurosym.tasks._landmarks import LandmarkSpec, as_landmarks, before_landmark, row_landmarks

__all__ = ["DiseaseOnset", "LABEL_COLUMNS", "T2D_EXCLUDE_RULES", "t2d_3y"]

#: Columns of a label frame.
LABEL_COLUMNS = ("patient_id", "landmark", "label", "excluded")

_NAT = np.iinfo(np.int64).min
_DAY = 86_400


@dataclass(frozen=True)
class DiseaseOnset:
    """First occurrence of an outcome within a horizon after a landmark, as a declarative task.

    A patient's label is 1 when an event coded with ``outcome`` (or a
    descendant in ``ontologies``) first occurs in ``[landmark, landmark +
    horizon_days)``, else 0.  Patients are excluded, with the first reason
    that applies, when they died before the landmark, had the outcome
    before it, had an ``exclude`` code before it, match an ``exclude_rules``
    rule, have no record in the ``history_days`` before it, or (label 0
    only) have no record or death at or after ``landmark + horizon_days``
    when ``require_follow_up`` is set.

    Parameters
    ----------
    outcome : sequence of str
        CURIEs of the outcome (``icd10cm:E11``, ``snomed:44054006``, ``omop:201826``).
    landmark : str, date, DataFrame or Series, default "2024-01-01"
        One date for all patients, or per-patient landmarks (see :func:`as_landmarks`).
    horizon_days : int, default 1095
    history_days : int, optional
        Required look-back: patients without any record in the window are excluded.
    exclude : sequence of str, default ()
        CURIEs whose presence before the landmark excludes a patient.
    exclude_rules : str, optional
        Datalog text defining ``exclude(P, Reason)``.  It is evaluated on the
        facts of the cohort cut at each patient's landmark (``index_day(P, D)``
        is the landmark), plus ontology ``is_a`` rows when the rules use them.
    ontologies : sequence of str or Ontology, default ("clinical",)
        Where descendants of the code sets are looked up; add
        ``Ontology.from_omop(dir)`` for an OMOP data set's concept ancestry.
    require_follow_up : bool, default True
        Exclude label-0 patients observed for less than the horizon.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> task = DiseaseOnset(outcome=["icd10cm:E11"], landmark="2022-01-01", horizon_days=730,
    ...                     require_follow_up=False)
    >>> labels = task.labels(synthetic_cohort(300, seed=0))
    >>> list(labels.columns), int(labels["label"].sum()) > 0
    (['patient_id', 'landmark', 'label', 'excluded'], True)
    >>> labels["excluded"].value_counts().index[0]
    'outcome before landmark'
    """

    outcome: Sequence[str]
    landmark: LandmarkSpec = "2024-01-01"
    horizon_days: int = 1095
    history_days: int | None = None
    exclude: Sequence[str] = ()
    exclude_rules: str | None = None
    ontologies: Sequence[OntologySpec] = field(default=("clinical",))
    require_follow_up: bool = True

    def labels(self, cohort: Cohort) -> pd.DataFrame:
        """The label frame of ``cohort``: ``patient_id, landmark, label, excluded``.

        ``label`` is 0/1 (int8); ``excluded`` is the reason (string) or null.
        """
        self._check()
        onts = resolve_ontologies(self.ontologies)
        lm = as_landmarks(self.landmark, cohort)[["patient_id", "landmark"]]
        events = cohort.events
        ev_lm = row_landmarks(events["patient_id"], lm)
        time = events["time"].to_numpy().astype("datetime64[s]").astype(np.int64)
        known = (ev_lm != _NAT) & (time != _NAT)
        pid = events["patient_id"].astype("string").to_numpy(dtype=object)
        hit = match_codes(events, expand_codes(self.outcome, onts)) & known
        first = _per_patient(pid[hit], time[hit], lm, "min")
        lm_s = lm["landmark"].to_numpy().astype("datetime64[s]").astype(np.int64)
        end_s = lm_s + int(self.horizon_days) * _DAY
        label = (first != _NAT) & (first >= lm_s) & (first < end_s)

        reasons = pd.Series(pd.NA, index=lm.index, dtype="string")

        def flag(mask: np.ndarray, why: str) -> None:
            reasons.loc[mask & reasons.isna().to_numpy()] = why

        death = _death_seconds(cohort, lm)
        flag((death != _NAT) & (death < lm_s), "died before landmark")
        flag((first != _NAT) & (first < lm_s), "outcome before landmark")
        if self.exclude:
            ex = match_codes(events, expand_codes(self.exclude, onts)) & known & (time < ev_lm)
            flag(_per_patient(pid[ex], time[ex], lm, "min") != _NAT, "excluded code before landmark")
        if self.exclude_rules:
            for why, mask in _rule_exclusions(self.exclude_rules, cohort, lm, onts).items():
                flag(mask, why)
        last_before = _per_patient(pid[known & (time < ev_lm)], time[known & (time < ev_lm)], lm, "max")
        if self.history_days is not None:
            flag((last_before == _NAT) | (last_before < lm_s - int(self.history_days) * _DAY),
                 f"no record in the {self.history_days} days before landmark")
        if self.require_follow_up:
            last = np.maximum(_per_patient(pid[known], time[known], lm, "max"), death)
            flag(~label & (last < end_s), "follow-up shorter than horizon")
        return pd.DataFrame({"patient_id": lm["patient_id"], "landmark": lm["landmark"],
                             "label": label.astype(np.int8), "excluded": reasons})

    def _check(self) -> None:
        if isinstance(self.outcome, str):
            raise NeurosymError(f"outcome must be a list of CURIEs, got the string {self.outcome!r}; "
                                f"write outcome=[{self.outcome!r}]")
        if not self.outcome:
            raise NeurosymError("outcome needs at least one code, e.g. outcome=['icd10cm:E11']")
        if not isinstance(self.horizon_days, (int, np.integer)) or self.horizon_days <= 0:
            raise NeurosymError(f"horizon_days must be a positive integer, got {self.horizon_days!r}")
        if self.history_days is not None and (not isinstance(self.history_days, (int, np.integer))
                                              or self.history_days <= 0):
            raise NeurosymError(f"history_days must be a positive integer or None, got {self.history_days!r}")


def _per_patient(pid: np.ndarray, seconds: np.ndarray, lm: pd.DataFrame, how: str) -> np.ndarray:
    """Min or max of ``seconds`` per landmark-frame patient (int64 min where none)."""
    out = np.full(len(lm), _NAT, dtype=np.int64)
    if len(pid):
        agg = pd.Series(seconds).groupby(pid, sort=False).agg(how)
        where = pd.Index(lm["patient_id"]).get_indexer(agg.index.astype("string"))
        out[where[where >= 0]] = agg.to_numpy()[where >= 0]
    return out


def _death_seconds(cohort: Cohort, lm: pd.DataFrame) -> np.ndarray:
    pats = cohort.patients
    death = pats["death_date"].to_numpy().astype("datetime64[s]").astype(np.int64)
    out = np.full(len(lm), _NAT, dtype=np.int64)
    where = pd.Index(lm["patient_id"]).get_indexer(pats["patient_id"].astype("string"))
    out[where[where >= 0]] = death[where >= 0]
    return out


def _rule_exclusions(text: str, cohort: Cohort, lm: pd.DataFrame, onts: list) -> dict[str, np.ndarray]:
    """Reason -> mask over ``lm`` of the patients the rules' ``exclude(P, Reason)`` derives."""
    from neurosym.facts import clinical_facts, required_ancestors
    from neurosym.logic import Program
    from neurosym.ontology import Ontology

    program = Program.from_text(text, path="<exclude_rules>")
    if program.arities().get("exclude") != 2:
        raise NeurosymError("exclude_rules must define exclude(P, Reason), e.g. "
                            'exclude(P, "hba1c") :- lab(P, "4548-4", V, D), index_day(P, L), D < L, V >= 6.5.')
    cut = before_landmark(cohort, lm)
    if required_ancestors(program) and onts:
        facts = clinical_facts(cut, onts[0] if len(onts) == 1 else Ontology.combined(*onts), program=program)
    else:
        facts = cut.to_facts()
    derived = program.evaluate(facts).query("exclude")
    out: dict[str, np.ndarray] = {}
    ids = pd.Index(lm["patient_id"])
    for why, rows in derived.groupby(derived.columns[1], sort=True):
        mask = np.zeros(len(lm), dtype=bool)
        where = ids.get_indexer(rows.iloc[:, 0].astype("string"))
        mask[where[where >= 0]] = True
        out[str(why)] = mask
    return out


#: Rule exclusion of :func:`t2d_3y`: diabetes by HbA1c or fasting glucose before the landmark (ADA 2025 §2).
T2D_EXCLUDE_RULES = """
exclude(P, "HbA1c >= 6.5 % before landmark") :- lab(P, "4548-4", V, D), index_day(P, L), D < L, V >= 6.5.
exclude(P, "fasting glucose >= 126 mg/dL before landmark") :- lab(P, "1558-6", V, D), index_day(P, L), D < L, V >= 126.
"""


def t2d_3y(landmark: LandmarkSpec = "2024-01-01", *, ontologies: Sequence[OntologySpec] = ("clinical",),
           require_follow_up: bool = True) -> DiseaseOnset:
    """Incident type 2 diabetes within 3 years of the landmark.

    Outcome: ICD-10-CM E11 and its descendants (SNOMED CT 44054006 and DOID
    type 2 diabetes through the clinical ontology's bridges; OMOP concept
    201826 through an OMOP ontology).  Excluded: type 1 diabetes (E10)
    before the landmark, and undiagnosed diabetes by HbA1c >= 6.5 % or
    fasting glucose >= 126 mg/dL before it (rules).

    Examples
    --------
    >>> t2d_3y().horizon_days, t2d_3y().exclude
    (1095, ('icd10cm:E10',))
    """
    return DiseaseOnset(outcome=("icd10cm:E11", "snomed:44054006", "omop:201826"), landmark=landmark,
                        horizon_days=1095, exclude=("icd10cm:E10",), exclude_rules=T2D_EXCLUDE_RULES,
                        ontologies=tuple(ontologies), require_follow_up=require_follow_up)
