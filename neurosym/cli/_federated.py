"""``neurosym federated``: simulate federated training, count across sites, prepare a deployment."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from neurosym._errors import InputError

__all__ = ["federated_app"]

federated_app = typer.Typer(help="Federated training and cohort counts with Flower: only weights and counts travel.",
                            no_args_is_help=True)

PARTITIONS = ("non-iid", "dirichlet")
SITES = typer.Option(3, "--sites", help="Number of sites (at least 2).")
PATIENTS = typer.Option(1500, "--patients", help="Synthetic patients over all sites.")
SEED = typer.Option(0, "--seed", help="Seed of the data, the split and the training.")


def _sites(n_sites: int, patients: int, partition: str, alpha: float, seed: int, lifelog_days: int) -> list:
    from neurosym.data import synthetic_cohort, synthetic_sites
    from neurosym.data import partition as split
    from neurosym.federated import Site
    from neurosym.tasks import ground_truth_labels

    if partition not in PARTITIONS:
        raise InputError(f"--partition must be one of {', '.join(PARTITIONS)}; got {partition!r}")
    if partition == "non-iid":
        return [Site.from_cohort(c) for c in synthetic_sites(n_sites, patients, seed, lifelog_days=lifelog_days)]
    if n_sites < 2:
        raise InputError(f"--sites must be at least 2; got {n_sites}")
    cohort = synthetic_cohort(patients, seed=seed, lifelog_days=lifelog_days)
    parts = split(cohort, ground_truth_labels(cohort), dirichlet=alpha, n_sites=n_sites, seed=seed)
    return [Site(f"site{i}", c, labels) for i, (c, labels) in enumerate(parts)]


@federated_app.command("simulate")
def simulate(
    n_sites: int = SITES, patients: int = PATIENTS, seed: int = SEED,
    partition: str = typer.Option("non-iid", "--partition", help=f"How sites differ: {', '.join(PARTITIONS)}."),
    alpha: float = typer.Option(0.5, "--alpha", help="Dirichlet concentration over the label (--partition dirichlet)."),
    rounds: int = typer.Option(5, "--rounds", help="Federated rounds."),
    strategy: str = typer.Option("fedavg", "--strategy", help="fedavg or fedprox."),
    local_epochs: int = typer.Option(1, "--local-epochs", help="Epochs per site and round."),
    lifelog_days: int = typer.Option(91, "--lifelog-days", help="Days of lifelog the model reads."),
    dp_noise: float = typer.Option(0.0, "--dp-noise", help="DP noise multiplier (0: no differential privacy)."),
    dp_clip: float = typer.Option(1.0, "--dp-clip", help="DP clipping norm of a site's update."),
    secagg: bool = typer.Option(False, "--secagg", help="Secure aggregation (Flower's SecAgg+): the server sees only "
                                "the sum of the sites' weights (not with --dp-noise)."),
    out: Path | None = typer.Option(None, "--out", help="Folder for site data, audit log and the global model."),
) -> None:
    """Train a RiskModel across synthetic sites with Flower's simulation engine and print the rounds."""
    from neurosym.federated import DifferentialPrivacy
    from neurosym.federated import simulate as run
    from neurosym.neural import RiskModel

    sites = _sites(n_sites, patients, partition, alpha, seed, lifelog_days)
    console = Console(soft_wrap=True)
    console.print(f"{len(sites)} sites: " + ", ".join(f"{s.name} ({len(s.cohort)})" for s in sites))
    dp = DifferentialPrivacy(dp_noise, dp_clip) if dp_noise > 0 else None
    model = RiskModel(lifelog_days=lifelog_days, seed=seed, progress_bar=False)
    result = run(sites, model, rounds=rounds, strategy=strategy, local_epochs=local_epochs, dp=dp,
                 secure_aggregation=secagg, seed=seed, workdir=out)
    table = Table("round", "train loss", "eval loss", "eval AUROC", "seconds", "bytes sent", title="Federated rounds")
    for row in result.rounds.itertuples():
        table.add_row(str(row.round), f"{row.train_loss:.4f}", f"{row.eval_loss:.4f}", f"{row.eval_auroc:.3f}",
                      f"{row.seconds:.1f}", f"{row.bytes_sent:,}")
    console.print(table)
    if result.privacy:
        console.print(f"privacy: epsilon={result.privacy['epsilon']:.2f} at delta={result.privacy['delta']:g} "
                      f"(noise multiplier {dp_noise}, clipping norm {dp_clip}, per site)")
    console.print(f"audit log: {result.audit['message'].groupby(result.audit['site']).nunique().sum()} messages "
                  f"left the sites, {result.audit.drop_duplicates(['site', 'message'])['message_bytes'].sum():,} bytes;"
                  f" wall time {result.seconds:.0f} s")
    if secagg:
        console.print("secure aggregation: SecAgg+ (the server saw only the sum of the sites' weights)")
    console.print(f"kept round {result.model.best_epoch_} (best validation AUROC over the sites)")
    if out is not None:
        console.print(f"global model written to {result.model.save(Path(out) / 'model.pt')}")


@federated_app.command("counts")
def counts(
    n_sites: int = SITES, patients: int = PATIENTS, seed: int = SEED,
    program: Path | None = typer.Option(None, "--program", help="Rule file (default: an example trial definition)."),
    criteria: str = typer.Option("age_40_75,prediabetic_hba1c,overweight,no_diabetes", "--criteria",
                                 help="Inclusion criteria in order, comma-separated ('not rel' excludes)."),
    min_cell: int = typer.Option(5, "--min-cell", help="Counts below this are suppressed."),
    dp_epsilon: float = typer.Option(0.0, "--dp-epsilon", help="Laplace noise per count (0: none)."),
) -> None:
    """Count eligible patients across synthetic non-IID sites through Flower: an attrition table per site."""
    from neurosym.federated import EXAMPLE_ELIGIBILITY, federated_counts

    text = program.read_text(encoding="utf-8") if program is not None else EXAMPLE_ELIGIBILITY
    sites = _sites(n_sites, patients, "non-iid", 0.0, seed, 28)
    summary = federated_counts(sites, text, [c.strip() for c in criteria.split(",") if c.strip()],
                               min_cell=min_cell, dp_epsilon=dp_epsilon or None, seed=seed)
    names = [s.name for s in sites]
    table = Table("step", "criterion", *names, "total", "excluded", title=f"Attrition (cells < {min_cell} suppressed)")
    for row in summary.attrition.to_dict("records"):
        cells = ["<" + str(min_cell) if row[n] is None or row[n] != row[n] else str(int(row[n])) for n in names]
        table.add_row(str(row["step"]), str(row["criterion"]), *cells, str(row["total"]), str(row["excluded_total"]))
    console = Console(soft_wrap=True)
    console.print(table)
    console.print(f"eligible across sites: {summary.eligible}; the criterion that excludes most: "
                  f"{summary.most_excluding}")


@federated_app.command("sites")
def sites(
    out: Path = typer.Argument(..., help="Folder to write one site folder per site into."),
    n_sites: int = SITES, patients: int = PATIENTS, seed: int = SEED,
    lifelog_days: int = typer.Option(91, "--lifelog-days", help="Days of synthetic lifelog."),
) -> None:
    """Write synthetic non-IID site folders, each for one SuperNode's --node-config data-dir."""
    for i, site in enumerate(_sites(n_sites, patients, "non-iid", 0.0, seed, lifelog_days)):
        typer.echo(f"{site.name}: {len(site.cohort)} patients -> {site.save(out / f'site{i}')}")


@federated_app.command("app")
def app(
    out: Path = typer.Argument(..., help="Folder of the Flower app project (pyproject.toml)."),
    rounds: int = typer.Option(3, "--rounds", help="Federated rounds."),
    n_sites: int = typer.Option(2, "--sites", help="Sites the ServerApp waits for."),
    output_dir: Path = typer.Option(Path("federated-output"), "--output-dir",
                                    help="Where the ServerApp writes model.pt and rounds.json."),
    lifelog_days: int = typer.Option(91, "--lifelog-days", help="Days of lifelog the model reads."),
) -> None:
    """Write a Flower app project for the deployment engine (then: flwr run <out> <superlink>)."""
    import json

    from neurosym.federated import write_flower_app
    from neurosym.federated._plan import model_params
    from neurosym.neural import RiskModel

    model = json.dumps(model_params(RiskModel(lifelog_days=lifelog_days, progress_bar=False)))
    path = write_flower_app(out, {"rounds": rounds, "min-sites": n_sites, "output-dir": str(output_dir.resolve()),
                                  "model": model})
    typer.echo(f"Flower app written to {path}")
