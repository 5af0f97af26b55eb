"""Load an OMOP CDM 5.x CSV export into a :class:`~neurosym.data.Cohort`.

The table mappings live in ``configs/omop.yaml``; this module is a thin layer
over :func:`~neurosym.data._csvreader.read_csv_table` (DuckDB) and
:func:`~neurosym.data._ingest.finish_events`.

What becomes what:

* ``person`` -> patients (sex from ``gender_concept_id``, else
  ``gender_source_value``; birth from ``birth_datetime``, else the year/month/day
  parts, a missing month or day read as 1).  A person whose birth date is
  missing or unparsable, or whose ``person_id`` repeats, is rejected; that
  person's events are then rejected as from an unknown patient.
* every row of ``visit_occurrence``, ``condition_occurrence``,
  ``drug_exposure``, ``procedure_occurrence``, ``measurement``, ``observation``
  and ``death`` -> one event (kinds visit, condition, drug, procedure,
  measurement, observation, death).  ``death`` also sets the patient's
  ``death_date`` (the earliest one).
* concept ids -> (system, code) via ``concept.csv``: SNOMED, LOINC, RxNorm,
  ICD10CM, ICD9CM, ICD9Proc, CVX, CPT4 and NDC give their lower-case system and
  ``concept_code``; other vocabularies (Visit, RxNorm Extension, ...) give
  ``("omop", "<concept_id>")``.  A concept id of 0 (unmapped) falls back to
  ``("local", <*_source_value>)``, or ``("omop", "0")`` when that is empty; a
  non-zero id missing from ``concept.csv`` gives ``("omop", "<id>")``.  Both
  fallbacks are counted as warnings, never dropped.
* measurement values: ``value_as_number`` with the unit's UCUM
  ``concept_code`` (``unit_concept_id``) or else ``unit_source_value``;
  known LOINC analytes are converted to canonical units by ``finish_events``.
  A non-numeric value, or a missing one, goes to ``value_text``; a
  non-finite or out-of-range one (``inf``, ``NaN``, ``1e999``) rejects the
  row.  ``operator_concept_id`` becomes the event's ``comparator`` (``<``
  5 is not 5).
* a condition's source concept (``condition_source_concept_id``, e.g. the
  ICD-10-CM code it was mapped from) in a known vocabulary and different
  from its standard concept gives a second event of the same record, so
  cohorts defined on source codes find it.
* every table is read by the shared CSV reader: a malformed row (a field
  too many or too few, bytes that are not UTF-8) is rejected with its line
  number and the rest of the table loads.  ``measurement.csv`` beside
  ``measurement.csv.gz`` is read alone, with a warning.
* ``observation_period`` rows are not events: they are counted (read and
  loaded) and used to warn about events outside every observation period of
  their person.  Exact duplicate records are warned about, never dropped.

Vocabulary tables for the ontology layer are read by
:func:`read_omop_vocabulary`.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "person.csv").write_text(
...     "person_id,gender_concept_id,year_of_birth\\n1,8532,1960\\n")
>>> _ = (folder / "condition_occurrence.csv").write_text(
...     "condition_occurrence_id,person_id,condition_concept_id,condition_start_date,"
...     "condition_source_value\\n5,1,0,2020-03-01,E11.9\\n")
>>> cohort = load_omop(folder)
>>> cohort.events[["kind", "system", "code", "source_id"]].values.tolist()
[['condition', 'local', 'E11.9', '5']]
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
from neurosym.data._schema import PATIENT_COLUMNS, conform
from neurosym.ontology._codes import OMOP_VOCABULARIES

__all__ = ["load_omop", "read_omop_vocabulary"]


@lru_cache(maxsize=1)
def omop_config() -> dict:
    """The parsed ``configs/omop.yaml`` mapping."""
    return yaml.safe_load(resources.files("neurosym.data").joinpath("configs/omop.yaml").read_text())


# --------------------------------------------------------------------------- vocabulary


def read_omop_vocabulary(directory: str | Path, *, report: LoadReport | None = None) -> dict[str, pd.DataFrame]:
    """The OMOP vocabulary tables of a CDM folder: the one reader of the loader and the ontology layer.

    Parameters
    ----------
    directory : str or Path
        Folder with ``concept.csv`` and, when present, ``concept_ancestor.csv``,
        ``concept_relationship.csv`` and ``concept_ancestor_concepts.csv``
        (extra concept rows for ancestors, appended to ``concept``).
    report : LoadReport, optional
        Where malformed CSV rows are recorded; without one they raise
        :class:`DataLoadError`.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``concept``, ``concept_ancestor`` and ``concept_relationship`` with
        their OMOP columns; id and level columns are ``Int64``, others
        strings.  A missing table gives an empty frame; duplicate
        ``concept_id`` rows keep the first.

    Raises
    ------
    DataLoadError
        The folder is missing, a present table lacks a required column, or
        (without ``report``) has a malformed row.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "concept.csv").write_text(
    ...     "concept_id,concept_name,vocabulary_id,concept_code\\n201826,Type 2 diabetes mellitus,SNOMED,44054006\\n")
    >>> vocab = read_omop_vocabulary(folder)
    >>> vocab["concept"]["concept_code"].tolist(), len(vocab["concept_ancestor"])
    (['44054006'], 0)
    """
    out = {}
    for name, spec in omop_config()["vocabulary"].items():
        frames = []
        for table in spec["tables"]:
            path = find_table(directory, table, required=False, report=report)
            if path is not None:
                optional = [c for c in spec["columns"] if c not in spec["required"]]
                frames.append(read_csv_table(path, spec["required"], optional=optional, report=report,
                                             table=table).drop(columns="_row"))
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            {c: pd.Series(dtype="string") for c in spec["columns"]})
        frame = frame[spec["columns"]].astype("string")
        for col in spec["integers"]:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
        if name == "concept":
            frame = frame.drop_duplicates("concept_id", keep="first")
        out[name] = frame.reset_index(drop=True)
    return out


def _concept_lookup(concept: pd.DataFrame) -> pd.DataFrame:
    """concept_id (string) -> system, code, name."""
    ids = concept["concept_id"].astype("string")
    system = concept["vocabulary_id"].map(OMOP_VOCABULARIES).astype("string")
    code = concept["concept_code"].astype("string").where(system.notna(), ids)
    return pd.DataFrame({"system": system.fillna("omop").to_numpy(), "code": code.to_numpy(),
                         "name": concept["concept_name"].astype("string").to_numpy()},
                        index=pd.Index(ids, name="concept_id"))


def _concept_key(raw: pd.Series) -> pd.Series:
    """Concept ids as canonical strings ("007" -> "7"); non-numeric -> NA."""
    return pd.to_numeric(raw, errors="coerce").astype("Int64").astype("string")


def _resolve(concept_ids: pd.Series, source_values: pd.Series, lookup: pd.DataFrame,
             table: str, report: LoadReport) -> tuple[pd.Series, pd.Series]:
    """(system, code) per row, with the fallbacks documented in the module docstring."""
    key = _concept_key(concept_ids)
    hit = lookup.reindex(key.fillna("0"))
    system = pd.Series(hit["system"].to_numpy(), dtype="string")
    code = pd.Series(hit["code"].to_numpy(), dtype="string")
    zero = (key.isna() | (key == "0")).to_numpy(dtype=bool)
    unknown = ~zero & system.isna().to_numpy(dtype=bool)
    source = source_values.astype("string").reset_index(drop=True)
    local = zero & source.notna().to_numpy(dtype=bool)
    system[local], code[local] = "local", source[local]
    bare = zero & ~local
    system[bare], code[bare] = "omop", "0"
    system[unknown], code[unknown] = "omop", key[unknown].to_numpy()
    report.warn(table, "concept id 0 or empty: coded by its source value as system 'local'", int(local.sum()))
    report.warn(table, "concept id 0 or empty and no source value: coded as ('omop', '0')", int(bare.sum()))
    report.warn(table, "concept id not in concept.csv: coded as ('omop', id)", int(unknown.sum()))
    return system, code


# --------------------------------------------------------------------------- persons


def _coalesce(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    for col in columns:
        out = out.fillna(frame[col])
    return out


def _read_persons(directory: Path, dataset: str, report: LoadReport) -> pd.DataFrame:
    spec = omop_config()["person"]
    year, month, day = spec["birth_parts"]
    columns = [spec["id"], spec["gender_concept"], year, *spec["optional"]]
    table = spec["table"]
    raw = read_csv_table(find_table(directory, table, report=report), [c for c in columns if c not in spec["optional"]],
                         optional=spec["optional"], report=report, table=table)
    report.count(table, read=len(raw), loaded=0)
    sex = _concept_key(raw[spec["gender_concept"]]).map(spec["sex_concepts"]).astype("string")
    sex = sex.fillna(raw[spec["gender_source"]].str.upper().map(spec["sex_source_values"]).astype("string")).fillna("U")
    parts = raw[year] + "-" + raw[month].fillna("1") + "-" + raw[day].fillna("1")
    birth_raw = raw[spec["birth_datetime"]].fillna(parts)
    birth, bad = parse_times(birth_raw)
    frame = pd.DataFrame({
        "patient_id": raw[spec["id"]].str.strip(), "sex": sex, "birth_date": birth,
        "source_dataset": dataset, "source_table": table, "source_row": raw["_row"], "source_id": raw[spec["id"]],
    })
    missing = frame["birth_date"].isna().to_numpy() & ~bad
    reasons = np.where(bad, "unparsable birth date " + birth_raw.fillna("").map(repr), "missing birth date")
    frame = reject_rows(report, frame, bad | missing, pd.Series(reasons, index=frame.index))
    no_id = frame["patient_id"].isna().to_numpy(dtype=bool)
    frame = reject_rows(report, frame, no_id, "missing person_id")
    dup = frame["patient_id"].duplicated(keep="first").to_numpy(dtype=bool)
    frame = reject_rows(report, frame, dup, "duplicate person_id; the first row is kept")
    report.count(table, read=0, loaded=len(frame))
    return frame


# --------------------------------------------------------------------------- events


def _read_events(directory: Path, table: str, spec: dict, lookup: pd.DataFrame, dataset: str,
                 report: LoadReport) -> pd.DataFrame | None:
    name = spec.get("table", table)
    path = find_table(directory, name, required=False, report=report)
    if path is None:
        return None
    optional = spec.get("optional", [])
    wanted = [spec["id"], "person_id", spec["concept"], spec.get("source_value"), spec.get("source_concept"),
              *spec["start"], *spec.get("end", []), spec.get("value"), spec.get("operator"), spec.get("unit_concept"),
              spec.get("unit_source"), spec.get("value_concept"), *spec.get("value_text", [])]
    wanted = list(dict.fromkeys(c for c in wanted if c))
    raw = read_csv_table(path, [c for c in wanted if c not in optional], optional=[c for c in wanted if c in optional],
                         report=report, table=name)
    report.count(name, read=len(raw), loaded=0)
    system, code = _resolve(raw[spec["concept"]], raw[spec["source_value"]] if spec.get("source_value") else
                            pd.Series(pd.NA, index=raw.index, dtype="string"), lookup, name, report)
    events = pd.DataFrame({
        "patient_id": raw["person_id"].str.strip(), "time": _coalesce(raw, spec["start"]),
        "kind": spec["kind"], "system": system.to_numpy(), "code": code.to_numpy(),
        "source_dataset": dataset, "source_table": name, "source_row": raw["_row"], "source_id": raw[spec["id"]],
    })
    if spec.get("end"):
        end_raw = _coalesce(raw, spec["end"])
        end, bad_end = parse_times(end_raw)
        report.warn(name, "unparsable end date: end_time left missing", int(bad_end.sum()))
        events["end_time"] = end.to_numpy()
    if spec.get("value"):
        values = _values(raw, spec, lookup, name, report)
        events = reject_rows(report, events.assign(**values), values["_bad"], values["_reason"]).drop(
            columns=["_bad", "_reason"])
    if spec.get("source_concept"):
        events = pd.concat([events, _source_events(raw, events, spec, lookup)], ignore_index=True)
    return events


def _source_events(raw: pd.DataFrame, events: pd.DataFrame, spec: dict, lookup: pd.DataFrame) -> pd.DataFrame:
    """Second events carrying the source code, where it is known and differs from the standard code."""
    key = _concept_key(raw[spec["source_concept"]])
    hit = lookup.reindex(key.fillna("0"))
    system = pd.Series(hit["system"].to_numpy(), index=raw.index, dtype="string")
    code = pd.Series(hit["code"].to_numpy(), index=raw.index, dtype="string")
    known = system.isin(set(OMOP_VOCABULARIES.values())).fillna(False) & (key != "0").fillna(False)
    kept = raw.index.isin(events.index)
    same = (system == events["system"].reindex(raw.index).astype("string")) & (
        code == events["code"].reindex(raw.index).astype("string"))
    extra = (known & ~same.fillna(False) & kept).to_numpy(dtype=bool)
    return events.loc[raw.index[extra]].assign(system=system[extra].to_numpy(), code=code[extra].to_numpy())


def _values(raw: pd.DataFrame, spec: dict, lookup: pd.DataFrame, table: str, report: LoadReport) -> dict[str, object]:
    """value, unit, value_text and comparator columns of a measurement-like table, and rows to reject."""
    text_value = raw[spec["value"]]
    value, not_numeric, bad = parse_numbers(text_value)
    not_numeric = pd.Series(not_numeric, index=raw.index)
    report.warn(table, "non-numeric value_as_number kept as value_text", int(not_numeric.sum()))
    reasons = pd.Series(np.where(bad, f"non-finite or out-of-range {spec['value']} " + text_value.fillna("").map(repr),
                                 None), index=raw.index)
    unit_key = _concept_key(raw[spec["unit_concept"]])
    unit_hit = lookup.reindex(unit_key.fillna("0"))
    unit_code = pd.Series(unit_hit["code"].to_numpy(), index=raw.index, dtype="string")
    unit_code = unit_code.where((unit_key != "0").fillna(False) & (unit_code != unit_key).fillna(False))
    unit = unit_code.fillna(raw[spec["unit_source"]])
    concept_key = _concept_key(raw[spec["value_concept"]])
    concept_name = pd.Series(lookup.reindex(concept_key.fillna("0"))["name"].to_numpy(), index=raw.index, dtype="string")
    concept_name = concept_name.where((concept_key != "0").fillna(False))
    text = text_value.where(not_numeric).fillna(concept_name).fillna(_coalesce(raw, spec.get("value_text", [])))
    return {"value": value.to_numpy(), "unit": unit.to_numpy(), "value_text": text.where(value.isna()).to_numpy(),
            "comparator": _comparator(raw, spec, table, report), "_bad": bad, "_reason": reasons}


def _comparator(raw: pd.DataFrame, spec: dict, table: str, report: LoadReport) -> np.ndarray:
    """``operator_concept_id`` as ``<``, ``<=``, ``=``, ``>=``, ``>`` (null when 0 or absent; unknown ids warned)."""
    if not spec.get("operator"):
        return np.full(len(raw), None, dtype=object)
    key = _concept_key(raw[spec["operator"]])
    comparator = key.map(omop_config()["operators"]).astype("string")
    unknown = (comparator.isna() & key.notna() & (key != "0")).to_numpy(dtype=bool)
    report.warn(table, f"{spec['operator']} not a Meas Value Operator concept: comparator left empty",
                int(unknown.sum()))
    return comparator.to_numpy()


# --------------------------------------------------------------------------- checks


def _read_periods(directory: Path, dataset: str, report: LoadReport, known: pd.Index) -> pd.DataFrame | None:
    spec = omop_config()["observation_period"]
    table = spec["table"]
    path = find_table(directory, table, required=False, report=report)
    if path is None:
        return None
    raw = read_csv_table(path, [spec["id"], "person_id", spec["start"], spec["end"]], report=report, table=table)
    report.count(table, read=len(raw), loaded=0)
    start, bad_start = parse_times(raw[spec["start"]])
    end, bad_end = parse_times(raw[spec["end"]])
    frame = pd.DataFrame({"patient_id": raw["person_id"].str.strip(), "start": start, "end": end,
                          "source_table": table, "source_row": raw["_row"], "source_id": raw[spec["id"]]})
    bad = bad_start | bad_end | frame["start"].isna().to_numpy() | frame["end"].isna().to_numpy()
    frame = reject_rows(report, frame, bad, "missing or unparsable observation period date")
    pid = frame["patient_id"].astype("string")
    frame = reject_rows(report, frame, (~pid.isin(known)).to_numpy(dtype=bool), "unknown patient " + pid.fillna("<missing>").map(repr))
    report.count(table, read=0, loaded=len(frame))
    return frame


def _warn_outside_periods(events: pd.DataFrame, periods: pd.DataFrame, report: LoadReport) -> None:
    """Warn, per table, about events whose day is in no observation period of their person."""
    ev = pd.DataFrame({"i": np.arange(len(events)), "patient_id": events["patient_id"].astype("string"),
                       "day": events["time"].dt.normalize(), "table": events["source_table"].astype("string")})
    per = periods[["patient_id", "start", "end"]].astype({"patient_id": "string"})
    merged = ev.merge(per, on="patient_id", how="left")
    merged["inside"] = (merged["day"] >= merged["start"].dt.normalize()) & (merged["day"] <= merged["end"].dt.normalize())
    inside = merged.groupby("i")["inside"].any()
    outside = ev.loc[~inside.reindex(ev["i"]).to_numpy(dtype=bool)]
    for table, n in outside["table"].value_counts().items():
        report.warn(table, "event outside every observation period of its person (kept)", int(n))


def _warn_duplicates(events: pd.DataFrame, report: LoadReport) -> None:
    """Warn about records identical to another of the same table except for their id and row."""
    keys = ["source_table", "patient_id", "kind", "system", "code", "time", "end_time", "value", "unit", "value_text"]
    dup = events[keys].astype("string").duplicated(keep="first")
    for table, n in events.loc[dup.to_numpy(), "source_table"].astype("string").value_counts().items():
        report.warn(table, "duplicate of an earlier record (same patient, code, times and value; kept)", int(n))


# --------------------------------------------------------------------------- entry point


def load_omop(directory: str | Path, *, name: str | None = None) -> Cohort:
    """Load an OMOP CDM 5.x CSV folder into a :class:`~neurosym.data.Cohort`.

    Parameters
    ----------
    directory : str or Path
        Folder with ``person.csv`` (required), the clinical tables that exist
        (``visit_occurrence``, ``condition_occurrence``, ``drug_exposure``,
        ``procedure_occurrence``, ``measurement``, ``observation``, ``death``,
        ``observation_period``) and ``concept.csv``; ``.csv.gz`` and any letter
        case are accepted.
    name : str, optional
        Cohort name and ``source_dataset`` of every row; defaults to the
        folder name.

    Returns
    -------
    Cohort
        Patients, one event per clinical row (source pointers: table name,
        1-based row, the record's ``*_id``; ``person_id`` for ``death``) and a
        :class:`~neurosym.data.LoadReport` accounting for every row.

    Raises
    ------
    DataLoadError
        The folder or ``person.csv`` is missing, or a table lacks a required
        column (the message names the file and the column).

    See Also
    --------
    read_omop_vocabulary : the concept tables for ontology use.
    load_mimic_demo : the MIMIC-III demo loader.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "person.csv").write_text("person_id,gender_concept_id,year_of_birth\\n1,8507,1950\\n")
    >>> _ = (folder / "death.csv").write_text("person_id,death_date\\n1,2020-05-01\\n")
    >>> cohort = load_omop(folder, name="tiny")
    >>> str(cohort.patients["death_date"][0].date()), cohort.report.summary()["loaded"].tolist()
    ('2020-05-01', [1, 1])
    """
    directory = Path(directory)
    dataset = name or directory.resolve().name
    config = omop_config()
    report = LoadReport(dataset)
    lookup = _concept_lookup(read_omop_vocabulary(directory, report=report)["concept"])
    patients = _read_persons(directory, dataset, report)
    known = pd.Index(patients["patient_id"].astype("string"))
    specs = {**config["events"], "death": config["death"]}
    frames = [f for t, s in specs.items() if (f := _read_events(directory, t, s, lookup, dataset, report)) is not None]
    events = finish_events(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"patient_id": [], "time": [], "kind": [], "source_table": []}), report, known,
        plausible_dates=tuple(config["plausible_dates"]))
    periods = _read_periods(directory, dataset, report, known)
    if periods is not None:
        _warn_outside_periods(events, periods, report)
    _warn_duplicates(events, report)
    patients = _add_death_dates(patients, events)
    check_patients(patients, report, tuple(config["plausible_dates"]))
    return Cohort.from_frames(conform(patients, PATIENT_COLUMNS), events, report=report, name=dataset)


def _add_death_dates(patients: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    dead = events[events["kind"] == "death"]
    first = dead.groupby(dead["patient_id"].astype("string"), observed=True)["time"].min()
    position = pd.Index(first.index).get_indexer(patients["patient_id"].astype("string"))
    death = pd.Series(pd.NaT, index=patients.index, dtype="datetime64[s]")
    death[position >= 0] = first.to_numpy()[position[position >= 0]]
    return patients.assign(death_date=death)
