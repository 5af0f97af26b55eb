"""Shared test fixtures.

``shared_data`` is the folder of real public datasets next to the repository
(``../shared/data``), or ``$NEUROSYM_SHARED_DATA`` (located by
:func:`neurosym._resources.shared_data_dir`); tests that need it skip when it
is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from neurosym._resources import shared_data_dir

#: conftest files hold no doctests, and collecting two of them as modules named "conftest" fails (pytest 9).
collect_ignore_glob = ["*/conftest.py"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared data folder, or skip the test."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"../shared/data not found: {path} (set NEUROSYM_SHARED_DATA)")
    return path


def shared_dataset(shared_data: Path, name: str) -> Path:
    """One dataset folder under the shared data, or skip the test if it is missing."""
    path = shared_data / name
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return path
