"""Federated vs centralised vs single-site training of RiskModel on non-IID synthetic sites.

For 3 and 10 sites from :func:`neurosym.data.synthetic_sites` (sites differ
in age mix, prevalence, coding -- SNOMED through OMOP vs ICD-10-CM through
FHIR -- and lifelog coverage), each site's patients are split 70/30
(seeded, patient-level); the test patients of all sites are pooled and every
model is scored on them (AUROC with a bootstrap 95 % interval):

* **centralised**: one RiskModel on the pooled training patients (what the
  sites could reach if they could share data);
* **federated**: the same RiskModel (same parameters) trained with FedAvg
  through Flower's simulation engine (Ray, one CPU per site), one local
  epoch per round (``--local-epochs``; two drift further between averages); the global model of the round the sites' validation
  patients score best is kept, as the centralised fit keeps its best epoch
  (at most 20);
* **each site alone**: a RiskModel on one site's training patients, scored
  on the pooled test patients; the table gives their mean and range.

Each setting runs for two seeds (population, split and models).  Also:
rounds to converge (the first round whose federated validation AUROC
is within 0.005 of the best round's), bytes the sites send per round (from
the audit log), wall time and the peak memory (RSS) of the process tree.

Run: ``python benchmarks/federated.py [--quick]``; prints a table and writes
``benchmarks/results/federated.json`` (``--append`` adds rows, e.g. another
``--local-epochs``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from neurosym.data import Cohort, synthetic_sites
from neurosym.evaluation import auroc, auroc_ci
from neurosym.federated import Site, simulate
from neurosym.neural import RiskModel
from neurosym.tasks import ground_truth_labels, split_patients

RESULTS = Path(__file__).parent / "results" / "federated.json"


class _PeakTreeRss:
    """Peak resident memory of this process and all its descendants (Ray workers), sampled every 0.2 s."""

    def __enter__(self) -> "_PeakTreeRss":
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(0.2)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _score(model: RiskModel, test: list[tuple[Cohort, pd.DataFrame]]) -> tuple[float, float, float]:
    """AUROC and its bootstrap 95 % interval on the pooled test patients of every site."""
    risks = pd.concat([model.predict_proba(c, lab) for c, lab in test], ignore_index=True)
    labels = pd.concat([lab for _, lab in test], ignore_index=True)
    merged = risks.merge(labels[["patient_id", "label"]], on="patient_id")
    y, p = merged["label"].to_numpy(), merged["risk"].to_numpy()
    ci = auroc_ci(y, p, n_boot=500, seed=0)
    return auroc(y, p), ci.low, ci.high


def _progress(what: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def _usable(labels: pd.DataFrame) -> pd.DataFrame:
    return labels[labels["excluded"].isna()].reset_index(drop=True)


def run_setting(n_sites: int, n_patients: int, rounds: int, local_epochs: int, model: RiskModel, seed: int,
                max_epochs: int) -> dict[str, object]:
    """One row of the table: centralised, federated and single-site AUROC for ``n_sites`` sites."""
    cohorts = synthetic_sites(n_sites, n_patients, seed=seed, lifelog_days=model.lifelog_days)
    splits = [split_patients(_usable(ground_truth_labels(c)), 0.3, seed) for c in cohorts]
    train_sites = [Site(c.name, c, tr) for c, (tr, _) in zip(cohorts, splits)]
    test = [(c, te) for c, (_, te) in zip(cohorts, splits)]
    params = model.get_params() | {"max_epochs": max_epochs}
    _progress(f"{n_sites} sites: centralised fit")
    start = time.perf_counter()
    central = RiskModel(**params).fit(Cohort.concat(cohorts), pd.concat([tr for tr, _ in splits], ignore_index=True))
    central_s = time.perf_counter() - start
    _progress(f"{n_sites} sites: single-site fits")
    singles = []
    for site in train_sites:
        if site.labels["label"].nunique() < 2:
            continue  # a site without both classes cannot train alone
        singles.append(_score(RiskModel(**params).fit(site.cohort, site.labels), test)[0])
    _progress(f"{n_sites} sites: federated run")
    with _PeakTreeRss() as mem:
        result = simulate(train_sites, model, rounds=rounds, local_epochs=local_epochs, seed=seed)
    fed, fed_low, fed_high = _score(result.model, test)
    cen, cen_low, cen_high = _score(central, test)
    val = result.rounds["eval_auroc"].to_numpy()
    converged = int(result.rounds["round"].iloc[int(np.argmax(val >= val.max() - 0.005))])
    return {"sites": n_sites, "patients": n_patients, "site_sizes": [len(c) for c in cohorts],
            "test_patients": int(sum(len(te) for _, te in test)),
            "centralised_auroc": cen, "centralised_ci": [cen_low, cen_high], "centralised_fit_s": central_s,
            "federated_auroc": fed, "federated_ci": [fed_low, fed_high],
            "single_site_auroc_mean": float(np.mean(singles)), "single_site_auroc_min": float(np.min(singles)),
            "single_site_auroc_max": float(np.max(singles)), "single_sites_trained": len(singles),
            "seed": seed, "rounds": rounds, "local_epochs": local_epochs, "rounds_to_converge": converged,
            "best_round": int(result.model.best_epoch_), "centralised_best_epoch": int(central.best_epoch_),
            "validation_auroc_by_round": [float(v) for v in val],
            "sites_trained_by_round": [int(v) for v in result.rounds["sites_trained"]],
            "bytes_per_round": float(result.rounds["bytes_sent"].mean()),
            "bytes_per_site_per_round": float(result.rounds["bytes_sent"].mean() / n_sites),
            "federated_wall_s": result.seconds, "round_s": float(result.rounds["seconds"].mean()),
            "peak_rss_mb": mem.peak / 2**20}


def _table(rows: list[dict[str, object]]) -> str:
    head = (f"{'sites':>5} {'seed':>4} {'l.ep':>4} {'central':>8} {'federated':>9} {'fed-cen':>8} {'single mean [min, max]':>24} "
            f"{'conv.':>5} {'kB/round':>9} {'wall s':>7} {'peak MB':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        single = f"{r['single_site_auroc_mean']:.3f} [{r['single_site_auroc_min']:.3f}, {r['single_site_auroc_max']:.3f}]"
        lines.append(f"{r['sites']:>5} {r['seed']:>4} {r['local_epochs']:>4} {r['centralised_auroc']:>8.3f} {r['federated_auroc']:>9.3f} "
                     f"{r['federated_auroc'] - r['centralised_auroc']:>+8.3f} {single:>24} "
                     f"{r['rounds_to_converge']:>3}/{r['rounds']:<1} {r['bytes_per_round'] / 1e3:>9.0f} "
                     f"{r['federated_wall_s']:>7.0f} {r['peak_rss_mb']:>8.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 sites only, tiny cohort, 2 rounds (smoke run).")
    parser.add_argument("--n", type=int, default=None, help="Patients over all sites (default 6000; quick 240).")
    parser.add_argument("--rounds", type=int, default=None, help="Federated rounds (default 8; quick 2).")
    parser.add_argument("--sites", type=int, nargs="+", default=None, help="Site counts (default 3 10; quick 3).")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="Seeds (default 0 1; quick 0).")
    parser.add_argument("--local-epochs", type=int, default=None,
                        help="Epochs per site and round (default 1).")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--append", action="store_true", help="Add the rows to those already in --output.")
    args = parser.parse_args(argv)
    n = args.n or (240 if args.quick else 6000)
    rounds = args.rounds or (2 if args.quick else 8)
    seeds = args.seeds or ((0,) if args.quick else (0, 1))
    model = RiskModel(lifelog_days=28 if args.quick else 91, dim=16 if args.quick else 32, batch_size=128,
                      progress_bar=False)
    settings = args.sites or ((3,) if args.quick else (3, 10))
    result = {"quick": args.quick, "seeds": list(seeds), "model": {k: v for k, v in model.get_params().items()
                                                                  if k in ("dim", "lifelog_days", "batch_size", "lr")},
              "settings": [], "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                                          "platform": platform.platform()}}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.append and args.output.is_file():
        result["settings"] = json.loads(args.output.read_text())["settings"]
    for seed in seeds:
        for k in settings:  # each setting is written as soon as it is measured
            seeded = RiskModel(**model.get_params() | {"seed": seed})
            local_epochs = args.local_epochs or 1
            result["settings"].append(run_setting(k, n, rounds, local_epochs, seeded, seed, 2 if args.quick else 20))
            args.output.write_text(json.dumps(result, indent=1))
            print(_table(result["settings"][-1:]), flush=True)
    print(_table(result["settings"]))
    return result


if __name__ == "__main__":
    main()
