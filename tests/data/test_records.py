import pandas as pd
import pytest

from neurosym import InputError, UnknownIdError
from neurosym.data import clone_patients, drop_records, synthetic_cohort
from neurosym.trace import SourceRef


@pytest.fixture(scope="module")
def cohort():
    return synthetic_cohort(3, seed=0)


def test_clones_copy_every_row_under_new_ids(cohort):
    copies = clone_patients(cohort, ["S000002", "S000002", "S000001"], ["a", "b", "c"])
    assert copies.patient_ids == ["a", "b", "c"]
    one = cohort.patient("S000002")
    assert (len(copies.patient("a").events), len(copies.patient("b").daily)) == (len(one.events), len(one.daily)) == (113, 100)
    assert copies.patient("a").events.drop(columns="patient_id").equals(one.events.drop(columns="patient_id"))
    assert len(copies.events) == 2 * 113 + len(cohort.patient("S000001").events)
    with pytest.raises(InputError, match="one distinct new id per patient; got 2 patients and 2 ids \\(1 repeated\\)"):
        clone_patients(cohort, ["S000001", "S000002"], ["x", "x"])
    with pytest.raises(UnknownIdError, match="no patient 'S999' in"):
        clone_patients(cohort, ["S999"], ["x"])


def test_drops_remove_exactly_the_rows_pointers_name(cohort):
    copies = clone_patients(cohort, ["S000002", "S000002"], ["a", "b"])
    condition = SourceRef(dataset="synthetic(seed=0)", table="conditions", row=3)
    day = {"dataset": "synthetic(seed=0)", "table": "lifelog_daily", "row": int(cohort.patient("S000002").daily["source_row"].iloc[0])}
    both = drop_records(copies, [condition, day])
    assert (len(copies.events) - len(both.events), len(copies.lifelog.daily) - len(both.lifelog.daily)) == (2, 2)
    only_b = drop_records(copies, pd.DataFrame([{**day, "patient_id": "b"}, {"dataset": "synthetic(seed=0)",
                                                                            "table": "conditions", "row": 3, "patient_id": "b"}]))
    assert (len(only_b.patient("a").events), len(only_b.patient("b").events)) == (113, 112)
    assert (len(only_b.patient("a").daily), len(only_b.patient("b").daily)) == (100, 99)
    assert len(copies.events) == 226  # the argument is unchanged
    with pytest.raises(InputError, match="no event or lifelog row has the source pointer dataset='synthetic\\(seed=0\\)', "
                                         "table='conditions', row=999"):
        drop_records(cohort, [SourceRef(dataset="synthetic(seed=0)", table="conditions", row=999)])
    with pytest.raises(InputError, match="needs dataset, table and a row or id"):
        drop_records(cohort, [SourceRef(dataset="synthetic(seed=0)", table="labs")])
    with pytest.raises(InputError, match="pointers must be SourceRef objects, mappings or a DataFrame"):
        drop_records(cohort, ["labs row 1"])
