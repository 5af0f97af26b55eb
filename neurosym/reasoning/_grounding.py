"""Ground the program once per cohort at its landmarks and compile its top-k proofs into index arrays.

The structure of the proofs does not depend on the neural probabilities, so
it is computed once: the lower program (:func:`split_program`) runs on the
cohort's facts cut at the landmarks, the top program on the lower tuples plus
one candidate fact (probability 1) per patient and neural predicate, and
:meth:`Prover.proofs <neurosym.logic.Prover.proofs>` gives the candidate
proofs of every relevant tuple.  :func:`compile_proofs` turns them into
dense arrays over ``[patient, atom, proof, slot]``: each slot names a
*variable* whose probability the torch side supplies (a rule weight, or the
patient's neural fact); the remaining factor of a proof (its record facts'
stored probabilities and negations) is a constant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from neurosym.data import Cohort
from neurosym.facts import Facts, clinical_facts
from neurosym.logic import FACT_ID_BITS, Model, Program, Prover
from neurosym.logic._ast import format_value

if TYPE_CHECKING:  # pragma: no cover
    from neurosym.ontology import Ontology

__all__ = ["CompiledProofs", "Grounding", "atom_key", "compile_proofs", "ground", "proof_atoms"]


@dataclass
class Grounding:
    """One cohort's evaluated program: the lower and top models, their prover, and the proof tables.

    Attributes
    ----------
    patient_ids : numpy.ndarray
        Patients in row order.
    facts : Facts
        The cohort facts (cut at the landmarks) the lower program read.
    lower, top : Model
    prover : Prover
        On ``top``.
    proofs : dict of str to pandas.DataFrame
        Per relevant relation: the prover's table (tuple columns, ``proof``,
        ``probability``, ``fact_ids``, ``rule_ids``).
    top_facts : dict of str to pandas.DataFrame
        The facts ``top`` was evaluated on (neural candidates with probability 1).
    """

    patient_ids: np.ndarray
    facts: Facts
    lower: Model
    top: Model
    prover: Prover
    proofs: dict[str, pd.DataFrame]
    top_facts: dict[str, pd.DataFrame]


@dataclass
class CompiledProofs:
    """Proof structure as arrays (``N`` patients, ``J`` atoms, ``C`` candidate proofs, ``L`` slots).

    Attributes
    ----------
    var : numpy.ndarray
        int64 ``[N, J, C, L]``: variable of each slot; 0 is the constant 1,
        ``1 + r`` rule ``r``'s weight, ``1 + R + q`` the patient's neural predicate ``q``.
    valid : numpy.ndarray
        bool ``[N, J, C]``: the candidate proof exists.
    const : numpy.ndarray
        float32 ``[N, J, C]``: the proof's constant factor.
    """

    var: np.ndarray
    valid: np.ndarray
    const: np.ndarray


def atom_key(relation: str, values: Sequence[object]) -> str:
    """The atom a risk-head weight belongs to: the relation with its non-patient arguments.

    >>> atom_key("t2d_risk_factor", ["S01", "overweight"]), atom_key("at_risk_t2d", ["S01"])
    ('t2d_risk_factor(P, overweight)', 'at_risk_t2d(P)')
    """
    return f"{relation}({', '.join(['P', *(format_value(v) for v in values[1:])])})"


def ground(program_parts: tuple[Program, Program], cohort_cut: Cohort, full_program: Program,
           candidates: dict[str, np.ndarray], relations: Sequence[str], k: int,
           ontology: "Ontology | None" = None) -> Grounding:
    """Evaluate the lower and top programs on a cohort cut at its landmarks; the top-k proofs of ``relations``.

    Parameters
    ----------
    program_parts : (Program, Program)
        :func:`split_program` of ``full_program``.
    cohort_cut : Cohort
        :func:`neurosym.tasks.before_landmark` of the cohort (its labels are the landmark frame).
    full_program : Program
        For the ontology ancestors the facts need.
    candidates : dict of str to numpy.ndarray
        Neural predicate -> bool per patient (landmark order): who gets a candidate fact.
    relations : sequence of str
    k : int
        Candidate proofs per tuple.
    ontology : Ontology, optional
        For the ``is_a`` facts (default: the clinical ontology).
    """
    lower_prog, top_prog = program_parts
    patient_ids = cohort_cut.labels["patient_id"].astype(str).to_numpy(dtype=object)
    facts = clinical_facts(cohort_cut, ontology, program=full_program)
    lower = lower_prog.evaluate(facts)
    derived = set(lower.derived_relations)
    top_facts: dict[str, pd.DataFrame] = {}
    for rel in top_prog.input_relations:
        if rel in candidates:
            rows = np.flatnonzero(candidates[rel])
            top_facts[rel] = pd.DataFrame({"patient": patient_ids[rows], "_prob": 1.0, "_source": rows})
        elif rel in derived:
            frame = lower.query(rel)
            frame["_source"] = np.arange(len(frame))
            top_facts[rel] = frame
        elif rel in facts:
            top_facts[rel] = facts[rel]
    top = top_prog.evaluate(facts.with_relations(top_facts))  # Facts: proofs keep each record's source pointer
    prover = Prover(top)
    proofs = {rel: prover.proofs(rel, k=k).to_pandas() for rel in relations}
    return Grounding(patient_ids, facts, lower, top, prover, proofs, top_facts)


def _keys(relation: str, table: pd.DataFrame) -> pd.Series:
    """:func:`atom_key` of each row of a proof table, formatted once per distinct argument tuple."""
    names = list(table.columns[: table.columns.get_loc("proof")])
    if len(names) < 2:
        return pd.Series(atom_key(relation, [None]), index=table.index)
    rest = table[names[1:]]
    distinct = rest.drop_duplicates()
    formatted = pd.Series([atom_key(relation, [None, *v]) for v in distinct.itertuples(index=False)],
                          index=pd.MultiIndex.from_frame(distinct))
    return pd.Series(formatted.reindex(pd.MultiIndex.from_frame(rest)).to_numpy(), index=table.index)


def proof_atoms(grounding: Grounding) -> list[str]:
    """The distinct atoms (:func:`atom_key`) that have proofs in ``grounding``, sorted."""
    return sorted({key for rel, table in grounding.proofs.items() if len(table) for key in _keys(rel, table).unique()})


def compile_proofs(grounding: Grounding, atoms: Sequence[str], rules: Sequence[str], predicates: Sequence[str],
                   k: int) -> CompiledProofs:
    """Index arrays of the proofs in ``grounding`` for the atoms ``atoms`` (others are dropped).

    Parameters
    ----------
    atoms : sequence of str
        :func:`atom_key` of each risk-head weight, in weight order.
    rules : sequence of str
        Rule ids with a learned weight, in weight order (other rules weigh 1).
    predicates : sequence of str
        Neural predicates, in head order.
    k : int
        Candidate proofs per tuple (the ``C`` axis).
    """
    n, j_count = len(grounding.patient_ids), len(atoms)
    patients = pd.Index(grounding.patient_ids)
    atom_index = {a: i for i, a in enumerate(atoms)}
    relations = sorted(grounding.top.plan.types)  # a fact id's relation: its position among them (Prover)
    neural_slot = {relations.index(p): 1 + len(rules) + q for q, p in enumerate(predicates) if p in relations}
    rule_slot = {r: 1 + i for i, r in enumerate(rules)}
    frames = []
    for rel, table in grounding.proofs.items():
        if not len(table):
            continue
        names = list(table.columns[: table.columns.get_loc("proof")])
        keys = _keys(rel, table)
        frames.append(pd.DataFrame({"row": patients.get_indexer(table[names[0]].astype(str)),
                                    "atom": pd.Series(keys).map(atom_index).to_numpy(),
                                    "proof": table["proof"].to_numpy() - 1, "const": table["probability"].to_numpy(),
                                    "fact_ids": table["fact_ids"].to_numpy(), "rule_ids": table["rule_ids"].to_numpy()}))
    var = np.zeros((n, j_count, k, 1), dtype=np.int64)
    valid = np.zeros((n, j_count, k), dtype=bool)
    const = np.zeros((n, j_count, k), dtype=np.float32)
    if not frames:
        return CompiledProofs(var, valid, const)
    proofs = pd.concat(frames, ignore_index=True)
    proofs = proofs[proofs["atom"].notna() & (proofs["row"] >= 0)].reset_index(drop=True)
    proofs["atom"] = proofs["atom"].astype(np.int64)
    facts = proofs["fact_ids"].explode().dropna().astype(np.int64)
    fact_slot = pd.Series(facts.to_numpy() >> FACT_ID_BITS).map(neural_slot)
    rule_ids = proofs["rule_ids"].explode().dropna()
    slots = pd.concat([pd.Series(fact_slot.to_numpy(), index=facts.index), rule_ids.map(rule_slot)]).dropna()
    slots = slots.astype(np.int64).reset_index().drop_duplicates().sort_values(["index", 0])
    local = slots.groupby("index").cumcount().to_numpy()
    width = int(local.max(initial=-1)) + 1
    var = np.zeros((n, j_count, k, max(width, 1)), dtype=np.int64)
    at = proofs.loc[slots["index"].to_numpy()]
    var[at["row"].to_numpy(), at["atom"].to_numpy(), at["proof"].to_numpy(), local] = slots[0].to_numpy()
    valid[proofs["row"], proofs["atom"], proofs["proof"]] = True
    const[proofs["row"], proofs["atom"], proofs["proof"]] = proofs["const"].to_numpy(dtype=np.float32)
    return CompiledProofs(var, valid, const)
