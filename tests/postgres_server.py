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


def load_cdm(url: str, folder: Path, schema: str = "cdm") -> None:
    """Load an OMOP CDM CSV export into ``schema`` (replaced), typed by the CDM's column-name conventions.

    ``*_id`` (but the vocabulary's text ids) and birth parts are integers, ``*_date`` dates, ``*_datetime``
    timestamps, values and quantities doubles, all else text;
    ``concept_ancestor_concepts.csv`` rows join ``concept`` (first row per id,
    as the loader reads them), whose ``concept_id`` is the primary key.
    """
    import io

    import duckdb
    import psycopg
    import pyarrow.csv as pacsv

    def pg_type(column: str) -> str:
        if column.endswith("_id") and column not in ("vocabulary_id", "domain_id", "concept_class_id", "relationship_id") or column in ("year_of_birth", "month_of_birth", "day_of_birth", "refills", "days_supply"):
            return "BIGINT"
        if column.endswith("_datetime"):
            return "TIMESTAMP"
        if column.endswith("_date"):
            return "DATE"
        if column in ("value_as_number", "range_low", "range_high", "quantity"):
            return "DOUBLE PRECISION"
        return "TEXT"

    duck = duckdb.connect()
    tables = {p.stem: p for p in sorted(folder.glob("*.csv"))}
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.execute(f"CREATE SCHEMA {schema}")
        for name, path in tables.items():
            if name == "concept_ancestor_concepts":
                continue
            columns = duck.sql(f"SELECT * FROM read_csv('{path}', all_varchar = true, header = true) LIMIT 0").columns
            typed = ", ".join(f"TRY_CAST(NULLIF({c}, '') AS {pg_type(c).replace('DOUBLE PRECISION', 'DOUBLE')}) AS {c}" for c in columns)
            query = f"SELECT {typed} FROM read_csv('{path}', all_varchar = true, header = true)"
            if name == "concept" and "concept_ancestor_concepts" in tables:  # extra concepts the export lacks, first row per id
                extra = tables["concept_ancestor_concepts"]
                query = (f"{query} UNION ALL SELECT * FROM (SELECT {typed} FROM read_csv('{extra}', all_varchar = true, header = true, "
                         f"union_by_name = true)) WHERE concept_id NOT IN (SELECT TRY_CAST(concept_id AS BIGINT) FROM read_csv('{path}', "
                         f"all_varchar = true, header = true))")
            con.execute(f"CREATE TABLE {schema}.{name} ({', '.join(f'{c} {pg_type(c)}' for c in columns)})")
            table = duck.sql(query).to_arrow_table()
            if table.num_rows:
                buffer = io.BytesIO()
                pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
                with con.cursor() as cur, cur.copy(f"COPY {schema}.{name} FROM STDIN (FORMAT csv)") as copy:
                    copy.write(buffer.getvalue())
        con.execute(f"ALTER TABLE {schema}.concept ADD PRIMARY KEY (concept_id)")
        for name in tables:
            if name != "concept_ancestor_concepts":
                con.execute(f"ANALYZE {schema}.{name}")
