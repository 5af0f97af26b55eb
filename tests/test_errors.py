"""The error tree (neurosym/_errors.py): errors raised on user input are NeurosymErrors and keep their old base class."""

import pandas as pd
import pytest

from neurosym import InputError, NeurosymError, UnknownIdError
from neurosym.data import LoadReport, convert, synthetic_cohort
from neurosym.data._schema import conform
from neurosym.logic import Program, TopKProofs


def test_unknown_ids_are_key_errors_with_a_plain_message():
    cohort = synthetic_cohort(3, seed=0)
    with pytest.raises(UnknownIdError, match="^no patient 'nobody' in ") as caught:
        cohort.patient("nobody")
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, NeurosymError)
    with pytest.raises(KeyError, match="^no rule with id 'r9'$"):
        Program.from_text('@id("r1") p(X) :- q(X).').rule("r9")


@pytest.mark.parametrize("make, message", [
    (lambda: convert("4548-4", 6.0, "g/L"), "unknown unit 'g/L' for LOINC 4548-4"),
    (lambda: TopKProofs(0), "k must be >= 1, got 0"),
    (lambda: TopKProofs(2, method="mean"), "method must be 'noisy_or' or 'exact', got 'mean'"),
    (lambda: conform(pd.DataFrame({"x": [1]}), {"y": "Int64"}), r"unexpected columns \['x'\]"),
    (lambda: LoadReport("s").add_issues(pd.DataFrame({"row": [1]})), r"issue frame lacks columns"),
])
def test_invalid_input_is_an_input_error_and_a_value_error(make, message):
    with pytest.raises(InputError, match=message) as caught:
        make()
    assert isinstance(caught.value, ValueError)
