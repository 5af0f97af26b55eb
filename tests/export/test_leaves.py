"""The leaf test: every fact, ontology and neural leaf of many traces resolves to the record(s) it names."""

from collections import Counter
from datetime import date, timedelta

import pandas as pd
import pytest

from neurosym.export import resolve_leaf
from neurosym.ontology import Ontology
from neurosym.trace import FactLeaf, NeuralLeaf, OntologyLeaf, OntologyStep, SourceRef, TraceError


@pytest.fixture(scope="module")
def clinical():
    return Ontology.load("clinical")


def test_every_leaf_of_many_traces_resolves(source, traces, clinical):
    tables = Counter()
    leaves = 0
    for _, trace in traces:
        for leaf in trace.leaves():
            found = resolve_leaf(leaf, source.cohort, ontology=clinical)
            tables[found.table] += 1
            leaves += 1
            if found.table in ("patients", "events", "daily"):
                assert str(found.record["patient_id"]) == str(leaf.values[0])
                assert leaf.source.table is None or found.record["source_table"] == leaf.source.table
    assert len(traces) >= 15 and leaves >= 100, (len(traces), leaves)
    assert tables["events"] > 0 and tables["patients"] > 0, tables
    if source.name == "synthetic":
        assert tables["daily"] > 0 and tables["ontology"] > 0 and tables["rule file"] > 0, tables


@pytest.mark.parametrize("source", ["fhir"], indirect=True)
def test_fhir_leaves_name_resources_of_the_bundle(source, traces):
    """A FHIR leaf's resource id is an entry of the bundle file its pointer names, at the entry index it names."""
    import json

    from neurosym._resources import shared_data_dir

    bundles = {}
    checked = 0
    for _, trace in traces:
        for leaf in trace.leaves():
            s = getattr(leaf, "source", None)
            if s is None or s.id is None:
                continue
            if s.dataset not in bundles:
                path = shared_data_dir() / "fhir_synthea_r4" / "bundles" / s.dataset
                bundles[s.dataset] = json.loads(path.read_text(encoding="utf-8"))
            bundle = bundles[s.dataset]
            entry = bundle["entry"][s.row - 1]["resource"]
            assert (entry["resourceType"], entry["id"]) == (s.table, s.id)
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize("source", ["omop"], indirect=True)
def test_omop_leaves_name_rows_of_the_csv(source, traces):
    """An OMOP leaf's row number is the data row of its table file that has its record id."""
    import pandas as pd

    from neurosym._resources import shared_data_dir

    tables = {}
    checked = 0
    for _, trace in traces:
        for leaf in trace.leaves():
            s = getattr(leaf, "source", None)
            if s is None or s.row is None:
                continue
            if s.table not in tables:
                tables[s.table] = pd.read_csv(shared_data_dir() / "omop_synthea27nj" / f"{s.table}.csv", dtype=str)
            row = tables[s.table].iloc[s.row - 1]
            assert row.iloc[0] == s.id, (s, row.iloc[0])
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize("leaf, message", [
    (FactLeaf("lab(p1)", "lab", ["p1"]), r"leaf lab\(p1\) has no source pointer"),
    (FactLeaf("index_day(p1, 2024-01-01)", "index_day", ["p1", date(2024, 1, 1)], source=SourceRef(text="somewhere")),
     "reads its index day from 'somewhere', which does not give 2024-01-01 for p1"),
    (FactLeaf('index_day("S000001", 2020-01-01)', "index_day", ["S000001", date(2020, 1, 1)], source=SourceRef(text="labels.landmark")),
     "reads its index day from 'labels.landmark', which does not give 2020-01-01 for S000001"),
    (FactLeaf("note(p1)", "note", ["p1"], source=SourceRef(text="a sticky note")), "points to 'a sticky note', which names no record"),
    (FactLeaf("d(x)", "d", ["x"], source=SourceRef(text="fact in /nonexistent/d.dl line 3")),
     "names /nonexistent/d.dl line 3, a file that does not exist"),
    (NeuralLeaf('low_activity_pattern("S000001")', "m", 0.5), r'neural leaf low_activity_pattern\("S000001"\) states no input window'),
    (NeuralLeaf('low_activity_pattern("S000001")', "m", 0.5, date(1990, 1, 1), date(1990, 2, 1)),
     "no measurement or worn day of S000001 in its window 1990-01-01..1990-02-01"),
    (OntologyLeaf("is_a(icd10cm, E11, icd10cm, I10-I16)", [OntologyStep("icd10cm", "E11"), OntologyStep("icd10cm", "I10-I16", edge="is_a")]),
     "no is_a edge icd10cm:E11 -> icd10cm:I10-I16 in ontology"),
])
def test_unresolvable_leaves_raise(leaf, message, clinical):
    from neurosym.data import synthetic_cohort

    with pytest.raises(TraceError, match=message):
        resolve_leaf(leaf, synthetic_cohort(2, seed=0), ontology=clinical)


def test_a_neural_leaf_resolves_to_its_input_window():
    from neurosym.data import synthetic_cohort

    cohort = synthetic_cohort(5, seed=0)
    daily = cohort.lifelog.daily
    patient, first = str(daily["patient_id"].iloc[0]), daily["date"].iloc[0].date()
    worn = daily[(daily["patient_id"] == patient) & (daily["worn_minutes"] > 0)
                 & (daily["date"] <= pd.Timestamp(first) + pd.Timedelta(days=29))]
    leaf = NeuralLeaf(f'low_activity_pattern("{patient}")', "m", 0.5, first, first + timedelta(days=29))
    found = resolve_leaf(leaf, cohort)
    assert found.table == "window" and found.record["worn_days"] == len(worn) > 0


def test_a_leaf_whose_fact_disagrees_with_its_record_raises():
    from neurosym.data import synthetic_cohort

    cohort = synthetic_cohort(2, seed=0)
    row = cohort.events[cohort.events["value"].notna()].iloc[0]
    src = SourceRef(str(row["source_dataset"]), str(row["source_table"]), int(row["source_row"]), value=float(row["value"]) + 1)
    leaf = FactLeaf("lab(...)", "lab", [str(row["patient_id"]), str(row["code"]), float(row["value"]), row["time"].date()], source=src)
    with pytest.raises(TraceError, match=r"no record there agrees with the fact"):
        resolve_leaf(leaf, cohort)
    leaf.source = SourceRef(src.dataset, src.table, src.row, value=float(row["value"]))
    assert resolve_leaf(leaf, cohort).record["value"] == float(row["value"])
    leaf.values[-1] = date(1900, 1, 1)
    with pytest.raises(TraceError, match=r"no record there agrees with the fact"):
        resolve_leaf(leaf, cohort)
