"""``neurosym data summary`` (neurosym/cli/_data.py, _render.py): reasons with counts and examples, exit status."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from neurosym import data
from neurosym.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def omop_folder(tmp_path: Path) -> Path:
    (tmp_path / "person.csv").write_text("person_id,gender_concept_id,year_of_birth\n1,8532,1960\n")
    (tmp_path / "concept.csv").write_text("concept_id,concept_name,vocabulary_id,concept_code\n"
                                          "3025315,Body weight,LOINC,29463-7\n")
    (tmp_path / "measurement.csv").write_text(
        "measurement_id,person_id,measurement_concept_id,measurement_date,value_as_number,unit_source_value\n"
        "1,1,3025315,2020-01-01,70,kg\n2,1,3025315,2020-01-02,inf,kg\n3,1,3025315,2020-01-03,5260,kg\n"
        "4,1,3025315,2020-01-04,71,kg,extra\n")
    return tmp_path


def test_summary_shows_rejection_and_warning_reasons_with_counts_and_an_example(tmp_path):
    result = runner.invoke(app, ["data", "summary", "--omop", str(omop_folder(tmp_path))], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Why rows were not loaded" in out and "Loaded with a warning" in out
    lines = {line.split("│")[3].strip(): line for line in out.splitlines() if line.count("│") >= 5}
    assert "row 2 (id 2)" in lines["non-finite or out-of-range value_as_number 'inf'"]
    assert "row 4" in next(v for k, v in lines.items() if k.startswith("malformed CSV row at line 5"))
    warning = next(line for line in out.splitlines() if "implausible body weight" in line)
    assert "row 3 (id 3)" in warning and warning.split("│")[3].strip() == "1"


def test_summary_exits_non_zero_when_a_report_does_not_balance(tmp_path, monkeypatch):
    real = data.load_omop

    def unbalanced(directory):  # the real loader, then one row read but never accounted for
        cohort = real(directory)
        cohort.report.count("measurement", read=1, loaded=0)
        return cohort

    monkeypatch.setattr(data, "load_omop", unbalanced)
    result = runner.invoke(app, ["data", "summary", "--omop", str(omop_folder(tmp_path))], env=WIDE)
    assert result.exit_code == 1
    assert "rows unaccounted for" in result.output and "measurement: read 5 rows but loaded 2" in result.output
