"""``neurosym rules check`` and ``neurosym rules run``.

Both read the same rule files: a directory stands for its ``*.dl`` files and
a file of the clinical rule library brings the library files it needs
(``rules/risk.dl`` loads ``common``, ``medications``, ``glycemic``, ... as in
:data:`~neurosym.facts.RULE_TOPICS`).  ``check`` runs every check that
``run`` runs before evaluating (syntax, safety, arity, stratification,
undefined relations, rule ids, types), against the fact schemas of
:mod:`neurosym.facts` instead of a facts directory.
"""

from __future__ import annotations

from pathlib import Path

import typer

from neurosym._errors import NeurosymError, RuleError
from neurosym.cli._rules_run import rule_files, run_rules

rules_app = typer.Typer(help="Check and run Datalog rule files.", no_args_is_help=True)

_DIALECT_HELP = ("Rule dialect: plain, souffle, or auto (Soufflé's when a file has a .decl line and no line "
                 "starting with %).")


def _check(files: list[Path], dialect: str) -> tuple[list[RuleError], int]:
    """Every error of the rule files, and the number of rules read."""
    from neurosym.facts import BASE_RELATIONS
    from neurosym.logic import Program
    from neurosym.logic._ast import Module
    from neurosym.logic._checks import check_module, strata
    from neurosym.logic._parser import ParseErrors, parse
    from neurosym.logic._types import infer_types

    module, errors = Module(), []
    for path in files:
        try:
            part = parse(path.read_text(encoding="utf-8"), str(path), dialect)
        except ParseErrors as err:
            errors += err.errors
            part = err.module
        except RuleError as err:
            errors.append(err)
            continue
        module.rules += part.rules
        module.decls += part.decls
        module.sources.update(part.sources)
    errors += check_module(module, known={rel: len(cols) for rel, cols in BASE_RELATIONS.items()})
    if not errors:
        try:
            Program(module)  # unique rule ids
            infer_types(module, {rel: [t for _, t in cols] for rel, cols in BASE_RELATIONS.items()}, strata(module))
        except RuleError as err:
            errors.append(err)
    return errors, len(module.rules)


@rules_app.command("check")
def check(files: list[Path] = typer.Argument(..., exists=True, help="Rule files or directories of *.dl files."),
          dialect: str = typer.Option("auto", "--dialect", help=_DIALECT_HELP)) -> None:
    """Print every syntax, safety, arity, stratification, undefined-relation and type error; exit 1 if any."""
    paths = rule_files(files)
    errors, n_rules = _check(paths, dialect)
    for err in errors:
        typer.echo(f"{err}\n")
    if errors:
        typer.secho(f"{len(errors)} error(s)", fg="red", bold=True)
        raise typer.Exit(1)
    from neurosym.logic import Program
    from neurosym.logic._checks import aggregate_warnings
    for warning in aggregate_warnings(Program.from_files(paths, dialect=dialect).module):  # a lint: printed, exit code unchanged
        typer.secho(f"{warning}\n", fg="yellow")
    typer.secho(f"ok: {n_rules} rules in {len(paths)} file(s)", fg="green")


@rules_app.command("run")
def run(
    program: list[Path] = typer.Argument(..., exists=True, help="Rule file(s) or directory."),
    facts: Path = typer.Option(..., "--facts", exists=True, file_okay=False,
                               help="Directory of <relation>.facts files (tab separated, no header)."),
    output: Path = typer.Option(..., "--output", file_okay=False, help="Directory for <relation>.csv results."),
    engine: str = typer.Option("native", help="native or pydatalog."),
    explain: list[str] = typer.Option([], "--explain", help="Atom to explain, e.g. 'path(1, 3)' (repeatable)."),
    json_out: bool = typer.Option(False, "--json", help="Print explanations as JSON instead of text."),
    dialect: str = typer.Option("auto", "--dialect", help=_DIALECT_HELP),
) -> None:
    """Evaluate rules on a facts directory and write one sorted TSV file per derived relation.

    A program with ``.input``/``.output`` directives (Soufflé's) reads exactly its inputs (``<rel>.facts``, or
    ``filename=``, tab separated or ``delimiter=``, ``headers=true`` skipping a first line) and writes exactly
    its outputs (``<rel>.csv`` likewise).
    DuckDB reads the facts and writes the results; the facts never pass through Python.
    """
    from neurosym.logic import parse_atom

    for atom in explain:
        parse_atom(atom)  # a malformed atom is reported before the work starts
    model = run_rules(program, facts, output, engine, dialect, typer.echo)
    if explain:
        _explain(model, explain, json_out)


def _explain(model, atoms: list[str], json_out: bool) -> None:
    """Print a proof of each atom, or why it was not derived."""
    from neurosym.export import to_json, to_text

    for atom in atoms:
        try:
            proof = model.explain(atom)
        except NeurosymError as err:
            typer.secho(str(err), fg="yellow")
            typer.echo(to_text(model.why_not(atom)))
            continue
        typer.echo(to_json(proof) if json_out else to_text(proof))
