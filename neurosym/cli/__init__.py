"""The ``neurosym`` command line (also ``python -m neurosym``).

``neurosym demo``, ``neurosym data summary``, ``neurosym rules check|run`` and
``neurosym --version``; :func:`main` turns user mistakes into one message and
a non-zero exit status (``--debug`` shows the traceback).
"""

from neurosym.cli._app import USER_ERRORS, app, main

__all__ = ["USER_ERRORS", "app", "main"]
