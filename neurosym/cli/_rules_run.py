"""``neurosym rules run`` without the Typer application: the work of the command, and its fast path.

:func:`run_rules` reads the rule files and the facts, evaluates and writes the
results; the Typer command (:mod:`neurosym.cli._rules`) and :func:`fast_rules_run`
both call it.  :func:`fast_rules_run` serves the plain form of the command
(``rules run FILES --facts DIR --output DIR [--engine E] [--dialect D]``)
without importing Typer, Click or Rich, so a whole ``neurosym rules run``
process costs little more than the database work; any other form (``--help``,
``--explain``, ``--debug``, a missing or unknown option, a path Typer would
reject) goes to the Typer application, which prints its usual messages.
A failure prints the same ``error: <message>`` and exits 1 as
:func:`neurosym.cli.main`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from neurosym._errors import InputError, NeurosymError

__all__ = ["fast_rules_run", "rule_files", "run_rules"]


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """The rule files named by ``paths``, library dependencies first, each once.

    Raises
    ------
    InputError
        When a directory holds no ``*.dl`` file.
    """
    from neurosym._resources import rules_dir

    try:
        library = rules_dir().resolve()
    except NeurosymError:
        library = None
    out: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.dl"))
            if not found:
                raise InputError(f"directory {path} holds no rules (no *.dl files)")
            out.update(dict.fromkeys(found))
        elif library is not None and path.parent.resolve() == library:
            from neurosym.facts import RULE_TOPICS, library_files  # only for the library's own files (it loads pandas)

            out.update(dict.fromkeys(library_files([path.stem]) if path.stem in RULE_TOPICS else [path]))
        else:
            out[path] = None
    return list(out)


def _io_path(directory: Path, rel: str, suffix: str, params: dict[str, str]) -> Path:
    """Where an ``.input``/``.output`` directive reads or writes: ``filename=`` (relative to ``directory``) or ``<rel><suffix>``."""
    from neurosym._errors import DataLoadError

    path = directory / params.get("filename", f"{rel}{suffix}")
    if suffix == ".facts" and not path.is_file():
        raise DataLoadError(f"no facts file for the .input relation {rel}", source=str(path))
    return path


def _delimiter(params: dict[str, str]) -> str:
    """The ``delimiter=`` parameter, Soufflé's escapes (``\\t``) read; a tab by default."""
    return params.get("delimiter", "\t").replace("\\t", "\t")


def run_rules(program: list[Path], facts: Path, output: Path, engine: str, dialect: str, echo: Callable[[str], None]):
    """Evaluate the rule files on a facts directory, write the results and ``echo`` one line per file written.

    A program with ``.input``/``.output`` directives reads and writes exactly those relations; otherwise every
    ``<rel>.facts`` file is read and every derived relation written.  Returns the model.
    """
    from neurosym.logic import Program
    from neurosym.logic._factsio import facts_files, load_facts

    prog = Program.from_files(rule_files(program), dialect=dialect)
    declared = prog.module.inputs
    files = ({rel: (_io_path(facts, rel, ".facts", params), _delimiter(params), params.get("headers") == "true")
              for rel, params in declared.items()} if declared
             else {rel: (path, "\t") for rel, path in facts_files(facts).items()})
    model = prog.evaluate(load_facts(files), engine=engine)
    if prog.module.outputs:
        output.mkdir(parents=True, exist_ok=True)
        written = [(rel, model.write_csv(rel, _io_path(output, rel, ".csv", params), _delimiter(params)))
                   for rel, params in prog.module.outputs.items()]
    else:
        written = [(path.stem, path) for path in model.write_csv_dir(output)]
    for rel, path in written:
        echo(f"{path}: {model.count(rel):,} tuples")
    return model


_OPTIONS = {"--facts": "facts", "--output": "output", "--engine": "engine", "--dialect": "dialect"}


def _plain_arguments(args: Sequence[str]) -> dict | None:
    """The arguments of ``rules run`` in its plain form, checked as Typer checks them; None for any other form."""
    if list(args[:2]) != ["rules", "run"]:
        return None
    found: dict = {"program": [], "engine": "native", "dialect": "auto"}
    rest = list(args[2:])
    while rest:
        token = rest.pop(0)
        name, eq, value = token.partition("=")
        if name in _OPTIONS:
            if not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            if _OPTIONS[name] in found and name in ("--facts", "--output"):
                return None  # repeated: Typer's rules apply
            found[_OPTIONS[name]] = value
        elif token.startswith("-") or not token:
            return None
        else:
            found["program"].append(Path(token))
    if not found["program"] or "facts" not in found or "output" not in found:
        return None
    facts, output = Path(found["facts"]), Path(found["output"])
    if not all(p.exists() for p in found["program"]) or not facts.is_dir() or output.is_file():
        return None
    return {**found, "facts": facts, "output": output}


def fast_rules_run(argv: Sequence[str]) -> int | None:
    """Run ``rules run`` in its plain form without Typer and return the exit status; None for any other command."""
    arguments = _plain_arguments(argv)
    if arguments is None:
        return None
    try:
        run_rules(arguments["program"], arguments["facts"], arguments["output"], arguments["engine"],
                  arguments["dialect"], lambda line: print(line, flush=True))
    except Exception as err:
        from neurosym.cli._app import USER_ERRORS, report_user_error

        if not isinstance(err, USER_ERRORS):
            raise
        return report_user_error(err)
    return 0
