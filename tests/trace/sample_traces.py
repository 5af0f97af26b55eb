"""A trace with every node kind, shared by the trace and export tests."""

import math
from datetime import date

from neurosym.trace import (Aggregate, Change, Check, Counterfactual, Elided, FactLeaf, Negation, NeuralLeaf, OntologyLeaf,
                            OntologyStep, Prediction, RuleApplication, RuleAttempt, SourceRef, WhyNot)


def every_kind():
    lab = FactLeaf("lab(p1, \"4548-4\", 7.1, 2023-01-17)", "lab", ["p1", "4548-4", 7.1, date(2023, 1, 17)],
                   source=SourceRef(dataset="synthetic(seed=0)", table="labs", row=12, value=7.1, unit="%"))
    path = OntologyLeaf("is_a(snomed, 44054006, icd10cm, E08-E13)",
                        [OntologyStep("snomed", "44054006", "Type 2 diabetes mellitus"),
                         OntologyStep("doid", "9352", None, "xref"), OntologyStep("icd10cm", "E08-E13", "Diabetes mellitus", "xref")])
    neural = NeuralLeaf("rising_glycemic_trajectory(p1)", "TrajectoryEncoder@v3", 0.82, date(2022, 1, 1), date(2023, 1, 1),
                        {"hba1c_slope": 0.4, "fpg_last": -0.1})
    dm = RuleApplication("dm(p1)", "ada.a1c", "ADA 2025 §2", "HbA1c >= 6.5 %", {"P": "p1", "V": 7.1, "D": date(2023, 1, 17)},
                         0.9, children=[lab, Check("7.1 >= 6.5"), path, neural])
    count = Aggregate("N = count : lab(P, _, _, _)  = 1", 1, [lab])
    risk = RuleApplication("risk(p1)", "r.risk", children=[dm, Negation("deceased(p1)", 1.0), count, dm,
                                                          Elided("bmi(p1, 31)", ["bmi.latest"], None, [lab])])
    return Prediction("type 2 diabetes", 0.23, 1095, date(2024, 1, 1), "0.3.0", [risk])


def faithful_prediction():
    """A prediction whose contributions add up to its logit, with a residual term, counterfactuals and a why-not report."""
    a1c = FactLeaf('hba1c(p1, 6.1, 2023-11-02)', "hba1c", ["p1", 6.1, date(2023, 11, 2)],
                   source=SourceRef(dataset="omop", table="measurement", row=3, id="m-17", value=43.0, unit="mmol/mol"))
    pre = RuleApplication("prediabetes(p1)", "ada.prediabetes", "ADA Standards of Care 2025, 2.1", "HbA1c 5.7-6.4 %",
                          {"P": "p1", "V": 6.1}, 0.9, children=[a1c, Check("6.1 >= 5.7")], contribution=0.8)
    walk = NeuralLeaf("low_activity_pattern(p1)", "LifelogEncoder@1", 0.7, date(2023, 7, 1), date(2023, 12, 31),
                      {"steps 2023-W40": 0.21, "steps 2023-W44": 0.08}, contribution=0.35)
    ckd = OntologyLeaf("is_a(icd10cm, E11.65, icd10cm, E08-E13)",
                       [OntologyStep("icd10cm", "E11.65"), OntologyStep("icd10cm", "E11", edge="is_a"),
                        OntologyStep("icd10cm", "E08-E13", "Diabetes mellitus", "is_a")], contribution=-0.05)
    cf = Counterfactual([Change("steps", 4100.0, 6100.0, "steps/day", "walk 2,000 more steps a day"),
                         Change("bmi", 31.2, 29.0, "kg/m2")], 0.18, True)
    why = WhyNot("dm(p1)", False, [RuleAttempt("ada.a1c", "dm(P) :- hba1c(P, V, _), V >= 6.5.", "V >= 6.5", "fails",
                                               [{"P": "p1", "V": 6.1}])])
    # logit = bias + residual + contributions = -2.0 + 0.1 + (0.8 + 0.35 - 0.05) = -0.8
    return Prediction("type 2 diabetes", 1 / (1 + math.exp(0.8)), 1095, date(2024, 1, 1), "neurosym-0.3.0",
                      [pre, walk, ckd], logit=-0.8, bias=-2.0, residual=0.1, threshold=0.25,
                      calibration={"percentile": 62.0, "bin_low": 0.2, "bin_high": 0.3, "observed_rate": 0.27, "n": 412},
                      counterfactuals=[cf], why_not=[why])
