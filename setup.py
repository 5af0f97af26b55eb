"""Build step of the wheel: the top-level ``rules/`` and ``ontologies/`` become package data.

The rule library and the OWL ontologies stay at the top of the repository
(where the README, the tests and ``ontologies/build.py`` expect them); a
built wheel carries copies under ``neurosym/_shipped/``, which
:mod:`neurosym._resources` looks up first.  An editable install copies
nothing: it reads the checkout's directories.  Everything else is in
``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent

#: Top-level directory -> the files of it that a wheel ships.
SHIPPED: dict[str, tuple[str, ...]] = {"rules": ("*.dl", "README.md", "neural/*.dl"), "ontologies": ("*.owl", "SOURCES.md")}


class BuildPyWithResources(build_py):
    """``build_py`` that also copies :data:`SHIPPED` into ``neurosym/_shipped/`` of the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name, patterns in SHIPPED.items():
            target = Path(self.build_lib) / "neurosym" / "_shipped" / name
            target.mkdir(parents=True, exist_ok=True)
            for pattern in patterns:
                for source in sorted((HERE / name).glob(pattern)):
                    (target / source.relative_to(HERE / name)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target / source.relative_to(HERE / name))


setup(cmdclass={"build_py": BuildPyWithResources})
