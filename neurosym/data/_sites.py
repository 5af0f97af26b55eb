"""Non-IID sites for federated studies: :func:`synthetic_sites` and :func:`partition`.

:func:`synthetic_sites` draws one synthetic population and splits it into
sites that differ the way hospitals do:

* **age mix** -- each site prefers patients around its own age centre;
* **prevalence** -- each site leans towards higher or lower true diabetes risk;
* **coding habits** -- sites alternate between an OMOP CDM export coded in
  SNOMED CT (conditions recoded to their nearest SNOMED concept in the
  clinical ontology, as an OMOP ETL maps source codes to standard concepts;
  a code without a SNOMED concept keeps its ICD-10-CM source code) and a FHIR
  server coded in ICD-10-CM; source tables are renamed to the OMOP tables or
  FHIR resources the events would come from;
* **lifelog coverage** -- each site keeps the wearable data of a different
  share of its wearers.

Patient ids stay unique across sites, so the sites can be concatenated back
into the population for a centralised reference model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from neurosym._errors import InputError
from neurosym.data._cohort import Cohort
from neurosym.data._lifelog import Lifelog
from neurosym.data._synthetic import synthetic_cohort

__all__ = ["SITE_CODINGS", "partition", "synthetic_sites"]

#: Coding habit of site ``k``: ``SITE_CODINGS[k % 2]``.
SITE_CODINGS = ("omop-snomed", "fhir-icd10cm")
_TABLES = {
    "omop-snomed": {"patients": "person", "visits": "visit_occurrence", "conditions": "condition_occurrence",
                    "vitals": "measurement", "labs": "measurement", "drugs": "drug_exposure",
                    "procedures": "procedure_occurrence", "observations": "observation", "deaths": "death",
                    "lifelog_daily": "lifelog_daily", "lifelog_hourly": "lifelog_hourly"},
    "fhir-icd10cm": {"patients": "Patient", "visits": "Encounter", "conditions": "Condition", "vitals": "Observation",
                     "labs": "Observation", "drugs": "MedicationRequest", "procedures": "Procedure",
                     "observations": "Observation", "deaths": "Patient", "lifelog_daily": "lifelog_daily",
                     "lifelog_hourly": "lifelog_hourly"},
}
_AGE_SD = 12.0  # years: how sharply a site prefers its age centre


def synthetic_sites(n_sites: int, n_patients: int, seed: int = 0, *, landmark: str = "2024-01-01",
                    lifelog_days: int = 365) -> list[Cohort]:
    """A synthetic population of ``n_patients`` split into ``n_sites`` non-IID sites.

    Site ``k`` draws patients around an age centre (35 to 70 years, shuffled
    over sites) and with a tilt towards high or low true type 2 diabetes risk
    (``risk_t2d``); each patient joins one site by a seeded Gumbel-max draw
    over the sites' log-weights.  Site ``k`` codes as ``SITE_CODINGS[k % 2]``
    and keeps the lifelog of a share of its wearers between 95 % and 20 %.

    Parameters
    ----------
    n_sites : int
        At least 2.
    n_patients : int
        Patients in the whole population (site sizes vary).
    seed : int, default 0
        Seeds the population and the split.
    landmark : str, default "2024-01-01"
    lifelog_days : int, default 365

    Returns
    -------
    list of Cohort
        One per site, named ``site<k>:<coding>``, each with the ground-truth
        ``labels`` of its patients.

    Raises
    ------
    InputError
        If ``n_sites < 2`` or there are fewer patients than sites.

    Examples
    --------
    >>> sites = synthetic_sites(2, 60, seed=0, lifelog_days=28)
    >>> [s.name for s in sites], sum(len(s) for s in sites)
    (['site0:omop-snomed', 'site1:fhir-icd10cm'], 60)
    >>> sorted(sites[0].events.loc[sites[0].events["kind"] == "condition", "system"].unique())
    ['icd10cm', 'snomed']
    """
    if n_sites < 2 or n_patients < n_sites:
        raise InputError(f"synthetic_sites needs n_sites >= 2 and n_patients >= n_sites; got n_sites={n_sites}, "
                         f"n_patients={n_patients}")
    population = synthetic_cohort(n_patients, seed=seed, landmark=landmark, lifelog_days=lifelog_days)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(17,)))
    site = _assign(population.labels, n_sites, rng)
    coverage = np.linspace(0.95, 0.2, n_sites)[rng.permutation(n_sites)]
    ids = population.labels["patient_id"].astype(str).to_numpy()
    cohorts = []
    for k in range(n_sites):
        cohort = population.select(ids[site == k].tolist())
        coding = SITE_CODINGS[k % len(SITE_CODINGS)]
        cohorts.append(_recode(_thin_lifelog(cohort, coverage[k], rng), coding, f"site{k}:{coding}"))
    return cohorts


def _assign(labels: pd.DataFrame, n_sites: int, rng: np.random.Generator) -> np.ndarray:
    """Site of each patient: Gumbel-max over age-centre and risk-tilt log-weights."""
    centre = np.linspace(35.0, 70.0, n_sites)[rng.permutation(n_sites)]
    tilt = np.linspace(-1.5, 1.5, n_sites)[rng.permutation(n_sites)]
    age = labels["age"].to_numpy(dtype=np.float64)
    risk = np.clip(labels["risk_t2d"].to_numpy(dtype=np.float64), 1e-4, 1 - 1e-4)
    logit = np.log(risk / (1 - risk))
    z = (logit - logit.mean()) / max(logit.std(), 1e-9)
    weight = -0.5 * ((age[:, None] - centre[None, :]) / _AGE_SD) ** 2 + tilt[None, :] * z[:, None]
    site = np.argmax(weight + rng.gumbel(size=weight.shape), axis=1)
    empty = np.setdiff1d(np.arange(n_sites), site)
    site[rng.choice(len(site), size=len(empty), replace=False)] = empty  # every site gets a patient
    return site


def _thin_lifelog(cohort: Cohort, coverage: float, rng: np.random.Generator) -> Cohort:
    """Keep the lifelog of a ``coverage`` share of the site's wearers."""
    daily, hourly = cohort.lifelog.daily, cohort.lifelog.hourly
    wearers = daily["patient_id"].astype(str).unique()
    kept = wearers[rng.random(len(wearers)) < coverage]
    lifelog = Lifelog(daily[daily["patient_id"].isin(kept)].reset_index(drop=True),
                      hourly[hourly["patient_id"].isin(kept)].reset_index(drop=True))
    return Cohort(cohort.patients, cohort.events, lifelog, cohort.report, cohort.labels, cohort.name)


def _recode(cohort: Cohort, coding: str, name: str) -> Cohort:
    """Apply a site's coding habit: SNOMED conditions for OMOP sites, source tables renamed."""
    events = cohort.events.copy()
    if coding == "omop-snomed":
        cond = (events["kind"] == "condition").to_numpy() & (events["system"] == "icd10cm").to_numpy()
        mapping = _snomed_concepts(events.loc[cond, "code"].astype(str).unique())
        target = events.loc[cond, "code"].astype(str).map(mapping)
        mapped = target.notna().to_numpy()
        rows = np.flatnonzero(cond)[mapped]
        system = events["system"].astype(str).to_numpy(dtype=object)
        code = events["code"].astype(str).to_numpy(dtype=object)
        system[rows], code[rows] = "snomed", target.to_numpy(dtype=object)[mapped]
        events["system"], events["code"] = pd.Categorical(system), pd.Categorical(code)
    tables = _TABLES[coding]
    events["source_table"] = pd.Categorical(events["source_table"].astype(str).map(tables))
    events["source_dataset"] = pd.Categorical(np.full(len(events), name, dtype=object))
    return Cohort(cohort.patients, events, cohort.lifelog, cohort.report, cohort.labels, name)


def _snomed_concepts(codes: Sequence[str]) -> dict[str, str]:
    """Nearest SNOMED CT ancestor of each ICD-10-CM code in the clinical ontology (codes without one are left out)."""
    from neurosym.ontology import Ontology  # loaded only for OMOP-coded sites

    onto = Ontology.load("clinical")
    out = {}
    for code in codes:  # once per distinct code
        curie = f"icd10cm:{code}"
        snomed = [a for a in (onto.ancestors(curie) if curie in onto.graph else []) if a.startswith("snomed:")]
        if snomed:
            out[code] = snomed[0].split(":", 1)[1]
    return out


def partition(cohort: Cohort, labels: pd.DataFrame, *, by: str | None = None, dirichlet: float | None = None,
              n_sites: int = 3, seed: int = 0) -> list[tuple[Cohort, pd.DataFrame]]:
    """Split a cohort and its label frame into sites, by a column or by a Dirichlet draw over the label.

    Parameters
    ----------
    cohort : Cohort
    labels : pandas.DataFrame
        Label frame (``patient_id``, ``label``, ...); split alongside.
    by : str, optional
        A column of ``labels``, ``cohort.patients`` or ``cohort.labels``: one
        site per distinct value, in sorted order (``n_sites`` is ignored).
    dirichlet : float, optional
        Concentration ``alpha``: the patients of each label class are split
        over ``n_sites`` with proportions drawn from ``Dirichlet(alpha)``
        (small ``alpha``: skewed label mixes).  Patients without a label row
        are spread uniformly.
    n_sites : int, default 3
    seed : int, default 0

    Returns
    -------
    list of (Cohort, pandas.DataFrame)
        Each site's cohort and label rows; patients that fall in no site
        (a missing ``by`` value) are left out.

    Raises
    ------
    InputError
        Unless exactly one of ``by`` and ``dirichlet`` is given, if the
        column is unknown, ``alpha <= 0`` or ``n_sites < 2``.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> cohort = synthetic_cohort(40, seed=0)
    >>> labels = pd.DataFrame({"patient_id": cohort.patient_ids, "landmark": "2024-01-01", "label": [0, 1] * 20})
    >>> [len(c) for c, _ in partition(cohort, labels, by="sex")]
    [23, 17]
    >>> [len(c) for c, _ in partition(cohort, labels, dirichlet=0.5, n_sites=3, seed=0)]
    [21, 2, 17]
    """
    if (by is None) == (dirichlet is None):
        raise InputError("partition needs exactly one of by=<column> or dirichlet=<alpha>")
    ids = pd.Index(cohort.patients["patient_id"].astype(str))
    if by is not None:
        values = _column(cohort, labels, by, ids)
        sites = [ids[(values == v).to_numpy()] for v in sorted(values.dropna().unique())]
    else:
        if dirichlet <= 0 or n_sites < 2:
            raise InputError(f"dirichlet partition needs alpha > 0 and n_sites >= 2; got alpha={dirichlet}, "
                             f"n_sites={n_sites}")
        site = _dirichlet_sites(ids, labels, dirichlet, n_sites, np.random.default_rng(seed))
        sites = [ids[site == k] for k in range(n_sites)]
    label_ids = labels["patient_id"].astype(str)
    return [(cohort.select(list(members)), labels[label_ids.isin(members).to_numpy()].reset_index(drop=True))
            for members in sites]


def _column(cohort: Cohort, labels: pd.DataFrame, by: str, ids: pd.Index) -> pd.Series:
    """Values of column ``by`` for each patient of ``ids`` (first found in labels, patients, ground truth)."""
    for frame in (labels, cohort.patients, cohort.labels):
        if frame is not None and by in frame.columns:
            first = frame.drop_duplicates("patient_id")
            return pd.Series(first[by].to_numpy(), index=first["patient_id"].astype(str)).reindex(ids)
    raise InputError(f"no column {by!r} in the labels, the patients or the cohort's labels")


def _dirichlet_sites(ids: pd.Index, labels: pd.DataFrame, alpha: float, n_sites: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Site of each patient: per label class, a Dirichlet(alpha) share of its (shuffled) patients."""
    first = labels.drop_duplicates("patient_id")
    label = pd.Series(first["label"].to_numpy(), index=first["patient_id"].astype(str)).reindex(ids)
    site = rng.integers(0, n_sites, len(ids))  # patients without a label row
    for value in sorted(label.dropna().unique()):
        members = rng.permutation(np.flatnonzero((label == value).to_numpy()))
        cuts = (np.cumsum(rng.dirichlet(np.full(n_sites, alpha)))[:-1] * len(members)).astype(int)
        for k, chunk in enumerate(np.split(members, cuts)):
            site[chunk] = k
    return site
