"""Benchmark the synthetic cohort: generation time, ``to_facts`` time and memory.

Times ``synthetic_cohort(n, seed=0)`` (default 100 000 patients with a year of
daily lifelog) and ``Cohort.to_facts()``, and reports the peak resident set
size of the process (``resource.getrusage``) and the deep memory of every
frame.  Prints a table and writes ``benchmarks/results/synthetic.json``.

Usage::

    python benchmarks/synthetic.py            # n = 100 000
    python benchmarks/synthetic.py --n 20000  # a quicker run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

from neurosym.data import synthetic_cohort

RESULTS = Path(__file__).parent / "results" / "synthetic.json"


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _mb(frame) -> float:
    return float(frame.memory_usage(deep=True).sum()) / 1024**2


def _statistics(cohort) -> dict[str, float]:
    labels = cohort.labels
    alive = labels["alive"].to_numpy()
    at_risk = alive & ~labels["prevalent_t2d"].to_numpy()
    daily = cohort.lifelog.daily
    hba1c = labels["latent_hba1c"].to_numpy()
    return {
        "prevalent_t2d": float(labels["prevalent_t2d"].mean()),
        "incident_t2d_among_at_risk": float(labels["incident_t2d"].to_numpy()[at_risk].mean()),
        "prediabetes_by_hba1c": float((~labels["prevalent_t2d"].to_numpy() & (hba1c >= 5.7) & (hba1c <= 6.4)).mean()),
        "mean_bmi": float(labels["latent_bmi"].mean()),
        "ckd_progression_among_alive": float(labels["ckd_progression"].to_numpy()[alive].mean()),
        "wearable_share": float(labels["has_wearable"].mean()),
        "worn_day_share_of_rows": float((daily["worn_minutes"] > 0).mean()),
        "events_per_patient": len(cohort.events) / max(len(cohort), 1),
    }


def run(n: int, seed: int = 0) -> dict[str, object]:
    """Generate, convert to facts, measure; returns the result record."""
    start = time.perf_counter()
    cohort = synthetic_cohort(n, seed=seed)
    generate_s = time.perf_counter() - start
    rss_after_generate = _peak_rss_mb()
    start = time.perf_counter()
    facts = cohort.to_facts()
    facts_s = time.perf_counter() - start
    frames = {"patients": cohort.patients, "events": cohort.events, "daily": cohort.lifelog.daily,
              "labels": cohort.labels}
    return {
        "n": n,
        "seed": seed,
        "generate_seconds": round(generate_s, 2),
        "to_facts_seconds": round(facts_s, 2),
        "peak_rss_mb_after_generate": round(rss_after_generate, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rows": {name: len(frame) for name, frame in frames.items()},
        "frame_mb": {name: round(_mb(frame), 1) for name, frame in frames.items()},
        "fact_rows": {name: len(frame) for name, frame in facts.items()},
        "facts_mb": round(sum(_mb(frame) for frame in facts.values()), 1),
        "statistics": {k: round(v, 4) for k, v in _statistics(cohort).items()},
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count(),
                    "platform": platform.platform()},
    }


def _print(result: dict[str, object]) -> None:
    print(f"synthetic_cohort(n={result['n']:,}, seed={result['seed']})")
    print(f"  {'generate':<28}{result['generate_seconds']:>10.2f} s")
    print(f"  {'to_facts':<28}{result['to_facts_seconds']:>10.2f} s")
    print(f"  {'peak RSS after generate':<28}{result['peak_rss_mb_after_generate']:>10.1f} MB")
    print(f"  {'peak RSS overall':<28}{result['peak_rss_mb']:>10.1f} MB")
    print(f"  {'frame':<16}{'rows':>14}{'MB':>10}")
    for name, rows in result["rows"].items():
        print(f"  {name:<16}{rows:>14,}{result['frame_mb'][name]:>10.1f}")
    print(f"  {'facts (all)':<16}{sum(result['fact_rows'].values()):>14,}{result['facts_mb']:>10.1f}")
    for name, value in result["statistics"].items():
        print(f"  {name:<36}{value:>10.4f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.n, args.seed)
    _print(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
