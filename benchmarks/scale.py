"""Scale benchmark: the whole rule library on 10k .. 1M (10M) synthetic patients, DuckDB out-of-core and Spark local[2].

Facts are generated chunk by chunk into Parquet (``write_synthetic_parquet``
with the clinical facts of each chunk: one chunk in memory), then each
(engine, size) runs in a fresh subprocess that reads the Parquet folders in
place (DuckDB: ``load_facts`` + ``memory_limit``; Spark: ``spark_facts``),
evaluates the library and reports the wall time; the parent samples the
resident memory of the child's whole process tree (the JVM included) every
0.2 s.  Growth is the exponent ``b`` of ``seconds ~ patients ** b`` between
consecutive sizes; sizes not run are extrapolated from the largest measured
pair.

Usage::

    python benchmarks/scale.py --sizes 10000 100000 --engines duckdb spark
    python benchmarks/scale.py --sizes 1000000 --engines duckdb --lifelog-share 0.1

Results are merged into ``benchmarks/results/scale.json`` (one row per
engine and size).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "scale.json"
#: Patients drawn and held in memory at once (at most).
CHUNK = 100_000


def _facts_transform():
    """Chunk cohort -> the clinical facts the library reads (argument columns only)."""
    from neurosym.facts import clinical_facts, load_rule_library
    from neurosym.ontology import Ontology

    ontology, library = Ontology.load("clinical"), load_rule_library()

    def transform(cohort):
        facts = clinical_facts(cohort, ontology, program=library)
        return {rel: frame.drop(columns=[c for c in frame.columns if c.startswith("_")]) for rel, frame in facts.items()}

    return transform


def generate(directory: Path, n: int, lifelog_share: float) -> dict:
    """Facts of ``n`` patients as Parquet; a daily lifelog for the first ``lifelog_share`` of them (whole chunks of n/10)."""
    from neurosym.data import write_synthetic_parquet

    chunk = min(CHUNK, max(1, n // 10))
    out = write_synthetic_parquet(directory, n, chunk=chunk, seed=0, lifelog_chunks=round(lifelog_share * n / chunk),
                                  transform=_facts_transform())
    return {"seconds": round(out.seconds, 1), "rows": sum(out.rows.values()), "bytes": out.bytes, "tables": out.tables}


def _run(engine: str, directory: Path, memory_limit: str) -> dict:
    """Evaluate the library on the Parquet facts in ``directory`` (in this process); seconds and row counts."""
    from neurosym.facts import load_rule_library

    library = load_rule_library()
    folders = {p.name: p for p in directory.iterdir() if p.is_dir()}
    start = time.perf_counter()
    if engine == "duckdb":
        from neurosym.logic._factsio import load_facts

        facts = load_facts({rel: folder / "*.parquet" for rel, folder in folders.items()})
        model = library.evaluate(facts, memory_limit=memory_limit)
    else:
        from pyspark.sql import SparkSession

        from neurosym.logic._spark import spark_facts

        spark = (SparkSession.builder.master("local[2]").appName("neurosym-scale").config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false").config("spark.driver.memory", memory_limit.replace("GB", "g"))
                 .config("spark.sql.shuffle.partitions", "4").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        model = library.evaluate(spark_facts({rel: str(folder) for rel, folder in folders.items()}), engine="spark")
    seconds = time.perf_counter() - start
    derived = {rel: model.count(rel) for rel in ("glycemic_status", "ckd_g_stage", "bp_category", "at_risk_t2d", "low_activity")}
    return {"seconds": round(seconds, 1), "derived": derived}


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def measure(engine: str, directory: Path, memory_limit: str) -> dict:
    """Run one evaluation in a subprocess; its result plus the peak resident memory of its process tree."""
    child = subprocess.Popen([sys.executable, __file__, "--child", engine, str(directory), memory_limit],
                             stdout=subprocess.PIPE, text=True)
    peak = 0
    while child.poll() is None:
        peak = max(peak, _tree_rss(child.pid))
        time.sleep(0.2)
    out = child.stdout.read() if child.stdout else ""
    if child.returncode:
        return {"error": f"exit {child.returncode}"}
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(peak / 2**20)
    return result


def growth(rows: list[dict]) -> None:
    """Per engine: the exponent of seconds ~ patients**b between consecutive measured sizes."""
    by_engine: dict[str, list[dict]] = {}
    for row in rows:
        if "seconds" in row:
            by_engine.setdefault(row["engine"], []).append(row)
    for measured in by_engine.values():
        measured.sort(key=lambda r: r["patients"])
        for a, b in zip(measured, measured[1:]):
            b["growth_exponent"] = round(math.log(b["seconds"] / a["seconds"]) / math.log(b["patients"] / a["patients"]), 2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"], choices=["duckdb", "spark"])
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory_limit and Spark driver memory")
    parser.add_argument("--lifelog-share", type=float, default=0.1, help="share of patients with a daily lifelog (a sample)")
    parser.add_argument("--data", type=Path, default=None, help="keep the Parquet here (default: a temporary folder)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, directory, memory_limit = args.child
        print(json.dumps(_run(engine, Path(directory), memory_limit)))
        return
    rows: list[dict] = []
    for n in args.sizes:
        root = Path(args.data or tempfile.mkdtemp(prefix="neurosym-scale-")) / f"n{n}"
        made = generate(root, n, args.lifelog_share)
        print(f"{n:>10,} patients: {made['rows']:,} fact rows, {made['bytes'] / 2**20:,.0f} MiB Parquet in {made['seconds']} s")
        for engine in args.engines:
            result = measure(engine, root, args.memory_limit)
            row = {"engine": engine, "patients": n, "lifelog_share": args.lifelog_share, "fact_rows": made["rows"],
                   "parquet_mib": round(made["bytes"] / 2**20), "generate_seconds": made["seconds"], "memory_limit": args.memory_limit,
                   **result}
            print(json.dumps(row))
            rows.append(row)
        if args.data is None:
            import shutil

            shutil.rmtree(root.parent, ignore_errors=True)
    done = {(r["engine"], r["patients"]) for r in rows}
    if RESULTS.exists():  # runs of other sizes and engines are kept (read now: another run may have written meanwhile)
        rows += [r for r in json.loads(RESULTS.read_text())["runs"] if (r["engine"], r["patients"]) not in done]
    growth(rows)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": f"{os.cpu_count()} cores", "runs": sorted(rows, key=lambda r: (r["engine"], r["patients"]))},
                                  indent=1) + "\n")


if __name__ == "__main__":
    main()
