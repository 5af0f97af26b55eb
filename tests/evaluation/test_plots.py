import numpy as np

from neurosym.evaluation import plot_calibration, plot_roc


def test_png_files(tmp_path):
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.6, 300)
    y = rng.random(300) < p
    preds = {"model": (y, p), "noise": (y, rng.random(300))}
    for out in (plot_roc(preds, tmp_path / "roc.png"), plot_calibration(preds, tmp_path / "sub" / "cal.png")):
        data = out.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
