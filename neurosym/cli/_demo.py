"""``neurosym demo``: the main job on the embedded synthetic cohort.

It generates the cohort, prints its summary and load report, evaluates the
clinical rule library with the ontology, prints how many patients fall into
each guideline category, explains one conclusion down to its source records
and compares the rule-flagged risk group with the cohort's ground truth.
"""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.table import Table

#: Derived relations ``rel(P, Category)`` whose categories the demo counts.
CATEGORIES = ("glycemic_status", "ckd_g_stage", "ckd_a_stage", "bp_category", "bmi_class")


def demo(
    patients: int = typer.Option(2000, "--patients", "-n", min=1, help="Size of the synthetic cohort."),
    seed: int = typer.Option(0, help="Random seed of the synthetic cohort."),
    explain: str = typer.Option("at_risk_t2d", help="Relation whose first conclusion is explained."),
) -> None:
    """Synthetic cohort -> facts + ontology -> clinical rules -> conclusions with proof trees."""
    from neurosym.cli._render import print_cohort
    from neurosym.data import synthetic_cohort
    from neurosym.export import to_text
    from neurosym.facts import clinical_facts, load_rule_library

    console = Console(soft_wrap=True)
    start = time.perf_counter()
    cohort = synthetic_cohort(patients, seed=seed, progress=True)
    console.print(f"[bold]Synthetic cohort[/bold]: {len(cohort):,} patients in {time.perf_counter() - start:.1f} s")
    print_cohort(cohort, console)

    start = time.perf_counter()
    program = load_rule_library()
    facts = clinical_facts(cohort)
    model = program.evaluate(facts)
    console.print(f"[bold]Rule library[/bold]: {len(program.rules)} rules evaluated in {time.perf_counter() - start:.1f} s "
                  f"(facts + ontology + evaluation)")
    console.print(_category_table(model, len(cohort)))
    _print_risk_vs_truth(console, model, cohort)
    conclusions = model.query(explain)
    if len(conclusions):
        patient = conclusions.iloc[0, 0]
        rest = "".join(f", V{k}" for k in range(1, len(model.columns(explain))))
        console.print(f"\n[bold]Why {explain} for patient {patient}?[/bold]")
        trace = model.explain(f'{explain}("{patient}"{rest})')
        console.print(to_text(trace, max_depth=5), markup=False, highlight=False)


def _category_table(model, n: int) -> Table:
    table = Table(title="Guideline categories (patients)")
    table.add_column("relation")
    table.add_column("category")
    table.add_column("patients", justify="right")
    table.add_column("share", justify="right")
    for rel in CATEGORIES:
        counts = model.query(rel).iloc[:, 1].value_counts().sort_index()
        for category, count in counts.items():
            table.add_row(rel, str(category), f"{count:,}", f"{count / n:.1%}")
    at_risk = model.count("at_risk_t2d")
    table.add_row("at_risk_t2d", "yes", f"{at_risk:,}", f"{at_risk / n:.1%}")
    return table


def _print_risk_vs_truth(console: Console, model, cohort) -> None:
    labels = cohort.labels
    eligible = labels[~labels["prevalent_t2d"] & labels["alive"]]
    flagged = set(model.query("at_risk_t2d").iloc[:, 0])
    mask = eligible["patient_id"].isin(flagged)
    if mask.any() and (~mask).any():
        console.print(
            f"Ground truth: 3-year type 2 diabetes incidence {eligible.loc[mask, 'incident_t2d'].mean():.1%} "
            f"in the {int(mask.sum()):,} patients the rules flag at risk, "
            f"{eligible.loc[~mask, 'incident_t2d'].mean():.1%} in the other {int((~mask).sum()):,}.")
