"""What-if edits of a cohort: change a patient's modifiable facts as of a landmark.

:func:`edit_facts` returns a new :class:`~neurosym.data.Cohort` and never
changes its argument.  A *modifiable fact* (:data:`MODIFIABLE_FACTS`) is read as of a
landmark from what was recorded strictly before it:

=================  ====================================================  ==========
fact               what is read and changed                              unit
=================  ====================================================  ==========
``hba1c``          the readings of the latest day (LOINC 4548-4)          ``%``
``ldl``            the readings of the latest day (LOINC 18262-6)         ``mg/dL``
``sbp``, ``dbp``   the readings of the latest day (LOINC 8480-6, 8462-4)  ``mmHg``
``weight``         the readings of the latest day (LOINC 29463-7)         ``kg``
``bmi``            the readings of the latest day (LOINC 39156-5)         ``kg/m2``
``steps``          mean steps of the worn days of the last ``weeks``      ``steps/day``
``sleep_hours``    mean sleep of the recorded nights of the last ``weeks``  ``h``
``smoking``        the latest smoking-status record (SNOMED CT, or the    status
                   text answer of LOINC 72166-2)
=================  ====================================================  ==========

A new value moves the readings it was read from: lab and blood-pressure
readings are shifted by the difference, weight and BMI readings scaled by the
ratio, and each known lifelog day shifted by the difference of the means
(unknown and unworn days stay unknown; steps and minutes stay >= 0).  Weight
and BMI move together: with a height on record (LOINC 8302-2, latest before
the landmark) the other one is computed from it (BMI = kg / m²), otherwise it
is scaled by the same ratio.  Extra steps come with extra active minutes, one
per 100 steps (100 steps/min is moderate-intensity walking: Tudor-Locke C et
al., Br J Sports Med 2011;45:1102), at most the day's worn minutes.  Edited
rows keep their table and row but name the dataset ``what-if``, so a trace
never shows an edited value as the recorded one.  Hourly lifelog detail is
left as recorded.

Examples
--------
>>> import pandas as pd
>>> from neurosym.data import synthetic_cohort
>>> cohort = synthetic_cohort(3, seed=0)
>>> lm = pd.DataFrame({"patient_id": ["S000002"], "landmark": ["2024-01-01"]})
>>> modifiable_facts(cohort, lm).set_index("fact").loc[["hba1c", "weight", "bmi", "smoking"], "value"].tolist()
[5.2, 64.1, 23.3, 'never']
>>> edited = edit_facts(cohort, lm.assign(fact="weight", value=60.0))
>>> modifiable_facts(edited, lm).set_index("fact").loc[["weight", "bmi"], "value"].round(1).tolist()
[60.0, 21.7]
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from neurosym._errors import InputError, UnknownIdError
from neurosym.data._cohort import Cohort
from neurosym.data._lifelog import Lifelog

__all__ = ["MODIFIABLE_FACTS", "WHAT_IF_DATASET", "edit_facts", "modifiable_facts"]

#: Measured facts: name -> (canonical LOINC code, unit shown).
_MEASURED: dict[str, tuple[str, str]] = {
    "hba1c": ("4548-4", "%"),
    "bmi": ("39156-5", "kg/m2"),
    "weight": ("29463-7", "kg"),
    "sbp": ("8480-6", "mmHg"),
    "dbp": ("8462-4", "mmHg"),
    "ldl": ("18262-6", "mg/dL"),
}
#: Measured facts changed by a ratio rather than a difference.
_SCALED = ("weight", "bmi")
_HEIGHT = "8302-2"
#: Lifelog facts: name -> (daily column, unit shown, column units per shown unit).
_DAILY: dict[str, tuple[str, str, float]] = {"steps": ("steps", "steps/day", 1.0), "sleep_hours": ("sleep_minutes", "h", 60.0)}
#: Smoking status codes (SNOMED CT) and their names.
SMOKING_STATUS: dict[str, str] = {"266919005": "never", "8517006": "former", "77176002": "current",
                                   "449868002": "current", "428041000124106": "current"}
#: The code an edit writes for a status.
_SMOKING_CODE = {"never": "266919005", "former": "8517006", "current": "77176002"}
#: LOINC "Tobacco smoking status", whose answer is text (Synthea FHIR: "Never smoker", "Former smoker", ...).
_SMOKING_LOINC = "72166-2"

#: Names of the facts :func:`edit_facts` can change.
MODIFIABLE_FACTS: tuple[str, ...] = (*_MEASURED, *_DAILY, "smoking")
#: The ``source_dataset`` of an edited row.
WHAT_IF_DATASET = "what-if"
_STEPS_PER_ACTIVE_MINUTE = 100
_DAY = 86_400


def modifiable_facts(cohort: Cohort, landmarks: pd.DataFrame, *, weeks: int = 13) -> pd.DataFrame:
    """The current value of each modifiable fact a patient has, as of the patient's landmark.

    Parameters
    ----------
    cohort : Cohort
    landmarks : pandas.DataFrame
        ``patient_id, landmark``, one row per patient.
    weeks : int, default 13
        Lifelog window: the ``weeks`` weeks before the landmark (13, as the
        rule library's evaluable recent weeks).

    Returns
    -------
    pandas.DataFrame
        ``patient_id, fact, value, unit, n`` (``n``: readings, days or
        records it was read from), sorted by patient and
        :data:`MODIFIABLE_FACTS` order; ``value`` is a float (the status name
        for ``smoking``).  A fact the patient has no record of is absent.

    Raises
    ------
    UnknownIdError
        For a patient not in the cohort.
    InputError
        For a landmark before everything recorded of its patient, or a bad frame.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> lm = pd.DataFrame({"patient_id": ["S000002"], "landmark": ["2024-01-01"]})
    >>> modifiable_facts(synthetic_cohort(3, seed=0), lm)["fact"].tolist()
    ['hba1c', 'bmi', 'weight', 'sbp', 'dbp', 'ldl', 'steps', 'sleep_hours', 'smoking']
    """
    return _facts_at(cohort, _landmarks(cohort, landmarks), weeks)


def _facts_at(cohort: Cohort, lm: pd.Series, weeks: int) -> pd.DataFrame:
    parts = [_measured_rows(cohort.events, lm).groupby(["patient_id", "fact"], observed=True, sort=False)
             .agg(value=("value", "mean"), n=("value", "size")).reset_index(),
             _daily_rows(cohort.lifelog.daily, lm, weeks).groupby(["patient_id", "fact"], observed=True, sort=False)
             .agg(value=("value", "mean"), n=("value", "size")).reset_index()]
    smoking = _smoking_rows(cohort.events, lm)
    parts.append(pd.DataFrame({"patient_id": smoking["patient_id"], "fact": "smoking",
                               "value": smoking["status"], "n": 1}).drop_duplicates("patient_id", keep="last"))
    out = pd.concat([p.astype({"value": object}) for p in parts], ignore_index=True)
    out["unit"] = out["fact"].map(_unit).astype(object).where(out["fact"] != "smoking", None)
    out["value"] = [v / _DAILY[f][2] if f in _DAILY else v for f, v in zip(out["fact"], out["value"])]
    order = out["fact"].map({f: i for i, f in enumerate(MODIFIABLE_FACTS)})
    out = out.assign(_order=order).sort_values(["patient_id", "_order"], kind="stable")
    return out[["patient_id", "fact", "value", "unit", "n"]].reset_index(drop=True)


def edit_facts(cohort: Cohort, edits: pd.DataFrame, *, weeks: int = 13) -> Cohort:
    """A cohort in which some patients' modifiable facts have new values as of their landmarks.

    Parameters
    ----------
    cohort : Cohort
    edits : pandas.DataFrame
        ``patient_id, landmark, fact, value``: the new value of ``fact``
        (one of :data:`MODIFIABLE_FACTS`, in the unit of
        :func:`modifiable_facts`; a status name for ``smoking``).  One
        landmark per patient; ``weight`` and ``bmi`` not both for one patient.
    weeks : int, default 13
        Lifelog window, as in :func:`modifiable_facts`.

    Returns
    -------
    Cohort
        A new cohort; ``cohort`` is unchanged.

    Raises
    ------
    InputError
        For an unknown fact, a fact the patient has no record of (nothing is
        invented), an unknown smoking status or a negative value.
    UnknownIdError
        For a patient not in the cohort.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> cohort = synthetic_cohort(3, seed=0)
    >>> lm = pd.DataFrame({"patient_id": ["S000002"], "landmark": ["2024-01-01"]})
    >>> edited = edit_facts(cohort, lm.assign(fact="steps", value=9000.0))
    >>> [round(modifiable_facts(c, lm).set_index("fact").loc["steps", "value"]) for c in (cohort, edited)]
    [7118, 9000]
    """
    edits = _check_edits(cohort, edits)
    lm = _landmarks(cohort, edits.drop_duplicates("patient_id")[["patient_id", "landmark"]])
    current = _facts_at(cohort, lm, weeks)
    edits = _with_body_size(cohort.events, lm, edits, current)
    have = edits.merge(current[["patient_id", "fact"]], how="left", on=["patient_id", "fact"], indicator=True)
    missing = have[have["_merge"] == "left_only"]
    if len(missing):
        row = missing.iloc[0]
        raise InputError(f"patient {row['patient_id']!r} has no {row['fact']} recorded before "
                         f"{pd.Timestamp(row['landmark']).date()}; an edit changes a recorded fact and invents none")
    events, daily = cohort.events.copy(), cohort.lifelog.daily.copy()
    _edit_measured(events, lm, edits, current)
    _edit_daily(daily, lm, edits, current, weeks)
    _edit_smoking(events, lm, edits)
    return Cohort(cohort.patients, events, Lifelog(daily, cohort.lifelog.hourly), cohort.report, cohort.labels, cohort.name)


# ---------------------------------------------------------------- reading facts
def _unit(fact: str) -> str | None:
    if fact in _MEASURED:
        return _MEASURED[fact][1]
    return _DAILY[fact][1] if fact in _DAILY else None


def _landmarks(cohort: Cohort, landmarks: pd.DataFrame) -> pd.Series:
    """Landmark (int64 seconds) per patient id; checks ids and that something was recorded before."""
    missing = {"patient_id", "landmark"} - set(landmarks.columns)
    if missing:
        raise InputError(f"landmarks need columns patient_id and landmark; missing {sorted(missing)}")
    ids = landmarks["patient_id"].astype("string")
    if ids.duplicated().any():
        raise InputError(f"patient {ids[ids.duplicated()].iloc[0]!r} has more than one landmark")
    _known(cohort, ids)
    try:
        stamps = pd.to_datetime(landmarks["landmark"]).dt.normalize()
    except (ValueError, TypeError) as err:
        raise InputError(f"landmarks must be dates; {err}") from err
    if stamps.isna().any():
        raise InputError(f"patient {ids[stamps.isna().to_numpy()].iloc[0]!r} has no landmark date")
    seconds = pd.Series(stamps.to_numpy().astype("datetime64[s]").astype(np.int64), index=pd.Index(ids.to_numpy()))
    first = _first_record(cohort, seconds.index)
    early = seconds.to_numpy() <= first.reindex(seconds.index).to_numpy(dtype=np.float64, na_value=np.inf)
    if early.any():
        pid = seconds.index[early][0]
        when = "" if pd.isna(first.get(pid)) else f" (first record {pd.Timestamp(first[pid], unit='s').date()})"
        raise InputError(f"landmark {pd.Timestamp(seconds[pid], unit='s').date()} of patient {pid!r} is not after "
                         f"anything recorded of that patient{when}; choose a later landmark")
    return seconds


def _known(cohort: Cohort, ids: pd.Series) -> None:
    unknown = ~ids.isin(cohort.patients["patient_id"].astype("string"))
    if unknown.any():
        raise UnknownIdError(f"no patient {ids[unknown.to_numpy()].iloc[0]!r} in {cohort.name}")


def _first_record(cohort: Cohort, ids: pd.Index) -> pd.Series:
    ev = cohort.events[cohort.events["patient_id"].astype("string").isin(ids)]
    daily = cohort.lifelog.daily[cohort.lifelog.daily["patient_id"].astype("string").isin(ids)]
    times = pd.concat([pd.DataFrame({"p": ev["patient_id"].astype("string"), "t": ev["time"]}),
                       pd.DataFrame({"p": daily["patient_id"].astype("string"), "t": daily["date"]})])
    return times.groupby("p")["t"].min().astype("datetime64[s]").astype(np.int64)


def _before(frame: pd.DataFrame, time: str, lm: pd.Series) -> np.ndarray:
    """Per row, whether its patient has a landmark and the row's time is strictly before it."""
    limit = frame["patient_id"].astype("string").map(lm).to_numpy(dtype=np.float64, na_value=np.nan)
    seconds = frame[time].to_numpy().astype("datetime64[s]").astype(np.int64)
    return ~np.isnan(limit) & (seconds < limit) & frame[time].notna().to_numpy()


def _latest_day(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    day = frame["time"].to_numpy().astype("datetime64[D]")
    last = pd.Series(day, index=frame.index).groupby([frame[k] for k in keys], observed=True).transform("max")
    return frame[day == last.to_numpy()]


def _measured_rows(events: pd.DataFrame, lm: pd.Series) -> pd.DataFrame:
    """The readings of the latest day per patient and measured fact: event index, patient_id, fact, value."""
    fact_of = {code: fact for fact, (code, _) in _MEASURED.items()}
    rows = events[events["code"].isin(list(fact_of)) & (events["kind"] == "measurement") & events["value"].notna()]
    rows = rows[_before(rows, "time", lm)]
    out = pd.DataFrame({"patient_id": rows["patient_id"].astype("string"), "fact": rows["code"].astype(str).map(fact_of),
                        "value": rows["value"], "time": rows["time"]}, index=rows.index)
    return _latest_day(out, ["patient_id", "fact"])


def _daily_rows(daily: pd.DataFrame, lm: pd.Series, weeks: int) -> pd.DataFrame:
    """The known days of the lifelog window per patient and lifelog fact: daily index, patient_id, fact, value."""
    if weeks < 1:
        raise InputError(f"weeks must be >= 1, got {weeks}")
    start = lm - weeks * 7 * _DAY
    recent = daily[_before(daily, "date", lm) & ~_before(daily, "date", start)]
    worn = (recent["worn_minutes"].fillna(0) > 0).to_numpy()
    parts = []
    for fact, (column, _, _) in _DAILY.items():
        known = recent[column].notna().to_numpy() & (worn if column == "steps" else True)
        rows = recent[known]
        parts.append(pd.DataFrame({"patient_id": rows["patient_id"].astype("string"), "fact": fact,
                                   "value": rows[column].astype("float64")}, index=rows.index))
    return pd.concat(parts)


def _smoking_rows(events: pd.DataFrame, lm: pd.Series) -> pd.DataFrame:
    """The smoking-status records of the latest day per patient: event index, patient_id, status, coded.

    A status is a SNOMED CT finding (:data:`SMOKING_STATUS`) or the text answer of LOINC 72166-2
    (``never`` / ``former`` in it, else a smoker is current)."""
    coded = events["code"].isin(list(SMOKING_STATUS)) & (events["system"] == "snomed")
    texted = (events["code"] == _SMOKING_LOINC) & events["value_text"].notna()
    rows = events[(coded | texted).to_numpy()]
    rows = rows[_before(rows, "time", lm)]
    text = rows["value_text"].astype("string").str.lower()
    said = np.select([text.str.contains("never").fillna(False), text.str.contains("former|ex-").fillna(False),
                      text.str.contains("smok").fillna(False)], ["never", "former", "current"], default="")
    is_coded = rows["code"].astype(str).isin(list(SMOKING_STATUS)).to_numpy()
    status = np.where(is_coded, rows["code"].astype(str).map(SMOKING_STATUS).fillna("").to_numpy(dtype=object), said)
    out = pd.DataFrame({"patient_id": rows["patient_id"].astype("string"), "status": status, "coded": is_coded,
                        "time": rows["time"]}, index=rows.index)
    return _latest_day(out[out["status"] != ""], ["patient_id"])


def _heights(events: pd.DataFrame, lm: pd.Series) -> pd.Series:
    """Latest height before the landmark per patient, in metres."""
    rows = events[(events["code"] == _HEIGHT) & events["value"].notna()]
    rows = rows[_before(rows, "time", lm)]
    return rows.groupby(rows["patient_id"].astype("string"), observed=True)["value"].last() / 100.0


# ---------------------------------------------------------------- editing
def _check_edits(cohort: Cohort, edits: pd.DataFrame) -> pd.DataFrame:
    missing = {"patient_id", "landmark", "fact", "value"} - set(edits.columns)
    if missing:
        raise InputError(f"edits need columns patient_id, landmark, fact, value; missing {sorted(missing)}")
    edits = edits[["patient_id", "landmark", "fact", "value"]].astype({"patient_id": "string", "fact": str})
    unknown = sorted(set(edits["fact"]) - set(MODIFIABLE_FACTS))
    if unknown:
        raise InputError(f"unknown fact {unknown[0]!r}; modifiable facts are {list(MODIFIABLE_FACTS)}")
    if edits.duplicated(["patient_id", "fact"]).any() or edits.groupby("patient_id")["landmark"].nunique().gt(1).any():
        raise InputError("give each patient one landmark and each fact of a patient one new value")
    both = edits[edits["fact"].isin(_SCALED)].groupby("patient_id")["fact"].nunique()
    if both.gt(1).any():
        raise InputError(f"patient {both[both.gt(1)].index[0]!r}: give weight or bmi, not both (each follows the other)")
    status = edits.loc[edits["fact"] == "smoking", "value"]
    if (~status.isin(list(_SMOKING_CODE))).any():
        raise InputError(f"unknown smoking status {status[~status.isin(list(_SMOKING_CODE))].iloc[0]!r}; "
                         f"expected one of {list(_SMOKING_CODE)}")
    numbers = pd.to_numeric(edits.loc[edits["fact"] != "smoking", "value"], errors="coerce")
    if numbers.isna().any() or (numbers < 0).any():
        bad = edits.loc[numbers.index[numbers.isna() | (numbers < 0)][0]]
        raise InputError(f"the new {bad['fact']} of patient {bad['patient_id']!r} must be a number >= 0; got {bad['value']}")
    return edits.reset_index(drop=True)


def _with_body_size(events: pd.DataFrame, lm: pd.Series, edits: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Add the BMI implied by a new weight and the weight implied by a new BMI (where the patient has one)."""
    size = edits[edits["fact"].isin(_SCALED)]
    if size.empty:
        return edits
    other = {"weight": "bmi", "bmi": "weight"}
    now = current[current["fact"].isin(_SCALED)][["patient_id", "fact", "value"]]
    rows = (size.assign(other=size["fact"].map(other))
            .merge(now.rename(columns={"value": "before"}), on=["patient_id", "fact"])
            .merge(now.rename(columns={"fact": "other", "value": "before_other"}), on=["patient_id", "other"]))
    height = rows["patient_id"].map(_heights(events, lm)).astype("float64").to_numpy()
    new = rows["value"].astype("float64").to_numpy()
    from_height = np.where(rows["other"] == "bmi", new / height**2, new * height**2)
    scaled = rows["before_other"].astype("float64").to_numpy() * new / rows["before"].astype("float64").to_numpy()
    implied = rows[["patient_id", "landmark"]].assign(fact=rows["other"], value=np.where(height > 0, from_height, scaled))
    return pd.concat([edits, implied], ignore_index=True)


def _targets(edits: pd.DataFrame, current: pd.DataFrame, facts: Iterable[str]) -> pd.DataFrame:
    chosen = edits[edits["fact"].isin(list(facts))]
    return chosen.merge(current[["patient_id", "fact", "value"]].rename(columns={"value": "before"}),
                        on=["patient_id", "fact"])


def _mark(frame: pd.DataFrame, index: pd.Index) -> None:
    if WHAT_IF_DATASET not in frame["source_dataset"].cat.categories:
        frame["source_dataset"] = frame["source_dataset"].cat.add_categories([WHAT_IF_DATASET])
    frame.loc[index, "source_dataset"] = WHAT_IF_DATASET


def _edit_measured(events: pd.DataFrame, lm: pd.Series, edits: pd.DataFrame, current: pd.DataFrame) -> None:
    targets = _targets(edits, current, _MEASURED)
    if targets.empty:
        return
    rows = _measured_rows(events, lm).reset_index().merge(targets, on=["patient_id", "fact"])
    new, before = rows["value_y"].astype("float64"), rows["before"].astype("float64")
    scaled = rows["fact"].isin(_SCALED)
    value = np.where(scaled, rows["value_x"] * new / before.where(before > 0), rows["value_x"] + new - before)
    events.loc[rows["index"].to_numpy(), "value"] = np.maximum(value, 0.0)
    _mark(events, pd.Index(rows["index"]))


def _edit_daily(daily: pd.DataFrame, lm: pd.Series, edits: pd.DataFrame, current: pd.DataFrame, weeks: int) -> None:
    targets = _targets(edits, current, _DAILY)
    if targets.empty:
        return
    rows = _daily_rows(daily, lm, weeks).reset_index().merge(targets, on=["patient_id", "fact"])
    scale = rows["fact"].map({f: s for f, (_, _, s) in _DAILY.items()})
    delta = (rows["value_y"].astype("float64") - rows["before"].astype("float64")) * scale
    for fact, (column, _, _) in _DAILY.items():
        sel = (rows["fact"] == fact).to_numpy()
        index, shift = rows.loc[sel, "index"].to_numpy(), delta[sel].to_numpy()
        old = daily.loc[index, column].to_numpy(dtype=np.float64)
        cap = 1440.0 if column == "sleep_minutes" else np.inf
        daily.loc[index, column] = pd.array(np.round(np.clip(old + shift, 0, cap)).astype(np.int64), dtype="Int64")
        if column == "steps":
            _add_active_minutes(daily, index, shift)
        _mark(daily, pd.Index(index))


def _add_active_minutes(daily: pd.DataFrame, index: np.ndarray, extra_steps: np.ndarray) -> None:
    active = daily.loc[index, "active_minutes"].to_numpy(dtype=np.float64, na_value=np.nan)
    worn = daily.loc[index, "worn_minutes"].to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(active)
    moved = np.clip(active + extra_steps / _STEPS_PER_ACTIVE_MINUTE, 0, np.where(np.isnan(worn), np.inf, worn))
    daily.loc[index[known], "active_minutes"] = pd.array(np.round(moved[known]).astype(np.int64), dtype="Int64")


def _edit_smoking(events: pd.DataFrame, lm: pd.Series, edits: pd.DataFrame) -> None:
    chosen = edits[edits["fact"] == "smoking"]
    if chosen.empty:
        return
    rows = _smoking_rows(events, lm).reset_index().merge(chosen[["patient_id", "value"]], on="patient_id")
    coded, texted = rows[rows["coded"]], rows[~rows["coded"]]
    _set_category(events, "code", coded["index"], coded["value"].map(_SMOKING_CODE))
    _set_category(events, "value_text", texted["index"], texted["value"].str.capitalize() + " smoker")
    _mark(events, pd.Index(rows["index"]))


def _set_category(frame: pd.DataFrame, column: str, index: pd.Series, values: pd.Series) -> None:
    missing = sorted(set(values) - set(frame[column].cat.categories))
    if missing:
        frame[column] = frame[column].cat.add_categories(missing)
    frame.loc[index.to_numpy(), column] = values.to_numpy()
