"""Neural encoders over patient records and lifelog signals, and the neural-only risk model.

:class:`Featurizer` turns a cohort cut at each landmark into tensors;
:class:`CohortDataModule` serves them to Lightning; :class:`RecordEncoder`
(GRAM-style ontology-aware codes), :class:`TrajectoryEncoder` (irregular
labs) and :class:`LifelogEncoder` (wear-masked daily signals) are plain
``nn.Module``\\ s; :class:`RiskModule` fuses them (with a :class:`PiecewiseLinear` wide
term) and :class:`RiskModel` wraps it all as an estimator.

Examples
--------
>>> from neurosym.neural import RiskModel
>>> RiskModel(seed=3).get_params()["seed"]
3
"""

from neurosym.neural._additive import PiecewiseLinear
from neurosym.neural._datamodule import TENSOR_KEYS, CohortDataModule, TensorDataModule, to_tensors, usable_labels
from neurosym.neural._encoders import LifelogEncoder, RecordEncoder, TrajectoryEncoder, ancestor_table
from neurosym.neural._features import CODE_KINDS, DAILY_CHANNELS, STATIC_FEATURES, Featurizer, code_ancestors
from neurosym.neural._module import INPUTS, RiskModule, ValidationAUROC
from neurosym.neural._risk_model import RiskModel, average_states, validation_share
from neurosym.neural._summaries import (
    SERIES_SUMMARIES,
    first_observed,
    last_observed,
    last_value_design,
    lifelog_summary,
    masked_mean,
    masked_slope,
    masked_std,
    series_summary,
    successive_difference,
)

__all__ = [
    "CODE_KINDS",
    "CohortDataModule",
    "DAILY_CHANNELS",
    "Featurizer",
    "INPUTS",
    "LifelogEncoder",
    "PiecewiseLinear",
    "RecordEncoder",
    "RiskModel",
    "RiskModule",
    "SERIES_SUMMARIES",
    "STATIC_FEATURES",
    "TENSOR_KEYS",
    "TensorDataModule",
    "TrajectoryEncoder",
    "ValidationAUROC",
    "ancestor_table",
    "average_states",
    "code_ancestors",
    "first_observed",
    "last_observed",
    "last_value_design",
    "lifelog_summary",
    "masked_mean",
    "masked_slope",
    "masked_std",
    "series_summary",
    "successive_difference",
    "to_tensors",
    "usable_labels",
    "validation_share",
]
