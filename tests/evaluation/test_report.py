import numpy as np

from neurosym.evaluation import REPORT_COLUMNS, auroc, report


def test_one_row_per_model_with_all_metrics():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.5, 2000)
    y = rng.random(2000) < p
    table = report({"a": (y, p), "b": (y, p[::-1])}, n_boot=100)
    assert tuple(table.columns) == REPORT_COLUMNS and table["model"].tolist() == ["a", "b"]
    assert table["n"].tolist() == [2000, 2000] and table["events"].tolist() == [int(y.sum())] * 2
    assert table.loc[0, "auroc"] == auroc(y, p)
    assert (table["auroc_low"] < table["auroc"]).all() and (table["auroc"] < table["auroc_high"]).all()
