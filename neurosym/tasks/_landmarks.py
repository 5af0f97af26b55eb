"""Per-patient landmarks and the one cut that keeps post-landmark data out of every model.

A *landmark frame* has one row per patient: ``patient_id`` and ``landmark``
(a date); label frames add ``label`` and ``excluded``.  :func:`before_landmark`
is the single place where a cohort is cut to what was known strictly before
each patient's landmark; features and rule-based exclusions both read its
output, which is why deleting post-landmark data cannot change them.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from neurosym._errors import NeurosymError
from neurosym.data import Cohort, Lifelog

__all__ = ["as_landmarks", "before_landmark", "row_landmarks", "row_positions"]

_NAT = np.iinfo(np.int64).min

LandmarkSpec = str | _dt.date | pd.Timestamp | np.datetime64 | pd.DataFrame | pd.Series


def as_landmarks(landmarks: LandmarkSpec, cohort: Cohort | None = None) -> pd.DataFrame:
    """Normalise a landmark specification to a frame ``patient_id, landmark``.

    Parameters
    ----------
    landmarks : str, date, Timestamp, DataFrame or Series
        One date for every patient of ``cohort``; a frame with
        ``patient_id`` and ``landmark`` columns (a label frame works); or a
        Series of dates indexed by patient id.
    cohort : Cohort, optional
        Needed when ``landmarks`` is a single date.

    Returns
    -------
    pandas.DataFrame
        ``patient_id`` (string) and ``landmark`` (``datetime64[s]``, at
        midnight), sorted by patient, one row per patient; other columns of a
        frame are kept.

    Raises
    ------
    NeurosymError
        For a missing column, a null or unparsable landmark, a patient listed
        twice, or a single date without a cohort.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> as_landmarks("2023-06-30", synthetic_cohort(2, seed=0)).values.tolist()
    [['S000001', Timestamp('2023-06-30 00:00:00')], ['S000002', Timestamp('2023-06-30 00:00:00')]]
    """
    if isinstance(landmarks, pd.Series):
        landmarks = pd.DataFrame({"patient_id": landmarks.index, "landmark": landmarks.to_numpy()})
    if isinstance(landmarks, pd.DataFrame):
        missing = {"patient_id", "landmark"} - set(landmarks.columns)
        if missing:
            raise NeurosymError(f"a landmark frame needs columns patient_id and landmark; missing {sorted(missing)} "
                                f"(got {list(landmarks.columns)})")
        frame = landmarks.copy()
    else:
        if cohort is None:
            raise NeurosymError(f"a single landmark date ({landmarks!r}) needs the cohort it applies to")
        frame = pd.DataFrame({"patient_id": cohort.patients["patient_id"].astype("string").to_numpy(),
                              "landmark": _parse_date(landmarks)})
    frame["patient_id"] = frame["patient_id"].astype("string")
    try:
        frame["landmark"] = pd.to_datetime(frame["landmark"]).dt.normalize().astype("datetime64[s]")
    except (ValueError, TypeError) as err:
        raise NeurosymError(f"landmarks must be dates; {err}") from err
    if frame["landmark"].isna().any():
        bad = frame.loc[frame["landmark"].isna(), "patient_id"].iloc[0]
        raise NeurosymError(f"patient {bad!r} has no landmark date; drop the row or give a date")
    dup = frame["patient_id"].duplicated()
    if dup.any():
        raise NeurosymError(f"patient {frame.loc[dup, 'patient_id'].iloc[0]!r} has more than one landmark; "
                            "give one landmark per patient")
    return frame.sort_values("patient_id", kind="stable").reset_index(drop=True)


def _parse_date(value: object) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise NeurosymError(f"landmark {value!r} is not a date; use an ISO date such as '2024-01-01'") from err
    if pd.isna(stamp):
        raise NeurosymError(f"landmark {value!r} is not a date; use an ISO date such as '2024-01-01'")
    return stamp.normalize()


def row_positions(patient_id: pd.Series, ids: pd.Index) -> np.ndarray:
    """Position in ``ids`` of each row's patient (-1 where absent), mapped by patient id string.

    Vectorised: categorical columns map their categories once, other columns
    go through one hash join.

    >>> row_positions(pd.Series(["b", "x", "a"], dtype="category"), pd.Index(["a", "b"])).tolist()
    [1, -1, 0]
    """
    ids = pd.Index(ids).astype("string")
    if isinstance(patient_id.dtype, pd.CategoricalDtype):
        per_category = ids.get_indexer(patient_id.cat.categories.astype("string"))
        codes = patient_id.cat.codes.to_numpy()
        return np.where(codes >= 0, per_category[codes], -1)
    return ids.get_indexer(patient_id.astype("string"))


def row_landmarks(patient_id: pd.Series, landmarks: pd.DataFrame) -> np.ndarray:
    """Landmark of each row's patient as int64 seconds (``int64 min`` where the patient has none).

    >>> lm = as_landmarks(pd.DataFrame({"patient_id": ["a"], "landmark": ["1970-01-02"]}))
    >>> row_landmarks(pd.Series(["a", "b", "a"]), lm).tolist()[::2]
    [86400, 86400]
    """
    seconds = landmarks["landmark"].to_numpy().astype("datetime64[s]").astype(np.int64)
    where = row_positions(patient_id, pd.Index(landmarks["patient_id"]))
    return np.where(where >= 0, seconds[where], _NAT)


def _seconds(times: pd.Series) -> np.ndarray:
    """Seconds since the epoch; NaT becomes int64 min."""
    return times.to_numpy().astype("datetime64[s]").astype(np.int64)


def before_landmark(cohort: Cohort, landmarks: LandmarkSpec) -> Cohort:
    """``cohort`` restricted to what was recorded strictly before each patient's landmark.

    Patients without a landmark are dropped; events, daily and hourly lifelog
    rows at or after the patient's landmark (or without a time) are removed;
    an ``end_time`` or ``death_date`` at or after the landmark becomes NaT
    (not yet known).  The result's ``labels`` is the landmark frame, so its
    facts have each patient's landmark as ``index_day``.

    Parameters
    ----------
    cohort : Cohort
    landmarks : str, date, DataFrame or Series
        See :func:`as_landmarks`.

    Returns
    -------
    Cohort

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> cohort = synthetic_cohort(20, seed=0)
    >>> cut = before_landmark(cohort, "2023-01-01")
    >>> bool((cut.events["time"] < pd.Timestamp("2023-01-01")).all()), len(cut.events) < len(cohort.events)
    (True, True)
    """
    lm = as_landmarks(landmarks, cohort)
    ev = cohort.events
    ev_lm = row_landmarks(ev["patient_id"], lm)
    time = _seconds(ev["time"])
    keep = (ev_lm != _NAT) & (time != _NAT) & (time < ev_lm)
    events = ev[keep].reset_index(drop=True)
    end = _seconds(events["end_time"])
    late_end = (end != _NAT) & (end >= ev_lm[keep])
    if late_end.any():
        events["end_time"] = events["end_time"].mask(late_end)
    daily, hourly = cohort.lifelog.daily, cohort.lifelog.hourly
    d_lm, h_lm = row_landmarks(daily["patient_id"], lm), row_landmarks(hourly["patient_id"], lm)
    d_t, h_t = _seconds(daily["date"]), _seconds(hourly["time"])
    daily = daily[(d_lm != _NAT) & (d_t != _NAT) & (d_t < d_lm)].reset_index(drop=True)
    hourly = hourly[(h_lm != _NAT) & (h_t != _NAT) & (h_t < h_lm)].reset_index(drop=True)
    pats = cohort.patients
    p_lm = row_landmarks(pats["patient_id"], lm)
    patients = pats[p_lm != _NAT].reset_index(drop=True)
    death = _seconds(patients["death_date"])
    late_death = (death != _NAT) & (death >= p_lm[p_lm != _NAT])
    if late_death.any():
        patients["death_date"] = patients["death_date"].mask(late_death)
    known = pd.Index(patients["patient_id"].astype("string"))
    return Cohort(patients, events, Lifelog(daily, hourly), cohort.report,
                  lm[lm["patient_id"].isin(known)].reset_index(drop=True)[["patient_id", "landmark"]],
                  f"{cohort.name} before landmark")
