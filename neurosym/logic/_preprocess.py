"""Soufflé's C preprocessor, the part its programs use: ``#include``, ``#define``, ``#undef`` and conditionals.

Soufflé runs its input through a C preprocessor.  This one is textual and
never executes anything: ``#include "file"`` inserts a file found relative to
the including one (inside its directory tree), ``#define NAME body`` and
``#define NAME(a, b) body`` (with ``##`` pasting and ``\\`` continued lines)
replace identifiers outside strings and comments, ``#undef`` forgets, and
``#if``/``#ifdef``/``#ifndef``/``#elif``/``#else``/``#endif`` keep or drop lines;
``#if`` takes integers, macros, ``defined(NAME)``, ``! * / % + - < <= > >= == !=
&& ||`` and parentheses.  ``RAM_DOMAIN_SIZE`` is 64 (numbers are 64-bit here).

Every output line remembers the file and line it came from, so errors point
into the file that was written; directive lines become empty lines.

Examples
--------
>>> out = preprocess("#define TWO 2\\n#if TWO > 1\\na(TWO).\\n#else\\na(0).\\n#endif", "<text>")
>>> out.text.split("\\n")[2], out.origin[2]
('a(2).', ('<text>', 3))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from neurosym._errors import RuleSyntaxError

__all__ = ["Preprocessed", "preprocess", "has_directives", "MAX_INCLUDE_DEPTH"]

#: Deepest nesting of ``#include`` accepted (a cycle stops here with an error).
MAX_INCLUDE_DEPTH = 16

_DIRECTIVE = re.compile(r"^\s*#\s*([A-Za-z_]+)\b\s*(.*)$")
_ANY_DIRECTIVE = re.compile(r"^\s*#\s*[A-Za-z_]+", re.MULTILINE)
_LEXEME = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|[A-Za-z_][A-Za-z0-9_]*|\s+|.', re.DOTALL)
_IF_TOKEN = re.compile(r"\s*(\d+|[A-Za-z_][A-Za-z0-9_]*|&&|\|\||==|!=|<=|>=|[-+*/%<>!()])")


def has_directives(text: str) -> bool:
    """Whether a text has a preprocessor line (``#`` and a word at the start of a line).

    >>> has_directives("#define X 1\\na(X)."), has_directives("a(1).")
    (True, False)
    """
    return _ANY_DIRECTIVE.search(text) is not None


@dataclass
class Preprocessed:
    """The text to parse, the (file, line) each of its lines came from, and every file's lines (for carets)."""

    text: str
    origin: list[tuple[str, int]]
    sources: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Macro:
    params: tuple[str, ...] | None  # None: an object-like macro
    body: str


class _Preprocessor:
    def __init__(self, root: str) -> None:
        self.macros: dict[str, _Macro] = {"RAM_DOMAIN_SIZE": _Macro(None, "64")}
        self.root = Path(root).resolve().parent if root != "<text>" else None
        self.out: list[str] = []
        self.origin: list[tuple[str, int]] = []
        self.sources: dict[str, list[str]] = {}

    def error(self, message: str, path: str, line: int, col: int = 1) -> RuleSyntaxError:
        lines = self.sources.get(path, [])
        return RuleSyntaxError(message, path=path, line=line, col=col,
                               source_line=lines[line - 1] if 0 < line <= len(lines) else None)

    def run(self, text: str, path: str, depth: int = 0) -> None:
        lines = text.split("\n")
        self.sources[path] = lines
        stack: list[list[bool]] = []  # per open #if: [this branch kept, some branch taken, enclosing kept]
        k = 0
        while k < len(lines):
            start = k
            logical = lines[k]
            while logical.endswith("\\") and _DIRECTIVE.match(lines[start]) and k + 1 < len(lines):
                k += 1
                logical = logical[:-1] + " " + lines[k]
            k += 1
            kept = all(frame[0] for frame in stack)
            m = _DIRECTIVE.match(logical)
            if m is None:
                self.emit(self.expand(logical, set(), path, start + 1) if kept else "", path, start + 1)
                continue
            name, rest = m.group(1), _strip_comments(m.group(2)).strip()
            for j in range(start, k):  # the directive's lines stay, empty, so later lines keep their numbers
                self.emit("", path, j + 1)
            if name in ("if", "ifdef", "ifndef"):
                value = kept and (self.condition(rest, path, start + 1) if name == "if" else
                                  (rest in self.macros) == (name == "ifdef"))
                stack.append([value, value, kept])
            elif name in ("elif", "else", "endif"):
                if not stack:
                    raise self.error(f"#{name} without #if", path, start + 1)
                frame = stack[-1]
                if name == "endif":
                    stack.pop()
                else:
                    frame[0] = frame[2] and not frame[1] and (name == "else" or self.condition(rest, path, start + 1))
                    frame[1] = frame[1] or frame[0]
            elif not kept:
                continue
            elif name == "define":
                self.define(rest, path, start + 1)
            elif name == "undef":
                self.macros.pop(rest, None)
            elif name == "include":
                self.include(rest, path, start + 1, depth)
            else:
                raise self.error(f"preprocessor directive #{name} is not supported (supported: #include, #define, #undef, "
                                 "#if, #ifdef, #ifndef, #elif, #else, #endif)", path, start + 1)
        if stack:
            raise self.error("#if without #endif", path, len(lines))

    def emit(self, line: str, path: str, number: int) -> None:
        self.out.append(line)
        self.origin.append((path, number))

    def define(self, rest: str, path: str, line: int) -> None:
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(\(([^)]*)\))?\s*(.*)$", rest, re.DOTALL)
        if m is None:
            raise self.error(f"#define needs a name, found {rest!r}", path, line)
        params = None if m.group(2) is None else tuple(p.strip() for p in m.group(3).split(",") if p.strip())
        self.macros[m.group(1)] = _Macro(params, m.group(4).strip())

    def include(self, rest: str, path: str, line: int, depth: int) -> None:
        m = re.fullmatch(r'"([^"]+)"', rest)
        if m is None:
            raise self.error(f'#include takes a "file" name, found {rest!r}', path, line)
        if self.root is None:
            raise self.error("#include needs a program read from a file (its directory is where the file is found)", path, line)
        if depth >= MAX_INCLUDE_DEPTH:
            raise self.error(f"#include nested more than {MAX_INCLUDE_DEPTH} deep (a file includes itself?)", path, line)
        target = (Path(path).resolve().parent / m.group(1)).resolve()
        if not target.is_relative_to(self.root):
            raise self.error(f"#include {m.group(1)!r} leaves the program's directory {self.root}", path, line)
        if not target.is_file():
            raise self.error(f"#include {m.group(1)!r}: no such file {target}", path, line)
        self.run(target.read_text(encoding="utf-8"), str(target), depth + 1)

    # -- macro expansion -------------------------------------------------
    def expand(self, text: str, disabled: set[str], path: str, line: int) -> str:
        """``text`` with every macro outside strings and comments replaced, rescanned (a macro never expands in itself)."""
        pieces = _LEXEME.findall(text)
        out: list[str] = []
        i = 0
        while i < len(pieces):
            piece = pieces[i]
            macro = self.macros.get(piece)
            i += 1
            if macro is None or piece in disabled:
                out.append(piece)
                continue
            if macro.params is None:
                out.append(self.expand(macro.body, disabled | {piece}, path, line))
                continue
            j = i
            while j < len(pieces) and pieces[j].isspace():
                j += 1
            if j >= len(pieces) or pieces[j] != "(":
                out.append(piece)  # a function-like macro's name without arguments stays
                continue
            args, i = self.arguments(pieces, j + 1, piece, path, line)
            if len(args) != len(macro.params) and not (macro.params == () and args == [""]):
                raise self.error(f"macro {piece} takes {len(macro.params)} arguments, got {len(args)}", path, line)
            body = self.substitute(macro, args, disabled, path, line)
            out.append(self.expand(body, disabled | {piece}, path, line))
        return "".join(out)

    def arguments(self, pieces: list[str], i: int, name: str, path: str, line: int) -> tuple[list[str], int]:
        args, current, depth = [], [], 0
        while i < len(pieces):
            piece = pieces[i]
            i += 1
            if piece == "(":
                depth += 1
            elif piece == ")":
                if depth == 0:
                    args.append("".join(current).strip())
                    return args, i
                depth -= 1
            elif piece == "," and depth == 0:
                args.append("".join(current).strip())
                current = []
                continue
            current.append(piece)
        raise self.error(f"the arguments of macro {name} do not close on this line", path, line)

    def substitute(self, macro: _Macro, args: list[str], disabled: set[str], path: str, line: int) -> str:
        assert macro.params is not None
        values = dict(zip(macro.params, args))
        pieces = _LEXEME.findall(macro.body)
        out: list[str] = []
        for k, piece in enumerate(pieces):
            if piece in values:
                pasted = _next_solid(pieces, k, -1) == "#" or _next_solid(pieces, k, 1) == "#"
                out.append(values[piece] if pasted else self.expand(values[piece], disabled, path, line))
            else:
                out.append(piece)
        return re.sub(r"\s*##\s*", "", "".join(out))

    # -- #if -------------------------------------------------------------
    def condition(self, text: str, path: str, line: int) -> bool:
        text = re.sub(r"\bdefined\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)|\bdefined\s+([A-Za-z_][A-Za-z0-9_]*)",
                      lambda m: "1" if (m.group(1) or m.group(2)) in self.macros else "0", text)
        tokens, pos = [], 0
        text = self.expand(text, set(), path, line).strip()
        while pos < len(text):
            m = _IF_TOKEN.match(text, pos)
            if m is None:
                raise self.error(f"#if cannot read {text[pos:]!r}", path, line)
            tokens.append(m.group(1))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        value, rest = _IfParser(tokens).parse()
        if rest:
            raise self.error(f"#if cannot read {' '.join(rest)!r}", path, line)
        return value != 0


def _next_solid(pieces: list[str], k: int, step: int) -> str:
    k += step
    while 0 <= k < len(pieces) and pieces[k].isspace():
        k += step
    return pieces[k] if 0 <= k < len(pieces) else ""


def _strip_comments(text: str) -> str:
    return "".join(p for p in _LEXEME.findall(text) if not (p.startswith("//") or p.startswith("/*")))


class _IfParser:
    """Precedence climbing over ``#if`` tokens; identifiers left after expansion are 0, as in C."""

    _BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.i = 0

    def parse(self) -> tuple[int, list[str]]:
        value = self.binary(1)
        return value, self.tokens[self.i:]

    def binary(self, level: int) -> int:
        left = self.unary()
        while self.i < len(self.tokens) and self._BINARY.get(self.tokens[self.i], 0) >= level:
            op = self.tokens[self.i]
            self.i += 1
            right = self.binary(self._BINARY[op] + 1)
            left = _apply(op, left, right)
        return left

    def unary(self) -> int:
        token = self.tokens[self.i] if self.i < len(self.tokens) else ")"
        self.i += 1
        if token == "!":
            return int(not self.unary())
        if token == "-":
            return -self.unary()
        if token == "(":
            value = self.binary(1)
            self.i += 1  # the ')'
            return value
        return int(token) if token.isdigit() else 0


def _apply(op: str, a: int, b: int) -> int:
    if op in ("/", "%") and b == 0:
        return 0
    return {"||": int(bool(a or b)), "&&": int(bool(a and b)), "==": int(a == b), "!=": int(a != b), "<": int(a < b),
            "<=": int(a <= b), ">": int(a > b), ">=": int(a >= b), "+": a + b, "-": a - b, "*": a * b,
            "/": int(a / b) if b else 0, "%": a % b if b else 0}[op]


def preprocess(text: str, path: str) -> Preprocessed:
    """Run the directives of ``text`` (read from ``path``; ``<text>`` for a string, which may not ``#include``)."""
    pre = _Preprocessor(path)
    pre.run(text, path)
    return Preprocessed("\n".join(pre.out), pre.origin, pre.sources)
