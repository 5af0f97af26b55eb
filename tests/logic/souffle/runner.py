"""Run one case of the Soufflé corpus: parse, read its ``.input`` facts, evaluate, compare its ``.output`` files.

A case is *unsupported* when the program uses something this engine does not
implement (a syntax or check error names it); otherwise it *passes* when every
expected ``.csv`` equals ours line for line after sorting.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from neurosym import NeurosymError, RuleError
from neurosym.logic import Program
from neurosym.logic._factsio import read_facts_file

CASES = Path(__file__).parent / "cases"


@dataclass
class Outcome:
    case: str
    status: str  # "pass", "fail" or "unsupported"
    detail: str = ""


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES.glob("*/*") if p.is_dir())


def _first_line(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def run_case(case: Path, engine: str = "native") -> Outcome:
    name = f"{case.parent.name}/{case.name}"
    try:
        program = Program.from_files([case / f"{case.name}.dl"])
    except RuleError as err:
        return Outcome(name, "unsupported", _first_line(err))
    module = program.module
    try:
        facts = {}
        for rel, params in module.inputs.items():
            path = case / "facts" / params.get("filename", f"{rel}.facts")
            delimiter = params.get("delimiter", "\t").replace("\\t", "\t")
            facts[rel] = read_facts_file(path, delimiter, params.get("headers") == "true") if path.is_file() else []
        model = program.evaluate(facts, engine=engine, timeout=120)  # generous: the suite shares a loaded machine
        with tempfile.TemporaryDirectory() as out:
            for expected in sorted(case.glob("*.csv")):
                rel = next((r for r, p in module.outputs.items() if p.get("filename", f"{r}.csv") == expected.name),
                           expected.stem)
                params = module.outputs.get(rel, {})
                path = model.write_csv(rel, Path(out) / expected.name, params.get("delimiter", "\t").replace("\\t", "\t"))
                got = sorted(path.read_text(encoding="utf-8").splitlines())
                want = sorted(expected.read_text(encoding="utf-8").splitlines())
                if got != want:
                    diff = sorted(set(want) ^ set(got))[:3]
                    return Outcome(name, "fail", f"{expected.name}: {len(got)} lines, expected {len(want)}; differ e.g. {diff}")
    except RuleError as err:
        return Outcome(name, "unsupported", _first_line(err))
    except NeurosymError as err:
        return Outcome(name, "fail", _first_line(err))
    return Outcome(name, "pass")
