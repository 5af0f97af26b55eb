"""Soufflé's own positive test cases (``cases/``, see README.md): every supported case gives Soufflé's output exactly.

A case whose program uses a feature this engine lacks is skipped, the
missing feature named (the first syntax or check error).  Cases that run but
differ from Soufflé are listed in ``KNOWN_FAILURES`` with the reason, as
strict xfails: fixing one flips its test.
"""

from __future__ import annotations

import pytest
from runner import case_dirs, run_case

KNOWN_FAILURES = {
    "evaluation/average": "Soufflé's mean of numbers is an integer division; ours is a float",
    "example/recipes": "Soufflé prints floats with 6 significant digits; DuckDB writes the shortest exact form",
    "example/catalan": "Soufflé's number is 32-bit and wraps; ours is 64-bit and overflow is an error",
    "semantic/ipv4_1": "Soufflé's number is 32-bit: 255.255.255.255 is -1 there, 4294967295 here",
    "evaluation/unsigned_operations": "Soufflé's unsigned is a 32-bit unsigned type (bnot 1u > 0u); here a 64-bit signed number",
    "semantic/comparison": "Soufflé keeps infinite and NaN floats (100000.0 ^ 100000.0, 0.0 / 0.0); here they are undefined",
    "example/independent_body3": "infinite in this engine without Soufflé's 32-bit wrap-around (time-out)",
    "example/inline_nats": "infinite in this engine without Soufflé's 32-bit wrap-around (time-out)",
    "semantic/load11": "Soufflé's .input with a header or renamed columns (rfc4180, columns=)",
    "semantic/load12": "Soufflé's .input with a header or renamed columns (rfc4180, columns=)",
    "semantic/load13": "Soufflé's rfc4180 quoting on output",
    "semantic/load6": "Soufflé's .input of a file with ragged or quoted fields",
    "semantic/store2": "Soufflé's .output of several relations into one file",
    "semantic/store4": "Soufflé's .output of several relations into one file",
}
SLOW = {"example/independent_body3", "example/inline_nats"}  # time-outs: not run, to keep the suite fast

CASES = {f"{p.parent.name}/{p.name}": p for p in case_dirs()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name):
    if name in SLOW:
        pytest.xfail(KNOWN_FAILURES[name])
    outcome = run_case(CASES[name])
    if outcome.status == "unsupported":
        pytest.skip(f"unsupported: {outcome.detail}")
    if name in KNOWN_FAILURES:
        assert outcome.status == "fail", f"{name} now passes: remove it from KNOWN_FAILURES"
        pytest.xfail(KNOWN_FAILURES[name])
    assert outcome.status == "pass", outcome.detail


def test_corpus_is_present():
    assert len(CASES) >= 300
