"""Prover: batch top-k proofs as sets of input facts, stable fact ids, probabilities from the proof sets."""

import pandas as pd
import pytest

from neurosym import EvaluationError
from neurosym.logic import FACT_ID_BITS, Program, Prover, TopKProofs

EDGES = pd.DataFrame({"a": [1, 2, 1], "b": [2, 3, 3], "_prob": [0.9, 0.8, 0.5]})
PATHS = '@id("base") p(X, Y) :- e(X, Y). @id("step") p(X, Z) :- p(X, Y), e(Y, Z).'


def table(prover, rel, **kwargs):
    return prover.proofs(rel, **kwargs).to_pydict()


def test_top_k_proofs_of_every_tuple_with_facts_and_rules():
    prover = Prover(Program.from_text(PATHS).evaluate({"e": EDGES}, semiring=TopKProofs(k=2)))
    out = table(prover, "p")
    assert {k: v for k, v in out.items() if k != "fact_ids"} == {
        "X": [1, 1, 1, 2], "Y": [2, 3, 3, 3], "proof": [1, 1, 2, 1], "probability": [0.9, pytest.approx(0.72), 0.5, 0.8],
        "rule_ids": [["base"], ["base", "step"], ["base"], ["base"]]}
    atoms = [prover.facts(ids)["atom"].tolist() for ids in out["fact_ids"]]
    assert atoms == [["e(1, 2)"], ["e(1, 2)", "e(2, 3)"], ["e(1, 3)"], ["e(2, 3)"]]


def test_where_selects_tuples_and_k_limits_proofs():
    prover = Prover(Program.from_text(PATHS).evaluate({"e": EDGES}, semiring=TopKProofs(k=2)))
    assert table(prover, "p", where={"Y": 3}, k=1)["probability"] == [pytest.approx(0.72), 0.8]
    assert table(prover, "p", where={"X": [2], "Y": 3}) ["X"] == [2]
    assert table(prover, "p", where={"X": "9"})["X"] == []


def test_cycles_converge():
    prover = Prover(Program.from_text(PATHS).evaluate({"e": [(1, 2), (2, 1), (2, 3)]}))
    out = table(prover, "p", k=1)
    assert list(zip(out["X"], out["Y"], out["proof"])) == [(1, 1, 1), (1, 2, 1), (1, 3, 1), (2, 1, 1), (2, 2, 1), (2, 3, 1)]
    assert [len(ids) for ids in out["fact_ids"]] == [2, 1, 2, 1, 2, 1]
    # more proofs per tuple go around the cycle: distinct fact sets, the smallest first among equals
    assert [len(ids) for ids in table(prover, "p", k=2, where={"X": 1, "Y": 2})["fact_ids"]] == [1, 2]


def test_a_fact_shared_by_two_branches_counts_once_and_negations_multiply():
    facts = {"a": pd.DataFrame({"x": [1], "_prob": [0.5]}), "b": pd.DataFrame({"x": [1], "_prob": [0.5]}),
             "c": pd.DataFrame({"x": [1], "_prob": [0.4]})}
    model = Program.from_text("p(X) :- a(X), b(X). q(X) :- p(X), a(X), not c(X).").evaluate(facts, semiring=TopKProofs(k=1))
    out = table(Prover(model), "q")
    assert out["probability"] == [pytest.approx(0.25 * 0.6)] and len(out["fact_ids"][0]) == 2


def test_fact_ids_are_stable_and_resolve_to_the_source():
    rules = "p(X) :- e(X, _)."
    sourced = pd.DataFrame({"a": [5, 4], "b": [1, 1], "_source": [70, 31]})
    ids = table(Prover(Program.from_text(rules).evaluate({"e": sourced})), "p")["fact_ids"]
    index = sorted(["e", "p"]).index("e")
    assert ids == [[index << FACT_ID_BITS | 31], [index << FACT_ID_BITS | 70]]
    plain = [table(Prover(Program.from_text(rules).evaluate({"e": rows})), "p")["fact_ids"] for rows in
             ([(5, 1), (4, 1)], [(4, 1), (5, 1)])]
    assert plain[0] == plain[1] == [[index << FACT_ID_BITS | 1 << (FACT_ID_BITS - 1)],
                                    [index << FACT_ID_BITS | (1 << (FACT_ID_BITS - 1)) + 1]]
    facts = Prover(Program.from_text(rules).evaluate({"e": sourced})).facts([index << FACT_ID_BITS | 70])
    assert facts[["relation", "atom", "probability", "source"]].values.tolist() == [["e", "e(5, 1)", 1.0, 70]]


def test_probability_comes_from_the_proof_sets():
    prog = Program.from_text(PATHS)
    noisy = Prover(prog.evaluate({"e": EDGES}, semiring=TopKProofs(k=2)))
    assert noisy.probability("p(1, 3)") == pytest.approx(1 - (1 - 0.72) * (1 - 0.5))
    exact = Prover(prog.evaluate({"e": pd.DataFrame({"a": [1, 1, 2], "b": [2, 3, 3], "_prob": [0.5, 0.5, 0.5]})},
                                 semiring=TopKProofs(k=3, method="exact")))
    assert exact.probability("p(1, 3)") == pytest.approx(0.5 + 0.25 - 0.125)
    assert noisy.probability("p(3, 1)") == 0.0


def test_bad_arguments_are_clear_errors():
    prover = Prover(Program.from_text(PATHS).evaluate({"e": EDGES}))
    with pytest.raises(EvaluationError, match="k must be >= 1, got 0"):
        prover.proofs("p", k=0)
    with pytest.raises(EvaluationError, match="p has no column 'Z'; its columns are X, Y"):
        prover.proofs("p", where={"Z": 1})
    with pytest.raises(EvaluationError, match="unknown relation 'nope'"):
        prover.proofs("nope")
    with pytest.raises(EvaluationError, match="relation index 7 is not from this program"):
        prover.facts([7 << FACT_ID_BITS])
    with pytest.raises(EvaluationError, match=r"fact ids \[\d+\] are not input facts of e"):
        prover.facts([(sorted(["e", "p"]).index("e") << FACT_ID_BITS) + 12345])


def test_rule_library_proofs_for_a_cohort():
    from neurosym.data import synthetic_cohort
    from neurosym.facts import clinical_facts, load_rule_library

    model = load_rule_library().evaluate(clinical_facts(synthetic_cohort(60, seed=1)))
    prover = Prover(model)
    out = prover.proofs("glycemic_status", k=2).to_pandas()
    statuses = model.query("glycemic_status")
    assert sorted(set(zip(out["patient"], out["status"]))) == sorted(zip(statuses["patient"], statuses["status"]))
    assert (out["probability"] == 1.0).all() and out["fact_ids"].map(len).min() >= 1
    first = out.iloc[0]
    resolved = prover.facts(first["fact_ids"].tolist())
    assert set(resolved["relation"]) <= {"lab_record", "condition", "index_day", "is_a", "patient", "drug", "drug_class", "glycemic_test"}
    assert all(f'"{first["patient"]}"' in a or a.startswith(("is_a", "drug_class", "glycemic_test")) for a in resolved["atom"])
    one = prover.proofs("glycemic_status", k=2, where={"patient": first["patient"]}).to_pandas()
    expected = out[out["patient"] == first["patient"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(one, expected)


@pytest.mark.parametrize("method", ["noisy_or", "exact"])
def test_probabilities_of_a_relation_in_one_pass_match_one_at_a_time(method):
    prover = Prover(Program.from_text(PATHS).evaluate({"e": EDGES}, semiring=TopKProofs(k=2, method=method)))
    frame = prover.probabilities("p")
    assert list(zip(frame["X"], frame["Y"])) == [(1, 2), (1, 3), (2, 3)]
    assert frame["probability"].tolist() == pytest.approx([prover.probability(f"p({x}, {y})") for x, y in zip(frame["X"], frame["Y"])])
    assert prover.probabilities("p", where={"X": 2})["probability"].tolist() == pytest.approx([0.8])
    best = Prover(Program.from_text(PATHS).evaluate({"e": EDGES}))
    assert best.probabilities("p", where={"Y": 3})["probability"].tolist() == pytest.approx([0.72, 0.8])
