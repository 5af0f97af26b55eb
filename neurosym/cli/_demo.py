"""``neurosym demo``: the main job on the embedded synthetic cohort.

It generates the cohort, trains the neuro-symbolic model and its baselines on
three quarters of the patients, prints their held-out metrics next to the
generator's true-risk ceiling, explains the prediction of one held-out patient
as a trace and writes that trace as a self-contained HTML report.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console


def demo(
    patients: int = typer.Option(2000, "--patients", "-n", min=1, help="Size of the synthetic cohort."),
    seed: int = typer.Option(0, help="Seed of the cohort, the split and the models."),
    html: Path = typer.Option(Path("neurosym-report.html"), "--html", help="Where to write the HTML report."),
    epochs: int = typer.Option(30, "--epochs", min=1, help="Maximum training epochs of the neural models."),
) -> None:
    """Synthetic cohort -> neuro-symbolic model and baselines -> held-out metrics -> one patient's trace and report."""
    from neurosym.cli._metrics import metrics_table, model_predictions
    from neurosym.data import synthetic_cohort
    from neurosym.evaluation import LastValueLogistic
    from neurosym.export import patient_timeline, to_text, write_html
    from neurosym.facts import load_rule_library
    from neurosym.neural import RiskModel
    from neurosym.reasoning import NeuroSymbolicModel
    from neurosym.tasks import ground_truth_labels, split_patients

    console = Console(soft_wrap=True)
    start = time.perf_counter()
    cohort = synthetic_cohort(patients, seed=seed, progress=True)
    labels = ground_truth_labels(cohort)
    train, test = split_patients(labels, 0.25, seed)
    if test["label"].nunique() < 2:
        raise typer.BadParameter(f"{patients} patients leave too few held-out events to compare models; use more",
                                 param_hint="--patients")
    console.print(f"[bold]Synthetic cohort[/bold]: {len(cohort):,} patients, {len(cohort.events):,} events, "
                  f"{len(cohort.lifelog.daily):,} wearable days; training on {len(train):,}, testing on {len(test):,}")

    models = {
        "neurosym": NeuroSymbolicModel(seed=seed, max_epochs=epochs),
        "rules only": NeuroSymbolicModel(program=load_rule_library(), predicates=(), wide=False, seed=seed,
                                         max_epochs=epochs, progress_bar=False),
        "neural only": RiskModel(seed=seed, max_epochs=epochs),
        "LR (last values)": LastValueLogistic(),
    }
    for name, model in models.items():
        console.print(f"training {name} ...")
        model.fit(cohort, train)
    predictions = model_predictions(cohort, models, test)
    truth = cohort.labels.set_index("patient_id").loc[test["patient_id"].to_numpy(), "risk_t2d"].to_numpy()
    predictions["true risk (ceiling)"] = (test["label"].to_numpy(), truth)
    console.print(metrics_table(predictions))

    reasoner = models["neurosym"]
    risks = predictions["neurosym"][1]
    patient = str(test["patient_id"].iloc[int(risks.argmax())])
    landmark = test["landmark"].iloc[0]
    trace = reasoner.explain(cohort, patient, landmark, counterfactuals=True)
    console.print(f"\n[bold]Why is patient {patient} at {trace.risk:.0%} risk of {trace.target}?[/bold]")
    console.print(to_text(trace, max_depth=1), markup=False, highlight=False)
    report = write_html(trace, html, timeline=patient_timeline(cohort, patient, landmark),
                        title=f"Patient {patient}: 3-year {trace.target} risk")
    console.print(f"\nHTML report for clinicians, with the whole proof and the patient's timeline: {report}  "
                  f"({time.perf_counter() - start:.0f} s in all)")
