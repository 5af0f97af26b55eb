"""``neurosym train``, ``predict`` and ``explain``: a model directory from any data source, and user mistakes."""

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from neurosym.cli import main


@pytest.fixture(scope="module")
def neural_model(tmp_path_factory) -> tuple[Path, int, str]:
    """``neurosym train --model neural`` on 400 synthetic patients: (model directory, exit status, what it printed).

    Trained once for the module: the train/predict test checks it, the explain test only needs a model without traces.
    """
    model_dir = tmp_path_factory.mktemp("neural") / "model"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["train", "--synthetic", "400", "--model", "neural", "--epochs", "2", "--out", str(model_dir)])
    return model_dir, status, out.getvalue()


def test_train_then_predict_on_a_synthetic_cohort(neural_model, tmp_path):
    model_dir, status, out = neural_model
    assert status == 0, out
    assert "Held-out metrics (" in out and "AUROC (95 % CI)" in out and f"model written to {model_dir}" in out
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["kind"] == "neural" and manifest["task"] == "t2d-3y" and manifest["landmark"] == "2024-01-01"
    assert 200 < manifest["patients"] < 400
    risks_csv = tmp_path / "risks.csv"
    assert main(["predict", str(model_dir), "--synthetic", "30", "--seed", "5", "--out", str(risks_csv)]) == 0
    risks = pd.read_csv(risks_csv)
    assert list(risks.columns) == ["patient_id", "landmark", "risk"] and len(risks) == 30
    assert risks["landmark"].eq("2024-01-01").all() and risks["risk"].between(0, 1).all()


def test_train_and_predict_on_shared_omop_with_fitbit(shared_data, tmp_path, capsys):
    model_dir = tmp_path / "model"
    omop = str(shared_data / "omop_synthea27nj")
    code = main(["train", "--omop", omop, "--fitbit", str(shared_data / "fitbit_fitabase"), "--model", "neural",
                 "--epochs", "1", "--landmark", "2010-01-01", "--test-fraction", "0", "--out", str(model_dir)])
    assert code == 0, capsys.readouterr().err
    assert "model written to" in capsys.readouterr().out
    assert main(["predict", str(model_dir), "--omop", omop, "--out", str(tmp_path / "r.csv")]) == 0
    risks = pd.read_csv(tmp_path / "r.csv")
    assert len(risks) > 0 and risks["landmark"].eq("2010-01-01").all()


@pytest.mark.parametrize("argv, message", [
    (["train", "--out", "M", "--model", "neural"], "give one data source: --omop DIR"),
    (["train", "--out", "M", "--model", "neural", "--synthetic", "5", "--omop", "x"], "give only one data source"),
    (["train", "--out", "M", "--model", "forest", "--synthetic", "5"], "unknown model kind 'forest'"),
    (["train", "--out", "M", "--model", "neural", "--synthetic", "5", "--task", "flu"], "unknown task 'flu'"),
    (["train", "--out", "M", "--model", "neural", "--synthetic", "5", "--landmark", "2020-01-01"],
     "simulated from its landmark 2024-01-01"),
    (["predict", ".", "--synthetic", "5", "--out", "r.csv"], "is not a model directory written by `neurosym train`"),
    (["explain", ".", "--patient", "S000001", "--synthetic", "5", "--format", "pdf"], "unknown format 'pdf'"),
])
def test_user_mistakes_print_one_message(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_neural_only_model_has_no_trace(neural_model, capsys):
    model_dir, status, _ = neural_model
    assert status == 0
    assert main(["explain", str(model_dir), "--patient", "S000001", "--synthetic", "20"]) == 1
    assert "gives risks without traces; train with --model neurosym" in capsys.readouterr().err


def test_a_neurosym_model_explains_as_fhir_html_and_text(tmp_path, capsys):
    from fhir.resources.R4B.bundle import Bundle

    model_dir = tmp_path / "model"
    assert main(["train", "--synthetic", "300", "--epochs", "1", "--test-fraction", "0", "--out", str(model_dir)]) == 0
    assert json.loads((model_dir / "manifest.json").read_text())["kind"] == "neurosym"
    data = ["--synthetic", "300"]
    assert main(["explain", str(model_dir), "--patient", "S000007", *data, "--no-counterfactuals", "--format", "fhir",
                 "--out", str(tmp_path / "b.json")]) == 0
    bundle = json.loads((tmp_path / "b.json").read_text())
    Bundle.model_validate(bundle)
    assessment = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "RiskAssessment")
    assert assessment["subject"]["reference"] == "Patient/S000007"
    codes = {c["code"] for c in assessment["prediction"][0]["outcome"]["coding"]}
    assert {"E11", "44054006"} <= codes
    assert main(["explain", str(model_dir), "--patient", "S000007", *data, "--format", "html",
                 "--out", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "S000007" in html
    capsys.readouterr()
    assert main(["explain", str(model_dir), "--patient", "NOPE", *data, "--no-counterfactuals"]) == 1
    assert "NOPE" in capsys.readouterr().err
