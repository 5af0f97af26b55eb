"""The ``neurosym`` command line (also ``python -m neurosym``).

``neurosym demo``, ``neurosym data summary``, ``neurosym rules check|run`` and
``neurosym --version``; :func:`main` turns user mistakes into one message and
a non-zero exit status (``--debug`` shows the traceback).
"""

from collections.abc import Sequence

__all__ = ["USER_ERRORS", "app", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``neurosym`` console script (:func:`neurosym.cli._app.main`); the plain form of
    ``rules run`` takes a fast path that does not import Typer (:func:`neurosym.cli._rules_run.fast_rules_run`)."""
    import sys

    from neurosym.cli._rules_run import fast_rules_run

    status = fast_rules_run(list(sys.argv[1:] if argv is None else argv))
    if status is not None:
        return status
    from neurosym.cli._app import main as app_main

    return app_main(argv)


def __getattr__(name: str):
    if name in ("USER_ERRORS", "app"):  # the Typer application, imported when first asked for
        from neurosym.cli import _app

        return getattr(_app, name)
    raise AttributeError(f"module 'neurosym.cli' has no attribute {name!r}")
