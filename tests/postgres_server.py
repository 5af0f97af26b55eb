"""A throwaway PostgreSQL server for the tests: ``initdb`` into a temporary folder, ``pg_ctl start`` on a free port.

The server listens on a Unix socket only (in the same folder), trusts local
connections, uses the C locale (byte-wise string order, as DuckDB) and is
stopped and deleted when the test process exits.  As root it runs as the
``postgres`` user (``initdb`` refuses root).  One server per test process,
shared by every module that asks (:func:`postgres_url`).
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

_STATE: dict[str, str] = {}


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    return Path(dirs[-1]) if dirs and (Path(dirs[-1]) / "initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start() -> str:
    bindir = _bin_dir()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found; install Debian's postgresql package")
    root = Path(tempfile.mkdtemp(prefix="neurosym-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            raise RuntimeError("running as root without runuser: cannot start PostgreSQL as the postgres user")
        shutil.chown(root, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data, sock, port = root / "data", root, _free_port()

    def run(*args: str) -> None:
        done = subprocess.run(prefix + list(args), capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "neurosym", "--auth=trust", "--locale=C", "--encoding=UTF8")
    options = f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "-t", "60", "start")

    def stop() -> None:
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql:///postgres?host={sock}&port={port}&user=neurosym"


def postgres_url() -> str:
    """The URL of this process's test server (started on first use), or skip the test with the reason."""
    if "error" in _STATE:
        pytest.skip(_STATE["error"])
    if "url" not in _STATE:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            _STATE["error"] = "psycopg is not installed (pip install 'neurosym[postgres]')"
            pytest.skip(_STATE["error"])
        try:
            _STATE["url"] = _start()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
            _STATE["error"] = f"cannot start a PostgreSQL server: {err}"
            pytest.skip(_STATE["error"])
    return _STATE["url"]
