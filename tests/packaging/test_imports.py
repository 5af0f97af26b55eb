"""The seams between packages hold at import time: logic is generic, data knows nothing of rules, --help is light."""

import subprocess
import sys

import pytest


def imported(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after ``statement``."""
    code = f"import sys; {statement}; print(sorted(m for m in {modules!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return eval(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("statement, absent", [
    ("import neurosym.logic", ("neurosym.data", "neurosym.ontology", "neurosym.facts", "neurosym.tasks", "torch")),
    ("import neurosym.data", ("neurosym.facts", "neurosym.logic", "torch")),
    ("import neurosym.cli", ("pandas", "duckdb", "pyarrow", "torch", "neurosym.data", "neurosym.logic")),
])
def test_an_import_loads_nothing_downstream(statement, absent):
    assert imported(statement, absent) == []
