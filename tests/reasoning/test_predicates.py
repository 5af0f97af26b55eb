"""Neural predicates: registry, validation, the inputs each head reads (wear-masked, centred trajectories)."""

import numpy as np
import pytest
import torch

from neurosym import InputError, UnknownIdError
from neurosym.reasoning import (NEURAL_PREDICATES, NeuralPredicate, PredicateHead, neural_predicate, observed_enough,
                                pattern_score, predicate_inputs, register_predicate)


def test_registry_has_the_three_default_predicates_with_description_and_citation():
    for name in ("rising_glycemic_trajectory", "low_activity_pattern", "short_sleep_pattern"):
        pred = NEURAL_PREDICATES[name]
        assert pred.description and pred.cite and pred.inputs


def test_unknown_predicate_names_the_closest():
    with pytest.raises(UnknownIdError, match="did you mean 'short_sleep_pattern'"):
        neural_predicate("short_sleep_patern")


def test_register_and_validate():
    pred = register_predicate(NeuralPredicate("tmp_ldl_trend", "LDL rising", "test", inputs=("loinc:13457-7",),
                                              encoder="trajectory"))
    try:
        assert neural_predicate("tmp_ldl_trend") is pred
    finally:
        del NEURAL_PREDICATES["tmp_ldl_trend"]
    with pytest.raises(InputError, match="unknown daily channels \\['stairs'\\]"):
        NeuralPredicate("x", "d", "c", inputs=("stairs",), encoder="lifelog")
    with pytest.raises(InputError, match="encoder must be one of"):
        NeuralPredicate("x", "d", "c", inputs=("steps",), encoder="cnn")
    with pytest.raises(InputError, match="pattern must be one of \\('rising', 'low', 'low_or_declining'\\), got 'up'"):
        NeuralPredicate("x", "d", "c", inputs=("steps",), encoder="lifelog", pattern="up")
    with pytest.raises(InputError, match="prior must be in \\(0, 1\\)"):
        NeuralPredicate("x", "d", "c", inputs=("steps",), encoder="lifelog", prior=1.0)


def _tensors(n: int = 2, days: int = 7) -> dict[str, torch.Tensor]:
    labs = torch.tensor([[[5.0, 6.0, 7.0], [1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    mask = torch.tensor([[[True, True, True], [True, False, False]], [[False] * 3, [False] * 3]])
    daily = torch.arange(n * days * 4, dtype=torch.float32).view(n, days, 4)
    daily_mask = torch.ones(n, days, 4, dtype=torch.bool)
    daily_mask[0, :3] = False  # three unworn days
    return {"labs": labs, "lab_age": torch.ones_like(labs), "lab_mask": mask, "daily": daily * daily_mask,
            "daily_mask": daily_mask, "wear": torch.ones(n, days), "wear_known": torch.ones(n, days, dtype=torch.bool),
            "landmark_day": torch.tensor([19000, 19000])}


def test_trajectory_inputs_are_centred_on_the_patients_own_values():
    x = predicate_inputs(neural_predicate("rising_glycemic_trajectory"), ["loinc:4548-4", "loinc:2160-0"], _tensors())
    # HbA1c is channel 0; fasting glucose is not among the analytes, so it stays masked
    assert x["labs"][0, 0].tolist() == [-1.0, 0.0, 1.0]
    assert not x["lab_mask"][:, 1].any()
    assert x["observed"].tolist() == [3, 0]
    assert observed_enough(neural_predicate("rising_glycemic_trajectory"), x).tolist() == [True, False]


def test_lifelog_inputs_mask_unworn_days_instead_of_reading_zeros():
    x = predicate_inputs(neural_predicate("low_activity_pattern"), [], _tensors())
    assert x["daily"].shape == (2, 7, 2)  # steps and active minutes
    assert not x["daily_mask"][0, :3].any() and x["daily_mask"][0, 3:].all()
    assert x["observed"].tolist() == [4, 7]
    head = PredicateHead(neural_predicate("low_activity_pattern"), lifelog_days=7).eval()
    before = head(x)
    changed = dict(x, daily=x["daily"].clone())
    changed["daily"][0, :3] = 1e6  # values on unworn days are never read
    assert torch.equal(head(changed), before)
    assert np.all((before > 0).numpy() & (before < 1).numpy())


def test_pattern_scores_read_the_described_pattern_on_observed_values_only():
    x = _tensors()
    x["lab_age"] = torch.tensor([[[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]).expand(2, 2, 3).clone()
    rising = pattern_score(neural_predicate("rising_glycemic_trajectory"),
                           predicate_inputs(neural_predicate("rising_glycemic_trajectory"), ["loinc:4548-4"], x))
    # patient 0: HbA1c 5, 6, 7 over two years (slope 1/year, shrunk by the ridge: 2 / 2.25); patient 1: no values
    assert rising.tolist() == pytest.approx([2.0 / 2.25, 0.0])
    sleep = neural_predicate("short_sleep_pattern")
    low = pattern_score(sleep, predicate_inputs(sleep, [], x))
    # minus the mean sleep value on worn days (channel 2): patient 0 reads days 3-6 only
    assert low.tolist() == pytest.approx([-(14 + 18 + 22 + 26) / 4, -(30 + 34 + 38 + 42 + 46 + 50 + 54) / 7])
    with pytest.raises(InputError, match="has no described pattern"):
        pattern_score(NeuralPredicate("x", "d", "c", inputs=("steps",), encoder="lifelog"), predicate_inputs(sleep, [], x))
