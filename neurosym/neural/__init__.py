"""Neural encoders over patient records and lifelog signals, and the neural-only risk model.

Examples
--------
>>> from neurosym.neural import Featurizer
>>> Featurizer().max_codes
64
"""

from neurosym.neural._features import CODE_KINDS, DAILY_CHANNELS, STATIC_FEATURES, Featurizer

__all__ = ["CODE_KINDS", "DAILY_CHANNELS", "Featurizer", "STATIC_FEATURES"]
