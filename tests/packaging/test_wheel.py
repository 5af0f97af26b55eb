"""The package works when pip-installed: a wheel built from the checkout, installed into a fresh environment.

The fresh environment is a ``venv`` without pip that gets the wheel with
``pip --python`` and sees this environment's dependencies (torch, pandas,
...) through a ``.pth`` line; such a line adds a directory to ``sys.path``
without running the ``.pth`` files in it, so the editable install of the
checkout stays invisible.  Everything runs from a directory outside the
checkout, with the ontology cache in a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

import neurosym

REPO = Path(__file__).resolve().parents[2]
SOURCES = ["neurosym", "rules", "ontologies", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the checkout (the shared working tree gets no build/ directory)."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "_shipped", "*.egg-info"))
        else:
            shutil.copyfile(path, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    "-w", str(root / "dist"), str(src)], check=True, capture_output=True, timeout=120)
    return next((root / "dist").glob("neurosym-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """(bin directory, environment, working directory) of a fresh venv with the wheel installed."""
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(root / "env")
    python = root / "env" / "bin" / "python"
    # The test process's own PYTHONPATH (Ray and Spark, run earlier in the same worker, may have set one) must not
    # reach pip: with the checkout visible pip would call neurosym installed and skip the wheel.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEUROSYM_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--ignore-installed", "-q", str(wheel)], check=True, capture_output=True, timeout=120, env=env)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True, env=env).stdout.strip()
    assert (Path(purelib) / "neurosym" / "__init__.py").is_file(), "the wheel did not install"
    (Path(purelib) / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env.update(HOME=str(root / "home"), NEUROSYM_CACHE=str(root / "cache"))
    work = root / "elsewhere"
    work.mkdir()
    return root / "env" / "bin", env, work


def test_the_wheel_ships_rules_ontologies_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    rules = {p.relative_to(REPO / "rules").as_posix() for p in (REPO / "rules").glob("**/*.dl")} | {"README.md"}
    assert {n.removeprefix("neurosym/_shipped/rules/") for n in names if n.startswith("neurosym/_shipped/rules/")} == rules
    assert "neural/t2d.dl" in rules
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("neurosym/_shipped/ontologies/")} == {
        "cardiometabolic.owl", "doid.owl", "icd10cm.owl", "SOURCES.md"}
    assert "neurosym/py.typed" in names and "neurosym/__main__.py" in names
    assert not any(n.startswith(("tests/", "benchmarks/", "neurosym/_shipped/ontologies/build")) for n in names)


def test_the_installed_package_finds_its_resources_and_loads_the_clinical_ontology(installed):
    bin_dir, env, work = installed
    code = ("import neurosym, neurosym.facts as f; from neurosym.ontology import Ontology, ontology_dir; "
            "o = Ontology.load('clinical'); "
            "print(neurosym.__file__); print(f.rules_dir()); print(ontology_dir()); "
            "print(o.is_a('snomed:44054006', 'icd10cm:E08-E13'))")
    done = subprocess.run([str(bin_dir / "python"), "-c", code], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    package, rules, ontologies, subsumed = done.stdout.splitlines()
    site = str(bin_dir.parent)
    assert package.startswith(site) and rules.startswith(site) and ontologies.startswith(site)
    assert rules.endswith("_shipped/rules") and ontologies.endswith("_shipped/ontologies") and subsumed == "True"


def test_the_installed_demo_trains_compares_explains_and_writes_a_report_outside_the_checkout(installed):
    """The one run of ``neurosym demo`` in the suite (it trains four models): installed, outside the checkout."""
    bin_dir, env, work = installed
    done = subprocess.run([str(bin_dir / "neurosym"), "demo", "--patients", "400", "--seed", "1", "--epochs", "1",
                           "--html", "report.html"], cwd=work, env=env | {"COLUMNS": "400"},  # no wrapped table cells
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    for fragment in ["Synthetic cohort: 400 patients", "Held-out metrics (", "neurosym", "rules only", "neural only",
                     "LR (last values)", "true risk (ceiling)", "Why is patient S", "risk of type 2 diabetes",
                     "Δlogit", "bias", "rule neural.risk.", "HTML report for clinicians"]:
        assert fragment in done.stdout, fragment
    html = (work / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "type 2 diabetes" in html
    version = subprocess.run([str(bin_dir / "python"), "-m", "neurosym", "--version"], cwd=work, env=env,
                             capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"neurosym {neurosym.__version__}"
