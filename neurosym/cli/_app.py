"""Typer application wiring the sub-commands together."""

from __future__ import annotations

import typer

from neurosym.cli._data import data_app
from neurosym.cli._demo import demo
from neurosym.cli._rules import rules_app

app = typer.Typer(help="neurosym: neuro-symbolic clinical reasoning with auditable proof traces.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_show_locals=False)
app.command("demo")(demo)
app.add_typer(data_app, name="data")
app.add_typer(rules_app, name="rules")


def main() -> None:
    """Entry point of the ``neurosym`` console script."""
    app()
