"""Time loading the shipped ontologies, cold (empty cache) and warm (cached).

Usage::

    python benchmarks/ontology_load.py [--repeat 3]

Each measurement runs in a fresh Python process so imports and caches do not
leak between runs.  "cold" uses an empty ``NEUROSYM_CACHE`` (owlready2 parses
the OWL); "warm" reuses the cache the cold run wrote.  Also times
``import neurosym.ontology``, ``Ontology.from_omop`` on the shared OMOP
dataset and ``to_facts`` sizes.  Prints a table and writes
``benchmarks/results/ontology_load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NAMES = ["icd10cm", "doid", "cardiometabolic", "clinical"]

_LOAD = """
import json, time
t0 = time.perf_counter()
from neurosym.ontology import Ontology
t1 = time.perf_counter()
onto = Ontology.load({name!r})
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "load_s": t2 - t1, "concepts": len(onto),
                  "edges": onto.graph.number_of_edges()}}))
"""

_IMPORT = """
import json, sys, time
t0 = time.perf_counter()
import neurosym.ontology
t1 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "owlready2_imported": "owlready2" in sys.modules}))
"""

_FACTS = """
import json, time
from neurosym.ontology import Ontology, shared_data_dir
out = {}
for name in ("icd10cm", "clinical"):
    onto = Ontology.load(name)
    t = time.perf_counter(); facts = onto.to_facts(); dt = time.perf_counter() - t
    out[name] = {"rows": len(facts), "seconds": dt,
                 "mb_in_memory": facts.memory_usage(deep=True).sum() / 1e6}
onto = Ontology.load("clinical")
codes = [n for n in onto if n.startswith("icd10cm:E1")]
t = time.perf_counter(); facts = onto.to_facts(codes=codes); dt = time.perf_counter() - t
out["clinical_E1x_codes"] = {"codes": len(codes), "rows": len(facts), "seconds": dt}
omop_dir = shared_data_dir() / "omop_synthea27nj"
if (omop_dir / "concept_ancestor.csv").is_file():
    t = time.perf_counter(); omop = Ontology.from_omop(omop_dir); dt = time.perf_counter() - t
    out["omop_synthea27nj"] = {"from_omop_seconds": dt, "concepts": len(omop),
                               "edges": omop.graph.number_of_edges(), "facts_rows": len(omop.to_facts())}
print(json.dumps(out))
"""


def _run(code: str, cache: str) -> dict:
    env = {**os.environ, "NEUROSYM_CACHE": cache, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "ontology_load.json")
    args = parser.parse_args(argv)
    results: dict = {"python": platform.python_version(), "machine": platform.machine(),
                     "cpus": os.cpu_count(), "repeat": args.repeat, "load": {}}
    with tempfile.TemporaryDirectory() as scratch:
        results["import"] = _run(_IMPORT, scratch)
        for name in NAMES:
            cold, warm = [], []
            for i in range(args.repeat):
                cache = str(Path(scratch) / f"{name}-{i}")
                cold.append(_run(_LOAD.format(name=name), cache))
                warm.append(_run(_LOAD.format(name=name), cache))
            results["load"][name] = {
                "concepts": cold[0]["concepts"],
                "edges": cold[0]["edges"],
                "cold_s": statistics.median(r["load_s"] for r in cold),
                "warm_s": statistics.median(r["load_s"] for r in warm),
                "warm_max_s": max(r["load_s"] for r in warm),
            }
        results["facts"] = _run(_FACTS, str(Path(scratch) / "clinical-0"))
    files = {p.name: p.stat().st_size for p in sorted((REPO / "ontologies").glob("*.owl"))}
    results["owl_file_bytes"] = files

    print(f"import neurosym.ontology: {results['import']['import_s']:.3f} s "
          f"(owlready2 imported: {results['import']['owlready2_imported']})")
    print(f"{'ontology':<16}{'concepts':>10}{'edges':>10}{'cold s':>9}{'warm s':>9}")
    for name, r in results["load"].items():
        print(f"{name:<16}{r['concepts']:>10,}{r['edges']:>10,}{r['cold_s']:>9.2f}{r['warm_s']:>9.2f}")
    for name, r in results["facts"].items():
        print(f"facts {name}: {r}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
