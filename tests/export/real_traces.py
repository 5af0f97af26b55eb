"""Rule traces from the clinical rule library on the synthetic cohort and the shared OMOP and FHIR data."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date

from neurosym.data import Cohort
from neurosym.facts import clinical_facts, load_rule_library
from neurosym.trace import Node, Prediction

#: Relations whose conclusions are explained: categories, risk factors, the risk flag and lifelog summaries.
RELATIONS = ("glycemic_status", "ckd_g_stage", "bp_category", "bmi_class", "t2d_risk_factor", "at_risk_t2d",
             "metabolic_syndrome", "low_activity", "short_sleep", "diabetes_confirmed", "ckd_a_stage",
             "treated_hypertension", "meets_activity_guideline")


@dataclass
class Source:
    """A data source; ``model`` is the rule library evaluated on its cohort (on first use)."""

    name: str
    cohort: Cohort

    @functools.cached_property
    def model(self):
        return load_rule_library().evaluate(clinical_facts(self.cohort))


def atom_text(rel: str, row) -> str:
    return f"{rel}({', '.join(f'{v!r}'.replace(chr(39), chr(34)) if isinstance(v, str) else repr(v) for v in row)})"


def rule_traces(source: Source, per_relation: int) -> list[tuple[str, Node]]:
    """(patient, proof) for up to ``per_relation`` conclusions of each relation the model derived."""
    out = []
    for rel in RELATIONS:
        if rel not in source.model.relations:
            continue
        for row in source.model.query(rel).head(per_relation).itertuples(index=False):
            out.append((str(row[0]), source.model.explain(atom_text(rel, row))))
    return out


def as_prediction(trace: Node, *, risk: float = 0.3, version: str = "rules-only-test") -> Prediction:
    """A faithful prediction of type 2 diabetes whose one reason is ``trace`` (its index day is the landmark)."""
    landmark = next((leaf.values[1] for leaf in trace.leaves() if getattr(leaf, "relation", None) == "index_day"),
                    date(2024, 1, 1))
    logit = math.log(risk / (1 - risk))
    trace.contribution = logit + 1.5
    return Prediction("type 2 diabetes", risk, 1095, landmark, version, [trace], logit=logit, bias=-1.5, threshold=0.2)
