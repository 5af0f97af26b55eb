"""Where neurosym finds its resources: the rule library, the ontologies, shared data and the cache.

One locator for every resource, each with an environment override:

==================  =========================  ==================================================
resource            override                   default
==================  =========================  ==================================================
rule library        ``$NEUROSYM_RULES``        installed package data, else ``<checkout>/rules``
OWL ontologies      ``$NEUROSYM_ONTOLOGIES``   installed package data, else ``<checkout>/ontologies``
shared real data    ``$NEUROSYM_SHARED_DATA``  ``<checkout>/../shared/data``
cache               ``$NEUROSYM_CACHE``        ``~/.cache/neurosym``: parsed ontologies,
                                               compiled SQL of rule programs (``sql/``)
==================  =========================  ==================================================

A wheel carries ``rules/`` and ``ontologies/`` as package data under
``neurosym/_shipped/`` (copied there by the build step in ``setup.py``); a
source checkout or an editable install reads the top-level directories.

Examples
--------
>>> rules_dir().name, ontology_dir().name
('rules', 'ontologies')
"""

from __future__ import annotations

import os
from pathlib import Path

from neurosym._errors import ResourceNotFoundError

__all__ = ["rules_dir", "ontology_dir", "shared_data_dir", "cache_dir"]

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _locate(kind: str, env: str, name: str, pattern: str) -> Path:
    """The override if set (it must hold ``pattern`` files), else the packaged copy, else the checkout's."""
    override = os.environ.get(env)
    if override:
        path = Path(override)
        if path.is_dir() and any(path.glob(pattern)):
            return path
        raise ResourceNotFoundError(f"${env} is {override!r}, which is not a directory holding {pattern} files; "
                                    f"point it at the {name}/ directory of a neurosym checkout or unset it")
    candidates = [_PACKAGE / "_shipped" / name, _CHECKOUT / name]
    for path in candidates:
        if path.is_dir() and any(path.glob(pattern)):
            return path
    raise ResourceNotFoundError(f"the {kind} was not found (looked in {', '.join(map(str, candidates))}); "
                                f"reinstall neurosym or set {env} to the {name}/ directory of a neurosym checkout")


def rules_dir() -> Path:
    """The directory of the clinical rule library (``*.dl`` files).

    Raises
    ------
    ResourceNotFoundError
        When ``$NEUROSYM_RULES`` names no rule directory, or no library is installed.
    """
    return _locate("clinical rule library", "NEUROSYM_RULES", "rules", "*.dl")


def ontology_dir() -> Path:
    """The directory of the shipped OWL ontologies (``icd10cm.owl``, ``doid.owl``, ``cardiometabolic.owl``).

    Raises
    ------
    ResourceNotFoundError
        When ``$NEUROSYM_ONTOLOGIES`` names no ontology directory, or none is installed.
    """
    return _locate("ontology directory", "NEUROSYM_ONTOLOGIES", "ontologies", "*.owl")


def shared_data_dir() -> Path:
    """The shared real datasets: ``$NEUROSYM_SHARED_DATA``, else ``<checkout>/../shared/data`` (may not exist)."""
    env = os.environ.get("NEUROSYM_SHARED_DATA")
    return Path(env) if env else _CHECKOUT.parent / "shared" / "data"


def cache_dir() -> Path:
    """Where parsed ontologies and compiled rule SQL are cached: ``$NEUROSYM_CACHE``, else ``~/.cache/neurosym``."""
    env = os.environ.get("NEUROSYM_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "neurosym"
