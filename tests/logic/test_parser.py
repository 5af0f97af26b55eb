"""Parser: the language as documented in the README, and syntax errors with file, line, column and caret."""

import pytest

from neurosym import EvaluationError, NeurosymError, RuleError, RuleSyntaxError, SafetyError
from neurosym.logic import Model, Program, parse, parse_atom
from neurosym.logic._ast import Aggregate, Assignment, Atom, BinOp, Call, Comparison, Const, Negation, Var
from neurosym.logic._parser import MAX_DEPTH, ParseErrors


def test_rule_with_every_literal_kind():
    rule = parse('head(X, Y) :- a(X, Z), b(Z, Y), not c(X), X != Y, V >= 6.5, a(V, _).').rules[0]
    kinds = [type(lit) for lit in rule.body]
    assert kinds == [Atom, Atom, Negation, Comparison, Comparison, Atom]
    assert rule.body[4] == Comparison(">=", Var("V"), Const(6.5))


def test_constants_identifiers_strings_numbers():
    fact = parse('rel(abc, "Quoted \\"x\\"", 42, -3, 2.5, 1e3, "ünï").').rules[0]
    assert [a.value for a in fact.head.args] == ["abc", 'Quoted "x"', 42, -3, 2.5, 1000.0, "ünï"]
    assert fact.is_fact


def test_identifier_and_same_string_are_equal_constants():
    a, b = parse('r(diabetes). r("diabetes").').rules
    assert a.head == b.head


def test_comments_and_annotations():
    m = parse('''
    % percent comment
    // slash comment
    /* block
       comment */
    @id("ada.x") @cite("ADA 2025 §2") @doc("HbA1c >= 6.5 %")
    d(P) :- lab(P, "4548-4", V, _), V >= 6.5.  % trailing
    ''', "f.dl")
    rule = m.rules[0]
    assert (rule.id, rule.cite, rule.doc, rule.span.line) == ("ada.x", "ADA 2025 §2", "HbA1c >= 6.5 %", 6)


def test_rules_without_id_get_a_location_id():
    assert parse("a(1).\n  b(2).", "x.dl").rules[1].id == "x.dl:2:3"


def test_anonymous_variables_are_distinct():
    rule = parse("h(X) :- e(X, _), e(_, X).").rules[0]
    anon = [a for lit in rule.body for a in lit.args if isinstance(a, Var) and a.anonymous]
    assert len({v.name for v in anon}) == 2


def test_arithmetic_precedence_and_functions():
    rule = parse("h(P, V) :- c(P, C), V = 1 + 2 * pow(min(C, 1), -0.5) / abs(C).").rules[0]
    expr = rule.body[1].right
    assert isinstance(expr, BinOp) and expr.op == "+"
    assert isinstance(expr.right, BinOp) and expr.right.op == "/"
    assert isinstance(expr.right.left.right, Call) and expr.right.left.right.func == "pow"


def test_function_call_on_the_left_of_a_comparison():
    rule = parse("h(X) :- v(X), abs(X - 3) > 1.").rules[0]
    assert isinstance(rule.body[1], Comparison)


@pytest.mark.parametrize("text, func, n_body", [
    ("n(P, N) :- patient(P, _, _), N = count : visit(P, _).", "count", 1),
    ("s(P, S) :- p(P), S = sum V * 2 : { v(P, D, V), w(D, W) }.", "sum", 2),
    ("m(P, X) :- p(P), X = min V : v(P, V).", "min", 1),
    ("m(P, X) :- p(P), X = max(V) : v(P, V).", "max", 1),
    ("m(P, X) :- p(P), X = mean V : v(P, V).", "mean", 1),
])
def test_aggregates(text, func, n_body):
    assign = parse(text).rules[0].body[1]
    assert isinstance(assign, Assignment) and isinstance(assign.aggregate, Aggregate)
    assert assign.aggregate.func == func and len(assign.aggregate.body) == n_body


def test_decl_and_io_directives():
    m = parse(".decl edge(a: number, b: symbol)\n.input edge\n.output path\npath(X) :- edge(X, _).")
    assert m.decls[0].columns == (("a", "number"), ("b", "symbol"))


def test_printing_roundtrips():
    text = 'h(X, "E11.9") :- a(X, 1), not b(X), X != "Z", N = count : c(X, _).'
    assert str(parse(str(parse(text).rules[0])).rules[0]) == str(parse(text).rules[0])


@pytest.mark.parametrize("text, line, col, fragment", [
    ("p(X) :- q(X Y).", 1, 13, "expected ',' or ')'"),
    ("p(X) :- q(X).\np(X) :- q(X)", 2, 13, "expected ',' or '.', found end of input"),
    ("p(X) :- q(X), .", 1, 15, "expected a term"),
    ('p("abc) :- q.', 1, 3, "unterminated string"),
    ("p(X) :- q(X) $ r(X).", 1, 14, "unexpected character '$'"),
    ("X :- q(X).", 1, 1, "rule head"),
    (".comp C { }", 1, 1, "Soufflé directive .comp is not supported"),
    (".decl r(x: number) eqrel", 1, 20, "an eqrel relation has two columns, not 1"),
    (".type T = A | B", 1, 11, "unknown type 'A'"),
    (".type T = number | symbol", 1, 11, ".type T joins types of different kinds (number, symbol)"),
    (".type T = br {x: number}", 1, 14, ".type T: records and algebraic data types are not supported"),
    (".type T = U\n.type U = T", 1, 11, ".type U is defined in terms of itself"),
    ("p(X) :- q(X), Y = foo(X).", 1, 19, "unknown function 'foo'"),
    ("p(X) :- q(X), N = count X : r(X).", 1, 19, "count takes no expression"),
    ('@tag("x") p(1).', 1, 2, "unknown annotation @tag"),
    ("p(X) :- q(X), X > 'a'.", 1, 19, "unexpected character"),
])
def test_syntax_errors_are_located(text, line, col, fragment):
    with pytest.raises(RuleSyntaxError) as info:
        parse(text, "bad.dl")
    err = info.value
    assert (err.path, err.line, err.col) == ("bad.dl", line, col)
    assert fragment in err.message
    rendered = str(err).splitlines()
    assert rendered[0].startswith(f"bad.dl:{line}:{col}: ")
    assert rendered[2].index("^") - 4 == col - 1  # caret under the column


def test_all_syntax_errors_are_reported_and_good_statements_kept():
    with pytest.raises(ParseErrors) as info:
        parse("a(1).\nb(X :- c(X).\nd(2).\ne(X) :- f(X) g.\n", "m.dl")
    assert [e.line for e in info.value.errors] == [2, 4]
    assert [r.head.rel for r in info.value.module.rules] == ["a", "d"]


def test_nesting_limit_is_a_clear_error():
    deep = "p(X) :- q(X), Y = " + "(" * (MAX_DEPTH + 5) + "X" + ")" * (MAX_DEPTH + 5) + "."
    with pytest.raises(RuleSyntaxError, match="nested more than"):
        parse(deep)


def test_parse_atom():
    atom = parse_atom('glycemic_status("S000001", S)')
    assert atom.rel == "glycemic_status" and atom.args == (Const("S000001"), Var("S"))
    with pytest.raises(RuleSyntaxError):
        parse_atom("not an atom(")


SOUFFLE = """
// Soufflé's dialect: the file declares its relations
.type Node = number
.type Name <: symbol
.decl Edge(x: Node, y: Node)
.decl Path(x: Node, y: Node)
.decl fib(n: unsigned, v: number)
.decl label(n: Node, s: Name)
.input Edge
.output Path(IO=file, delimiter=",")
.output fib, last
Edge(1, 2). Edge(2, 3). label(1, "one").
Path(x, y) :- Edge(x, y).
Path(x, z) :- Path(x, y), Edge(y, z).
fib(0, 0). fib(1, 1).
fib(n + 1, x + y) :- fib(n, x), fib(n - 1, y), n < 10.
last(n) :- fib(n, _), !fib(n + 1, _).
edges(c) :- c = count : { Edge(_, _) }.
"""


@pytest.mark.parametrize("engine", ["native", "pydatalog"])
def test_souffle_dialect_as_written(engine):
    program = Program.from_text(SOUFFLE)
    assert program.module.inputs == {"Edge": {}}
    assert program.module.outputs == {"Path": {"IO": "file", "delimiter": ","}, "fib": {}, "last": {}}
    assert [(d.rel, d.columns) for d in program.module.decls][2] == ("fib", (("n", "number"), ("v", "number")))
    model = program.evaluate({}, engine=engine)
    assert model.query("Path").values.tolist() == [[1, 2], [1, 3], [2, 3]]
    assert model.query("fib").values.tolist()[-2:] == [[9, 34], [10, 55]]
    assert model.query("last").values.tolist() == [[10]] and model.query("edges").values.tolist() == [[2]]


def test_relation_names_in_any_case_in_the_plain_dialect():
    """No .decl: upper-case words are variables unless a '(' follows; case-distinct names are distinct relations."""
    model = Program.from_text("A(1). a(2). Both(X) :- A(X). Both(X) :- a(X). pP(X) :- a(X).").evaluate({})
    assert model.query("Both").values.tolist() == [[1], [2]] and model.query("A").values.tolist() == [[1]]
    assert model.query("pP").values.tolist() == [[2]]


def test_the_dialect_can_be_named():
    """auto reads '.decl' without '%' lines as Soufflé's; naming a dialect overrides the guess."""
    text = "edge(1, 2).\npath(x, y) :- edge(x, y).\n"
    assert Program.from_text(text, dialect="souffle").evaluate({}).query("path").values.tolist() == [[1, 2]]
    with pytest.raises(RuleError, match=r"<text>:2:20: type error: constant x does not match column 1 of edge \(number\)"):
        Program.from_text(text).evaluate({})  # auto, no .decl: plain, where x and y are constants
    with pytest.raises(SafetyError, match="variable X in the head is not bound"):
        Program.from_text("path(X, y) :- edge(x, y).", dialect="plain")
    assert parse(".decl e(a: number)\ne(7 % 4).", dialect="souffle").rules[0].head.args[0].op == "%"
    assert parse(".decl e(a: number)\ne(7). % a comment", dialect="plain").rules[0].head.args[0].value == 7


@pytest.mark.parametrize("text, dialect, message", [
    ("// edges\n  % old comment\np(x) :- q(x).", "souffle",
     r"<text>:2:3: a line starting with '%' is a comment only in the plain dialect \(Soufflé's comments are // and /\* \*/\); "
     r"read the file with dialect='plain'"),
    ("p(X) :- q(X).\n.input q\n", "plain", r"<text>:2:1: .input is a directive of Soufflé's dialect; read the file with "
     r"dialect='souffle' \(or 'auto'\)"),
    ("p(X) :- q(X).", "datalog", r"unknown rule dialect 'datalog'; choose one of auto, plain, souffle"),
])
def test_a_construct_of_the_other_dialect_is_located(text, dialect, message):
    with pytest.raises(NeurosymError, match=message):
        parse(text, dialect=dialect)


def test_a_saved_model_keeps_its_dialect(tmp_path):
    program = Program.from_text("// comment\nedge(1, 2).\np(x) :- edge(x, _).", dialect="souffle")
    program.evaluate({}).save(tmp_path / "m")
    assert Model.load(tmp_path / "m").query("p").values.tolist() == [[1]]


OPERATORS = """
.decl r(a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number,
        k: number, l: float, m: number, n: number)
r(12 band 10, 12 bor 3, 12 bxor 10, 1 bshl 4, 0x100 bshr 4, 2 land 0, 2 lor 0, 3 lxor 0, bnot 0, lnot 5,
  0b101 + 1 band 7, to_float(3), to_unsigned(2.7), bnot (1 bor 2) band 0xF).
"""


@pytest.mark.parametrize("engine", ["native", "pydatalog"])
def test_souffle_integer_operators_and_literals(engine):
    """Bitwise and logical operators with Soufflé's precedence (below + -), hexadecimal and binary literals."""
    model = Program.from_text(OPERATORS).evaluate({}, engine=engine)
    assert model.query("r").astype(object).values.tolist() == [[8, 15, 6, 16, 16, 0, 1, 1, -1, 0, 6, 3.0, 2, 12]]


def test_integer_operators_reject_floats():
    with pytest.raises(RuleError, match=r"'band' takes integers, got a float \(1.5\)"):
        Program.from_text("p(X) :- q(X), X = 1.5 band 1.").evaluate({"q": [(1,)]})


@pytest.mark.parametrize("engine", ["native", "pydatalog"])
def test_souffle_disjunction(engine):
    """';' between alternatives, parenthesised groups, negated groups (De Morgan) and several heads: one rule each."""
    text = """
    .decl a(x: number)
    .decl b(x: number)
    a(1). a(2). a(3). a(4). b(2). b(3).
    u(x) :- a(x), (x = 1 ; b(x)).
    v(x) :- a(x), !(b(x) ; x = 4).
    w(x) :- b(x) ; a(x), x > 3.
    h1(x), h2(x) :- b(x), x > 2.
    """
    program = Program.from_text(text)
    assert [r.id for r in program.rules if r.head.rel == "u"] == ["<text>:5:5#1", "<text>:5:5#2"]
    model = program.evaluate({}, engine=engine)
    assert model.query("u").values.tolist() == [[1], [2], [3]]
    assert model.query("v").values.tolist() == [[1]]
    assert model.query("w").values.tolist() == [[2], [3], [4]]
    assert model.query("h1").values.tolist() == model.query("h2").values.tolist() == [[3]]
    with pytest.raises(RuleSyntaxError, match="a negated group may hold only single atoms or comparisons"):
        Program.from_text(".decl a(x: number)\nv(x) :- a(x), !(a(x), x > 1 ; x = 4).")
    with pytest.raises(RuleSyntaxError, match=r"<text>:1:11: several heads need a body"):
        Program.from_text("a(1), b(2).")


SOUFFLE_MORE = """
.type Name = First | Last
.type First <: symbol
.type Last <: symbol
.decl a, b(x: number)
.decl who(n: Name)
a(1). a(2). a(5). b(2). who("ann").
.decl e(i: number, v: number)
e(1, count : { a(_) } + 1).
e(2, y) :- a(x), x > 1, y = x + sum z : { a(z), z < x }.
e(3, y) :- y = max z : { a(z) } * 10.
e(4, count : { false } + count : { true }).
e(5, s) :- a(x), x < 2, s = sum t : { t = x + 1 }.
e(6, s) :- s = sum y : { a(n), y = sum z : { a(z), z < n }, y < 3 }.
e(7, 255.0.0.1 - 4278190080 + 7u) :- true, !b(1).
    .plan 0:(1,2), 1:(2,1)
"""


@pytest.mark.parametrize("engine", ["native", "pydatalog"])
def test_souffle_declarations_constants_and_aggregates_in_expressions(engine):
    """Several relations per .decl, unions and late .types, true/false, aggregates inside expressions (heads too),
    aggregate bodies without atoms, nested aggregates, IPv4 and unsigned constants, .plan read and ignored."""
    program = Program.from_text(SOUFFLE_MORE)
    assert [(d.rel, d.columns) for d in program.module.decls][:3] == [("a", (("x", "number"),)), ("b", (("x", "number"),)),
                                                                     ("who", (("n", "symbol"),))]
    model = program.evaluate({}, engine=engine)
    assert model.query("e").values.tolist() == [[1, 4], [2, 3], [2, 8], [3, 50], [4, 1], [5, 2], [6, 1], [7, 8]]


@pytest.mark.parametrize("engine", ["native", "pydatalog"])
def test_eqrel_is_closed_under_equivalence(engine):
    text = ".decl same(x: symbol, y: symbol) eqrel\nsame(\"a\", \"b\"). same(\"c\", \"b\"). same(\"d\", \"e\").\n"
    program = Program.from_text(text)
    assert [r.id for r in program.rules][-3:] == ["<text>:1:34#eqrel-reflexive", "<text>:1:34#eqrel-symmetric",
                                                  "<text>:1:34#eqrel-transitive"]
    pairs = program.evaluate({}, engine=engine).query("same").values.tolist()
    assert pairs == [[x, y] for x in "abc" for y in "abc"] + [[x, y] for x in "de" for y in "de"]


RANGES = """
.decl o(i: number, x: number)
o(1, x) :- x = range(1, 4).
o(2, x) :- x = range(9, 6).
o(3, x) :- x = range(1, 9, 3).
o(4, x) :- x = range(5, 5, 0).
o(5, x) :- x = range(5, 1, 0).
o(6, n) :- n = count : { x = range(0, 10), x % 2 = 0 }.
o(7, x + y) :- x = range(1, 3), y = range(x, 3).
.decl f(i: number, x: float)
f(1, x) :- x = range(1.5, -1.0, -0.5).
f(2, x) :- x = range(-1, 0, 0.25).
"""


def test_range_generates_as_souffle_does():
    """From ``from`` while before ``to`` by ``step`` (1, or -1 counting down); step 0 gives ``from`` unless from = to."""
    model = Program.from_text(RANGES).evaluate({})
    assert model.query("o").values.tolist() == [[1, 1], [1, 2], [1, 3], [2, 7], [2, 8], [2, 9], [3, 1], [3, 4], [3, 7],
                                                [5, 5], [6, 5], [7, 2], [7, 3], [7, 4]]
    assert model.query("f").values.tolist() == [[1, -0.5], [1, 0.0], [1, 0.5], [1, 1.0], [1, 1.5], [2, -1.0], [2, -0.75],
                                                [2, -0.5], [2, -0.25]]


@pytest.mark.parametrize("text, message", [
    (".decl o(x: number)\no(range(1, 3)).", r"<text>:2:3: range\(1, 3\) generates values: write V = range\(1, 3\) as a body literal"),
    (".decl o(x: number)\no(x) :- x = range(1, 3) + 1.", r"<text>:2:13: range\(1, 3\) generates values"),
    (".decl o(x: number)\no(x) :- x = range(1, 3), x < range(1, 2).", r"<text>:2:30: range\(1, 2\) generates values"),
])
def test_range_elsewhere_is_located(text, message):
    with pytest.raises(RuleError, match=message):
        Program.from_text(text)


def test_pydatalog_refuses_range_with_its_location():
    with pytest.raises(EvaluationError, match=r"<text>:3:12: the pydatalog engine does not evaluate the range\(\) generator"):
        Program.from_text(RANGES).evaluate({}, engine="pydatalog")


CONVERSIONS = """
.type string <: symbol
.decl f(x: float)
f(-124.932). f(0.5). f(2.999). f(1e30).
.decl s(x: string)
s("12"). s("0x1F"). s("1.5"). s("-0b11"). s(" 7 "). s("1e3").
.decl n(i: number, x: number)
n(1, to_number(x)) :- f(x).
n(2, to_number(x)) :- s(x).
n(3, to_number(to_number(7))).
n(4, as(to_number(to_float(x)), number)) :- x = 5.
.decl m(a: symbol, b: symbol)
m(min("b", "a", "c"), max(x, "1")) :- s(x), strlen(x) = 3.
"""


@pytest.mark.parametrize("engine", ["native", "pydatalog"])
def test_souffle_conversions(engine):
    """to_number reads text, truncates a float toward zero (beyond 64 bits: undefined) and keeps an integer; as() only
    names a type; min/max of symbols compare their bytes; a program may define its own .type string."""
    model = Program.from_text(CONVERSIONS).evaluate({}, engine=engine)
    assert model.query("n").values.tolist() == [[1, -124], [1, 0], [1, 2], [2, -3], [2, 7], [2, 12], [2, 31], [3, 7], [4, 5]]
    assert model.query("m").values.tolist() == [["a", "1"], ["a", "1.5"], ["a", "1e3"]]
