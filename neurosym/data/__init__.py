"""Canonical patient model, real-data loaders and the synthetic cohort.

>>> from neurosym.data import synthetic_cohort
>>> cohort = synthetic_cohort(5, seed=1)
>>> facts = cohort.to_facts()
>>> sorted(facts["patient"].columns)
['_source', 'birth_year', 'patient', 'sex']
"""

from neurosym.data._cohort import Cohort, Event, Patient
from neurosym.data._edits import MODIFIABLE_FACTS, WHAT_IF_DATASET, edit_facts, modifiable_facts
from neurosym.data._fhir import load_fhir
from neurosym.data._fitbit import load_fitbit
from neurosym.data._mimic import load_mimic_demo
from neurosym.data._omop import load_omop, read_omop_vocabulary
from neurosym.data._lifelog import Lifelog
from neurosym.data._records import clone_patients, drop_records
from neurosym.data._report import LoadReport
from neurosym.data._schema import (
    CODE_SYSTEMS,
    DAILY_COLUMNS,
    EVENT_COLUMNS,
    EVENT_KINDS,
    HOURLY_COLUMNS,
    PATIENT_COLUMNS,
    date_to_day,
    day_to_date,
)
from neurosym.data._store import load_cohort, save_cohort
from neurosym.data._synthetic import synthetic_cohort
from neurosym.data._chunked import ChunkedOutput, write_synthetic_parquet
from neurosym.data._sites import SITE_CODINGS, partition, synthetic_sites
from neurosym.data._units import canonical_code, convert

__all__ = [
    "CODE_SYSTEMS",
    "Cohort",
    "DAILY_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_KINDS",
    "Event",
    "HOURLY_COLUMNS",
    "Lifelog",
    "LoadReport",
    "MODIFIABLE_FACTS",
    "PATIENT_COLUMNS",
    "SITE_CODINGS",
    "WHAT_IF_DATASET",
    "Patient",
    "canonical_code",
    "clone_patients",
    "convert",
    "date_to_day",
    "day_to_date",
    "drop_records",
    "edit_facts",
    "load_cohort",
    "load_fhir",
    "load_fitbit",
    "load_mimic_demo",
    "load_omop",
    "modifiable_facts",
    "partition",
    "read_omop_vocabulary",
    "save_cohort",
    "synthetic_cohort",
    "write_synthetic_parquet",
    "ChunkedOutput",
    "synthetic_sites",
]
