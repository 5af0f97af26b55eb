"""What a loader did with every input row: the :class:`LoadReport`."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from neurosym._errors import InputError

__all__ = ["LoadReport"]

_ISSUE_COLUMNS = ["table", "row", "record_id", "status", "reason"]


@dataclass
class LoadReport:
    """Accounts for every row a loader read.

    For each table (or file, or FHIR resource type) the report keeps the rows
    ``read`` and ``loaded``; every row that was not loaded appears in
    :attr:`issues` with its row number, record id, a status and a reason:

    * ``rejected``: malformed (unparsable date, unknown patient, unknown unit, ...);
    * ``skipped``: well-formed but deliberately not modelled (e.g. a FHIR
      ``Claim``), so nothing is dropped silently.

    Rows that were loaded but look odd (an event outside the observation
    period, an exact duplicate) are counted in :attr:`warnings`.

    The invariant ``read == loaded + rejected + skipped`` holds per table,
    see :meth:`check`.

    Examples
    --------
    >>> r = LoadReport("demo")
    >>> r.count("person", read=3, loaded=2)
    >>> r.reject("person", row=2, reason="unparsable birth date '19x0'")
    >>> r.summary()[["table", "read", "loaded", "rejected", "skipped"]].values.tolist()
    [['person', 3, 2, 1, 0]]
    >>> r.check()
    """

    source: str
    read: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    _issues: list[tuple] = field(default_factory=list, repr=False)
    _issue_frames: list[pd.DataFrame] = field(default_factory=list, repr=False)
    warnings: dict[tuple[str, str], int] = field(default_factory=dict)
    examples: dict[tuple[str, str], str] = field(default_factory=dict)

    def count(self, table: str, *, read: int, loaded: int) -> None:
        """Add ``read`` and ``loaded`` row counts for ``table``."""
        self.read[table] = self.read.get(table, 0) + int(read)
        self.loaded[table] = self.loaded.get(table, 0) + int(loaded)

    def reject(self, table: str, *, row: int | None = None, record_id: str | None = None, reason: str) -> None:
        """Record one malformed row that was not loaded."""
        self._issues.append((table, row, record_id, "rejected", reason))

    def skip(self, table: str, *, row: int | None = None, record_id: str | None = None, reason: str) -> None:
        """Record one well-formed row that is deliberately not modelled."""
        self._issues.append((table, row, record_id, "skipped", reason))

    def add_issues(self, frame: pd.DataFrame) -> None:
        """Record many rows at once: a frame with columns table, row, record_id, status, reason."""
        if len(frame):
            missing = set(_ISSUE_COLUMNS) - set(frame.columns)
            if missing:
                raise InputError(f"issue frame lacks columns {sorted(missing)}")
            bad = set(frame["status"]) - {"rejected", "skipped"}
            if bad:
                raise InputError(f"issue status must be 'rejected' or 'skipped', got {sorted(bad)}")
            self._issue_frames.append(frame[_ISSUE_COLUMNS].copy())

    def warn(self, table: str, message: str, n: int = 1, example: str | None = None) -> None:
        """Count ``n`` loaded rows that look odd, e.g. outside the observation period.

        ``example`` (e.g. ``"row 12 (id 7)"``) points at one such row; the first one given is kept.
        """
        if n:
            key = (table, message)
            self.warnings[key] = self.warnings.get(key, 0) + int(n)
            if example is not None:
                self.examples.setdefault(key, example)

    @property
    def issues(self) -> pd.DataFrame:
        """Every rejected or skipped row: table, row, record_id, status, reason."""
        frames = [pd.DataFrame(self._issues, columns=_ISSUE_COLUMNS), *self._issue_frames]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in _ISSUE_COLUMNS})
        out = pd.concat(frames, ignore_index=True)
        out["row"] = out["row"].astype("Int64")
        return out

    def summary(self) -> pd.DataFrame:
        """One row per table: read, loaded, rejected, skipped, warnings."""
        issues = self.issues
        tables = list(dict.fromkeys([*self.read, *issues["table"]]))
        rows = []
        for table in tables:
            mine = issues[issues["table"] == table]
            rows.append(
                {
                    "source": self.source,
                    "table": table,
                    "read": self.read.get(table, 0),
                    "loaded": self.loaded.get(table, 0),
                    "rejected": int((mine["status"] == "rejected").sum()),
                    "skipped": int((mine["status"] == "skipped").sum()),
                    "warnings": sum(n for (t, _), n in self.warnings.items() if t == table),
                }
            )
        return pd.DataFrame(rows, columns=["source", "table", "read", "loaded", "rejected", "skipped", "warnings"])

    def reasons(self) -> pd.DataFrame:
        """Rejected/skipped rows grouped by table, status and reason, with counts and an example row.

        ``example`` is the first such row (``row N``, with ``(id X)`` when it has a record id).

        >>> r = LoadReport("demo")
        >>> r.reject("lab", row=4, record_id="m9", reason="non-finite value inf")
        >>> r.reasons().values.tolist()
        [['lab', 'rejected', 'non-finite value inf', 1, 'row 4 (id m9)']]
        """
        issues = self.issues
        if not len(issues):
            return pd.DataFrame(columns=["table", "status", "reason", "rows", "example"])
        row = "row " + issues["row"].astype("string").fillna("?")
        example = row + ((" (id " + issues["record_id"].astype("string") + ")").fillna(""))
        grouped = issues.assign(example=example).groupby(["table", "status", "reason"], dropna=False, sort=False)
        return (
            grouped.agg(rows=("example", "size"), example=("example", "first"))
            .reset_index()
            .sort_values(["table", "rows"], ascending=[True, False], ignore_index=True, kind="stable")
        )

    def warning_reasons(self) -> pd.DataFrame:
        """Warnings as a frame: table, message, rows and an example row where one was given.

        >>> r = LoadReport("demo")
        >>> r.warn("lab", "implausible value (kept)", 2, example="row 3")
        >>> r.warning_reasons().values.tolist()
        [['lab', 'implausible value (kept)', 2, 'row 3']]
        """
        rows = [(t, m, n, self.examples.get((t, m), "")) for (t, m), n in self.warnings.items()]
        return pd.DataFrame(rows, columns=["table", "message", "rows", "example"]).sort_values(
            ["table", "rows"], ascending=[True, False], ignore_index=True, kind="stable")

    def check(self) -> None:
        """Raise :class:`~neurosym.InputError` (a ValueError) if any table's rows are unaccounted for."""
        for row in self.summary().itertuples():
            if row.read != row.loaded + row.rejected + row.skipped:
                raise InputError(
                    f"{self.source}/{row.table}: read {row.read} rows but loaded {row.loaded}, "
                    f"rejected {row.rejected} and skipped {row.skipped}"
                )

    def merge(self, other: "LoadReport") -> "LoadReport":
        """A new report holding both reports' tables (prefixed by their sources when they differ)."""
        merged = LoadReport(self.source if self.source == other.source else f"{self.source}+{other.source}")
        for rep in (self, other):
            prefix = "" if rep.source == merged.source else f"{rep.source}/"
            for table in rep.read:
                merged.count(prefix + table, read=rep.read[table], loaded=rep.loaded.get(table, 0))
            issues = rep.issues
            if len(issues):
                issues = issues.assign(table=prefix + issues["table"].astype(str))
                merged.add_issues(issues)
            for (table, message), n in rep.warnings.items():
                merged.warn(prefix + table, message, n, rep.examples.get((table, message)))
        return merged
