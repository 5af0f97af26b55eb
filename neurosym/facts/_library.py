"""The clinical rule library in ``rules/``: its topics, their files and a loader.

The library is a set of Datalog files, one per topic (``glycemic``,
``kidney``, ``cardiometabolic``, ``lifelog``, ``risk``, plus the shared
``common`` and ``medications``); ``rules/README.md`` lists the relations,
thresholds and citations.  :func:`load_rule_library` finds the directory
(:func:`~neurosym._resources.rules_dir`: ``$NEUROSYM_RULES``, the installed
package data or a source checkout) and adds the files a topic depends on.

Examples
--------
>>> [p.name for p in library_files(["kidney"])]
['common.dl', 'kidney.dl']
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from neurosym._errors import UnknownIdError
from neurosym._resources import rules_dir
from neurosym.logic import Program
from neurosym.logic._ast import Atom, Const, Negation

__all__ = ["RULE_TOPICS", "library_files", "load_rule_library", "required_ancestors"]

#: Topic files of the library and the topics each one needs (loaded with it).
RULE_TOPICS: dict[str, tuple[str, ...]] = {
    "common": (),
    "medications": (),
    "glycemic": ("common", "medications"),
    "kidney": ("common",),
    "cardiometabolic": ("common", "medications", "glycemic"),
    "lifelog": (),
    "risk": ("common", "medications", "glycemic", "cardiometabolic", "lifelog"),
}


def library_files(names: str | Iterable[str] | None = None) -> list[Path]:
    """The rule files of some topics and of the topics they need, dependencies first.

    Parameters
    ----------
    names : str or iterable of str, optional
        Topics from :data:`RULE_TOPICS`; default every ``*.dl`` file of the library.

    Raises
    ------
    UnknownIdError
        For a topic the library does not have.
    ResourceNotFoundError
        When the library directory is not found.
    """
    directory = rules_dir()
    if names is None:
        return sorted(directory.glob("*.dl"))
    wanted: list[str] = []

    def add(name: str) -> None:
        if name not in RULE_TOPICS:
            hint = difflib.get_close_matches(name, RULE_TOPICS, n=1)
            raise UnknownIdError(f"unknown rule topic {name!r}; choose from {', '.join(RULE_TOPICS)}"
                                 + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        for dep in RULE_TOPICS[name]:
            add(dep)
        if name not in wanted:
            wanted.append(name)

    for name in [names] if isinstance(names, str) else names:
        add(name)
    return [directory / f"{name}.dl" for name in wanted]


def load_rule_library(names: str | Iterable[str] | None = None) -> Program:
    """Parse the clinical rule library (or some topics of it) into one :class:`~neurosym.logic.Program`.

    Parameters
    ----------
    names : str or iterable of str, optional
        Topics from :data:`RULE_TOPICS` (``"glycemic"``, ``"kidney"``,
        ``"cardiometabolic"``, ``"lifelog"``, ``"risk"``, ...); the topics
        they depend on are added.  Default: every ``*.dl`` file.

    Returns
    -------
    Program

    Raises
    ------
    UnknownIdError
        For an unknown topic.
    ResourceNotFoundError
        When the library directory is not found.

    Examples
    --------
    >>> "ckd_g_stage" in load_rule_library(["kidney"]).arities()
    True
    """
    return Program.from_files(library_files(names))


def required_ancestors(program: Program) -> list[str]:
    """Ancestor concepts (CURIEs) that the program's ``is_a`` atoms name as constants.

    Examples
    --------
    >>> required_ancestors(Program.from_text('d(P) :- c(P, S, C), is_a(S, C, icd10cm, "E08-E13").'))
    ['icd10cm:E08-E13']
    """
    found: dict[str, None] = {}

    def visit(lit) -> None:
        atom = lit.atom if isinstance(lit, Negation) else lit
        if isinstance(atom, Atom) and atom.rel == "is_a" and len(atom.args) == 4:
            system, code = atom.args[2], atom.args[3]
            if isinstance(system, Const) and isinstance(code, Const):
                found[f"{system.value}:{code.value}"] = None
        for inner in getattr(getattr(lit, "aggregate", None), "body", ()):
            visit(inner)

    for rule in program.rules:
        for lit in rule.body:
            visit(lit)
    return sorted(found)
