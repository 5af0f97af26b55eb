"""Named rule programs with facts and the exact tuples every engine must derive.

Each entry is ``(text, facts, expected)``; ``expected`` maps some relations to
their complete set of tuples.  Used by ``check_engine`` in ``test_engines.py``
and by the reference evaluator's own tests.
"""

from __future__ import annotations

__all__ = ["CORPUS"]

_CHAIN_CYCLE = [(1, 2), (2, 3), (3, 1), (3, 4)]
_TC = {(a, b) for a in (1, 2, 3) for b in (1, 2, 3, 4)}

CORPUS: dict[str, tuple[str, dict, dict]] = {
    "transitive_closure_left": (
        "path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), edge(Y, Z).",
        {"edge": _CHAIN_CYCLE},
        {"path": _TC},
    ),
    "transitive_closure_right_cycle": (
        "path(X, Y) :- edge(X, Y). path(X, Z) :- edge(X, Y), path(Y, Z).",
        {"edge": _CHAIN_CYCLE},
        {"path": _TC},
    ),
    "transitive_closure_nonlinear": (
        "path(X, Y) :- edge(X, Y). path(X, Z) :- path(X, Y), path(Y, Z).",
        {"edge": _CHAIN_CYCLE},
        {"path": _TC},
    ),
    "same_generation": (
        """sg(X, X) :- person(X).
           sg(X, Y) :- parent(X, XP), sg(XP, YP), parent(Y, YP).""",
        {"person": [("ann",), ("bob",), ("cy",), ("dee",)],
         "parent": [("bob", "ann"), ("cy", "ann"), ("dee", "bob")]},
        {"sg": {("ann", "ann"), ("bob", "bob"), ("cy", "cy"), ("dee", "dee"), ("bob", "cy"), ("cy", "bob")}},
    ),
    "mutual_recursion_even_odd": (
        "even(0). even(X) :- odd(Y), X = Y + 1, X <= 6. odd(X) :- even(Y), X = Y + 1, X <= 6.",
        {},
        {"even": {(0,), (2,), (4,), (6,)}, "odd": {(1,), (3,), (5,)}},
    ),
    "negation_stratified": (
        """reach(X) :- start(X). reach(Y) :- reach(X), edge(X, Y).
           unreached(X) :- node(X), not reach(X).
           isolated(X) :- node(X), not edge(X, _), not edge(_, X).""",
        {"start": [(1,)], "edge": [(1, 2), (3, 4)], "node": [(1,), (2,), (3,), (4,), (5,)]},
        {"reach": {(1,), (2,)}, "unreached": {(3,), (4,), (5,)}, "isolated": {(5,)}},
    ),
    "constants_and_comparisons": (
        """adult(P) :- age(P, A), A >= 18. named(P) :- age(P, _), P != "bob".
           minor_ann(A) :- age("ann", A), A < 18.""",
        {"age": [("ann", 12), ("bob", 40), ("cy", 18)]},
        {"adult": {("bob",), ("cy",)}, "named": {("ann",), ("cy",)}, "minor_ann": {(12,)}},
    ),
    "aggregates_with_empty_groups": (
        """n(P, N) :- patient(P), N = count : { visit(P, _) }.
           total(P, S) :- patient(P), S = sum C : { visit(P, C) }.
           first(P, M) :- patient(P), M = min C : { visit(P, C) }.
           avg(P, M) :- patient(P), M = mean C : { visit(P, C) }.
           all(N) :- N = count : { visit(_, _) }.""",
        {"patient": [("a",), ("b",)], "visit": [("a", 3), ("a", 5)]},
        {"n": {("a", 2), ("b", 0)}, "total": {("a", 8), ("b", 0)}, "first": {("a", 3)}, "avg": {("a", 4.0)}, "all": {(2,)}},
    ),
    "aggregate_correlated_comparison": (
        "above(K, N) :- k(K), N = count : { v(X), X > K }. top(K, M) :- k(K), M = max X : { v(X), X < K }.",
        {"k": [(0,), (2,), (9,)], "v": [(1,), (2,), (3,)]},
        {"above": {(0, 3), (2, 1), (9, 0)}, "top": {(2, 1), (9, 3)}},
    ),
    "float_arithmetic": (
        """s(X, Y) :- v(X), Y = X + 0.2. d(X, Y) :- v(X), Y = X / 3. r(X, Y) :- v(X), Y = round(X).
           f(X, Y) :- v(X), Y = floor(X) + ceil(X). m(X, Y) :- v(X), Y = min(X, 1) * max(X, 2).""",
        {"v": [(0.1,), (6.4999999,), (2.5,), (-2.5,)]},
        {"s": {(0.1, 0.1 + 0.2), (6.4999999, 6.4999999 + 0.2), (2.5, 2.7), (-2.5, -2.5 + 0.2)},
         "d": {(0.1, 0.1 / 3), (6.4999999, 6.4999999 / 3), (2.5, 2.5 / 3), (-2.5, -2.5 / 3)},
         "r": {(0.1, 0), (6.4999999, 6), (2.5, 3), (-2.5, -3)},
         "f": {(0.1, 1), (6.4999999, 13), (2.5, 5), (-2.5, -5)},
         "m": {(0.1, 0.2), (6.4999999, 6.4999999), (2.5, 2.5), (-2.5, -5.0)}},
    ),
    "integer_division_is_float": (
        "h(Y) :- v(X), Y = X / 2. w(Y) :- v(X), Y = X * 3 - 1.",
        {"v": [(7,), (-3,)]},
        {"h": {(3.5,), (-1.5,)}, "w": {(20,), (-10,)}},
    ),
    "strings_quotes_unicode": (
        r'''greet(X, "say \"hi\"") :- name(X). odd(X) :- name(X), X = "zoë ∑ \\ 😀".''',
        {"name": [("zoë ∑ \\ 😀",), ("O'Brien",), ('a "quoted" name',)]},
        {"greet": {("zoë ∑ \\ 😀", 'say "hi"'), ("O'Brien", 'say "hi"'), ('a "quoted" name', 'say "hi"')},
         "odd": {("zoë ∑ \\ 😀",)}},
    ),
    "zero_arity": (
        "alarm :- reading(_, V), V > 100. quiet :- reading(_, _), not alarm. never :- reading(X, _), X = \"none\".",
        {"reading": [("s1", 150), ("s2", 20)]},
        {"alarm": {()}, "quiet": set(), "never": set()},
    ),
    "program_facts_and_inputs": (
        "edge(1, 2). edge(5, 6). path(X, Y) :- edge(X, Y).",
        {"edge": [(2, 3)]},
        {"edge": {(1, 2), (2, 3), (5, 6)}, "path": {(1, 2), (2, 3), (5, 6)}},
    ),
    "head_expressions_and_bodyless_comparisons": (
        "next(X + 1) :- n(X). const(X) :- X = 2 * 21. yes :- 1 < 2. no :- 2 < 1.",
        {"n": [(1,), (2,)]},
        {"next": {(2,), (3,)}, "const": {(42,)}, "yes": {()}, "no": set()},
    ),
    "aggregate_bound_variable_check": (
        "most(P) :- score(P, S), S = max T : { score(_, T) }. cnt(N) :- size(N), N = count : { item(_) }.",
        {"score": [("a", 3), ("b", 7), ("c", 7)], "size": [(2,), (3,)], "item": [("x",), ("y",)]},
        {"most": {("b",), ("c",)}, "cnt": {(2,)}},
    ),
    "two_linear_recursive_rules": (
        "r(X) :- u(X). r(Y) :- r(X), e(X, Y). r(Y) :- r(X), e(Y, X).",
        {"u": [(1,)], "e": [(1, 2), (3, 1), (4, 5)]},
        {"r": {(1,), (2,), (3,)}},
    ),
    "aggregate_inner_assignment": (
        "twice(S) :- S = sum Y : { v(X), Y = X * 2 }.",
        {"v": [(1,), (2,)]},
        {"twice": {(6,)}},
    ),
}
