"""A site: a cohort plus its labels, written to and read from a folder a Flower SuperNode points at."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from neurosym._errors import InputError
from neurosym.data import Cohort, load_cohort, save_cohort

__all__ = ["Site", "as_sites"]


@dataclass
class Site:
    """One data holder: its name, its cohort and its label frame (``patient_id, landmark, label[, excluded]``).

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> site = Site.from_cohort(synthetic_cohort(20, seed=0), name="north")
    >>> site.name, len(site.cohort), list(site.labels.columns)
    ('north', 20, ['patient_id', 'landmark', 'label', 'excluded'])
    """

    name: str
    cohort: Cohort
    labels: pd.DataFrame

    @classmethod
    def from_cohort(cls, cohort: Cohort, labels: pd.DataFrame | None = None, name: str | None = None) -> "Site":
        """A site from a cohort; ``labels`` default to its ground truth (:func:`~neurosym.tasks.ground_truth_labels`)."""
        from neurosym.tasks import ground_truth_labels

        return cls(name or cohort.name, cohort, ground_truth_labels(cohort) if labels is None else labels)

    def save(self, folder: str | Path) -> Path:
        """Write the cohort with the label frame as its labels (:func:`~neurosym.data.save_cohort`)."""
        c = self.cohort
        return save_cohort(Cohort(c.patients, c.events, c.lifelog, c.report, self.labels, self.name), folder)

    @classmethod
    def load(cls, folder: str | Path) -> "Site":
        """The site :meth:`save` wrote (cached per folder within a process)."""
        return _load(str(Path(folder).resolve()))


@lru_cache(maxsize=16)
def _load(folder: str) -> Site:
    cohort = load_cohort(folder)
    if cohort.labels is None:
        raise InputError(f"site folder {folder} has no labels.parquet; write sites with Site.save")
    return Site(cohort.name, cohort, cohort.labels)


def as_sites(sites: list) -> list[Site]:
    """Sites from :class:`Site` objects, cohorts (ground-truth labels) or ``(cohort, labels)`` pairs; names made unique."""
    out = []
    for i, s in enumerate(sites):
        if isinstance(s, Site):
            site = s
        elif isinstance(s, Cohort):
            site = Site.from_cohort(s)
        elif isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], Cohort):
            site = Site.from_cohort(s[0], s[1])
        else:
            raise InputError(f"site {i} is a {type(s).__name__}; give a Site, a Cohort or a (Cohort, labels) pair")
        out.append(site)
    names = [s.name for s in out]
    if len(set(names)) < len(names):
        out = [Site(f"site{i}", s.cohort, s.labels) for i, s in enumerate(out)]
    return out
