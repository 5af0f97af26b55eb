"""Headless Chromium for the report tests: Debian's ``chromium`` run directly (skips with a reason when absent)."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not installed ({CHROMIUM}); .ci/run installs Debian's chromium")
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                           f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
                           "--enable-logging=stderr", "--v=0", *args], capture_output=True, text=True, timeout=120, check=True)


def console_messages(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def render(path: Path, tmp_path: Path, *, width: int = 1200, height: int = 1600) -> tuple[str, np.ndarray]:
    """The DOM after scripts ran and a screenshot (RGB array) of the page at ``path``; no console message either time."""
    dom = chromium(tmp_path, "--dump-dom", path.as_uri())
    assert console_messages(dom) == []
    shot = tmp_path / f"{path.stem}.png"
    result = chromium(tmp_path, f"--window-size={width},{height}", "--hide-scrollbars", f"--screenshot={shot}", path.as_uri())
    assert console_messages(result) == []
    return dom.stdout, np.asarray(Image.open(shot).convert("RGB"))
