"""Leakage-proof, vectorised feature extraction: a cohort at its landmarks -> numpy tensors.

Every array is computed from :func:`neurosym.tasks.before_landmark`, the one
cut that keeps only records strictly before each patient's landmark, and
codes, analytes and patients are matched by their string values (never by
category numbers, which other rows could shift).  Deleting or changing data
at or after the landmarks therefore leaves every array bit-identical.

Arrays of :meth:`Featurizer.transform` (``N`` patients in landmark order):

==================  ===============  ==============================================================
``codes``           int64 [N, K]     vocabulary index of the K most recent distinct codes (0 = pad)
``code_age``        float32 [N, K]   log1p(days from the code's last record to the landmark)
``code_count``      float32 [N, K]   log1p(number of records of the code)
``labs``            float32 [N, A, T]  last T values of each analyte, robust z-scores, right-aligned
``lab_age``         float32 [N, A, T]  years before the landmark
``lab_mask``        bool [N, A, T]   a value is present
``daily``           float32 [N, D, C]  log1p steps, active minutes, sleep minutes, resting HR (z)
``daily_mask``      bool [N, D, C]   the value was recorded on a worn day (never imputed)
``wear``            float32 [N, D]   worn minutes / 1440 on days with a row, else 0
``wear_known``      bool [N, D]      the day has a row (worn or recognised as not worn)
``landmark_day``    int64 [N]        epoch day of the landmark (weekday of each slot follows)
``static``          float32 [N, S]   age, sex, record volume and length
==================  ===============  ==============================================================
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from neurosym._errors import NotFittedError
from neurosym.data import Cohort
from neurosym.ontology import Ontology
from neurosym.tasks import before_landmark, resolve_ontologies, row_positions
from neurosym.tasks._codes import OntologySpec
from neurosym.tasks._landmarks import LandmarkSpec

__all__ = ["CODE_KINDS", "DAILY_CHANNELS", "Featurizer", "STATIC_FEATURES", "code_ancestors"]

#: Event kinds whose codes become tokens of the record encoder.
CODE_KINDS = ("condition", "drug", "procedure", "observation", "visit")
#: Lifelog channels, in tensor order.
DAILY_CHANNELS = ("steps", "active_minutes", "sleep_minutes", "resting_hr")
#: Static features, in tensor order.
STATIC_FEATURES = ("age", "female", "male", "log_records", "history_years")
_DAY = 86_400
_SCALE_ROWS = 1_000_000  # lifelog rows sampled to estimate channel scales


def _days(times: pd.Series) -> np.ndarray:
    return times.to_numpy().astype("datetime64[s]").astype(np.int64) // _DAY


def code_ancestors(code: str, ontologies: Sequence[Ontology]) -> list[str]:
    """Ancestors of ``code`` in ``ontologies``: its own system's first, then other systems', each nearest first.

    >>> onto = Ontology([("icd10cm:E66.01", "icd10cm:E66"), ("icd10cm:E66.01", "doid:9970"),
    ...                  ("icd10cm:E66", "icd10cm:E65-E68")])
    >>> code_ancestors("icd10cm:E66.01", [onto])
    ['icd10cm:E66', 'icd10cm:E65-E68', 'doid:9970']
    """
    found = list(dict.fromkeys(a for onto in ontologies if code in onto.graph for a in onto.ancestors(code)))
    system = code.split(":", 1)[0] + ":"
    return [a for a in found if a.startswith(system)] + [a for a in found if not a.startswith(system)]


def _tokens(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``system:code`` tokens of ``events`` and each row's position among them."""
    system = events["system"].astype("category")
    code = events["code"].astype("category")
    n_codes = max(len(code.cat.categories), 1)
    key = system.cat.codes.to_numpy().astype(np.int64) * n_codes + code.cat.codes.to_numpy()
    uniq, inverse = np.unique(key, return_inverse=True)
    sys_names = system.cat.categories.astype(str).to_numpy(dtype=object)
    code_names = code.cat.categories.astype(str).to_numpy(dtype=object)
    names = sys_names[uniq // n_codes] + ":" + code_names[uniq % n_codes]
    return names.astype(str), inverse


def _robust(values: np.ndarray) -> tuple[float, float]:
    """Median and IQR-based scale (>= 1e-3) of finite ``values``."""
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0, 1.0
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return float(med), float(max((q3 - q1) / 1.349, 1e-3 * max(abs(med), 1.0)))


class Featurizer:
    """Vocabularies and scales learned from training records; tensors for any cohort at its landmarks.

    Parameters
    ----------
    max_codes : int, default 64
        Distinct codes kept per patient (the most recent).
    max_analytes : int, default 24
        Lab/vital analytes (LOINC or other measurement codes with values),
        the most widely measured in the training records.
    lab_steps : int, default 8
        Values kept per analyte (the most recent).
    lifelog_days : int, default 364
        Days of lifelog before the landmark.
    min_patients : int, default 1
        A code enters the vocabulary when at least this many training
        patients have it.
    ontologies : sequence of str or Ontology, default ()
        With ontologies, the vocabulary also holds the ancestors of the
        training codes, and a code not in the vocabulary (unseen in
        training) is read as its nearest ancestor that is, instead of being
        dropped; without, unseen codes are dropped.

    Attributes
    ----------
    vocabulary_ : list of str
        ``system:code`` tokens; index ``i + 1`` in ``codes`` (0 is padding).
        The training codes (most widespread first), then their ancestors.
    analytes_ : list of str
        ``system:code`` of each lab channel.
    lab_center_, lab_scale_ : numpy.ndarray
    daily_center_, daily_scale_ : numpy.ndarray

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> cohort = synthetic_cohort(20, seed=0)
    >>> feats = Featurizer(max_codes=8, lifelog_days=28).fit(cohort, "2024-01-01").transform(cohort, "2024-01-01")
    >>> feats["codes"].shape, feats["daily"].shape
    ((20, 8), (20, 28, 4))
    """

    def __init__(self, max_codes: int = 64, max_analytes: int = 24, lab_steps: int = 8, lifelog_days: int = 364,
                 min_patients: int = 1, ontologies: Sequence[OntologySpec] = ()) -> None:
        self.max_codes = max_codes
        self.max_analytes = max_analytes
        self.lab_steps = lab_steps
        self.lifelog_days = lifelog_days
        self.min_patients = min_patients
        self.ontologies = tuple(ontologies)

    def _ontologies(self) -> list[Ontology]:
        if not hasattr(self, "_resolved"):
            self._resolved = resolve_ontologies(self.ontologies)
        return self._resolved

    # ------------------------------------------------------------------ fit
    def fit(self, cohort: Cohort, landmarks: LandmarkSpec) -> "Featurizer":
        """Learn the code vocabulary, the analytes and their scales from records before ``landmarks``."""
        return self._fit(before_landmark(cohort, landmarks))

    def fit_transform(self, cohort: Cohort, landmarks: LandmarkSpec) -> dict[str, np.ndarray]:
        """:meth:`fit` then :meth:`transform`, cutting the cohort at the landmarks once."""
        cut = before_landmark(cohort, landmarks)
        return self._fit(cut)._transform(cut)

    def _fit(self, cut: Cohort) -> "Featurizer":
        ev = cut.events
        pid = ev["patient_id"].astype("category").cat.codes.to_numpy()
        coded = ev["kind"].isin(CODE_KINDS).to_numpy()
        names, inv = _tokens(ev[coded])
        patients_per = _distinct_count(inv, pid[coded], len(names))
        order = np.lexsort((names, -patients_per))
        seen = [str(names[i]) for i in order if patients_per[i] >= self.min_patients]
        ancestors = {a for code in seen for a in code_ancestors(code, self._ontologies())}
        self.vocabulary_ = seen + sorted(ancestors - set(seen))
        meas = ((ev["kind"] == "measurement").to_numpy() & ev["value"].notna().to_numpy()
                & np.isfinite(ev["value"].to_numpy(dtype=np.float64, na_value=np.nan)))
        names, inv = _tokens(ev[meas])
        patients_per = _distinct_count(inv, pid[meas], len(names))
        order = np.lexsort((names, -patients_per))[: self.max_analytes]
        self.analytes_ = [str(names[i]) for i in order]
        values = ev.loc[meas, "value"].to_numpy(dtype=np.float64)
        by_analyte = np.argsort(inv, kind="stable")
        bounds = np.searchsorted(inv[by_analyte], np.arange(len(names) + 1))
        stats = [_robust(values[by_analyte[bounds[i]:bounds[i + 1]]]) for i in order]
        self.lab_center_ = np.array([s[0] for s in stats], dtype=np.float64)
        self.lab_scale_ = np.array([s[1] for s in stats], dtype=np.float64)
        daily = cut.lifelog.daily
        raw, mask = _daily_values(daily.iloc[:: max(len(daily) // _SCALE_ROWS, 1)])  # scales from a regular sample
        stats = [_robust(raw[mask[:, c], c]) for c in range(len(DAILY_CHANNELS))]
        self.daily_center_ = np.array([s[0] for s in stats])
        self.daily_scale_ = np.array([s[1] for s in stats])
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "vocabulary_"):
            raise NotFittedError("this Featurizer is not fitted yet; call fit(cohort, landmarks) first")

    # ------------------------------------------------------------------ transform
    def transform(self, cohort: Cohort, landmarks: LandmarkSpec) -> dict[str, np.ndarray]:
        """The feature arrays (see the module docstring) of every patient with a landmark.

        Returns
        -------
        dict of str to numpy.ndarray
            Also ``patient_id`` (object) and ``landmark`` (``datetime64[s]``).
        """
        self._check_fitted()
        return self._transform(before_landmark(cohort, landmarks))

    def _transform(self, cut: Cohort) -> dict[str, np.ndarray]:
        lm = cut.labels
        ids = pd.Index(lm["patient_id"])
        lm_day = _days(lm["landmark"])
        out: dict[str, np.ndarray] = {"patient_id": lm["patient_id"].to_numpy(dtype=object),
                                      "landmark": lm["landmark"].to_numpy().astype("datetime64[s]"),
                                      "landmark_day": lm_day}
        ev = cut.events
        pidx = row_positions(ev["patient_id"], ids)
        age = lm_day[pidx] - _days(ev["time"])
        out.update(self._codes(ev, pidx, age, len(ids)))
        out.update(self._labs(ev, pidx, age, len(ids)))
        out.update(self._daily(cut.lifelog.daily, ids, lm_day))
        out["static"] = _static(cut, ids, lm_day, pidx, age)
        return out

    def _codes(self, ev: pd.DataFrame, pidx: np.ndarray, age: np.ndarray, n: int) -> dict[str, np.ndarray]:
        k = self.max_codes
        coded = ev["kind"].isin(CODE_KINDS).to_numpy()
        names, inv = _tokens(ev[coded])
        token = self._token_index(names)[inv] + 1  # 0: not in the vocabulary and no known ancestor
        p, a = pidx[coded], age[coded]
        keep = token > 0
        p, token, a = p[keep], token[keep], a[keep]
        # one entry per (patient, code): the most recent record and the number of records
        order = np.lexsort((a, token, p))
        p, token, a = p[order], token[order], a[order]
        first = np.ones(len(p), dtype=bool)
        first[1:] = (p[1:] != p[:-1]) | (token[1:] != token[:-1])
        starts = np.flatnonzero(first)
        count = np.diff(np.append(starts, len(p)))
        p, token, a = p[starts], token[starts], a[starts]
        # the k most recent codes per patient, most recent first
        order = np.lexsort((token, a, p))
        p, token, a, count = p[order], token[order], a[order], count[order]
        rank = _rank_within(p)
        keep = rank < k
        codes = np.zeros((n, k), dtype=np.int64)
        code_age = np.zeros((n, k), dtype=np.float32)
        code_count = np.zeros((n, k), dtype=np.float32)
        codes[p[keep], rank[keep]] = token[keep]
        code_age[p[keep], rank[keep]] = np.log1p(a[keep])
        code_count[p[keep], rank[keep]] = np.log1p(count[keep])
        return {"codes": codes, "code_age": code_age, "code_count": code_count}

    def _labs(self, ev: pd.DataFrame, pidx: np.ndarray, age: np.ndarray, n: int) -> dict[str, np.ndarray]:
        n_a, t = max(len(self.analytes_), 1), self.lab_steps
        value = ev["value"].to_numpy(dtype=np.float64, na_value=np.nan)
        meas = (ev["kind"] == "measurement").to_numpy() & np.isfinite(value)
        names, inv = _tokens(ev[meas])
        analyte = pd.Index(self.analytes_).get_indexer(names)[inv]
        keep = analyte >= 0
        p, an, a, v = pidx[meas][keep], analyte[keep], age[meas][keep], value[meas][keep]
        order = np.lexsort((-a, an, p))  # oldest first within (patient, analyte)
        p, an, a, v = p[order], an[order], a[order], v[order]
        group = p.astype(np.int64) * n_a + an
        from_end = _rank_within(group[::-1])[::-1]
        keep = from_end < t
        slot = t - 1 - from_end[keep]
        labs = np.zeros((n, n_a, t), dtype=np.float32)
        lab_age = np.zeros((n, n_a, t), dtype=np.float32)
        mask = np.zeros((n, n_a, t), dtype=bool)
        z = np.clip((v[keep] - self.lab_center_[an[keep]]) / self.lab_scale_[an[keep]], -6, 6)
        labs[p[keep], an[keep], slot] = z
        lab_age[p[keep], an[keep], slot] = a[keep] / 365.25
        mask[p[keep], an[keep], slot] = True
        return {"labs": labs, "lab_age": lab_age, "lab_mask": mask}

    def _daily(self, daily: pd.DataFrame, ids: pd.Index, lm_day: np.ndarray) -> dict[str, np.ndarray]:
        n, d, c = len(ids), self.lifelog_days, len(DAILY_CHANNELS)
        pidx = row_positions(daily["patient_id"], ids)
        offset = lm_day[pidx] - _days(daily["date"])
        keep = (pidx >= 0) & (offset >= 1) & (offset <= d)
        raw, mask = _daily_values(daily, keep)
        p, slot = pidx[keep], d - offset[keep]
        values = np.zeros((n, d, c), dtype=np.float32)
        masks = np.zeros((n, d, c), dtype=bool)
        values[p, slot] = np.where(mask, (raw - self.daily_center_) / self.daily_scale_, 0.0)
        masks[p, slot] = mask
        wear = np.zeros((n, d), dtype=np.float32)
        known = np.zeros((n, d), dtype=bool)
        wear[p, slot] = daily["worn_minutes"].to_numpy(dtype=np.float64, na_value=0.0)[keep] / 1440.0
        known[p, slot] = True
        return {"daily": values, "daily_mask": masks, "wear": wear, "wear_known": known}

    def _token_index(self, names: np.ndarray) -> np.ndarray:
        """Vocabulary position of each name; an unknown name takes its nearest ancestor's (-1 if none)."""
        vocabulary = pd.Index(self.vocabulary_)
        index = vocabulary.get_indexer(names)
        onts = self._ontologies()
        for i in np.flatnonzero(index < 0):  # once per distinct unseen code, not per row
            known = vocabulary.get_indexer(code_ancestors(str(names[i]), onts))
            index[i] = known[known >= 0][0] if (known >= 0).any() else -1
        return index

    # ------------------------------------------------------------------ persistence
    def state(self) -> dict[str, object]:
        """Parameters and learned state as plain Python and numpy values (ontologies by name)."""
        self._check_fitted()
        state = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        state["ontologies"] = tuple(o if isinstance(o, str) else o.name for o in self.ontologies)
        return state

    @classmethod
    def from_state(cls, state: dict[str, object]) -> "Featurizer":
        """The featurizer :meth:`state` describes."""
        obj = cls.__new__(cls)
        obj.__dict__.update(state)
        return obj


def _distinct_count(token: np.ndarray, patient: np.ndarray, n_tokens: int) -> np.ndarray:
    """Number of distinct patients per token."""
    pairs = np.unique(token.astype(np.int64) * (int(patient.max(initial=0)) + 1) + patient)
    return np.bincount(pairs // (int(patient.max(initial=0)) + 1), minlength=n_tokens)


def _rank_within(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal consecutive ``group`` values."""
    if not len(group):
        return np.zeros(0, dtype=np.int64)
    start = np.ones(len(group), dtype=bool)
    start[1:] = group[1:] != group[:-1]
    idx = np.arange(len(group))
    return idx - np.maximum.accumulate(np.where(start, idx, 0))


def _daily_values(daily: pd.DataFrame, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Raw channel values (log1p steps) of ``rows`` and their masks: recorded on a worn day."""
    rows = np.ones(len(daily), dtype=bool) if rows is None else rows
    worn = daily["worn_minutes"].to_numpy(dtype=np.float64, na_value=0.0)[rows] > 0
    cols = [daily[c].to_numpy(dtype=np.float64, na_value=np.nan)[rows] for c in DAILY_CHANNELS]
    raw = np.column_stack(cols) if len(worn) else np.zeros((0, len(DAILY_CHANNELS)))
    raw[:, 0] = np.log1p(np.maximum(raw[:, 0], 0))
    mask = np.isfinite(raw) & worn[:, None]
    return np.where(mask, raw, 0.0), mask


def _static(cut: Cohort, ids: pd.Index, lm_day: np.ndarray, pidx: np.ndarray, age: np.ndarray) -> np.ndarray:
    pats = cut.patients
    where = ids.get_indexer(pats["patient_id"].astype("string"))
    birth = np.full(len(ids), np.nan)
    sex = np.full(len(ids), "U", dtype=object)
    birth[where] = _days(pats["birth_date"]).astype(np.float64)
    birth[where[pats["birth_date"].isna().to_numpy()]] = np.nan
    sex[where] = pats["sex"].astype(str).to_numpy(dtype=object)
    years = (lm_day - birth) / 365.25
    records = np.bincount(pidx, minlength=len(ids))
    oldest = np.zeros(len(ids))
    np.maximum.at(oldest, pidx, age.astype(np.float64))
    return np.column_stack([
        np.nan_to_num((years - 50.0) / 15.0), sex == "F", sex == "M", np.log1p(records) / 5.0,
        np.minimum(oldest / 365.25, 20.0) / 5.0,
    ]).astype(np.float32)
