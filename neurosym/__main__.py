"""``python -m neurosym``: the command line (see :func:`neurosym.cli.main`)."""

from neurosym.cli import main

raise SystemExit(main())
