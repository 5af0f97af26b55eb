"""Soufflé's C preprocessor subset: #include, #define (object- and function-like, ##), #undef, conditionals."""

from __future__ import annotations

import pytest

from neurosym import RuleError, RuleSyntaxError
from neurosym.logic import Program
from neurosym.logic._preprocess import preprocess


def test_macros_and_conditionals_keep_line_numbers():
    text = """#define TWO 2
#define PAIR(a, b) a, b
#define REL(name) .decl name##_r(x: number, y: number) \\
    .output name##_r
REL(edge)
#if defined(TWO) && TWO * 2 == 4 && RAM_DOMAIN_SIZE == 64
edge_r(PAIR(TWO, 3)).
#elif 1
edge_r(0, 0).
#else
edge_r(9, 9).
#endif
#undef TWO
#ifndef TWO
edge_r(TWO, 1). // "TWO" stays
#endif"""
    out = preprocess(text, "<text>")
    lines = out.text.split("\n")
    assert lines[4].split() == [".decl", "edge_r(x:", "number,", "y:", "number)", ".output", "edge_r"]
    assert lines[6] == "edge_r(2, 3)." and lines[8] == lines[10] == ""
    assert lines[14] == 'edge_r(TWO, 1). // "TWO" stays'
    assert len(lines) == len(text.split("\n")) and out.origin[6] == ("<text>", 7)


def test_included_files_keep_their_own_locations(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "graph.dl").write_text(".decl edge(x: number, y: number)\nedge(1, 2).\npath(x, y) :- edge(x, y).\n")
    main = tmp_path / "main.dl"
    main.write_text('#include "lib/graph.dl"\n.decl path(x: number, y: number)\npath(x, z) :- path(x, y), edge(y, z).\n'
                    "bad(x) :- path(x, y), y = \"s\".\n")
    with pytest.raises(RuleError, match=r"main.dl:4:23: type error: 'y = s' compares a string with a number"):
        Program.from_file(main).evaluate({})
    main.write_text(main.read_text().replace('bad(x) :- path(x, y), y = "s".\n', "edge(2, 3).\n"))
    program = Program.from_file(main)
    assert [r.id.split("/")[-1] for r in program.rules] == ["graph.dl:2:1", "graph.dl:3:1", "main.dl:3:1", "main.dl:4:1"]
    assert program.evaluate({}).query("path").values.tolist() == [[1, 2], [1, 3], [2, 3]]


@pytest.mark.parametrize("text, message", [
    ('.decl a(x: number)\n#include "x.dl"', r"<text>:2:1: #include needs a program read from a file"),
    (".decl a(x: number)\n#if 1\na(1).", r"<text>:3:1: #if without #endif"),
    (".decl a(x: number)\n#endif", r"<text>:2:1: #endif without #if"),
    (".decl a(x: number)\n#warning no", r"<text>:2:1: preprocessor directive #warning is not supported"),
    (".decl a(x: number)\n#define F(a) a\na(F(1, 2)).", r"<text>:3:1: macro F takes 1 arguments, got 2"),
    (".decl a(x: number)\n#define F(a) a\na(F(1,\n2)).", r"<text>:3:1: the arguments of macro F do not close on this line"),
])
def test_errors_are_located(text, message):
    with pytest.raises(RuleSyntaxError, match=message):
        Program.from_text(text)


def test_an_include_may_not_leave_the_program_directory(tmp_path):
    (tmp_path / "secret.dl").write_text("a(1).\n")
    (tmp_path / "dir").mkdir()
    main = tmp_path / "dir" / "main.dl"
    main.write_text('.decl a(x: number)\n#include "../secret.dl"\n')
    with pytest.raises(RuleSyntaxError, match=r"main.dl:2:1: #include '../secret.dl' leaves the program's directory"):
        Program.from_file(main)
    main.write_text('.decl a(x: number)\n#include "main.dl"\n')
    with pytest.raises(RuleSyntaxError, match=r"#include nested more than 16 deep"):
        Program.from_file(main)
    main.write_text('.decl a(x: number)\n#include "none.dl"\n')
    with pytest.raises(RuleSyntaxError, match=r"main.dl:2:1: #include 'none.dl': no such file"):
        Program.from_file(main)
