"""Tokenizer of the rule language.  Text is only ever read, never executed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from neurosym._errors import InputError, RuleSyntaxError

__all__ = ["DIALECTS", "OPERATOR_WORDS", "Token", "tokenize", "souffle_dialect", "MAX_TEXT_CHARS"]

#: The rule dialects: ``plain`` (upper-case variables, ``%`` comments), ``souffle`` (Soufflé's: lower-case
#: variables, ``%`` is the remainder) and ``auto`` (Soufflé's when the text has a ``.decl`` line and no line
#: starting with ``%``; otherwise plain).
DIALECTS = ("auto", "plain", "souffle")

#: Largest rule text accepted (characters); bigger inputs fail with a clear error.
MAX_TEXT_CHARS = 20_000_000

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v]+|\n)
  | (?P<comment>%[^\n]*|//[^\n]*)
  | (?P<block>/\*)
  | (?P<ipv4>\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b)
  | (?P<float>\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<int>(?:0x[0-9A-Fa-f]+|0b[01]+|\d+)u?\b)
  | (?P<string>")
  | (?P<directive>\.(?:decl|input|output|type|printsize|comp|init|pragma|functor|plan|limitsize|override)\b)
  | (?P<var>[A-Z_][A-Za-z0-9_]*)
  | (?P<ident>[a-z][A-Za-z0-9_]*)
  | (?P<punct>:-|<=|>=|!=|<:|[(),.:;{}@=<>!+\-*/|^])
    """,
    re.VERBOSE,
)

#: Comments of the plain dialect; Soufflé's dialect has only ``//`` and ``/* */`` (``%`` is its modulo).
_SOUFFLE_COMMENT = re.compile(r"//[^\n]*")
_DIALECT = re.compile(r"^\s*\.decl\b", re.MULTILINE)

#: Soufflé's bitwise and logical operators, written as words (``x band y``, ``lnot x``).
OPERATOR_WORDS = ("band", "bor", "bxor", "bshl", "bshr", "land", "lor", "lxor", "bnot", "lnot")

#: Words that stay keywords in Soufflé's dialect when no ``(`` follows (aggregates, operators).
_KEYWORDS = {"count", "sum", "min", "max", "mean", "not", *OPERATOR_WORDS}

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


@dataclass(frozen=True)
class Token:
    """One token: kind (``var ident int float string directive punct eof``), text/value, position."""

    kind: str
    value: object
    line: int
    col: int


def souffle_dialect(text: str, dialect: str = "auto") -> bool:
    """Whether to read a text in Soufflé's dialect: as ``dialect`` says, or for ``auto`` when it declares its relations
    (a line starting with ``.decl``) and has no line starting with ``%`` (a plain-dialect comment).

    >>> souffle_dialect(".decl edge(x: number, y: number)"), souffle_dialect("path(X, Y) :- edge(X, Y).")
    (True, False)
    >>> souffle_dialect("% edges\\n.decl edge(x: number, y: number)"), souffle_dialect("p(X) :- q(X).", "souffle")
    (False, True)
    """
    if dialect not in DIALECTS:
        raise InputError(f"unknown rule dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
    if dialect != "auto":
        return dialect == "souffle"
    return _DIALECT.search(text) is not None and re.search(r"^\s*%", text, re.MULTILINE) is None


def tokenize(text: str, path: str = "<text>", dialect: str = "auto") -> list[Token]:
    """Split rule text into tokens; raise :class:`RuleSyntaxError` at the first bad character.

    An identifier followed by ``(`` is a relation or function name (kind ``ident``) in both dialects.
    Otherwise, in the plain dialect an upper-case (or ``_``) identifier is a variable and a lower-case one a
    constant; in Soufflé's dialect (see :func:`souffle_dialect` for ``auto``) every identifier is a variable,
    except the aggregate keywords, and ``%`` is the remainder operator.  A construct of the other dialect is a
    :class:`RuleSyntaxError` at its position: a line starting with ``%`` in Soufflé's dialect, a Soufflé
    directive other than ``.decl`` when the plain dialect is asked for.

    >>> [t.value for t in tokenize('a(X, "s") :- b(X).')][:6]
    ['a', '(', 'X', ',', 's', ')']
    >>> [t.kind for t in tokenize("Edge(x, y)", dialect="souffle")][:4]
    ['ident', 'punct', 'var', 'punct']
    """
    souffle = souffle_dialect(text, dialect)
    tokens = _tokens(text, path, souffle, strict=dialect != "auto")
    for k, tok in enumerate(tokens[:-1]):
        call = tokens[k + 1].kind == "punct" and tokens[k + 1].value == "("
        if tok.kind == "var" and call and tok.value != "_":
            tokens[k] = Token("ident", tok.value, tok.line, tok.col)
        elif souffle and tok.kind == "ident" and not call and tok.value not in _KEYWORDS:
            prev = tokens[k - 1] if k else None
            if not (prev is not None and prev.kind == "directive"):
                tokens[k] = Token("var", tok.value, tok.line, tok.col)
    return tokens


def _tokens(text: str, path: str, souffle: bool, strict: bool) -> list[Token]:
    if len(text) > MAX_TEXT_CHARS:
        raise RuleSyntaxError(f"rule text too large ({len(text):,} characters; limit {MAX_TEXT_CHARS:,})", path=path, line=1, col=1)
    lines = text.split("\n")
    tokens: list[Token] = []
    pos, line, line_start = 0, 1, 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        col = pos - line_start + 1
        if m is None:
            raise RuleSyntaxError(f"unexpected character {text[pos]!r}", path=path, line=line, col=col, source_line=lines[line - 1])
        kind = m.lastgroup
        if kind == "ws":
            if m.group() == "\n":
                line, line_start = line + 1, m.end()
            pos = m.end()
            continue
        if kind == "comment":
            if souffle and m.group().startswith("%") and not text[line_start:pos].strip():
                raise RuleSyntaxError("a line starting with '%' is a comment only in the plain dialect (Soufflé's comments "
                                      "are // and /* */); read the file with dialect='plain'", path=path, line=line, col=col,
                                      source_line=lines[line - 1])
            if souffle and m.group().startswith("%"):
                tokens.append(Token("punct", "%", line, col))
                pos += 1
                continue
            pos = m.end()
            continue
        if kind == "block":
            end = text.find("*/", m.end())
            if end < 0:
                raise RuleSyntaxError("unterminated /* comment", path=path, line=line, col=col, source_line=lines[line - 1])
            newlines = text.count("\n", pos, end)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", pos, end) + 1
            pos = end + 2
            continue
        if kind == "string":
            value, pos = _read_string(text, m.end(), path, line, col, lines[line - 1])
            tokens.append(Token("string", value, line, col))
            continue
        raw = m.group()
        if kind == "directive" and strict and not souffle and raw != ".decl":
            raise RuleSyntaxError(f"{raw} is a directive of Soufflé's dialect; read the file with dialect='souffle' (or 'auto')",
                                  path=path, line=line, col=col, source_line=lines[line - 1])
        value: object = raw
        if kind == "ipv4":  # Soufflé's IPv4 constant: the address as a number
            parts = [int(p) for p in raw.split(".")]
            if max(parts) > 255:
                raise RuleSyntaxError(f"IPv4 constant {raw} has a part above 255", path=path, line=line, col=col,
                                      source_line=lines[line - 1])
            kind, value = "int", (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]
        elif kind == "int":
            digits = raw.rstrip("u")  # 7u: Soufflé's unsigned constant, a number here
            value = int(digits, 0) if digits[:2] in ("0x", "0b") else int(digits)  # hexadecimal and binary as in Soufflé
            if value > 2**63 - 1:
                raise RuleSyntaxError(f"integer {raw} is beyond the 64-bit range (at most {2**63 - 1})", path=path, line=line,
                                      col=col, source_line=lines[line - 1])
        elif kind == "float":
            value = float(raw)
            if value in (float("inf"), float("-inf")):
                raise RuleSyntaxError(f"number {raw} is beyond the float range", path=path, line=line, col=col,
                                      source_line=lines[line - 1])
        tokens.append(Token(kind, value, line, col))
        pos = m.end()
    tokens.append(Token("eof", "end of input", line, pos - line_start + 1))
    return tokens


def _read_string(text: str, pos: int, path: str, line: int, col: int, source_line: str) -> tuple[str, int]:
    out = []
    while pos < len(text):
        ch = text[pos]
        if ch == '"':
            return "".join(out), pos + 1
        if ch == "\n":
            break
        if ch == "\\":
            nxt = text[pos + 1 : pos + 2]
            if nxt not in _ESCAPES:
                raise RuleSyntaxError(f"unknown escape \\{nxt} in string", path=path, line=line, col=col, source_line=source_line)
            out.append(_ESCAPES[nxt])
            pos += 2
            continue
        out.append(ch)
        pos += 1
    raise RuleSyntaxError("unterminated string", path=path, line=line, col=col, source_line=source_line)
