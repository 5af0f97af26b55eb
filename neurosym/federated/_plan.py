"""One featurizer for all sites, from aggregates: the federated vocabulary step.

Every site must turn its records into the same tensors, so the code
vocabulary, the lab analytes and the scales must be identical everywhere.
They are agreed in one round before training, from aggregates only:

* each site reports its number of labelled patients (its training replies
  carry it too, as ``num-examples``) and, per ``system:code``, the number of its patients with the
  code -- only codes that at least ``min_cell`` patients have (small cells
  never leave the site);
* per lab analyte with at least ``min_cell`` patients: patients, values, sum
  and sum of squares; per lifelog channel the same sums (only when at least
  ``min_cell`` patients wear a device);
* the server keeps codes with at least ``min_cell`` patients over all sites,
  adds their ancestors from the shared public ontology (so a SNOMED-coded
  site and an ICD-10-CM-coded site meet in shared concepts), keeps the most
  widely measured analytes, and pools means and standard deviations as the
  centres and scales of :class:`~neurosym.neural.Featurizer`.

Codes are public code-system identifiers; a code with its patient count is a
count, not a patient's record.  Nothing here is a patient id, a date or a
measured value (a mean of at least ``min_cell`` values is reported, never a
value).

``neurosym.neural`` (torch and Lightning) is imported by the functions that
use it, not with this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from neurosym._errors import InputError
from neurosym.data import Cohort
from neurosym.tasks import before_landmark, resolve_ontologies

if TYPE_CHECKING:
    from neurosym.neural import Featurizer, RiskModel

__all__ = ["STATISTICS_KEYS", "featurizer_digest", "featurizer_from_config", "featurizer_to_config", "local_statistics",
           "merge_statistics", "model_params"]

#: Keys of a site's statistics reply (all lists of counts, sums, or public code names).
STATISTICS_KEYS = ("patients", "codes", "code-patients", "analytes", "analyte-patients", "analyte-n", "analyte-sum",
                   "analyte-sumsq", "daily-n", "daily-sum", "daily-sumsq")
_FEATURIZER_KEYS = ("max_codes", "max_analytes", "lab_steps", "lifelog_days")
_SCALES = ("lab_center_", "lab_scale_", "daily_center_", "daily_scale_")


def model_params(model: RiskModel) -> dict[str, object]:
    """The parameters of ``model`` as JSON-able values (ontologies must be named, e.g. ``"clinical"``).

    >>> from neurosym.neural import RiskModel
    >>> model_params(RiskModel(seed=3))["ontologies"]
    ['clinical']
    """
    params = model.get_params()
    if any(not isinstance(o, str) for o in params["ontologies"]):
        raise InputError("a federated RiskModel names its ontologies (e.g. ontologies=('clinical',)) so that "
                         "every site loads the same public ontology; got an Ontology object")
    params["inputs"], params["ontologies"] = list(params["inputs"]), list(params["ontologies"])
    return params


def _tokens(frame: pd.DataFrame) -> pd.Series:
    return frame["system"].astype(str) + ":" + frame["code"].astype(str)


def local_statistics(cohort: Cohort, labels: pd.DataFrame, min_cell: int = 5) -> dict[str, list]:
    """A site's aggregates for the vocabulary step, small cells left out.

    Only records strictly before each labelled patient's landmark count, as
    when a :class:`~neurosym.neural.Featurizer` is fitted.

    Parameters
    ----------
    cohort : Cohort
    labels : pandas.DataFrame
        The site's label frame.
    min_cell : int, default 5
        A code or analyte is reported only when at least this many patients have it.

    Returns
    -------
    dict of str to list
        The keys of :data:`STATISTICS_KEYS`.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> from neurosym.tasks import ground_truth_labels
    >>> cohort = synthetic_cohort(30, seed=0)
    >>> stats = local_statistics(cohort, ground_truth_labels(cohort), min_cell=5)
    >>> min(stats["code-patients"]) >= 5, stats["daily-n"][0] > 0
    (True, True)
    """
    from neurosym.neural import CODE_KINDS, usable_labels
    from neurosym.neural._features import _daily_values

    usable = usable_labels(labels)
    cut = before_landmark(cohort, usable)
    ev = cut.events
    coded = ev[ev["kind"].isin(CODE_KINDS).to_numpy()]
    per_code = coded.groupby(_tokens(coded).to_numpy())["patient_id"].nunique()
    per_code = per_code[per_code >= min_cell].sort_index()
    value = ev["value"].to_numpy(dtype=np.float64, na_value=np.nan)
    meas = ev[(ev["kind"] == "measurement").to_numpy() & np.isfinite(value)]
    v = meas["value"].to_numpy(dtype=np.float64)
    grouped = pd.DataFrame({"token": _tokens(meas).to_numpy(), "patient": meas["patient_id"].astype(str).to_numpy(),
                            "v": v, "v2": v * v}).groupby("token")
    analytes = pd.DataFrame({"patients": grouped["patient"].nunique(), "n": grouped["v"].size(),
                             "sum": grouped["v"].sum(), "sumsq": grouped["v2"].sum()})
    analytes = analytes[analytes["patients"] >= min_cell].sort_index()
    daily = cut.lifelog.daily
    raw, mask = _daily_values(daily)
    wearers = daily["patient_id"].astype(str).nunique()
    n, total, total2 = mask.sum(axis=0), np.where(mask, raw, 0).sum(axis=0), np.where(mask, raw * raw, 0).sum(axis=0)
    if wearers < min_cell:
        n, total, total2 = np.zeros_like(n), np.zeros_like(total), np.zeros_like(total2)
    return {"patients": len(usable), "codes": per_code.index.tolist(), "code-patients": per_code.astype(int).tolist(),
            "analytes": analytes.index.tolist(), "analyte-patients": analytes["patients"].astype(int).tolist(),
            "analyte-n": analytes["n"].astype(int).tolist(), "analyte-sum": analytes["sum"].astype(float).tolist(),
            "analyte-sumsq": analytes["sumsq"].astype(float).tolist(), "daily-n": [int(x) for x in n],
            "daily-sum": [float(x) for x in total], "daily-sumsq": [float(x) for x in total2]}


def _pooled(n: np.ndarray, total: np.ndarray, total2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pooled mean and standard deviation (at least 1e-3 of the mean's size) from counts and sums."""
    safe = np.maximum(n, 1)
    mean = np.where(n > 0, total / safe, 0.0)
    sd = np.sqrt(np.maximum(total2 / safe - mean ** 2, 0.0))
    return mean, np.where(n > 0, np.maximum(sd, 1e-3 * np.maximum(np.abs(mean), 1.0)), 1.0)


def merge_statistics(statistics: Sequence[Mapping[str, list]], params: Mapping[str, object],
                     min_cell: int = 5) -> Featurizer:
    """The shared featurizer from the sites' statistics (server side).

    Parameters
    ----------
    statistics : sequence of dict
        :func:`local_statistics` of each site.
    params : dict
        :func:`model_params` of the model to train.
    min_cell : int, default 5
        Codes with fewer patients over all sites are left out.

    Returns
    -------
    Featurizer
        Fitted: vocabulary (codes by patients over all sites, then their
        ontology ancestors), analytes and scales.

    Examples
    --------
    >>> from neurosym.neural import RiskModel
    >>> site = {"codes": ["icd10cm:E11.9"], "code-patients": [6], "analytes": ["loinc:4548-4"],
    ...         "analyte-patients": [6], "analyte-n": [8], "analyte-sum": [48.0], "analyte-sumsq": [290.0],
    ...         "daily-n": [0] * 4, "daily-sum": [0.0] * 4, "daily-sumsq": [0.0] * 4}
    >>> f = merge_statistics([site, site], model_params(RiskModel(ontologies=("icd10cm",))))
    >>> f.vocabulary_[:3], f.analytes_, f.lab_center_.tolist()
    (['icd10cm:E11.9', 'icd10cm:E00-E89', 'icd10cm:E08-E13'], ['loinc:4548-4'], [6.0])
    """
    from neurosym.neural import Featurizer, code_ancestors

    codes = pd.concat([pd.Series(s["code-patients"], index=s["codes"], dtype=np.int64) for s in statistics])
    codes = codes.groupby(level=0).sum()
    codes = codes[codes >= min_cell]
    seen = sorted(codes.index, key=lambda c: (-int(codes[c]), c))
    inputs = params["inputs"]
    onts = [] if params["flat"] or "record" not in inputs else resolve_ontologies(params["ontologies"])
    ancestors = {a for code in seen for a in code_ancestors(code, onts)}
    frames = [pd.DataFrame({k: s[f"analyte-{k}"] for k in ("patients", "n", "sum", "sumsq")}, index=s["analytes"])
              for s in statistics]
    analytes = pd.concat(frames).groupby(level=0).sum()
    analytes = analytes.loc[sorted(analytes.index, key=lambda a: (-int(analytes.loc[a, "patients"]), a))]
    analytes = analytes.iloc[: int(params["max_analytes"])]
    lab_center, lab_scale = _pooled(*(analytes[k].to_numpy(dtype=np.float64) for k in ("n", "sum", "sumsq")))
    daily = [np.sum([s[f"daily-{k}"] for s in statistics], axis=0).astype(np.float64) for k in ("n", "sum", "sumsq")]
    daily_center, daily_scale = _pooled(*daily)
    state = {k: params[k] for k in _FEATURIZER_KEYS} | {
        "min_patients": min_cell, "ontologies": tuple(o for o in params["ontologies"]) if onts else (),
        "vocabulary_": seen + sorted(ancestors - set(seen)), "analytes_": [str(a) for a in analytes.index],
        "lab_center_": lab_center, "lab_scale_": lab_scale, "daily_center_": daily_center,
        "daily_scale_": daily_scale}
    return Featurizer.from_state(state)


def featurizer_to_config(featurizer: Featurizer) -> dict[str, object]:
    """The state of a fitted featurizer as flat config values (strings, numbers and their lists).

    >>> from neurosym.neural import Featurizer
    >>> f = Featurizer.from_state({"max_codes": 8, "max_analytes": 2, "lab_steps": 4, "lifelog_days": 7,
    ...     "min_patients": 5, "ontologies": (), "vocabulary_": ["icd10cm:I10"], "analytes_": [],
    ...     "lab_center_": np.zeros(0), "lab_scale_": np.zeros(0), "daily_center_": np.zeros(4),
    ...     "daily_scale_": np.ones(4)})
    >>> featurizer_from_config(featurizer_to_config(f)).vocabulary_
    ['icd10cm:I10']
    """
    state = featurizer.state()
    return {"featurizer": json.dumps({k: v for k, v in state.items() if not isinstance(v, (list, np.ndarray))}),
            "vocabulary": list(state["vocabulary_"]), "analytes": list(state["analytes_"]),
            **{f"featurizer-{k}": [float(x) for x in state[k]] for k in _SCALES}}


def featurizer_from_config(config: Mapping[str, object]) -> Featurizer:
    """The featurizer :func:`featurizer_to_config` describes."""
    from neurosym.neural import Featurizer

    state: dict[str, object] = json.loads(str(config["featurizer"]))
    state["ontologies"] = tuple(state["ontologies"])
    state["vocabulary_"], state["analytes_"] = list(config["vocabulary"]), list(config["analytes"])
    for k in _SCALES:
        state[k] = np.asarray(config[f"featurizer-{k}"], dtype=np.float64)
    return Featurizer.from_state(state)


def featurizer_digest(config: Mapping[str, object]) -> str:
    """A SHA-256 of the featurizer entries of a config (to recognise the same plan round after round)."""
    keys = ("featurizer", "vocabulary", "analytes", *(f"featurizer-{k}" for k in _SCALES))
    return hashlib.sha256(json.dumps([list(config[k]) if isinstance(config[k], list) else config[k] for k in keys]
                                     ).encode()).hexdigest()
