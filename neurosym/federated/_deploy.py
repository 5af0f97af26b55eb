"""A Flower app project for the deployment engine: ``flwr run <folder> <superlink>``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from neurosym import __version__
from neurosym._errors import InputError
from neurosym.federated._server import SERVER_DEFAULTS

__all__ = ["write_flower_app"]


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a TOML basic string uses JSON's escapes


def write_flower_app(folder: str | Path, settings: Mapping[str, object]) -> Path:
    """Write ``pyproject.toml`` of a Flower app whose components are neurosym's ServerApp and ClientApp.

    Parameters
    ----------
    folder : path
        Created if needed.
    settings : dict
        Run config: keys of :data:`~neurosym.federated.SERVER_DEFAULTS`
        (missing keys take their defaults; ``flwr run --run-config`` overrides them).

    Returns
    -------
    pathlib.Path
        The ``pyproject.toml`` written.

    Raises
    ------
    InputError
        For a key that is not a run-config key.

    Examples
    --------
    >>> import tempfile
    >>> path = write_flower_app(tempfile.mkdtemp(), {"rounds": 2})
    >>> 'rounds = 2' in path.read_text(), 'serverapp = "neurosym.federated._apps:serverapp"' in path.read_text()
    (True, True)
    """
    unknown = sorted(set(settings) - set(SERVER_DEFAULTS))
    if unknown:
        raise InputError(f"unknown run-config keys {unknown}; known: {sorted(SERVER_DEFAULTS)}")
    config = SERVER_DEFAULTS | dict(settings)
    lines = ["[project]", 'name = "neurosym-federated"', f'version = "{__version__.split("+")[0]}"',
             'description = "neurosym federated training and counts"', 'license = "Apache-2.0"', "dependencies = []",
             "", "[tool.flwr.app]", 'publisher = "neurosym"', "", "[tool.flwr.app.components]",
             'serverapp = "neurosym.federated._apps:serverapp"', 'clientapp = "neurosym.federated._apps:clientapp"',
             "", "[tool.flwr.app.config]", *(f'"{k}" = {_toml(v)}' if "-" in k else f"{k} = {_toml(v)}"
                                             for k, v in config.items())]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
