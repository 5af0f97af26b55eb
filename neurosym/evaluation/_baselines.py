"""Baselines on the same task, splits and leakage-proof features as :class:`~neurosym.neural.RiskModel`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits

from neurosym._errors import NeurosymError, NotFittedError
from neurosym.data import Cohort
from neurosym.neural import Featurizer, last_value_design, lifelog_summary, series_summary, usable_labels
from neurosym.tasks import as_landmarks
from neurosym.tasks._landmarks import LandmarkSpec

__all__ = ["EngineeredGBM", "LastValueLogistic"]


class _FeatureBaseline:
    """fit / predict_proba over a design matrix built from :class:`Featurizer` arrays."""

    def _design(self, features: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _estimator(self):
        raise NotImplementedError

    def _featurizer(self) -> Featurizer:
        raise NotImplementedError

    def fit(self, cohort: Cohort, labels: pd.DataFrame) -> "_FeatureBaseline":
        """Learn from the labelled patients (rows with an ``excluded`` reason skipped); returns ``self``."""
        train = usable_labels(labels)
        if train["label"].nunique() < 2:
            raise NeurosymError(f"fit needs both classes among the usable labels; got {len(train)} rows")
        featurizer = self._featurizer().fit(cohort, train)
        features = featurizer.transform(cohort, train)
        order = pd.Index(train["patient_id"].astype("string")).get_indexer(features["patient_id"])
        self.featurizer_ = featurizer
        with threadpool_limits(self.num_threads):  # OpenMP/BLAS threads spin badly on shared cores
            self.estimator_ = self._estimator().fit(self._design(features), train["label"].to_numpy()[order])
        return self

    def predict_proba(self, cohort: Cohort, landmarks: LandmarkSpec) -> pd.DataFrame:
        """``patient_id, landmark, risk`` from records strictly before each landmark."""
        if not hasattr(self, "estimator_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(cohort, labels) first")
        lm = as_landmarks(landmarks, cohort)[["patient_id", "landmark"]]
        features = self.featurizer_.transform(cohort, lm)
        with threadpool_limits(self.num_threads):
            risk = self.estimator_.predict_proba(self._design(features))[:, 1]
        return pd.DataFrame({"patient_id": pd.array(features["patient_id"], dtype="string"),
                             "landmark": features["landmark"], "risk": risk})


class LastValueLogistic(_FeatureBaseline):
    """Logistic regression on each analyte's last value (with a missing indicator), age and sex.

    Parameters
    ----------
    C : float, default 1.0
        Inverse L2 penalty.
    num_threads : int, default 1
        BLAS threads while fitting and predicting.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> from neurosym.tasks import ground_truth_labels
    >>> cohort = synthetic_cohort(300, seed=0)
    >>> model = LastValueLogistic().fit(cohort, ground_truth_labels(cohort))
    >>> bool(model.predict_proba(cohort, "2024-01-01")["risk"].between(0, 1).all())
    True
    """

    def __init__(self, *, C: float = 1.0, num_threads: int = 1) -> None:
        self.C = C
        self.num_threads = num_threads

    def _featurizer(self) -> Featurizer:
        return Featurizer(lifelog_days=7)  # the design reads no lifelog

    def _design(self, features: dict[str, np.ndarray]) -> np.ndarray:
        return last_value_design(*(torch.from_numpy(features[k]) for k in ("labs", "lab_mask", "static"))).numpy()

    def _estimator(self):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=2000))


class EngineeredGBM(_FeatureBaseline):
    """Gradient boosting on engineered features.

    Per analyte: the :data:`~neurosym.neural.SERIES_SUMMARIES` (last value,
    mean, slope over time, spread, successive difference, last minus first,
    share observed, recency); per code of the vocabulary (up to
    ``max_code_features``, the most common): present before the landmark; per
    lifelog channel: the same summaries over worn days, the weekend-minus-weekday difference, plus
    wear statistics; age, sex and record volume.

    Parameters
    ----------
    max_code_features : int, default 200
    lifelog_days : int, default 364
    seed : int, default 0
    num_threads : int, default 1
        OpenMP threads of the boosting while fitting and predicting.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> from neurosym.tasks import ground_truth_labels
    >>> cohort = synthetic_cohort(300, seed=0)
    >>> model = EngineeredGBM(lifelog_days=28).fit(cohort, ground_truth_labels(cohort))
    >>> len(model.predict_proba(cohort, "2024-01-01"))
    300
    """

    def __init__(self, *, max_code_features: int = 200, lifelog_days: int = 364, seed: int = 0,
                 num_threads: int = 1) -> None:
        self.max_code_features = max_code_features
        self.lifelog_days = lifelog_days
        self.seed = seed
        self.num_threads = num_threads

    def _featurizer(self) -> Featurizer:
        return Featurizer(lifelog_days=self.lifelog_days)

    def _design(self, features: dict[str, np.ndarray]) -> np.ndarray:
        t = {k: torch.from_numpy(features[k]) for k in ("labs", "lab_age", "lab_mask", "daily", "daily_mask",
                                                         "wear", "wear_known", "landmark_day")}
        labs = series_summary(t["labs"], -t["lab_age"], t["lab_mask"]).flatten(1).numpy()
        life = lifelog_summary(t["daily"], t["daily_mask"], t["wear"], t["wear_known"], t["landmark_day"]).numpy()
        codes = features["codes"]
        k = self.max_code_features
        present = np.zeros((len(codes), k + 1), dtype=np.float32)
        rows = np.repeat(np.arange(len(codes)), codes.shape[1])
        present[rows, np.minimum(codes.ravel(), k + 1) % (k + 1)] = 1.0  # column 0: padding or a rarer code
        return np.hstack([labs, life, present[:, 1:], features["static"]])

    def _estimator(self):
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=15,
                                              early_stopping=True, validation_fraction=0.2, n_iter_no_change=20,
                                              random_state=self.seed)
