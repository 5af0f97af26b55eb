"""``neurosym rules check`` and ``neurosym rules run``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from neurosym._errors import NeurosymError, RuleError

rules_app = typer.Typer(help="Check and run Datalog rule files.", no_args_is_help=True)

def _known_relations() -> dict[str, int]:
    """Relations every rule file may use without defining them: the cohort facts and ontology relations."""
    from neurosym.data import FACT_SCHEMAS

    known = {name: len(cols) for name, cols in FACT_SCHEMAS.items()}
    known.update(is_a=4, concept_label=3)
    return known


def _collect(files: list[Path]) -> tuple[list[RuleError], int]:
    from neurosym.logic._ast import Module
    from neurosym.logic._checks import check_module
    from neurosym.logic._parser import ParseErrors, parse
    from neurosym.logic._program import _expand

    module, errors = Module(), []
    for path in _expand(files):
        if not path.is_file():
            raise typer.BadParameter(f"no such rule file: {path}")
        try:
            part = parse(path.read_text(encoding="utf-8"), str(path))
        except ParseErrors as err:
            errors += err.errors
            part = err.module
        except RuleError as err:
            errors.append(err)
            continue
        module.rules += part.rules
        module.decls += part.decls
        module.sources.update(part.sources)
    errors += check_module(module, known=_known_relations())
    return errors, len(module.rules)


@rules_app.command("check")
def check(files: list[Path] = typer.Argument(..., help="Rule files or directories of *.dl files.")) -> None:
    """Print every syntax, safety, arity, stratification and undefined-relation error; exit 1 if any."""
    errors, n_rules = _collect(files)
    for err in errors:
        typer.echo(f"{err}\n")
    if errors:
        typer.secho(f"{len(errors)} error(s)", fg="red", bold=True)
        raise typer.Exit(1)
    typer.secho(f"ok: {n_rules} rules", fg="green")


@rules_app.command("run")
def run(
    program: list[Path] = typer.Argument(..., help="Rule file(s) or directory."),
    facts: Path = typer.Option(..., "--facts", help="Directory of <relation>.facts files (tab separated, no header)."),
    output: Path = typer.Option(..., "--output", help="Directory for <relation>.csv results."),
    engine: str = typer.Option("native", help="native or pydatalog."),
    explain: list[str] = typer.Option([], "--explain", help="Atom to explain, e.g. 'path(1, 3)' (repeatable)."),
    json_out: bool = typer.Option(False, "--json", help="Print explanations as JSON instead of text."),
) -> None:
    """Evaluate rules on a facts directory and write one sorted TSV file per derived relation."""
    from neurosym.logic import Program
    from neurosym.logic._factsio import read_facts_dir

    console = Console(highlight=False, soft_wrap=True)
    try:
        prog = Program.from_files(program)
        model = prog.evaluate(read_facts_dir(facts), engine=engine)
        written = model.write_csv_dir(output)
    except NeurosymError as err:
        console.print(str(err), markup=False, style="red")
        raise typer.Exit(1) from err
    for path in written:
        console.print(f"{path}: {model.count(path.stem):,} tuples", markup=False)
    for atom in explain:
        try:
            proof = model.explain(atom)
        except NeurosymError as err:
            console.print(str(err), markup=False, style="yellow")
            console.print(model.why_not(atom).render_text(), markup=False)
            continue
        console.print(proof.to_json() if json_out else proof.render_text(), markup=False)
