"""Cohort -> facts: the base relations that rules are written against.

:meth:`Cohort.to_facts` returns a :class:`Facts` mapping relation name to a
frame whose leading columns are the arguments, in order, plus a ``_source``
column: the row number in the cohort table the fact came from, resolved to a
source pointer by :meth:`Facts.describe_source` when a proof is shown.

Relations (``P`` patient id, days are epoch days, see :func:`date_to_day`):

================================================  =============================================
``patient(P, Sex, BirthYear)``                     sex ``female`` / ``male`` / ``unknown``
``birth(P, Day)``                                  the exact birth day (for exact ages)
``condition(P, System, Code, Day)``                e.g. ``("p1", "icd10cm", "E11.65", 19000)``
``lab(P, Loinc, Value, Day)``                      canonical LOINC code and unit (units.yaml)
``vital(P, Kind, Value, Day)``                     ``bmi sbp dbp weight height waist heart_rate``
``lab_record(P, Loinc, Value, Day, Cmp, Rec)``      ``lab`` plus the comparator (``none < <= >= > ad``) and the
                                                   record key ``Rec`` (the event row), so equal readings stay apart
``vital_record(P, Kind, Value, Day, Rec)``          ``vital`` plus the record key ``Rec`` (the event row)
``drug(P, System, Code, Day)``                     start day of the exposure/prescription
``procedure(P, System, Code, Day)``
``observation(P, System, Code, Day)``
``visit(P, Kind, Day)``                            ``inpatient outpatient emergency ...`` (visit_kinds.yaml)
``death(P, Day)``                                  from death events and the patients' death dates
``activity(P, Day, Steps, ActiveMinutes, WornMinutes)``  worn days only (WornMinutes > 0)
``sleep(P, Day, Minutes)``                         nights with a sleep record
``sleep_record(P, Day, Minutes, Rec)``              ``sleep`` plus the record key ``Rec`` (the daily row)
``resting_hr(P, Day, Bpm)``
``index_day(P, Day)``                              the landmark day rules look back from
================================================  =============================================
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute
import yaml

from neurosym.data._units import vital_kinds
from neurosym.facts._facts import Facts
from neurosym.facts._schemas import FACT_SCHEMAS

if TYPE_CHECKING:
    from neurosym.data import Cohort

__all__ = ["cohort_facts"]

_SEX = {"F": "female", "M": "male"}


@lru_cache(maxsize=1)
def _visit_kinds() -> dict[tuple[str, str], str]:
    text = resources.files("neurosym.data").joinpath("configs/visit_kinds.yaml").read_text()
    return {(system, str(code)): kind for system, codes in yaml.safe_load(text).items() for code, kind in codes.items()}


def _visit_kind(system: "_Strings", code: "_Strings") -> "_Strings":
    """Visit kinds computed once per distinct (system, code) pair."""
    kinds = _visit_kinds()
    pair = system.codes.astype(np.int64) * (len(code.cats) + 1) + code.codes
    uniq, inverse = np.unique(pair, return_inverse=True)
    cats = np.array([kinds.get((system.cats[p // (len(code.cats) + 1)], code.cats[p % (len(code.cats) + 1)]),
                               code.cats[p % (len(code.cats) + 1)]) for p in uniq], dtype=object)
    return _Strings.of(cats, inverse.reshape(-1))


def _deaths(cohort: "Cohort", events: pd.DataFrame) -> pd.DataFrame:
    """Death days from death events, plus patients' death dates that no death event gives."""
    pats = cohort.patients
    known = pats["death_date"].notna().to_numpy()
    from_patients = pd.DataFrame({"patient": pats["patient_id"].astype("string").to_numpy(dtype=object)[known],
                                  "day": _epoch_days(pats["death_date"])[known], "_source": np.flatnonzero(known)})
    from_patients = from_patients[~from_patients["patient"].isin(set(events["patient"].tolist()))]
    src = pats.iloc[from_patients["_source"].to_numpy()]
    from_patients["_source"] = (src["source_dataset"].astype(str) + "/" + src["source_table"].astype(str) + " row "
                                + src["source_row"].astype(str) + " (death date of patient)").to_numpy()
    if not len(from_patients):
        return events
    return pd.concat([events.astype({"_source": object}), from_patients], ignore_index=True)


def _epoch_days(times: pd.Series) -> np.ndarray:
    return times.to_numpy(dtype="datetime64[s]").astype("datetime64[D]").astype("int64")




class _Strings:
    """A string column as categories + integer codes; rows are materialised by Arrow ``take`` only when selected."""

    def __init__(self, series: pd.Series) -> None:
        if not isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype("category")
        self.cats = np.asarray(series.cat.categories.astype(object), dtype=object)
        self.codes = series.cat.codes.to_numpy()

    @classmethod
    def of(cls, cats: np.ndarray, codes: np.ndarray) -> "_Strings":
        new = cls.__new__(cls)
        new.cats, new.codes = cats, codes
        return new

    def __eq__(self, value: object) -> np.ndarray:  # type: ignore[override]
        hit = np.flatnonzero(self.cats == value)
        return self.codes == hit[0] if len(hit) else np.zeros(len(self.codes), dtype=bool)

    def isin(self, values) -> np.ndarray:
        return np.isin(self.codes, np.flatnonzero(np.isin(self.cats, list(values))))

    def map(self, func) -> "_Strings":
        return _Strings.of(np.array([func(c) for c in self.cats], dtype=object), self.codes)

    def take(self, index: np.ndarray) -> pd.api.extensions.ExtensionArray:
        codes = self.codes[index]
        arr = pa.array(self.cats, type=pa.large_string()).take(pa.array(np.where(codes < 0, 0, codes)))
        if (codes < 0).any():
            arr = pa.compute.if_else(pa.array(codes < 0), pa.scalar(None, pa.large_string()), arr)
        return pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _event_relation(events: pd.DataFrame, mask: np.ndarray, columns: dict[str, object]) -> pd.DataFrame:
    index = np.flatnonzero(mask)
    frame = pd.DataFrame({name: (col.take(index) if isinstance(col, _Strings) else col[index] if isinstance(col, np.ndarray)
                                 else col.iloc[index].to_numpy()) for name, col in columns.items()}, copy=False)
    frame["_source"] = index
    return frame


def cohort_facts(cohort: "Cohort", landmark: str | None = None) -> Facts:
    """Compute the base relations of ``cohort``; see :meth:`Cohort.to_facts`."""
    ev = cohort.events
    pid, kind, system, code = (_Strings(ev[c]) for c in ("patient_id", "kind", "system", "code"))
    day = _epoch_days(ev["time"])
    value = ev["value"].to_numpy(dtype="float64")
    has_value = ~np.isnan(value)
    has_time = ~ev["time"].isna().to_numpy()
    vitals = vital_kinds()
    is_measure = (kind == "measurement") & (system == "loinc") & has_value & has_time
    is_vital = is_measure & code.isin(vitals)

    def coded(k: str) -> pd.DataFrame:
        m = (kind == k) & has_time
        return _event_relation(ev, m, {"patient": pid, "system": system, "code": code, "day": day})

    rel: dict[str, pd.DataFrame] = {}
    pats = cohort.patients
    known_birth = pats["birth_date"].notna().to_numpy()
    rel["patient"] = pd.DataFrame({
        "patient": pats["patient_id"].astype("string").to_numpy(dtype=object)[known_birth],
        "sex": pats["sex"].astype("string").map(_SEX).fillna("unknown").to_numpy(dtype=object)[known_birth],
        "birth_year": pats["birth_date"].dt.year.to_numpy()[known_birth].astype("int64"),
        "_source": np.flatnonzero(known_birth),
    })
    rel["birth"] = pd.DataFrame({"patient": rel["patient"]["patient"].to_numpy(dtype=object),
                                 "day": _epoch_days(pats["birth_date"])[known_birth], "_source": np.flatnonzero(known_birth)})
    rel["condition"] = coded("condition")
    rel["lab"] = _event_relation(ev, is_measure & ~is_vital, {"patient": pid, "loinc": code, "value": value, "day": day})
    rel["vital"] = _event_relation(ev, is_vital, {"patient": pid, "kind": code.map(lambda c: vitals.get(c, "")), "value": value, "day": day})
    comparator = _Strings(ev["comparator"].astype("string").fillna("none"))
    rel["lab_record"] = _event_relation(ev, is_measure & ~is_vital, {"patient": pid, "loinc": code, "value": value, "day": day,
                                                                     "comparator": comparator, "record": np.arange(len(ev))})
    rel["vital_record"] = _event_relation(ev, is_vital, {"patient": pid, "kind": code.map(lambda c: vitals.get(c, "")), "value": value,
                                                         "day": day, "record": np.arange(len(ev))})
    rel["drug"] = coded("drug")
    rel["procedure"] = coded("procedure")
    rel["observation"] = coded("observation")
    is_visit = (kind == "visit") & has_time
    rel["visit"] = _event_relation(ev, is_visit, {"patient": pid, "kind": _visit_kind(system, code), "day": day})
    rel["death"] = _deaths(cohort, _event_relation(ev, (kind == "death") & has_time, {"patient": pid, "day": day}))

    daily = cohort.lifelog.daily
    dpid = _Strings(daily["patient_id"])
    dday = _epoch_days(daily["date"])
    worn = daily["worn_minutes"].fillna(0).to_numpy(dtype="int64")
    steps, active = daily["steps"], daily["active_minutes"]
    act = (worn > 0) & steps.notna().to_numpy() & active.notna().to_numpy()
    rel["activity"] = _event_relation(daily, act, {
        "patient": dpid, "day": dday, "steps": steps.fillna(0).to_numpy(dtype="int64"),
        "active_minutes": active.fillna(0).to_numpy(dtype="int64"), "worn_minutes": worn})
    sleep = daily["sleep_minutes"]
    rel["sleep"] = _event_relation(daily, sleep.notna().to_numpy(), {"patient": dpid, "day": dday, "minutes": sleep.fillna(0).to_numpy(dtype="int64")})
    rel["sleep_record"] = _event_relation(daily, sleep.notna().to_numpy(), {"patient": dpid, "day": dday, "minutes": sleep.fillna(0).to_numpy(dtype="int64"),
                                                                          "record": np.arange(len(daily))})
    hr = daily["resting_hr"]
    rel["resting_hr"] = _event_relation(daily, hr.notna().to_numpy(), {"patient": dpid, "day": dday, "bpm": hr.fillna(0).to_numpy(dtype="float64")})
    rel["index_day"] = _index_days(cohort, landmark, rel)
    for name, frame in rel.items():
        frame.columns = [*FACT_SCHEMAS[name], "_source"]
    table_of = {name: "events" for name in rel}
    table_of.update(patient="patients", birth="patients", activity="daily", sleep="daily", sleep_record="daily", resting_hr="daily", index_day="")
    return Facts(rel, {"events": ev, "patients": pats, "daily": daily}, table_of)


def _index_days(cohort: "Cohort", landmark: str | None, rel: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Landmark day per patient: ``landmark`` if given, else the labels' landmark, else the last event day."""
    patients = cohort.patients["patient_id"].astype("string").to_numpy(dtype=object)
    if landmark is not None:
        day = int(pd.Timestamp(landmark).value // 86_400_000_000_000)
        return pd.DataFrame({"patient": patients, "day": np.full(len(patients), day, dtype="int64"), "_source": f"landmark {landmark}"})
    labels = cohort.labels
    if labels is not None and "landmark" in labels:
        return pd.DataFrame({"patient": labels["patient_id"].astype("string").to_numpy(dtype=object),
                             "day": _epoch_days(labels["landmark"]), "_source": "labels.landmark"})
    days = [f[["patient", "day"]] for name, f in rel.items() if "day" in f.columns and len(f)]
    if not days:
        return pd.DataFrame({"patient": [], "day": [], "_source": []})
    last = pd.concat(days).groupby("patient", sort=True)["day"].max().reset_index()
    last["_source"] = "last recorded day"
    return last
