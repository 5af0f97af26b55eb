"""Typer application wiring the sub-commands together, and the one place where user mistakes become messages.

Commands import their heavy dependencies (pandas, DuckDB, pyarrow, torch)
when they run, so ``neurosym --help`` and ``neurosym --version`` stay fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from neurosym import __version__
from neurosym._errors import NeurosymError
from neurosym.cli._data import data_app
from neurosym.cli._demo import demo
from neurosym.cli._federated import federated_app
from neurosym.cli._models import explain, predict, train
from neurosym.cli._rules import rules_app

__all__ = ["USER_ERRORS", "app", "main"]

#: Errors that come from what the user typed or pointed at: one message, exit status 1, no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (NeurosymError, FileNotFoundError, FileExistsError, IsADirectoryError,
                                                NotADirectoryError, PermissionError)

app = typer.Typer(help="neurosym: neuro-symbolic clinical reasoning with auditable proof traces.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_show_locals=False)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"neurosym {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show the Python traceback when a command fails."),
) -> None:
    """neurosym: neuro-symbolic clinical reasoning with auditable proof traces."""


app.command("demo")(demo)
app.command("train")(train)
app.command("predict")(predict)
app.command("explain")(explain)
app.add_typer(data_app, name="data")
app.add_typer(rules_app, name="rules")
app.add_typer(federated_app, name="federated")


def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and not isinstance(err, NeurosymError) and err.filename:
        return f"{err.strerror}: {err.filename}"
    return str(err)


def report_user_error(err: BaseException) -> int:
    """Print a user mistake as ``error: <message>`` on stderr; the exit status, 1."""
    typer.secho(f"error: {_message(err)}", err=True, fg="red")
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neurosym`` console script and of ``python -m neurosym``.

    A user mistake (a :class:`~neurosym.NeurosymError`, a missing file or
    directory) prints ``error: <message>`` on stderr and returns 1; bad
    options print a usage message and return 2.  ``--debug`` (anywhere on
    the command line) shows the traceback instead.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args = ["--debug", *(a for a in args if a != "--debug")]
    try:
        app(args=args, prog_name="neurosym")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    except USER_ERRORS as err:
        if debug:
            raise
        return report_user_error(err)
    return 0
