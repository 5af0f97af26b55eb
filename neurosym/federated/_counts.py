"""Federated cohort counts: a rule program runs at each site and only counts leave it.

:func:`site_counts` evaluates a program (a cohort definition, trial
eligibility criteria) on one site's facts and returns a :class:`SiteCounts`:
patients per derived relation, how often each rule fired, and an OHDSI-style
attrition table over ordered inclusion criteria.  Counts between 1 and
``min_cell - 1`` are suppressed (``<NA>``); optional Laplace noise of scale
``1 / dp_epsilon`` is added to every released count first (each count is
epsilon-DP for adding or removing one patient; a site releasing ``k`` counts
spends ``k * dp_epsilon`` by basic composition, see ``SiteCounts.released``).
Suppression alone does not stop differencing: two released counts may
reveal a suppressed difference; use ``dp_epsilon`` when that matters.

:func:`combine_counts` (server side) joins sites into per-site and total
tables and answers "how many are eligible, which criterion excludes most".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from neurosym._errors import InputError
from neurosym.data import Cohort
from neurosym.logic import Program

__all__ = ["CountsSummary", "EXAMPLE_ELIGIBILITY", "SiteCounts", "combine_counts", "site_counts"]

#: A small diabetes-prevention trial definition over the base facts (used in examples and the CLI).
EXAMPLE_ELIGIBILITY = """\
age_at_index(P, A) :- birth(P, B), index_day(P, I), A = years_between(B, I).
age_40_75(P) :- age_at_index(P, A), A >= 40, A <= 75.
prediabetic_hba1c(P) :- lab(P, "4548-4", V, D), index_day(P, I), D >= I - 730, V >= 5.7, V < 6.5.
overweight(P) :- vital(P, "bmi", V, D), index_day(P, I), D >= I - 730, V >= 25.
diabetes_code(P) :- condition(P, S, C, _), is_a(S, C, icd10cm, "E08-E13").
no_diabetes(P) :- patient(P, _, _), not diabetes_code(P).
eligible(P) :- age_40_75(P), prediabetic_hba1c(P), overweight(P), no_diabetes(P).
"""
_EXAMPLE_CRITERIA = ("age_40_75", "prediabetic_hba1c", "overweight", "no_diabetes")


@dataclass
class SiteCounts:
    """Counts from one site; ``<NA>`` marks a suppressed small cell.

    Attributes
    ----------
    patients : int or None
        Patients at the site (``None`` if suppressed).
    relations : pandas.DataFrame
        ``relation, patients``: distinct patients in each derived relation
        whose first column holds patient ids.
    rules : pandas.DataFrame
        ``rule, relation, firings``: derived tuples whose recorded derivation
        is the rule (rule ids are ``file:line:col``).
    attrition : pandas.DataFrame
        ``step, criterion, meets, remaining, excluded``: patients meeting the
        criterion alone, left after it and all earlier ones, and removed by it.
    min_cell : int
    dp_epsilon : float or None
        Laplace noise per released count, if any.
    """

    patients: int | None
    relations: pd.DataFrame
    rules: pd.DataFrame
    attrition: pd.DataFrame
    min_cell: int = 5
    dp_epsilon: float | None = None

    @property
    def released(self) -> int:
        """Number of counts this site releases (for the DP budget: ``released * dp_epsilon``)."""
        return 1 + len(self.relations) + len(self.rules) + 3 * len(self.attrition)

    def to_config(self) -> dict[str, object]:
        """Flat lists for a Flower ``ConfigRecord`` (suppressed cells as -1)."""

        def ints(s: pd.Series) -> list[int]:
            return [int(x) for x in s.fillna(-1)]

        return {"patients": -1 if self.patients is None else int(self.patients), "min-cell": self.min_cell,
                "relations": self.relations["relation"].tolist(), "relation-patients": ints(self.relations["patients"]),
                "rules": self.rules["rule"].tolist(), "rule-relations": self.rules["relation"].tolist(),
                "rule-firings": ints(self.rules["firings"]), "criteria": self.attrition["criterion"].tolist(),
                **{f"attrition-{c}": ints(self.attrition[c]) for c in ("meets", "remaining", "excluded")}}

    @classmethod
    def from_config(cls, config: Mapping[str, object], dp_epsilon: float | None = None) -> "SiteCounts":
        """The counts :meth:`to_config` wrote."""

        def col(key: str) -> pd.Series:
            return pd.Series(list(config[key]), dtype="Int64").replace(-1, pd.NA)

        attrition = pd.DataFrame({"step": range(1, len(config["criteria"]) + 1), "criterion": list(config["criteria"]),
                                  **{c: col(f"attrition-{c}") for c in ("meets", "remaining", "excluded")}})
        patients = int(config["patients"])
        return cls(None if patients < 0 else patients,
                   pd.DataFrame({"relation": list(config["relations"]), "patients": col("relation-patients")}),
                   pd.DataFrame({"rule": list(config["rules"]), "relation": list(config["rule-relations"]),
                                 "firings": col("rule-firings")}),
                   attrition, int(config["min-cell"]), dp_epsilon)


def _release(counts: np.ndarray, min_cell: int, dp_epsilon: float | None, rng: np.random.Generator) -> pd.Series:
    """Noisy (optional) then suppressed counts."""
    values = counts.astype(np.float64)
    if dp_epsilon is not None:
        values = np.maximum(np.round(values + rng.laplace(0.0, 1.0 / dp_epsilon, len(values))), 0)
    out = pd.Series(values.astype(np.int64), dtype="Int64")
    return out.mask((out > 0) & (out < min_cell))


def site_counts(cohort: Cohort, program: Program | str, criteria: Sequence[str] = (), *, min_cell: int = 5,
                dp_epsilon: float | None = None, seed: int = 0, landmark: str | None = None) -> SiteCounts:
    """Run ``program`` on one site's facts and return only counts.

    Parameters
    ----------
    cohort : Cohort
    program : Program or str
        Rules over the base facts (:meth:`Cohort.to_facts`) and ``is_a``
        (from the clinical ontology, restricted to the ancestors the program names).
    criteria : sequence of str, optional
        Unary patient relations in inclusion order for the attrition table;
        ``"not rel"`` excludes the patients of ``rel``.
    min_cell : int, default 5
        Counts from 1 to ``min_cell - 1`` are suppressed.
    dp_epsilon : float, optional
        Laplace noise (scale ``1 / dp_epsilon``) on every count before suppression.
    seed : int, default 0
        Seeds the noise.
    landmark : str, optional
        Index day of every patient (default: the cohort's label landmark).

    Returns
    -------
    SiteCounts

    Raises
    ------
    InputError
        If a criterion is not a relation of the program.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> counts = site_counts(synthetic_cohort(60, seed=0), EXAMPLE_ELIGIBILITY, ["age_40_75", "overweight"])
    >>> counts.patients, counts.attrition[["criterion", "remaining"]].values.tolist()
    (60, [['age_40_75', 47], ['overweight', 36]])
    """
    from neurosym.facts import clinical_facts

    program = program if isinstance(program, Program) else Program.from_text(program, "<site program>")
    unknown = [c for c in criteria if c.removeprefix("not ").strip() not in program.arities()]
    if unknown:
        raise InputError(f"criteria {unknown} are not relations of the program; it defines "
                         f"{sorted(program.arities())}")
    model = program.evaluate(clinical_facts(cohort, landmark=landmark, program=program))
    ids = pd.Index(cohort.patients["patient_id"].astype(str))
    members: dict[str, pd.Index] = {}
    rule_frames = []
    for rel in model.derived_relations:
        frame = model.query(rel, provenance=True)
        first = frame.iloc[:, 0].astype(str) if frame.shape[1] > 2 else pd.Series(dtype=str)
        if len(first) and first.isin(ids).all():
            members[rel] = pd.Index(first.unique())
        fired = frame["_rule"].value_counts().sort_index()
        rule_frames.append(pd.DataFrame({"rule": fired.index, "relation": rel, "firings": fired.to_numpy()}))
    rng = np.random.default_rng(seed)
    rels = sorted(members)
    relations = pd.DataFrame({"relation": rels, "patients": _release(np.array([len(members[r]) for r in rels]),
                                                                     min_cell, dp_epsilon, rng)})
    rules = pd.concat(rule_frames, ignore_index=True) if rule_frames else pd.DataFrame(
        {"rule": [], "relation": [], "firings": np.zeros(0, np.int64)})
    rules["firings"] = _release(rules["firings"].to_numpy(dtype=np.int64), min_cell, dp_epsilon, rng)
    meets, remaining, excluded, left = [], [], [], ids
    for criterion in criteria:
        rel = criterion.removeprefix("not ").strip()
        inside = ids.isin(members.get(rel, pd.Index([])))
        keep = ids[~inside] if criterion.startswith("not ") else ids[inside]
        before, left = len(left), left.intersection(keep)
        meets.append(len(keep)), remaining.append(len(left)), excluded.append(before - len(left))
    attrition = pd.DataFrame({"step": range(1, len(criteria) + 1), "criterion": list(criteria),
                              **{k: _release(np.array(v, dtype=np.int64), min_cell, dp_epsilon, rng)
                                 for k, v in (("meets", meets), ("remaining", remaining), ("excluded", excluded))}})
    total = _release(np.array([len(ids)]), min_cell, dp_epsilon, rng).iloc[0]
    return SiteCounts(None if pd.isna(total) else int(total), relations, rules, attrition, min_cell, dp_epsilon)


@dataclass
class CountsSummary:
    """Counts of several sites side by side, with totals over the sites.

    Attributes
    ----------
    relations, rules, attrition : pandas.DataFrame
        One column per site plus ``total`` (sum of the released cells) and
        ``suppressed`` (sites whose cell was suppressed: the total is then a
        lower bound).
    eligible : int
        Total remaining after the last criterion.
    most_excluding : str or None
        The criterion that removed the most patients over all sites.
    """

    relations: pd.DataFrame
    rules: pd.DataFrame
    attrition: pd.DataFrame
    eligible: int
    most_excluding: str | None


def _wide(frames: Mapping[str, pd.DataFrame], keys: list[str], value: str) -> pd.DataFrame:
    parts = [f.set_index(keys)[value].rename(site) for site, f in frames.items()]
    wide = pd.concat(parts, axis=1) if parts else pd.DataFrame()
    sites = list(frames)
    wide["total"] = wide[sites].sum(axis=1, skipna=True).astype("Int64")
    wide["suppressed"] = wide[sites].isna().sum(axis=1).astype("Int64")
    return wide.reset_index()


def combine_counts(counts: Mapping[str, SiteCounts]) -> CountsSummary:
    """Per-site and total tables from the sites' counts (server side).

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> a = site_counts(synthetic_cohort(60, seed=0), EXAMPLE_ELIGIBILITY, list(_EXAMPLE_CRITERIA))
    >>> b = site_counts(synthetic_cohort(60, seed=1), EXAMPLE_ELIGIBILITY, list(_EXAMPLE_CRITERIA))
    >>> summary = combine_counts({"a": a, "b": b})
    >>> summary.attrition[["criterion", "a", "b", "total"]].values.tolist()[-1], summary.most_excluding
    (['no_diabetes', 10, 8, 18], 'prediabetic_hba1c')
    """
    frames = {site: c.attrition for site, c in counts.items()}
    attrition = _wide({s: f.assign(value=f["remaining"]) for s, f in frames.items()}, ["step", "criterion"], "value")
    excluded = _wide(frames, ["step", "criterion"], "excluded")
    attrition["excluded_total"] = excluded["total"]
    most = None if excluded.empty else str(excluded.loc[excluded["total"].astype("float").idxmax(), "criterion"])
    eligible = int(attrition["total"].iloc[-1]) if len(attrition) else 0
    return CountsSummary(_wide({s: c.relations for s, c in counts.items()}, ["relation"], "patients"),
                         _wide({s: c.rules for s, c in counts.items()}, ["rule", "relation"], "firings"),
                         attrition, eligible, most)
