"""A patient's recent history for a report: labs and vitals, and daily steps where an unworn or missing day is a gap.

Examples
--------
>>> from neurosym.data import synthetic_cohort
>>> cohort = synthetic_cohort(3, seed=0)
>>> frame = patient_timeline(cohort, "S000001", "2024-01-01")
>>> list(frame.columns)
['date', 'series', 'value', 'unit', 'status']
>>> sorted(frame["status"].unique())
['measured', 'missing', 'unworn', 'worn']
>>> bool(frame["date"].max() < pd.Timestamp("2024-01-01"))
True
>>> timeline_png(frame)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd

from neurosym.data import Cohort
from neurosym.data._units import analytes

__all__ = ["TIMELINE_COLUMNS", "patient_timeline", "timeline_png"]

#: Columns of :func:`patient_timeline`'s frame.
TIMELINE_COLUMNS = ("date", "series", "value", "unit", "status")

_STEPS = "steps per day"
#: Analytes plotted first when present: HbA1c, fasting glucose, BMI, systolic BP, eGFR.
_KEY_LOINC = ("4548-4", "1558-6", "39156-5", "8480-6", "98979-8")


def patient_timeline(cohort: Cohort, patient_id: str, landmark: str | date | pd.Timestamp, *,
                     days: int = 730) -> pd.DataFrame:
    """The patient's numeric measurements and daily steps in the ``days`` before ``landmark`` (the landmark excluded).

    Parameters
    ----------
    cohort : Cohort
    patient_id : str
        Unknown ids raise :class:`~neurosym.UnknownIdError`.
    landmark : str, date or Timestamp
        Nothing on or after it is read.
    days : int
        How far back to look.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TIMELINE_COLUMNS`, sorted by series and date.  Measurements are named by their analyte
        (``HbA1c``) with status ``measured``.  The series ``steps per day`` has one row per calendar day from the
        patient's first to last lifelog day in the window: ``worn`` days carry their steps; days recognised as not
        worn (``unworn``) and days with no row at all (``missing``) have no value, so a plot shows a gap, never a
        zero.
    """
    end = pd.Timestamp(landmark).normalize()
    start = end - pd.Timedelta(days=days)
    patient = cohort.patient(patient_id)
    events = patient.events
    labs = events[events["value"].notna() & (events["time"] >= start) & (events["time"] < end)]
    names = {code: a.name for code, a in analytes().items()}
    measured = pd.DataFrame({"date": labs["time"].dt.normalize().to_numpy(),
                             "series": labs["code"].astype(str).map(lambda c: names.get(c, f"LOINC {c}")).to_numpy(),
                             "value": labs["value"].to_numpy(dtype=float), "unit": labs["unit"].astype(object).to_numpy(),
                             "status": "measured"})
    frames = [measured]
    daily = patient.daily[(patient.daily["date"] >= start) & (patient.daily["date"] < end)]
    if len(daily):
        worn = daily["worn_minutes"].fillna(0).to_numpy() > 0
        by_day = pd.Series(np.where(worn, "worn", "unworn"), index=daily["date"].dt.normalize().to_numpy())
        steps = pd.Series(np.where(worn, daily["steps"].to_numpy(dtype=float, na_value=np.nan), np.nan), index=by_day.index)
        calendar = pd.date_range(by_day.index.min(), by_day.index.max(), freq="D")
        frames.append(pd.DataFrame({"date": calendar, "series": _STEPS, "value": steps.reindex(calendar).to_numpy(),
                                    "unit": "steps", "status": by_day.reindex(calendar).fillna("missing").to_numpy()}))
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else measured
    return out.sort_values(["series", "date"], kind="stable").reset_index(drop=True)[list(TIMELINE_COLUMNS)]


def timeline_png(frame: pd.DataFrame, *, max_series: int = 5, dpi: int = 96) -> bytes:
    """A PNG of a :func:`patient_timeline` frame: one panel per measured series (HbA1c, fasting glucose, BMI,
    systolic BP and eGFR first, then the most frequent) and a steps panel whose unworn and missing days are shaded
    gaps."""
    from matplotlib.figure import Figure

    measured = frame[frame["status"] == "measured"]
    key = [analytes()[code].name for code in _KEY_LOINC]
    counts = measured["series"].value_counts(sort=True)
    series = sorted(counts.index, key=lambda name: (key.index(name) if name in key else len(key), -counts[name]))[:max_series]
    has_steps = bool((frame["series"] == _STEPS).any())
    panels = series + ([_STEPS] if has_steps else [])
    fig = Figure(figsize=(9, 1.5 * max(len(panels), 1) + 0.4), dpi=dpi, layout="constrained")
    axes = fig.subplots(max(len(panels), 1), 1, sharex=True, squeeze=False)[:, 0]
    if not panels:
        axes[0].text(0.5, 0.5, "no measurements or lifelog days before the landmark", ha="center", va="center")
        axes[0].set_axis_off()
    for ax, name in zip(axes, panels):
        rows = frame[frame["series"] == name]
        unit = rows["unit"].dropna()
        ax.set_ylabel(f"{name}\n({unit.iloc[0]})" if len(unit) else name, fontsize=8)
        if name == _STEPS:
            ax.plot(rows["date"], rows["value"], lw=0.8, color="#2b6cb0")
            off = rows["status"].to_numpy() != "worn"
            ax.fill_between(rows["date"], 0, 1, where=off, transform=ax.get_xaxis_transform(), step="mid",
                            color="#bbbbbb", alpha=0.5, lw=0, label="not worn / no data")
            if off.any():
                ax.legend(loc="upper left", fontsize=7, frameon=False)
        else:
            ax.plot(rows["date"], rows["value"], marker="o", ms=3, lw=1, color="#c05621")
        ax.tick_params(labelsize=7)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
