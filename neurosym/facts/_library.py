"""The clinical rule library in ``rules/``: load it and assemble the facts it needs.

The library is a set of Datalog files, one per topic (``glycemic``,
``kidney``, ``cardiometabolic``, ``lifelog``, ``risk``, plus the shared
``common`` and ``medications``); ``rules/README.md`` lists the relations,
thresholds and citations.  :func:`load_rule_library` finds the directory
(in a source checkout, an editable install or ``$NEUROSYM_RULES``) and adds
the files a topic depends on; :func:`clinical_facts` turns a cohort into
base facts plus the ontology ``is_a`` rows the rules ask for.

Examples
--------
>>> from neurosym.data import synthetic_cohort
>>> cohort = synthetic_cohort(3, seed=0)
>>> program = load_rule_library(["glycemic"])
>>> model = program.evaluate(clinical_facts(cohort))
>>> set(model.query("glycemic_status")["status"]) <= {"diabetes", "normal", "prediabetes"}
True
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from neurosym._errors import NeurosymError
from neurosym.logic._ast import Atom, Const, Negation
from neurosym.logic._program import Program

if TYPE_CHECKING:  # pragma: no cover
    from neurosym.data import Cohort, Facts
    from neurosym.ontology import Ontology

__all__ = ["RULE_TOPICS", "clinical_facts", "load_rule_library", "rule_library_dir", "required_ancestors"]

#: Topic files of the library and the topics each one needs (loaded with it).
RULE_TOPICS: dict[str, tuple[str, ...]] = {
    "common": (),
    "medications": (),
    "glycemic": ("common",),
    "kidney": ("common",),
    "cardiometabolic": ("common", "medications", "glycemic"),
    "lifelog": (),
    "risk": ("common", "medications", "glycemic", "cardiometabolic", "lifelog"),
}

_IS_A_COLUMNS = ["system", "code", "ancestor_system", "ancestor_code", "_source"]


def rule_library_dir() -> Path:
    """The ``rules/`` directory of the library.

    Looked up in ``$NEUROSYM_RULES``, then next to the package (a source
    checkout or an editable install: ``<repo>/rules``), then in the installed
    package data (``neurosym/rules``).

    Raises
    ------
    NeurosymError
        When no directory with ``*.dl`` files is found.
    """
    here = Path(__file__).resolve()
    candidates = [Path(os.environ["NEUROSYM_RULES"])] if os.environ.get("NEUROSYM_RULES") else []
    candidates += [here.parents[2] / "rules", here.parents[1] / "rules"]
    for path in candidates:
        if path.is_dir() and any(path.glob("*.dl")):
            return path
    raise NeurosymError(
        f"the clinical rule library was not found (looked in {', '.join(str(c) for c in candidates)}); "
        "set NEUROSYM_RULES to the rules/ directory of a neurosym checkout")


def load_rule_library(names: Iterable[str] | None = None) -> Program:
    """Parse the clinical rule library (or some topics of it) into one :class:`Program`.

    Parameters
    ----------
    names : iterable of str, optional
        Topics from :data:`RULE_TOPICS` (``"glycemic"``, ``"kidney"``,
        ``"cardiometabolic"``, ``"lifelog"``, ``"risk"``, ...); the topics
        they depend on are added.  Default: every ``*.dl`` file.

    Returns
    -------
    Program

    Raises
    ------
    NeurosymError
        For an unknown topic or a missing rule directory.

    Examples
    --------
    >>> "ckd_g_stage" in load_rule_library(["kidney"]).arities()
    True
    """
    directory = rule_library_dir()
    if names is None:
        return Program.from_files([directory])
    wanted: list[str] = []

    def add(name: str) -> None:
        if name not in RULE_TOPICS:
            raise NeurosymError(f"unknown rule topic {name!r}; choose from {', '.join(RULE_TOPICS)}")
        for dep in RULE_TOPICS[name]:
            add(dep)
        if name not in wanted:
            wanted.append(name)

    for name in [names] if isinstance(names, str) else names:
        add(name)
    return Program.from_files([directory / f"{name}.dl" for name in wanted])


def required_ancestors(program: Program) -> list[str]:
    """Ancestor concepts (CURIEs) that the program's ``is_a`` atoms name as constants.

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


def clinical_facts(cohort: "Cohort", ontology: "Ontology | None" = None, *, landmark: str | None = None,
                   program: Program | None = None) -> "Facts":
    """Base facts of ``cohort`` plus the ``is_a`` rows the rule library needs.

    The ``is_a`` rows are restricted to the cohort's condition and drug codes
    (as ``system:code``) and to the ancestors that ``program`` (default: the
    whole library) names in its ``is_a`` atoms, so they stay small.

    Parameters
    ----------
    cohort : Cohort
    ontology : Ontology, optional
        Default ``Ontology.load("clinical")`` (ICD-10-CM, DOID, curated
        cardiometabolic terms and their bridges).
    landmark : str, optional
        Passed to :meth:`Cohort.to_facts` (the index day of every patient).
    program : Program, optional
        Rules whose ``is_a`` ancestors are wanted; default the whole library.

    Returns
    -------
    Facts
    """
    facts = cohort.to_facts(landmark=landmark)
    if ontology is None:
        from neurosym.ontology import Ontology

        ontology = Ontology.load("clinical")
    ancestors = required_ancestors(program or load_rule_library())
    codes: dict[str, None] = {}
    for rel in ("condition", "drug"):
        if rel in facts and len(facts[rel]):
            frame = facts[rel]
            pairs = frame["system"].astype(str) + ":" + frame["code"].astype(str)
            codes.update(dict.fromkeys(pairs.unique().tolist()))
    rows = ontology.to_facts(codes=list(codes), ancestors=ancestors) if codes and ancestors else None
    if rows is None or not len(rows):
        rows = pd.DataFrame({c: pd.Series([], dtype=object) for c in _IS_A_COLUMNS})
    return facts.with_relations({"is_a": rows.reset_index(drop=True)})
