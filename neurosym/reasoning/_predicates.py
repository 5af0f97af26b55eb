"""Neural predicates: named relations whose facts come from small neural heads over encoder inputs.

A :class:`NeuralPredicate` is declared by registration, with a description
and a citation like a rule.  Rules use it by name (``rising_glycemic_trajectory(P)``);
at evaluation every patient with enough observed inputs gets one candidate
fact whose probability is the head's output.  A head reads only its own
inputs: chosen lab analytes (as a trajectory: values centred on the
patient's own mean, with their times) or chosen daily lifelog channels
(wear-masked: unworn days are masked, never zero).

Examples
--------
>>> pred = neural_predicate("rising_glycemic_trajectory")
>>> pred.encoder, pred.inputs
('trajectory', ('loinc:4548-4', 'loinc:1558-6'))
>>> sorted(NEURAL_PREDICATES)[:2]
['low_activity_pattern', 'rising_glycemic_trajectory']
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from neurosym._errors import InputError, UnknownIdError
from neurosym.neural import DAILY_CHANNELS, LifelogEncoder, TrajectoryEncoder, masked_mean, masked_slope

__all__ = ["NEURAL_PREDICATES", "NeuralPredicate", "PATTERNS", "PredicateHead", "neural_predicate", "observed_enough",
           "pattern_score", "predicate_inputs", "register_predicate"]

_ENCODERS = ("trajectory", "lifelog")
#: Described patterns a predicate can be tied to (:func:`pattern_score`).
PATTERNS = ("rising", "low", "low_or_declining")


@dataclass(frozen=True)
class NeuralPredicate:
    """A unary predicate ``name(P)`` computed by a neural head.

    Parameters
    ----------
    name : str
        Relation name used in rules.
    description : str
        What the predicate means, for traces and documentation.
    cite : str
        The clinical source of the concept.
    inputs : tuple of str
        ``system:code`` lab analytes (``encoder="trajectory"``) or daily
        channels of :data:`neurosym.neural.DAILY_CHANNELS` (``encoder="lifelog"``).
    encoder : str
        ``"trajectory"`` (a :class:`~neurosym.neural.TrajectoryEncoder`) or
        ``"lifelog"`` (a :class:`~neurosym.neural.LifelogEncoder`).
    head : int, default 16
        Width of the encoder output the logistic head reads.
    min_observations : int, default 2
        Observed values (lab results, or worn days) a patient needs for a candidate fact.
    prior : float, default 0.5
        Expected share of patients (with a candidate fact) for whom the
        predicate holds.  Training pulls the mean output towards it, so the
        head spends its capacity on telling patients apart rather than on
        shifting every output (the predicate gets no labels of its own).
    pattern : str, optional
        The described pattern as a score of the inputs (:data:`PATTERNS`,
        :func:`pattern_score`): ``"rising"`` (mean least-squares slope of the
        observed values over time), ``"low"`` (minus their mean) or
        ``"low_or_declining"`` (minus mean and slope).  The model can tie the
        head to it (``anchor_weight``): the share ``prior`` of training
        patients with the highest score are its weak positives.  None: the
        head is tied to nothing but the rules.
    """

    name: str
    description: str
    cite: str
    inputs: tuple[str, ...]
    encoder: str
    head: int = 16
    min_observations: int = 2
    prior: float = 0.5
    pattern: str | None = None

    def __post_init__(self) -> None:
        if self.pattern is not None and self.pattern not in PATTERNS:
            raise InputError(f"neural predicate {self.name!r}: pattern must be one of {PATTERNS}, got {self.pattern!r}")
        if self.encoder not in _ENCODERS:
            raise InputError(f"neural predicate {self.name!r}: encoder must be one of {_ENCODERS}, got {self.encoder!r}")
        if not 0.0 < self.prior < 1.0:
            raise InputError(f"neural predicate {self.name!r}: prior must be in (0, 1), got {self.prior!r}")
        if not self.inputs:
            raise InputError(f"neural predicate {self.name!r} reads no inputs; name lab analytes or daily channels")
        unknown = set(self.inputs) - set(DAILY_CHANNELS)
        if self.encoder == "lifelog" and unknown:
            raise InputError(f"neural predicate {self.name!r}: unknown daily channels {sorted(unknown)}; "
                             f"choose from {DAILY_CHANNELS}")


#: Registered neural predicates by name.
NEURAL_PREDICATES: dict[str, NeuralPredicate] = {}


def register_predicate(predicate: NeuralPredicate) -> NeuralPredicate:
    """Add ``predicate`` to :data:`NEURAL_PREDICATES` (replacing one of the same name); returns it."""
    NEURAL_PREDICATES[predicate.name] = predicate
    return predicate


def neural_predicate(name: str) -> NeuralPredicate:
    """The registered predicate ``name``.

    Raises
    ------
    UnknownIdError
        For a name that is not registered (with the closest registered name).
    """
    if name not in NEURAL_PREDICATES:
        hint = difflib.get_close_matches(name, NEURAL_PREDICATES, n=1)
        raise UnknownIdError(f"no neural predicate {name!r}; registered: {', '.join(sorted(NEURAL_PREDICATES))}"
                             + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    return NEURAL_PREDICATES[name]


register_predicate(NeuralPredicate(
    "rising_glycemic_trajectory",
    "HbA1c and fasting glucose rising over the years before the landmark (read as a trajectory: "
    "values around the patient's own mean, with their time gaps; the level itself is left to the rules)",
    "ADA Standards of Care in Diabetes-2025, §2: prediabetes progression; Nathan et al., Diabetes Care 2007 "
    "(Impaired fasting glucose and impaired glucose tolerance: implications for care)",
    inputs=("loinc:4548-4", "loinc:1558-6"), encoder="trajectory", pattern="rising"))
register_predicate(NeuralPredicate(
    "low_activity_pattern",
    "Low or declining daily steps and active minutes on worn days over the year before the landmark",
    "WHO 2020 guidelines on physical activity and sedentary behaviour; Troiano et al., Med Sci Sports Exerc 2008",
    inputs=("steps", "active_minutes"), encoder="lifelog", min_observations=14, pattern="low_or_declining"))
register_predicate(NeuralPredicate(
    "short_sleep_pattern",
    "Habitually short or irregular sleep on recorded nights over the year before the landmark",
    "Watson et al., AASM/SRS consensus, Sleep 2015 (>= 7 hours for adults); Shan et al., Diabetes Care 2015 "
    "(sleep duration and risk of type 2 diabetes)",
    inputs=("sleep_minutes",), encoder="lifelog", min_observations=14, prior=0.25, pattern="low"))


def predicate_inputs(predicate: NeuralPredicate, analytes: list[str], tensors: dict[str, torch.Tensor]
                     ) -> dict[str, torch.Tensor]:
    """The slices of the feature tensors a predicate reads, and ``observed`` (values per patient).

    Trajectory inputs: ``labs`` (centred per patient and analyte on the
    observed values), ``lab_age``, ``lab_mask`` of the predicate's analytes
    (``analytes`` are the lab channels, :attr:`Featurizer.analytes_`; an
    analyte not among them stays fully masked).  Lifelog inputs:
    ``daily`` and ``daily_mask`` of its channels, with ``wear``,
    ``wear_known`` and ``landmark_day``.
    """
    if predicate.encoder == "trajectory":
        where = [analytes.index(a) if a in analytes else -1 for a in predicate.inputs]
        take = torch.as_tensor([max(w, 0) for w in where], dtype=torch.long)
        present = torch.as_tensor([w >= 0 for w in where]).view(1, -1, 1)
        labs, age = tensors["labs"][:, take], tensors["lab_age"][:, take]
        mask = tensors["lab_mask"][:, take] & present
        m = mask.to(labs.dtype)
        centred = (labs - (labs * m).sum(-1, keepdim=True) / m.sum(-1, keepdim=True).clamp(min=1.0)) * m
        return {"labs": centred, "lab_age": age * m, "lab_mask": mask, "observed": mask.sum((1, 2))}
    take = torch.as_tensor([DAILY_CHANNELS.index(c) for c in predicate.inputs], dtype=torch.long)
    mask = tensors["daily_mask"][:, :, take]
    return {"daily": tensors["daily"][:, :, take] * mask, "daily_mask": mask, "wear": tensors["wear"],
            "wear_known": tensors["wear_known"], "landmark_day": tensors["landmark_day"],
            "observed": mask.any(-1).sum(1)}


class PredicateHead(nn.Module):
    """Encoder + logistic head: a predicate's inputs -> its probability for each patient.

    Parameters
    ----------
    predicate : NeuralPredicate
    lifelog_days : int
        Length of the daily tensors (lifelog predicates).

    Examples
    --------
    >>> head = PredicateHead(neural_predicate("short_sleep_pattern"), lifelog_days=28)
    >>> x = torch.zeros(2, 28, 1)
    >>> head({"daily": x, "daily_mask": x > 0, "wear": torch.zeros(2, 28), "wear_known": torch.zeros(2, 28) > 0,
    ...       "landmark_day": torch.tensor([19000, 19000])}).shape
    torch.Size([2])
    """

    def __init__(self, predicate: NeuralPredicate, lifelog_days: int) -> None:
        super().__init__()
        self.predicate = predicate
        if predicate.encoder == "trajectory":
            self.encoder: nn.Module = TrajectoryEncoder(len(predicate.inputs), dim=predicate.head)
        else:
            self.encoder = LifelogEncoder(len(predicate.inputs), lifelog_days, dim=predicate.head)
        self.out = nn.Linear(self.encoder.out_dim, 1)
        # a neutral start: every patient at the prior, so no concept direction comes from the random initialisation
        # (only from the rules' gradient or the pattern the head is tied to)
        nn.init.zeros_(self.out.weight)
        nn.init.constant_(self.out.bias, float(np.log(predicate.prior / (1.0 - predicate.prior))))

    def logit(self, x: dict[str, torch.Tensor]) -> torch.Tensor:
        """The head's logit for each patient."""
        if self.predicate.encoder == "trajectory":
            h = self.encoder(x["labs"], x["lab_age"], x["lab_mask"])
        else:
            h = self.encoder(x["daily"], x["daily_mask"], x["wear"], x["wear_known"], x["landmark_day"])
        return self.out(h).squeeze(-1)

    def forward(self, x: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.sigmoid(self.logit(x))


def pattern_score(predicate: NeuralPredicate, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
    """``[B]``: how strongly each patient's inputs show the predicate's described ``pattern`` (higher: more).

    Computed on the inputs of :func:`predicate_inputs` (scaled values;
    unobserved values and unworn days are skipped), averaged over the input
    channels with at least two observed values: ``"rising"`` is the
    least-squares slope per year, ``"low"`` minus the mean,
    ``"low_or_declining"`` minus the mean and minus the slope per year.

    Examples
    --------
    >>> pred = neural_predicate("rising_glycemic_trajectory")
    >>> x = {"labs": torch.tensor([[[-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]]), "lab_mask": torch.tensor([[[True] * 3, [False] * 3]]),
    ...      "lab_age": torch.tensor([[[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]])}
    >>> round(pattern_score(pred, x).item(), 3)  # one analyte rising by 1 per year (slope shrunk by a small ridge)
    0.889
    """
    if predicate.pattern is None:
        raise InputError(f"neural predicate {predicate.name!r} has no described pattern")
    if predicate.encoder == "trajectory":
        values, mask, time = inputs["labs"], inputs["lab_mask"], -inputs["lab_age"]
    else:
        values, mask = inputs["daily"].transpose(1, 2), inputs["daily_mask"].transpose(1, 2)
        days = values.shape[-1]
        time = ((torch.arange(days, dtype=values.dtype) - days) / 365.25).expand_as(values)
    score = values.new_zeros(values.shape[:2])
    if predicate.pattern in ("rising", "low_or_declining"):
        slope = masked_slope(values, time, mask)
        score = score + (slope if predicate.pattern == "rising" else -slope)
    if predicate.pattern in ("low", "low_or_declining"):
        score = score - masked_mean(values, mask)
    usable = (mask.sum(-1) >= 2).to(values.dtype)
    return (score * usable).sum(1) / usable.sum(1).clamp(min=1.0)


def observed_enough(predicate: NeuralPredicate, inputs: dict[str, torch.Tensor]) -> np.ndarray:
    """Patients with at least ``predicate.min_observations`` observed inputs (they get a candidate fact)."""
    return (inputs["observed"] >= predicate.min_observations).numpy()
