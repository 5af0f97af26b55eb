"""Semirings: the compiler asks them how probabilities combine (max-product, add-mult, top-k, a user-defined one)."""

from __future__ import annotations

import pandas as pd
import pytest
from reference import Godel, evaluate_weighted, probabilities

from neurosym import EvaluationError
from neurosym.logic import AddMult, MaxProduct, Program, Prover, TopKProofs


def _facts(**probs: list[tuple[object, float]]) -> dict[str, pd.DataFrame]:
    return {rel: pd.DataFrame({"x": [v for v, _ in rows], "_prob": [p for _, p in rows]}) for rel, rows in probs.items()}


ALTERNATIVES = Program.from_text("""
p(X) :- a(X). p(X) :- b(X).
both(X) :- a(X), b(X).
shared(X) :- a(X), b(X). shared(X) :- a(X), c(X).
np(X) :- c(X), not p(X).
""")
FACTS = _facts(a=[(1, 0.5), (2, 0.3)], b=[(1, 0.5), (2, 0.8)], c=[(1, 0.5), (2, 1.0)])


def _values(semiring) -> dict[str, dict[tuple, float]]:
    got = probabilities(ALTERNATIVES.evaluate(FACTS, semiring=semiring))
    return {rel: {row: round(p, 12) for row, p in got[rel].items()} for rel in ("p", "both", "shared", "np")}


def test_max_product_is_the_best_proof():
    assert _values(MaxProduct()) == {"p": {(1,): 0.5, (2,): 0.8}, "both": {(1,): 0.25, (2,): 0.24},
                                     "shared": {(1,): 0.25, (2,): 0.3}, "np": {(1,): 0.25, (2,): 0.2}}


def test_add_mult_is_noisy_or_of_derivations():
    values = _values(AddMult())
    assert values["p"] == {(1,): 0.75, (2,): 0.86}
    assert values["both"] == {(1,): 0.25, (2,): 0.24}
    assert values["np"] == {(1,): 0.125, (2,): 0.14}
    # two derivations sharing a(1): independence over-estimates (exact: 0.375)
    assert values["shared"] == {(1,): 0.4375, (2,): round(0.24 + 0.3 - 0.24 * 0.3, 12)}


def test_user_defined_semiring_needs_no_compiler_change():
    assert _values(Godel()) == {"p": {(1,): 0.5, (2,): 0.8}, "both": {(1,): 0.5, (2,): 0.3},
                                "shared": {(1,): 0.5, (2,): 0.3}, "np": {(1,): 0.5, (2,): 0.2}}


@pytest.mark.parametrize("semiring", [MaxProduct(), AddMult(), Godel()], ids=["maxproduct", "addmult", "godel"])
def test_recursion_reaches_the_reference_fixpoint(semiring):
    program = Program.from_text("reach(X) :- start(X). reach(Y) :- reach(X), e(X, Y).")
    facts = {"start": pd.DataFrame({"x": [1], "_prob": [0.9]}),
             "e": pd.DataFrame({"x": [1, 2, 3, 1, 4], "y": [2, 3, 1, 4, 2], "_prob": [0.5, 0.75, 0.25, 0.5, 0.5]})}
    got = probabilities(program.evaluate(facts, semiring=semiring))["reach"]
    expected = evaluate_weighted(program, facts, semiring)["reach"]
    assert got.keys() == expected.keys()
    assert all(abs(got[k] - expected[k]) < 1e-9 for k in got), (got, expected)


def test_add_mult_recursion_is_bounded_by_max_iterations():
    program = Program.from_text("reach(X) :- start(X). reach(Y) :- reach(X), e(X, Y).")
    facts = {"start": pd.DataFrame({"x": [1], "_prob": [0.5]}), "e": pd.DataFrame({"x": [1, 2], "y": [2, 1], "_prob": [0.99, 0.99]})}
    with pytest.raises(EvaluationError, match="did not reach a fixpoint within 3 rounds"):
        program.evaluate(facts, semiring=AddMult(), max_iterations=3)


def test_top_k_is_on_demand_evaluation_keeps_the_best_proof():
    program = Program.from_text("p(X) :- a(X). p(X) :- b(X).")
    facts = _facts(a=[(1, 0.5)], b=[(1, 0.5)])
    model = program.evaluate(facts, semiring=TopKProofs(k=2))
    assert model.store.tables["p"].column("_p").to_pylist() == [0.5]  # evaluation: the best proof
    assert model.query("p")["probability"].tolist() == [0.75]  # query: the prover's two proofs
    assert Prover(model).probability("p(1)") == 0.75
    assert TopKProofs.on_demand and not MaxProduct.on_demand and not AddMult.idempotent


def test_pydatalog_rejects_probabilities_clearly():
    with pytest.raises(EvaluationError, match="pydatalog engine does not compute probabilities"):
        ALTERNATIVES.evaluate(FACTS, engine="pydatalog", semiring=AddMult())


def test_an_object_without_the_semiring_members_is_refused():
    with pytest.raises(EvaluationError, match="lacks idempotent, on_demand, sql_add, sql_mul, sql_negate"):
        ALTERNATIVES.evaluate(FACTS, semiring=type("Half", (), {"zero": 0.0, "one": 1.0, "add": max, "mul": min, "negate": abs})())


def test_without_probabilities_the_semiring_changes_nothing():
    program = Program.from_text("p(X) :- a(X). p(X) :- b(X).")
    facts = {"a": [(1,)], "b": [(1,), (2,)]}
    assert [program.evaluate(facts, semiring=s).query("p").values.tolist() for s in (MaxProduct(), AddMult(), Godel())] == [[[1], [2]]] * 3
