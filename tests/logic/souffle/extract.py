"""Rebuild the Soufflé conformance corpus from a Soufflé checkout (a work tree or a bare git directory).

The positive cases of Soufflé's ``tests/evaluation``, ``tests/example`` and
``tests/semantic``: a case directory ``<name>/`` with ``<name>.dl``, an empty
``<name>.err`` (Soufflé reports no error) and at least one expected output
``*.csv``; its ``facts/`` and the files it ``#include``\ s are copied too.  Cases larger than ``--max-case-bytes``
are left out so the corpus stays small.

Usage::

    python tests/logic/souffle/extract.py /work/.mirror/souffle-lang+souffle/repo
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from pathlib import Path

SUITES = ("evaluation", "example", "semantic")
HERE = Path(__file__).parent


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def _files(repo: Path) -> dict[str, int]:
    """Path -> size of every file under the suites at HEAD (-1 when a snapshot lacks the blob)."""
    out = _git(repo, "ls-tree", "-r", "-l", "HEAD", *[f"tests/{s}" for s in SUITES]).decode()
    files = {}
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        size = meta.split()[3]
        files[path] = int(size) if size.isdigit() else -1
    return files


def _included(repo: Path, rel: dict[str, str], name: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """The case's files that ``name`` includes (``#include "file"``), directly or through another included file."""
    out = []
    for line in _git(repo, "show", f"HEAD:{rel[name]}").decode("utf-8", "replace").splitlines():
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if m and m.group(1) in rel and m.group(1) not in seen:
            out += [m.group(1), *_included(repo, rel, m.group(1), seen | {name, m.group(1)})]
    return out


def extract(repo: Path, target: Path, max_case_bytes: int) -> tuple[int, int, str]:
    """Copy the positive cases; return (cases found, cases copied, commit)."""
    files = _files(repo)
    cases: dict[str, list[str]] = {}
    for path in files:
        parts = path.split("/")
        if len(parts) >= 4:
            cases.setdefault("/".join(parts[1:3]), []).append(path)
    found = copied = 0
    if target.exists():
        shutil.rmtree(target)
    for case, paths in sorted(cases.items()):
        name = case.split("/")[1]
        prefix = f"tests/{case}/"
        rel = {p[len(prefix):]: p for p in paths}
        err = rel.get(f"{name}.err")
        expected = [r for r in rel if r.endswith(".csv") and "/" not in r]
        if f"{name}.dl" not in rel or err is None or files[err] != 0 or not expected:
            continue
        found += 1
        keep = [f"{name}.dl", *expected, *[r for r in rel if r.startswith("facts/")]]
        keep += _included(repo, rel, f"{name}.dl")
        sizes = [files[rel[r]] for r in keep]
        if min(sizes) < 0 or sum(sizes) > max_case_bytes:
            continue
        for r in keep:
            dest = target / case / r
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(_git(repo, "show", f"HEAD:{rel[r]}"))
        copied += 1
    return found, copied, _git(repo, "rev-parse", "HEAD").decode().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", type=Path, help="Soufflé checkout or bare git directory")
    parser.add_argument("--max-case-bytes", type=int, default=20_000)
    args = parser.parse_args()
    found, copied, commit = extract(args.repo, HERE / "cases", args.max_case_bytes)
    (HERE / "COMMIT").write_text(f"{commit}\n")
    print(f"{found} positive cases, {copied} copied (<= {args.max_case_bytes:,} bytes each), commit {commit}")


if __name__ == "__main__":
    main()
