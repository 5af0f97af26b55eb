"""A trace with every node kind, shared by the trace and export tests."""

from datetime import date

from neurosym.trace import (Aggregate, Check, Elided, FactLeaf, Negation, NeuralLeaf, OntologyLeaf, OntologyStep, Prediction,
                            RuleApplication, SourceRef)


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
