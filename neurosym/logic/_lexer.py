"""Tokenizer of the rule language.  Text is only ever read, never executed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from neurosym._errors import RuleSyntaxError

__all__ = ["Token", "tokenize", "MAX_TEXT_CHARS"]

#: Largest rule text accepted (characters); bigger inputs fail with a clear error.
MAX_TEXT_CHARS = 20_000_000

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f\v]+|\n)
  | (?P<comment>%[^\n]*|//[^\n]*)
  | (?P<block>/\*)
  | (?P<float>\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
  | (?P<int>\d+)
  | (?P<string>")
  | (?P<directive>\.(?:decl|input|output)\b)
  | (?P<var>[A-Z_][A-Za-z0-9_]*)
  | (?P<ident>[a-z][A-Za-z0-9_]*)
  | (?P<punct>:-|<=|>=|!=|[(),.:{}@=<>!+\-*/])
    """,
    re.VERBOSE,
)

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


@dataclass(frozen=True)
class Token:
    """One token: kind (``var ident int float string directive punct eof``), text/value, position."""

    kind: str
    value: object
    line: int
    col: int


def tokenize(text: str, path: str = "<text>") -> list[Token]:
    """Split rule text into tokens; raise :class:`RuleSyntaxError` at the first bad character.

    >>> [t.value for t in tokenize('a(X, "s") :- b(X).')][:6]
    ['a', '(', 'X', ',', 's', ')']
    """
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
        value: object = raw
        if kind == "int":
            value = int(raw)
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
