"""Regular expressions of Soufflé's ``match(pattern, text)``: which patterns are accepted.

Soufflé matches with C++ ``std::regex`` (ECMAScript syntax) against the whole
text; the engines here run RE2 (DuckDB's ``regexp_full_match``).  The two agree
on the common syntax (literals, ``.``, classes ``[a-z]`` and ``[[:digit:]]``,
``\\d \\w \\s``, groups, alternation, quantifiers ``* + ? {m,n}`` and their lazy
forms).  A constant pattern is checked before evaluation and rejected, at its
position, when RE2 cannot compile it or when it uses syntax that only one of the
two has: backreferences and lookahead (ECMAScript only), or inline flags, named
groups, ``\\p`` classes, ``\\A``, ``\\z``, ``\\Q...\\E`` and ``\\C`` (RE2 only).
Soufflé treats such a pattern as matching nothing, with a warning; here it is
an error.

Examples
--------
>>> pattern_problem("a.*[[:digit:]]+"), pattern_problem("(a)\\\\1")
(None, 'backreferences (\\\\1) are not supported: RE2 evaluates the pattern')
>>> pattern_problem("a(")
'invalid regular expression: missing ): a('
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import duckdb

from neurosym._errors import NeurosymError

__all__ = ["check_pattern", "pattern_problem"]

#: Syntax one of the two regular-expression languages lacks, with the reason (scanned outside character classes).
_UNSHARED = (
    (re.compile(r"\\[1-9]"), "backreferences (\\1) are not supported: RE2 evaluates the pattern"),
    (re.compile(r"\(\?[=!]"), "lookahead ((?= ...), (?! ...)) is not supported: RE2 evaluates the pattern"),
    (re.compile(r"\(\?<?[=!]"), "lookbehind is not supported (neither ECMAScript's std::regex nor RE2 has it)"),
    (re.compile(r"\(\?P?<"), "named groups are not ECMAScript syntax (Soufflé's std::regex)"),
    (re.compile(r"\(\?[a-zA-Z-]"), "inline flags such as (?i) are not ECMAScript syntax (Soufflé's std::regex)"),
    (re.compile(r"\\[pPAzQEC]"), "\\p, \\P, \\A, \\z, \\Q, \\E and \\C are not ECMAScript syntax (Soufflé's std::regex)"),
)
#: Escapes and character classes, removed before scanning so ``\\\\1`` or ``[(?=]`` raise nothing.
_ESCAPED = re.compile(r"\\\\|\[\^?\]?(?:\[:[a-z]+:\]|\\.|[^\]])*\]")


@lru_cache(maxsize=1024)
def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used by ``match`` (``None`` when it can)."""
    scanned = _ESCAPED.sub("", pattern)
    for syntax, reason in _UNSHARED:
        if syntax.search(scanned):
            return reason
    try:
        with duckdb.connect() as con:
            con.execute("SELECT regexp_full_match('', ?)", [pattern]).fetchall()
    except duckdb.Error as err:
        return f"invalid regular expression: {str(err).split(': ', 1)[-1]}"
    return None


def check_pattern(pattern: str, error: Callable[[str], NeurosymError]) -> None:
    """Raise ``error(message)`` (an error located at the pattern) when ``pattern`` cannot be used."""
    problem = pattern_problem(pattern)
    if problem is not None:
        raise error(f"match(): {problem}: {pattern!r}")
