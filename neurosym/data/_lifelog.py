"""Wearable data: the :class:`Lifelog` of daily and hourly signals with wear time."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from neurosym.data._schema import DAILY_COLUMNS, HOURLY_COLUMNS, conform, empty_frame

__all__ = ["Lifelog"]


@dataclass
class Lifelog:
    """Per patient per day steps, active minutes, sleep minutes and resting heart rate.

    ``daily`` has one row per patient and day *with data* (columns in
    :data:`~neurosym.data.DAILY_COLUMNS`).  A day without a row is missing
    (unknown), never zero; ``worn_minutes`` is the explicit wear time and a
    row with ``worn_minutes == 0`` is a day recognised as not worn, whose
    activity values are null.  ``hourly`` holds hourly detail where present.

    Examples
    --------
    >>> import pandas as pd
    >>> log = Lifelog.from_frames(pd.DataFrame({"patient_id": ["a", "a"],
    ...     "date": ["2020-01-01", "2020-01-02"], "steps": [8000, None],
    ...     "worn_minutes": [900, 0]}))
    >>> log.coverage()["worn_days"], log.coverage()["days"]
    (1, 2)
    """

    daily: pd.DataFrame = field(default_factory=lambda: empty_frame(DAILY_COLUMNS))
    hourly: pd.DataFrame = field(default_factory=lambda: empty_frame(HOURLY_COLUMNS))

    @classmethod
    def from_frames(cls, daily: pd.DataFrame, hourly: pd.DataFrame | None = None) -> "Lifelog":
        """Build a lifelog from frames with (a subset of) the canonical columns."""
        return cls(
            conform(daily, DAILY_COLUMNS, sort_by=["patient_id", "date"]),
            conform(hourly if hourly is not None else empty_frame(HOURLY_COLUMNS), HOURLY_COLUMNS, sort_by=["patient_id", "time"]),
        )

    def __len__(self) -> int:
        return int(self.daily["patient_id"].nunique())

    def coverage(self) -> dict[str, float]:
        """Wear coverage: patients, days with a row, worn days (>= 1 worn minute), days with >= 10 h worn."""
        worn = self.daily["worn_minutes"]
        days = len(self.daily)
        return {
            "patients": len(self),
            "days": days,
            "worn_days": int((worn > 0).sum()),
            "days_10h_worn": int((worn >= 600).sum()),
            "worn_fraction": float((worn > 0).sum() / days) if days else 0.0,
            "mean_worn_minutes": float(worn[worn > 0].mean()) if (worn > 0).any() else 0.0,
            "sleep_nights": int(self.daily["sleep_minutes"].notna().sum()),
            "hourly_rows": len(self.hourly),
        }

    @staticmethod
    def concat(logs: list["Lifelog"]) -> "Lifelog":
        """One lifelog holding the rows of all ``logs``."""
        daily = pd.concat([log.daily.astype({"patient_id": "string"}) for log in logs], ignore_index=True)
        hourly = pd.concat([log.hourly.astype({"patient_id": "string"}) for log in logs], ignore_index=True)
        return Lifelog.from_frames(daily, hourly)
