"""The native engine: semantics on small programs with exact expected tuples."""

import math

import pandas as pd
import pyarrow as pa
import pytest

from neurosym import EvaluationError
from neurosym.logic import Program


def run(text, facts, rel, **kw):
    return [tuple(r) for r in Program.from_text(text).evaluate(facts, **kw).query(rel).itertuples(index=False)]


def test_transitive_closure_with_cycle():
    edges = [(1, 2), (2, 3), (3, 1), (3, 4)]
    got = run("p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z).", {"e": edges}, "p")
    assert len(got) == 3 * 4 and (4, 1) not in got and (1, 1) in got


def test_mutual_recursion():
    text = "even(0). even(N) :- odd(M), N = M + 1, N <= 10. odd(N) :- even(M), N = M + 1, N <= 10."
    assert [x for (x,) in run(text, {}, "even")] == [0, 2, 4, 6, 8, 10]


def test_same_generation():
    text = "sg(X, X) :- node(X). sg(X, Y) :- par(X, XP), sg(XP, YP), par(Y, YP)."
    par = [("b", "a"), ("c", "a"), ("d", "b"), ("e", "c")]
    got = set(run(text, {"par": par, "node": [("a",)]}, "sg"))
    assert {("b", "c"), ("d", "e"), ("e", "d"), ("a", "a")} <= got and ("b", "d") not in got


def test_negation_stratified():
    got = run("p(X) :- q(X), not r(X). r(X) :- s(X), X > 1.", {"q": [(1,), (2,), (3,)], "s": [(2,), (9,)]}, "p")
    assert got == [(1,), (3,)]


def test_negation_with_anonymous_variable():
    got = run("lonely(P) :- person(P), not visit(P, _).", {"person": [("a",), ("b",)], "visit": [("a", 3)]}, "lonely")
    assert got == [("b",)]


def test_aggregates_with_empty_groups():
    facts = {"p": [("a",), ("b",)], "v": [("a", 2), ("a", 5), ("a", 5.5)]}
    text = """
    n(P, N) :- p(P), N = count : v(P, _).
    s(P, S) :- p(P), S = sum X : v(P, X).
    lo(P, M) :- p(P), M = min X : v(P, X).
    hi(P, M) :- p(P), M = max X : v(P, X).
    avg(P, M) :- p(P), M = mean X : v(P, X).
    """
    model = Program.from_text(text).evaluate(facts)
    assert model.query("n").values.tolist() == [["a", 3], ["b", 0]]
    assert model.query("s").values.tolist() == [["a", 12.5], ["b", 0.0]]
    assert model.query("lo").values.tolist() == [["a", 2.0]]
    assert model.query("hi").values.tolist() == [["a", 5.5]]
    assert model.query("avg").values.tolist() == [["a", 12.5 / 3]]


def test_aggregate_correlated_with_outer_variables():
    text = "recent(P, N) :- idx(P, I), N = count : { lab(P, D), D <= I, D > I - 10 }."
    facts = {"idx": [("a", 100), ("b", 5)], "lab": [("a", 95), ("a", 80), ("a", 101), ("b", 1)]}
    assert run(text, facts, "recent") == [("a", 1), ("b", 1)]


def test_latest_value_in_window():
    text = """
    latest_day(P, D) :- idx(P, I), lab(P, _, _), D = max T : { lab(P, T, _), T <= I }.
    latest(P, V) :- latest_day(P, D), lab(P, D, V).
    """
    facts = {"idx": [("a", 100)], "lab": [("a", 90, 6.1), ("a", 99, 6.7), ("a", 120, 5.0)]}
    assert run(text, facts, "latest") == [("a", 6.7)]


def test_arithmetic_and_builtins():
    text = """
    f(X, A, B, C, D, E, F, G, H) :- x(X), A = X / 2, B = floor(X / 2), C = ceil(X / 2), D = round(X / 4),
        E = abs(0 - X), F = pow(X, 2), G = min(X, 3, 10), H = max(X, 3).
    g(X, L, S) :- x(X), X > 0, L = log(exp(X)), S = sqrt(X * X).
    """
    model = Program.from_text(text).evaluate({"x": [(5,), (-2,)]})
    rows = {r[0]: r[1:] for r in model.query("f").itertuples(index=False)}
    assert rows[5] == (2.5, 2, 3, 1, 5, 25.0, 3, 5)
    assert rows[-2] == (-1.0, -1, -1, -1, 2, 4.0, -2, 3)  # round(-0.5) is half away from zero
    (x, log_, sqrt_), = model.query("g").itertuples(index=False)
    assert math.isclose(log_, 5) and sqrt_ == 5.0


def test_ckd_epi_2021_inside_a_rule():
    text = """
    egfr(P, G) :- scr(P, S), age(P, A), sex(P, male),
        G = 142 * pow(min(S / 0.9, 1), -0.302) * pow(max(S / 0.9, 1), -1.2) * pow(0.9938, A).
    """
    (p, g), = run(text, {"scr": [("a", 1.2)], "age": [("a", 60)], "sex": [("a", "male")]}, "egfr")
    expected = 142 * min(1.2 / 0.9, 1) ** -0.302 * max(1.2 / 0.9, 1) ** -1.2 * 0.9938 ** 60
    assert math.isclose(g, expected, rel_tol=1e-12)


def test_floats_are_exact_and_strings_arbitrary():
    facts = {"v": [(0.1 + 0.2, 'quote " and \\ back'), (6.4999999, "ünï\tcode")]}
    got = run("w(X, S) :- v(X, S).", facts, "w")
    assert got == [(0.30000000000000004, 'quote " and \\ back'), (6.4999999, "ünï\tcode")]


def test_mixed_int_and_float_join():
    assert run("j(X) :- a(X), b(X).", {"a": [(1,), (2,)], "b": [(1.0,), (2.5,)]}, "j") == [(1.0,)]


def test_zero_arity_relations():
    model = Program.from_text("alarm :- reading(X), X > 100. calm :- not alarm.").evaluate({"reading": [(50,)]})
    assert model.count("alarm") == 0 and model.count("calm") == 1


def test_facts_in_program_and_inputs_combine():
    assert run("e(9, 9). p(X) :- e(X, _).", {"e": [(1, 2)]}, "p") == [(1,), (9,)]


def test_input_formats_and_metadata_columns():
    frame = pd.DataFrame({"a": [1, 2, 2], "b": ["x", "y", "y"], "_source": ["r1", "r2", "r3"]})
    assert run("q(A, B) :- t(A, B).", {"t": frame}, "q") == [(1, "x"), (2, "y")]
    assert run("q(A, B) :- t(A, B).", {"t": pa.table({"a": [1], "b": ["z"]})}, "q") == [(1, "z")]


@pytest.mark.parametrize("facts, message", [
    ({"t": pd.DataFrame({"a": [1, None]})}, "missing values"),
    ({"t": [(1,), ("x",)]}, "mixes strings and numbers"),
    ({"t": pd.DataFrame({"a": [1], "_prob": [1.5]})}, "_prob must be a number in"),
    ({"t": pd.DataFrame({"a": [1], "_weird": [1]})}, "unknown metadata columns"),
    ({"t": [(1, 2)]}, "the program uses 1 arguments"),
])
def test_bad_facts_are_clear_errors(facts, message):
    with pytest.raises(EvaluationError, match=message):
        Program.from_text("q(A) :- t(A).").evaluate(facts)


def test_max_iterations_and_unknown_engine():
    prog = Program.from_text("n(0). n(Y) :- n(X), Y = X + 1, Y < 1000.")
    with pytest.raises(EvaluationError, match="did not reach a fixpoint within 5 rounds"):
        prog.evaluate({}, max_iterations=5)
    with pytest.raises(EvaluationError, match="unknown engine"):
        prog.evaluate({}, engine="prolog")


def test_max_product_probabilities_and_negation():
    edges = pd.DataFrame({"a": [1, 2, 1], "b": [2, 3, 3], "_prob": [0.9, 0.8, 0.5]})
    model = Program.from_text("p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z). far(X) :- n(X), not p(1, X).").evaluate(
        {"e": edges, "n": [(1,), (2,), (3,)]})
    probs = {(r.X, r.Y): r.probability for r in model.query("p").itertuples()}
    assert probs == {(1, 2): 0.9, (1, 3): pytest.approx(0.72), (2, 3): 0.8}
    far = dict(model.query("far").values.tolist())
    assert far == {1: 1.0, 2: pytest.approx(0.1), 3: pytest.approx(0.28)}


def test_top_k_proofs():
    from neurosym.logic import TopKProofs

    edges = pd.DataFrame({"a": [1, 2, 1], "b": [2, 3, 3], "_prob": [0.9, 0.8, 0.5]})
    prog = Program.from_text("p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z).")
    noisy = prog.evaluate({"e": edges}, semiring=TopKProofs(k=2))
    assert noisy.probability("p(1, 3)") == pytest.approx(1 - (1 - 0.72) * (1 - 0.5))
    exact = prog.evaluate({"e": pd.DataFrame({"a": [1, 1, 2], "b": [2, 3, 3], "_prob": [0.5, 0.5, 0.5]})},
                          semiring=TopKProofs(k=3, method="exact"))
    assert exact.probability("p(1, 3)") == pytest.approx(0.5 + 0.25 - 0.125)
    assert prog.evaluate({"e": edges}, semiring=TopKProofs(k=1)).probability("p(1, 3)") == pytest.approx(0.72)


def test_probabilistic_proof_shows_each_number():
    facts = {"e": pd.DataFrame({"a": [1, 2, 1], "b": [2, 3, 3], "_prob": [0.9, 0.8, 0.5]}), "n": [(1,), (2,), (3,)]}
    model = Program.from_text("p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z). far(X) :- n(X), not p(1, X).").evaluate(facts)
    proof = model.explain("far(3)")
    assert proof.probability == pytest.approx(0.28)
    negation = proof.children[1]
    assert negation.kind == "negation" and negation.probability == pytest.approx(0.28)
    assert "[p=0.28]" in proof.render_text()


def test_memory_limit_spills_and_is_validated():
    prog = Program.from_text("p(X, Y) :- e(X, Y). p(X, Z) :- p(X, Y), e(Y, Z).")
    assert prog.evaluate({"e": [(i, i + 1) for i in range(50)]}, memory_limit="256MB").count("p") == 50 * 51 // 2
    with pytest.raises(EvaluationError, match="memory_limit must look like"):
        prog.evaluate({"e": [(1, 2)]}, memory_limit="1GB'; DROP TABLE x; --")


def test_timeout_holds_inside_one_statement():
    """One non-recursive statement deriving 64 M candidate tuples is interrupted by the database."""
    import time

    prog = Program.from_text("h(A, B, C) :- n(A), n(B), n(C), A + B + C > 3.")
    start = time.perf_counter()
    with pytest.raises(EvaluationError, match=r"exceeded the time-out of 0.5 s \(stratum \['h'\]\)"):
        prog.evaluate({"n": [(i,) for i in range(400)]}, timeout=0.5)
    assert time.perf_counter() - start < 5


def test_memory_limit_holds_inside_one_statement():
    prog = Program.from_text("h(A, B, C) :- n(A), n(B), n(C), A + B + C > 3.")
    with pytest.raises(EvaluationError, match=r"exceeded the memory limit of 30MB \(stratum \['h'\]\)"):
        prog.evaluate({"n": [(i,) for i in range(300)]}, memory_limit="30MB")


def test_a_program_evaluated_again_reuses_its_compiled_sql_on_new_facts():
    from neurosym.logic._native import _COMPILED

    program = Program.from_text('c("x", 1). c(X, N) :- e(X, _), N = count : e(X, _). p(X, Z) :- e(X, Y), e(Y, Z).')
    first = program.evaluate({"e": [("a", "b"), ("b", "c")]})
    compiled = [statements for rules, statements in _COMPILED.values() if rules == tuple(program.module.rules)]
    assert len(compiled) == 1 and ("facts", "c") in compiled[0] and ("first", "p") in compiled[0]
    before = dict(compiled[0])
    second = program.evaluate({"e": [("u", "v"), ("v", "w"), ("v", "x")]})
    assert compiled[0] == before  # nothing compiled again: the same statements served the new facts
    assert sorted(first.query("p").itertuples(index=False, name=None)) == [("a", "c")]
    assert sorted(second.query("p").itertuples(index=False, name=None)) == [("u", "w"), ("u", "x")]
    assert sorted(second.query("c").itertuples(index=False, name=None)) == [("u", 1), ("v", 2), ("x", 1)]
    assert len([1 for rules, _ in _COMPILED.values() if rules == tuple(program.module.rules)]) == 1


def test_a_rule_reads_its_atoms_without_their_anonymous_columns():
    program = Program.from_text("n(P, D, T) :- rec(P, D, _, _), T = sum M : rec(P, D, M, R).\n"
                                "w(P) :- n(P, _, T), T > 5.")
    model = program.evaluate({"rec": [("a", 1, 4, 10), ("a", 1, 3, 11), ("a", 2, 1, 12), ("b", 1, 9, 13)]})
    table = model.connect().execute("SELECT c0, c1, c2, _h, _r FROM rel_n ORDER BY ALL").fetchall()
    assert table == [("a", 1, 7, 1, 0), ("a", 2, 1, 1, 0), ("b", 1, 9, 1, 0)]  # one row per head, its height and rule
    assert model.connect().execute("SELECT c0, _h, _r FROM rel_w ORDER BY ALL").fetchall() == [("a", 2, 1), ("b", 2, 1)]
    assert [c.atom for c in model.explain('w("a")').children] == ['n(a, 1, 7)', '7 > 5']
