"""Time saving/loading a 100k-patient synthetic cohort as Parquet and its in-memory size.

Run: ``python benchmarks/cohort_store.py [--patients 100000]``; writes ``benchmarks/results/cohort_store.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _load_in_child(folder: str) -> dict:
    code = (
        "import time, resource, json; from neurosym.data import load_cohort; t = time.perf_counter(); "
        f"c = load_cohort({folder!r}); dt = time.perf_counter() - t; "
        "mem = sum(f.memory_usage(deep=True).sum() for f in (c.patients, c.events, c.lifelog.daily, c.lifelog.hourly)); "
        "print(json.dumps({'load_s': dt, 'frames_mb': mem / 2**20, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "
        "'events': len(c.events), 'daily_rows': len(c.lifelog.daily)}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args()
    from neurosym.data import save_cohort, synthetic_cohort

    start = time.perf_counter()
    cohort = synthetic_cohort(args.patients, seed=0, progress=True)
    generate_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        save_cohort(cohort, tmp)
        save_s = time.perf_counter() - start
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
        del cohort
        loaded = _load_in_child(tmp)
    result = {"patients": args.patients, "generate_s": generate_s, "save_s": save_s, "parquet_mb": size_mb, **loaded,
              "events_per_patient": loaded["events"] / args.patients,
              "generator_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cohort_store.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"{key:>22}: {value:,.2f}" if isinstance(value, float) else f"{key:>22}: {value:,}")


if __name__ == "__main__":
    main()
