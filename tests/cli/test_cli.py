"""The neurosym command line: demo and data summary."""

from typer.testing import CliRunner

from neurosym.cli import app

runner = CliRunner()


def test_demo_prints_summary_categories_truth_and_a_proof():
    result = runner.invoke(app, ["demo", "--patients", "300", "--seed", "1"])
    assert result.exit_code == 0, result.output
    out = result.output
    for fragment in ["Synthetic cohort", "Load report", "lifelog_daily", "Guideline categories", "glycemic_status",
                     "Ground truth: 3-year type 2 diabetes incidence", "Why at_risk_t2d for patient", "└─ rule ada.risk."]:
        assert fragment in out, fragment


def test_data_summary_on_shared_data(shared_data):
    result = runner.invoke(app, ["data", "summary", "--omop", str(shared_data / "omop_synthea27nj"),
                                 "--fitbit", str(shared_data / "fitbit_fitabase"),
                                 "--fhir", str(shared_data / "fhir_synthea_r4" / "bundles")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "condition_occurrence" in out and "dailyActivity" in out and "Observation" in out
    assert "Why rows were not loaded" in out  # Fitbit skips hourlyCalories rows, FHIR skips Claims: both with reasons


def test_data_summary_needs_a_source():
    result = runner.invoke(app, ["data", "summary"])
    assert result.exit_code != 0 and "at least one of" in result.output
