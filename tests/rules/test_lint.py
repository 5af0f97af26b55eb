"""The aggregate lint (neurosym/logic/_checks.py) on the rule library: every mean/sum/count carries a per-record key."""

from __future__ import annotations

from neurosym.logic import Program
from neurosym.logic._checks import aggregate_warnings


def test_library_aggregates_have_record_keys(library):
    assert [str(w) for w in aggregate_warnings(library.module)] == []


def test_lint_warns_on_a_keyless_mean():
    program = Program.from_text("bp(P, S) :- vital(P, sbp, _, D), S = mean X : vital(P, sbp, X, D).\n", path="bp.dl")
    (warning,) = aggregate_warnings(program.module)
    assert str(warning).startswith("bp.dl:1:")
    assert "mean X : vital(P, sbp, X, D) has no per-record key" in warning.message
    assert "vital(P, sbp, X, D, R)" in warning.message


def test_lint_accepts_record_keys_and_min_max():
    program = Program.from_text(
        "a(P, S) :- r(P, _, _), S = mean X : { r(P, X, R) }.\n"
        "b(P, N) :- r(P, _, _), N = count : r(P, _, _).\n"
        "c(P, M) :- r(P, _, _), M = max X : r(P, X, 1).\n", path="ok.dl")
    assert aggregate_warnings(program.module) == []
