"""The ``neurosym`` command line: ``neurosym demo``, ``neurosym data summary``, ``neurosym rules check|run``."""

from neurosym.cli._app import app, main

__all__ = ["app", "main"]
