"""Load the MIMIC-III Clinical Database Demo into a :class:`~neurosym.data.Cohort`.

Table mappings live in ``configs/mimic.yaml``; this module is a thin layer over
:func:`~neurosym.data._csvreader.read_csv_table` (DuckDB) and
:func:`~neurosym.data._ingest.finish_events`.

What becomes what (``source_id`` is always the table's ``row_id``):

* ``PATIENTS`` -> patients: ``gender``, ``dob``, ``dod``.  Dates stay as
  published, shifted into the 2100s, with ``dob`` of patients older than 89
  shifted about 300 years earlier (ages of 200+); nothing is corrected.  A
  missing or unparsable ``dob`` rejects the patient.  A ``dod`` also gives a
  ``death`` event (system ``local``, code ``dod``) pointing at
  the PATIENTS row, as the OMOP and FHIR loaders do.
* ``ADMISSIONS`` -> visit events, system ``local``, code the lower-cased
  ``admission_type`` (``emergency``, ``elective``, ``urgent``, ``newborn``).
* ``DIAGNOSES_ICD`` -> condition events, system ``icd9cm``, the dot restored
  (``99591`` -> ``995.91``, ``V5861`` -> ``V58.61``, ``E8497`` -> ``E849.7``);
  ``PROCEDURES_ICD`` -> procedure events, system ``icd9proc``, dot after two
  digits (``3601`` -> ``36.01``); a code already dotted (``250.00``) is kept.
  Their time is the admission time of their ``hadm_id``; a row whose
  ``hadm_id`` is in no admission, or in an admission of another
  ``subject_id``, is rejected.
* ``LABEVENTS`` -> measurement events: system ``loinc`` with
  ``D_LABITEMS.loinc_code`` where the item has one, else system ``local``
  with code ``mimic:itemid:<itemid>``; ``valuenum`` and ``valueuom`` (known
  LOINC analytes converted to canonical units by ``finish_events``), ``value``
  as ``value_text`` when ``valuenum`` is empty; a non-finite ``valuenum``
  (``inf``, ``NaN``) rejects the row.
* ``PRESCRIPTIONS`` -> drug events from ``startdate`` to ``enddate``: system
  ``ndc`` when ``ndc`` is present and not ``0``, else system ``local`` with the
  ``drug`` name as written.

Examples
--------
>>> dot_icd9(pd.Series(["99591", "V5861", "E8497", "042"])).tolist()
['995.91', 'V58.61', 'E849.7', '042']
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from neurosym.data._cohort import Cohort
from neurosym.data._csvreader import find_table, read_csv_table
from neurosym.data._ingest import check_patients, finish_events, parse_numbers, parse_times, reject_rows
from neurosym.data._report import LoadReport
from neurosym.data._schema import EVENT_COLUMNS, PATIENT_COLUMNS, conform

__all__ = ["load_mimic_demo", "dot_icd9"]


@lru_cache(maxsize=1)
def mimic_config() -> dict:
    """The parsed ``configs/mimic.yaml`` mapping."""
    return yaml.safe_load(resources.files("neurosym.data").joinpath("configs/mimic.yaml").read_text())


def dot_icd9(codes: pd.Series, dot_after: dict[str, int] | None = None) -> pd.Series:
    """Put the dot back into undotted ICD-9 codes.

    Parameters
    ----------
    codes : pandas.Series
        Codes as MIMIC stores them (``"4019"``, ``"V5861"``).
    dot_after : dict, optional
        Characters before the dot by first letter, with a ``default``; the
        ICD-9-CM diagnosis rule ``{"E": 4, "V": 3, "default": 3}`` by default.
        Use ``{"default": 2}`` for ICD-9-CM procedure codes.

    Returns
    -------
    pandas.Series
        Dotted codes; codes no longer than the prefix (categories such as
        ``"042"``), codes that already have a dot and missing values are
        unchanged.

    Examples
    --------
    >>> dot_icd9(pd.Series(["3601", "458", "250.00"]), {"default": 2}).tolist()
    ['36.01', '45.8', '250.00']
    """
    rule = dot_after or {"E": 4, "V": 3, "default": 3}
    text = codes.astype("string").str.strip().str.upper()
    first = text.str[:1]
    width = first.map({k: v for k, v in rule.items() if k != "default"}).astype("Float64").fillna(rule["default"])
    out = text.copy()
    for n in pd.unique(width.dropna()):
        n = int(n)
        mask = ((width == n) & (text.str.len() > n) & ~text.str.contains(".", regex=False)).fillna(False)
        out[mask] = text[mask].str[:n] + "." + text[mask].str[n:]
    return out


def _pointer(raw: pd.DataFrame, spec: dict, dataset: str) -> dict[str, object]:
    return {"patient_id": raw[spec["patient"]].str.strip(), "source_dataset": dataset,
            "source_table": spec["table"], "source_row": raw["_row"], "source_id": raw[spec["id"]]}


def _read(directory: Path, spec: dict, report: LoadReport, *columns: str) -> pd.DataFrame:
    optional = spec.get("optional", [])
    wanted = list(dict.fromkeys([spec["id"], spec["patient"], *columns]))
    raw = read_csv_table(find_table(directory, spec["table"], report=report), [c for c in wanted if c not in optional],
                         optional=[c for c in wanted if c in optional], report=report, table=spec["table"])
    report.count(spec["table"], read=len(raw), loaded=0)
    return raw


# --------------------------------------------------------------------------- tables


def _patients(directory: Path, dataset: str, report: LoadReport) -> pd.DataFrame:
    spec = mimic_config()["patients"]
    raw = _read(directory, spec, report, spec["sex"], spec["birth"], spec["death"])
    birth, bad = parse_times(raw[spec["birth"]])
    death, bad_death = parse_times(raw[spec["death"]])
    report.warn(spec["table"], "unparsable dod: death_date left missing", int(bad_death.sum()))
    sex = raw[spec["sex"]].str.strip().str.upper().map(spec["sex_values"]).astype("string").fillna("U")
    frame = pd.DataFrame({**_pointer(raw, spec, dataset), "sex": sex, "birth_date": birth, "death_date": death})
    reasons = np.where(bad, "unparsable dob " + raw[spec["birth"]].fillna("").map(repr), "missing dob")
    frame = reject_rows(report, frame, bad | frame["birth_date"].isna().to_numpy(), pd.Series(reasons, index=frame.index))
    frame = reject_rows(report, frame, frame["patient_id"].isna().to_numpy(dtype=bool), "missing subject_id")
    frame = reject_rows(report, frame, frame["patient_id"].duplicated().to_numpy(dtype=bool),
                        "duplicate subject_id; the first row is kept")
    report.count(spec["table"], read=0, loaded=len(frame))
    return frame.rename(columns={"patient_id": "patient_id"})


def _admissions(directory: Path, dataset: str, report: LoadReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Visit events and the subject and admission time (raw text) of each hadm_id."""
    spec = mimic_config()["admissions"]
    raw = _read(directory, spec, report, spec["hadm"], spec["start"], spec["end"], spec["code"])
    end, bad_end = parse_times(raw[spec["end"]])
    report.warn(spec["table"], "unparsable dischtime: end_time left missing", int(bad_end.sum()))
    code = raw[spec["code"]].str.strip().str.lower()
    events = pd.DataFrame({**_pointer(raw, spec, dataset), "time": raw[spec["start"]], "end_time": end,
                           "kind": spec["kind"], "system": "local", "code": code})
    hadm = raw[spec["hadm"]].str.strip()
    admit = pd.DataFrame({"subject": raw[spec["patient"]].str.strip().to_numpy(),
                          "time": raw[spec["start"]].to_numpy()}, index=pd.Index(hadm)).astype("string")
    return events, admit[~admit.index.duplicated() & admit.index.notna()]


def _coded_by_admission(directory: Path, spec: dict, admit: pd.DataFrame, dataset: str,
                        report: LoadReport) -> pd.DataFrame:
    """Diagnoses or procedures: ICD-9 code dotted, time from their admission."""
    raw = _read(directory, spec, report, spec["hadm"], spec["code"])
    hadm = raw[spec["hadm"]].str.strip()
    events = pd.DataFrame({**_pointer(raw, spec, dataset), "time": hadm.map(admit["time"]).astype("string"),
                           "kind": spec["kind"], "system": spec["system"],
                           "code": dot_icd9(raw[spec["code"]], spec["dot_after"])})
    no_admission = (~hadm.isin(admit.index)).to_numpy(dtype=bool)
    events = reject_rows(report, events, no_admission,
                         "hadm_id " + hadm.fillna("<missing>").map(repr) + " has no admission in ADMISSIONS")
    owner = hadm[~no_admission].map(admit["subject"]).astype("string")
    other = (owner != events["patient_id"].astype("string")).fillna(True).to_numpy(dtype=bool)
    events = reject_rows(report, events, other, "hadm_id " + hadm[~no_admission].map(repr)
                         + " is an admission of subject_id " + owner.fillna("<missing>").map(repr))
    return reject_rows(report, events, events["code"].isna().to_numpy(dtype=bool), "missing icd9_code")


def _labs(directory: Path, dataset: str, report: LoadReport) -> pd.DataFrame:
    spec = mimic_config()["labs"]
    book = spec["dictionary"]
    items = read_csv_table(find_table(directory, book["table"], report=report), [book["item"]],
                           optional=[book["loinc"]], report=report, table=book["table"])
    loinc = pd.Series(items[book["loinc"]].str.strip().to_numpy(), index=pd.Index(items[book["item"]].str.strip()))
    loinc = loinc[~loinc.index.duplicated()].dropna()
    raw = _read(directory, spec, report, spec["item"], spec["time"], spec["value"], spec["unit"], spec["value_text"])
    item = raw[spec["item"]].str.strip()
    code = item.map(loinc).astype("string")
    system = pd.Series(np.where(code.notna(), "loinc", "local"), index=raw.index)
    code = code.fillna(item.map(lambda i: spec["local_code"].format(i)).astype("string"))
    value, _, bad = parse_numbers(raw[spec["value"]])
    unit = raw[spec["unit"]].str.strip()
    unit = unit.mask(unit == "")
    text = raw[spec["value_text"]].where(value.isna())
    events = pd.DataFrame({**_pointer(raw, spec, dataset), "time": raw[spec["time"]], "kind": spec["kind"],
                           "system": system, "code": code, "value": value, "unit": unit, "value_text": text})
    return reject_rows(report, events, bad, f"non-finite or out-of-range {spec['value']} "
                       + raw[spec["value"]].fillna("").map(repr))


def _prescriptions(directory: Path, dataset: str, report: LoadReport) -> pd.DataFrame:
    spec = mimic_config()["prescriptions"]
    raw = _read(directory, spec, report, spec["start"], spec["end"], spec["ndc"], spec["name"])
    ndc = raw[spec["ndc"]].str.strip()
    ndc = ndc.mask(ndc.isin(spec["no_ndc"]))
    end, bad_end = parse_times(raw[spec["end"]])
    report.warn(spec["table"], "unparsable enddate: end_time left missing", int(bad_end.sum()))
    events = pd.DataFrame({**_pointer(raw, spec, dataset), "time": raw[spec["start"]], "end_time": end,
                           "kind": spec["kind"], "system": np.where(ndc.notna(), "ndc", "local"),
                           "code": ndc.fillna(raw[spec["name"]])})
    return reject_rows(report, events, events["code"].isna().to_numpy(dtype=bool), "neither ndc nor drug name")


# --------------------------------------------------------------------------- entry point


def load_mimic_demo(directory: str | Path, *, name: str | None = None) -> Cohort:
    """Load the MIMIC-III demo (or a full MIMIC-III CSV folder) into a :class:`~neurosym.data.Cohort`.

    Parameters
    ----------
    directory : str or Path
        Folder with ``PATIENTS``, ``ADMISSIONS``, ``DIAGNOSES_ICD``,
        ``PROCEDURES_ICD``, ``LABEVENTS``, ``D_LABITEMS`` and ``PRESCRIPTIONS``
        as ``.csv`` or ``.csv.gz``, any letter case.
    name : str, optional
        Cohort name and ``source_dataset``; defaults to the folder name.

    Returns
    -------
    Cohort
        Patients and events (see the module docstring) with a
        :class:`~neurosym.data.LoadReport` that accounts for every row.

    Raises
    ------
    DataLoadError
        A table is missing or lacks a required column (the message names the
        file and the column).

    See Also
    --------
    load_omop : the OMOP CDM loader.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> tables = {"PATIENTS": "row_id,subject_id,gender,dob\\n1,7,F,2100-01-01",
    ...     "ADMISSIONS": "row_id,subject_id,hadm_id,admittime\\n1,7,70,2150-05-01 10:00:00",
    ...     "DIAGNOSES_ICD": "row_id,subject_id,hadm_id,icd9_code\\n1,7,70,25000\\n2,7,99,4019",
    ...     "PROCEDURES_ICD": "row_id,subject_id,hadm_id,icd9_code", "D_LABITEMS": "itemid,loinc_code",
    ...     "LABEVENTS": "row_id,subject_id,itemid,charttime", "PRESCRIPTIONS": "row_id,subject_id,startdate,drug"}
    >>> for table, text in tables.items():
    ...     _ = (folder / f"{table}.csv").write_text(text + "\\n")
    >>> cohort = load_mimic_demo(folder)
    >>> cohort.events[cohort.events["kind"] == "condition"]["code"].tolist()
    ['250.00']
    >>> cohort.report.issues["reason"].tolist()
    ["hadm_id '99' has no admission in ADMISSIONS"]
    """
    directory = Path(directory)
    dataset = name or directory.resolve().name
    config = mimic_config()
    report = LoadReport(dataset)
    patients = _patients(directory, dataset, report)
    visits, admit = _admissions(directory, dataset, report)
    frames = [visits,
              _coded_by_admission(directory, config["diagnoses"], admit, dataset, report),
              _coded_by_admission(directory, config["procedures"], admit, dataset, report),
              _labs(directory, dataset, report),
              _prescriptions(directory, dataset, report)]
    dates = tuple(config["plausible_dates"])
    events = finish_events(pd.concat(frames, ignore_index=True), report, patients["patient_id"].astype("string"),
                           plausible_dates=dates)
    check_patients(patients, report, dates)
    events = pd.concat([events, _death_events(patients, config["patients"]["death_event"])], ignore_index=True)
    return Cohort.from_frames(conform(patients, PATIENT_COLUMNS), events, report=report, name=dataset)


def _death_events(patients: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """One ``death`` event per patient with a ``dod``, pointing at the PATIENTS row (already counted)."""
    dead = patients[patients["death_date"].notna()]
    return conform(pd.DataFrame({"patient_id": dead["patient_id"], "time": dead["death_date"], "kind": "death",
                                 "system": spec["system"], "code": spec["code"],
                                 **{c: dead[c] for c in ("source_dataset", "source_table", "source_row", "source_id")}}),
                   EVENT_COLUMNS)
