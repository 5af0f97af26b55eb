"""Synthetic cohorts of millions of patients written as Parquet, one chunk at a time: :func:`write_synthetic_parquet`.

A chunk of ``chunk`` patients is drawn by :func:`~neurosym.data.synthetic_cohort`
(its own seed, derived from ``seed`` and the chunk number), turned into
tables (by default the cohort's ``patients``, ``events`` and daily lifelog;
or anything a ``transform`` makes of it, e.g. the facts the rules read),
written as ``<directory>/<table>/part-<chunk>.parquet`` and dropped, so
memory holds one chunk whatever ``n`` is.  Patient ids are renumbered
``S0000001 ...`` across chunks.  Spark, DuckDB and Arrow read each table
folder as one dataset.

At 10M patients a daily lifelog is ~3.6 billion rows: ``lifelog_chunks``
gives a lifelog to the first chunks only (a sample) and records alone to the
rest.

Examples
--------
>>> import tempfile
>>> out = write_synthetic_parquet(tempfile.mkdtemp(), 30, chunk=20, lifelog_days=7)
>>> sorted(out.tables), out.chunks, out.patients
(['daily', 'events', 'patients'], 2, 30)
>>> import pyarrow.dataset as ds
>>> ids = ds.dataset(out.tables["patients"]).to_table(columns=["patient_id"]).column(0).to_pylist()
>>> ids[:2], ids[-1], len(set(ids))
(['S0000001', 'S0000002'], 'S0000030', 30)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from neurosym._errors import InputError
from neurosym.data._cohort import Cohort
from neurosym.data._synthetic import synthetic_cohort

__all__ = ["ChunkedOutput", "write_synthetic_parquet"]

#: Columns holding patient ids, renumbered across chunks.
_ID_COLUMNS = ("patient_id", "patient")


@dataclass
class ChunkedOutput:
    """What :func:`write_synthetic_parquet` wrote: table -> folder of Parquet parts, rows per table, seconds."""

    directory: Path
    patients: int
    chunks: int
    tables: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def bytes(self) -> int:
        """Bytes of Parquet written."""
        return sum(p.stat().st_size for p in self.directory.rglob("*.parquet"))


def _cohort_tables(cohort: Cohort) -> dict[str, pd.DataFrame]:
    return {"patients": cohort.patients, "events": cohort.events, "daily": cohort.lifelog.daily}


def _renumber(frame: pd.DataFrame, offset: int, width: int) -> pd.DataFrame:
    """Chunk-local ids ``S000001`` -> global ``S<offset + 1>``, through the categories (a few per chunk), not the rows."""
    out = frame.copy(deep=False)
    for column in _ID_COLUMNS:
        if column in out.columns:
            codes = out[column].astype("category")
            local = codes.cat.categories.astype(str).str.slice(1).astype(np.int64)
            codes = codes.cat.rename_categories([f"S{offset + i:0{width}d}" for i in local])
            out[column] = codes.astype(str)
    return out


def _arrow(frame: pd.DataFrame) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # categorical columns as plain strings, so every part of a table folder has one schema
    return table.cast(pa.schema([pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f for f in table.schema]))


def write_synthetic_parquet(directory: str | Path, n: int, *, chunk: int = 100_000, seed: int = 0, lifelog_days: int = 365,
                            lifelog_chunks: int | None = None,
                            transform: Callable[[Cohort], Mapping[str, pd.DataFrame]] | None = None,
                            **options: object) -> ChunkedOutput:
    """Write a synthetic cohort of ``n`` patients as Parquet, ``chunk`` patients at a time.

    Parameters
    ----------
    directory : str or Path
        Output folder; each table becomes ``<directory>/<table>/part-<k>.parquet``.
    n : int
        Patients in all.
    chunk : int
        Patients drawn and held in memory at once.
    seed : int
        Chunk ``k`` uses the seed ``SeedSequence([seed, k])`` derives, so a
        run is reproducible and chunks are independent.
    lifelog_days : int
        Days of wearable data per patient (0: records only).
    lifelog_chunks : int, optional
        Only the first ``lifelog_chunks`` chunks get a lifelog (a sample); default all.
    transform : callable, optional
        Chunk cohort -> tables to write (default its ``patients``, ``events``
        and ``daily`` frames); ``patient_id`` / ``patient`` columns are renumbered.
    **options
        Passed to :func:`~neurosym.data.synthetic_cohort` (``landmark``, ``horizon_years``, ...).

    Returns
    -------
    ChunkedOutput
    """
    if n < 1 or chunk < 1:
        raise InputError(f"n and chunk must be positive, got n={n}, chunk={chunk}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    chunks = -(-n // chunk)
    width = max(7, len(str(n)))
    out = ChunkedOutput(directory, n, chunks)
    start = time.perf_counter()
    for k in range(chunks):
        size = min(chunk, n - k * chunk)
        chunk_seed = int(np.random.SeedSequence([seed, k]).generate_state(1)[0])
        days = lifelog_days if lifelog_chunks is None or k < lifelog_chunks else 0
        cohort = synthetic_cohort(size, seed=chunk_seed, lifelog_days=days, **options)  # type: ignore[arg-type]
        for name, frame in (transform or _cohort_tables)(cohort).items():
            folder = directory / name
            folder.mkdir(exist_ok=True)
            pq.write_table(_arrow(_renumber(frame, k * chunk, width)), folder / f"part-{k:05d}.parquet", compression="zstd")
            out.tables[name] = str(folder)
            out.rows[name] = out.rows.get(name, 0) + len(frame)
        del cohort
    out.seconds = time.perf_counter() - start
    return out
