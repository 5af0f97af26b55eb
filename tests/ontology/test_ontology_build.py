"""ontologies/build.py rebuilds the committed OWL files byte for byte."""

import subprocess
import sys

import pytest

from neurosym.ontology import ontology_dir


@pytest.mark.shared_data
def test_build_is_reproducible(shared_data, tmp_path):
    if not (shared_data / "ontologies" / "disease_ontology" / "doid.obo").is_file():
        pytest.skip("ontology sources not in shared data")
    script = ontology_dir() / "build.py"
    subprocess.run([sys.executable, str(script), "--shared-data", str(shared_data), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    for name in ("icd10cm.owl", "doid.owl", "cardiometabolic.owl", "SOURCES.md"):
        assert (tmp_path / name).read_bytes() == (ontology_dir() / name).read_bytes(), name
