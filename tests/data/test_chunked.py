"""Tests of neurosym/data/_chunked.py: chunked Parquet output, global ids, seeds, transforms, lifelog samples."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest

from neurosym import InputError
from neurosym.data import synthetic_cohort, write_synthetic_parquet


def _table(path: str):
    return ds.dataset(path).to_table()


def test_chunks_hold_every_patient_once_with_global_ids(tmp_path):
    out = write_synthetic_parquet(tmp_path, 25, chunk=10, seed=3, lifelog_days=5)
    assert (out.chunks, out.patients) == (3, 25)
    assert sorted(p.name for p in (tmp_path / "events").iterdir()) == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    patients = _table(out.tables["patients"]).column("patient_id").to_pylist()
    assert patients == [f"S{i:07d}" for i in range(1, 26)]
    events = set(_table(out.tables["events"]).column("patient_id").to_pylist())
    assert events <= set(patients) and len(events) > 20
    assert out.rows["patients"] == 25 and out.rows["events"] == _table(out.tables["events"]).num_rows
    assert out.bytes > 0


def test_chunk_zero_is_the_cohort_of_its_seed(tmp_path):
    out = write_synthetic_parquet(tmp_path, 8, chunk=8, seed=1, lifelog_days=3)
    import numpy as np

    again = synthetic_cohort(8, seed=int(np.random.SeedSequence([1, 0]).generate_state(1)[0]), lifelog_days=3)
    written = _table(out.tables["events"]).to_pandas()
    assert written["code"].tolist() == again.events["code"].astype(str).tolist()
    assert written["patient_id"].tolist() == [f"S{int(p[1:]):07d}" for p in again.events["patient_id"].astype(str)]


def test_same_seed_same_files_and_lifelog_sample(tmp_path):
    a = write_synthetic_parquet(tmp_path / "a", 12, chunk=6, seed=7, lifelog_days=4, lifelog_chunks=1)
    b = write_synthetic_parquet(tmp_path / "b", 12, chunk=6, seed=7, lifelog_days=4, lifelog_chunks=1)
    assert _table(a.tables["events"]).equals(_table(b.tables["events"]))
    daily = set(_table(a.tables["daily"]).column("patient_id").to_pylist())
    assert daily and daily <= {f"S{i:07d}" for i in range(1, 7)}  # only the first chunk wears a device


def test_transform_writes_its_tables(tmp_path):
    out = write_synthetic_parquet(tmp_path, 6, chunk=4, lifelog_days=0,
                                  transform=lambda c: {"birth": c.to_facts()["birth"][["patient", "day"]]})
    assert list(out.tables) == ["birth"]
    assert sorted(_table(out.tables["birth"]).column("patient").to_pylist()) == [f"S{i:07d}" for i in range(1, 7)]


def test_bad_sizes_are_errors(tmp_path):
    with pytest.raises(InputError, match="n and chunk must be positive, got n=0, chunk=10"):
        write_synthetic_parquet(tmp_path, 0, chunk=10)
