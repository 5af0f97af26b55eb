"""``neurosym train``, ``predict`` and ``explain``: the estimator contract on the command line."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from neurosym._errors import InputError
from neurosym.cli._bundle import MODEL_KINDS, Manifest, load_bundle, model_class, save_bundle
from neurosym.cli._sources import (FHIR, FITBIT, LANDMARK, MIMIC, OMOP, SEED, SYNTHETIC, TASKS, DataSource, task_labels,
                                  task_outcome)

__all__ = ["explain", "predict", "train"]

FORMATS = ("text", "html", "json", "fhir")


def _source(omop: Path | None, fhir: list[Path] | None, mimic: Path | None, synthetic: int | None,
            fitbit: Path | None, seed: int) -> DataSource:
    return DataSource(omop=omop, fhir=tuple(fhir or ()), mimic=mimic, synthetic=synthetic, fitbit=fitbit, seed=seed)


def train(
    out: Path = typer.Option(..., "--out", help="Directory to write the trained model to."),
    task: str = typer.Option("t2d-3y", "--task", help=f"Prediction task: {', '.join(TASKS)}."),
    kind: str = typer.Option("neurosym", "--model", help=f"Model kind: {', '.join(MODEL_KINDS)}."),
    omop: Path | None = OMOP, fhir: list[Path] | None = FHIR, mimic: Path | None = MIMIC,
    synthetic: int | None = SYNTHETIC, fitbit: Path | None = FITBIT, seed: int = SEED, landmark: str = LANDMARK,
    epochs: int | None = typer.Option(None, "--epochs", min=1, help="Maximum training epochs (model default)."),
    test_fraction: float = typer.Option(0.25, "--test-fraction", min=0.0, max=0.9,
                                        help="Share of patients held out for the metrics table (0: train on all)."),
) -> None:
    """Train a risk model on one data source, print held-out metrics and write the model directory."""
    from neurosym.cli._metrics import metrics_table, model_predictions
    from neurosym.tasks import split_patients

    console = Console(soft_wrap=True)
    estimator_class = model_class(kind)
    cohort = _source(omop, fhir, mimic, synthetic, fitbit, seed).load()
    labels = task_labels(task, cohort, landmark)
    usable = int(labels["excluded"].isna().sum())
    if usable == 0:
        raise InputError(f"no patient of {cohort.name} is usable for {task} at {landmark}: "
                         f"{labels['excluded'].value_counts().to_dict()}")
    train_labels, test_labels = split_patients(labels, test_fraction, seed) if test_fraction else (labels, labels[:0])
    params = {"seed": seed} | ({"max_epochs": epochs} if epochs else {})
    model = estimator_class(**params).fit(cohort, train_labels)
    if len(test_labels) and test_labels["label"].nunique() == 2:
        console.print(metrics_table(model_predictions(cohort, {kind: model}, test_labels)))
    else:
        console.print(f"(no held-out metrics: {len(test_labels)} held-out patients, one class or none)")
    manifest = Manifest(kind=kind, task=task, landmark=landmark, trained_on=cohort.name,
                        patients=int(train_labels["excluded"].isna().sum()))
    console.print(f"model written to {save_bundle(model, out, manifest)}")


def predict(
    model_dir: Path = typer.Argument(..., help="Model directory written by `neurosym train`."),
    out: Path = typer.Option(..., "--out", help="CSV file of patient_id, landmark, risk."),
    omop: Path | None = OMOP, fhir: list[Path] | None = FHIR, mimic: Path | None = MIMIC,
    synthetic: int | None = SYNTHETIC, fitbit: Path | None = FITBIT, seed: int = SEED,
    landmark: str | None = typer.Option(None, "--landmark", help="Prediction date (ISO); default the model's."),
) -> None:
    """Predict the risk of every patient of a data source at the landmark and write a CSV."""
    model, manifest = load_bundle(model_dir)
    cohort = _source(omop, fhir, mimic, synthetic, fitbit, seed).load()
    risks = model.predict_proba(cohort, landmark or manifest.landmark)
    risks.to_csv(out, index=False, date_format="%Y-%m-%d")
    typer.echo(f"{len(risks):,} risks written to {out}")


def explain(
    model_dir: Path = typer.Argument(..., help="Model directory written by `neurosym train`."),
    patient: str = typer.Option(..., "--patient", help="Patient id."),
    fmt: str = typer.Option("text", "--format", help=f"Output format: {', '.join(FORMATS)}."),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: standard output)."),
    omop: Path | None = OMOP, fhir: list[Path] | None = FHIR, mimic: Path | None = MIMIC,
    synthetic: int | None = SYNTHETIC, fitbit: Path | None = FITBIT, seed: int = SEED,
    landmark: str | None = typer.Option(None, "--landmark", help="Prediction date (ISO); default the model's."),
    counterfactuals: bool = typer.Option(True, "--counterfactuals/--no-counterfactuals",
                                         help="Search the smallest changes that lower the risk."),
) -> None:
    """Explain one patient's prediction as a trace: text, self-contained HTML, JSON or a FHIR R4 bundle."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    from neurosym.cli._traces import render_trace

    model, manifest = load_bundle(model_dir)
    if not hasattr(model, "explain"):
        raise InputError(f"a {manifest.kind!r} model gives risks without traces; train with --model neurosym")
    cohort = _source(omop, fhir, mimic, synthetic, fitbit, seed).load()
    at = landmark or manifest.landmark
    trace = model.explain(cohort, patient, at, counterfactuals=counterfactuals)
    text = render_trace(trace, fmt, cohort=cohort, patient_id=patient, landmark=at,
                        outcome=task_outcome(manifest.task))
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text)
        typer.echo(f"{fmt} trace of patient {patient} written to {out}")
