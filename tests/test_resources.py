"""One locator for the rule library, the ontologies, the shared data and the cache (neurosym/_resources.py)."""

from pathlib import Path

import pytest

from neurosym import ResourceNotFoundError
from neurosym._resources import cache_dir, ontology_dir, rules_dir, shared_data_dir

REPO = Path(__file__).resolve().parents[1]


def test_a_checkout_reads_its_top_level_directories(monkeypatch):
    for name in ("NEUROSYM_RULES", "NEUROSYM_ONTOLOGIES", "NEUROSYM_SHARED_DATA", "NEUROSYM_CACHE"):
        monkeypatch.delenv(name, raising=False)
    assert rules_dir() == REPO / "rules" and ontology_dir() == REPO / "ontologies"
    assert shared_data_dir() == REPO.parent / "shared" / "data"
    assert cache_dir() == Path.home() / ".cache" / "neurosym"


def test_environment_overrides(monkeypatch, tmp_path):
    (tmp_path / "r.dl").write_text("p(1).\n")
    (tmp_path / "o.owl").write_text("")
    for name in ("NEUROSYM_RULES", "NEUROSYM_ONTOLOGIES", "NEUROSYM_SHARED_DATA", "NEUROSYM_CACHE"):
        monkeypatch.setenv(name, str(tmp_path))
    assert rules_dir() == ontology_dir() == shared_data_dir() == cache_dir() == tmp_path


def test_an_override_without_the_files_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROSYM_RULES", str(tmp_path))
    with pytest.raises(ResourceNotFoundError, match=r"\$NEUROSYM_RULES is '.*', which is not a directory holding \*.dl"):
        rules_dir()
    monkeypatch.setenv("NEUROSYM_ONTOLOGIES", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match=r"\$NEUROSYM_ONTOLOGIES is '.*missing', which is not a directory"):
        ontology_dir()
