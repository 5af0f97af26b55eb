"""A trained model on disk as the command line writes it: a directory with the model and a small manifest.

``MODEL/manifest.json`` names the model kind (from a fixed list: no class is
imported by name from the file), the task, the landmark and the data the
model was trained on; ``MODEL/model`` is whatever the estimator's ``save``
writes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from neurosym import __version__
from neurosym._errors import InputError

__all__ = ["MODEL_KINDS", "Manifest", "load_bundle", "model_class", "save_bundle"]

#: Model kinds of ``neurosym train --model``: name -> (module, class).
MODEL_KINDS = {"neural": ("neurosym.neural", "RiskModel"), "neurosym": ("neurosym.reasoning", "NeuroSymbolicModel")}


@dataclass(frozen=True)
class Manifest:
    """What a bundle holds: the model kind, its task and landmark, and where it was trained."""

    kind: str
    task: str
    landmark: str
    trained_on: str
    patients: int
    neurosym_version: str = __version__


def model_class(kind: str) -> type:
    """The estimator class of a model kind.

    Examples
    --------
    >>> model_class("neural").__name__
    'RiskModel'
    >>> model_class("forest")
    Traceback (most recent call last):
    ...
    neurosym._errors.InputError: unknown model kind 'forest'; known kinds: neural, neurosym
    """
    if kind not in MODEL_KINDS:
        raise InputError(f"unknown model kind {kind!r}; known kinds: {', '.join(MODEL_KINDS)}")
    import importlib

    module, name = MODEL_KINDS[kind]
    return getattr(importlib.import_module(module), name)


def save_bundle(model: Any, path: str | Path, manifest: Manifest) -> Path:
    """Write ``model`` and its manifest into the directory ``path`` (created; an existing bundle is replaced)."""
    path = Path(path)
    if path.exists() and not (path / "manifest.json").is_file():
        raise InputError(f"{path} exists and is not a neurosym model directory; choose another --out")
    path.mkdir(parents=True, exist_ok=True)
    model.save(path / "model")
    (path / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    return path


def load_bundle(path: str | Path) -> tuple[Any, Manifest]:
    """The model and manifest of a directory written by :func:`save_bundle`."""
    path = Path(path)
    try:
        manifest = Manifest(**json.loads((path / "manifest.json").read_text()))
    except FileNotFoundError:
        raise InputError(f"{path} is not a model directory written by `neurosym train` (no manifest.json)") from None
    except (json.JSONDecodeError, TypeError) as err:
        raise InputError(f"{path / 'manifest.json'} is damaged: {err}") from None
    return model_class(manifest.kind).load(path / "model"), manifest
