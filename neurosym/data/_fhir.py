"""Load FHIR R4 Bundles and bulk-export ndjson into a :class:`~neurosym.data.Cohort`.

The mapping from resources to the canonical model lives in
``configs/fhir.yaml``; this module walks the files, picks fields by that
mapping and leaves validation to shared code (:func:`finish_events`).

* **Files.** A path may be a file or a directory (searched recursively for
  ``*.json``, ``*.ndjson``, ``*.jsonl`` and their ``.gz`` forms).  A JSON
  file holds a Bundle (any type: transaction, collection, searchset, ...)
  or one resource; an ndjson file holds one resource per line, as a FHIR
  Bulk Data ``$export`` writes them.  The export's ``log.ndjson`` and
  ``manifest.json`` are not FHIR and are skipped with a note.
* **References.** ``urn:uuid:<id>`` resolves through the Bundle's
  ``fullUrl`` values; ``Patient/<id>`` (relative, absolute or versioned)
  resolves to ``<id>``.
* **Source pointer.** ``source_dataset`` is the file path relative to the
  parent of the directory given (``fhir_synthea_r4/bundles/<file>.json``),
  or the file name when a file is given; ``source_table`` the resource type;
  ``source_row`` the 1-based entry index in the Bundle or line number in the
  ndjson file; ``source_id`` the resource id.
* **Report.** Every resource is counted under its type: loaded, rejected
  (no patient reference, unknown patient, missing or unparsable date,
  unknown unit, no code in an accepted system, a non-finite value such as
  ``Infinity``, ``1e999`` or ``NaN``, a field of the wrong JSON type,
  invalid or too deeply nested JSON line) or skipped (types not modelled,
  e.g. ``Claim``).  A file that is not JSON, or JSON that is not FHIR,
  raises :class:`~neurosym.DataLoadError` naming the file.  A UTF-8 BOM is
  accepted.
* **Duplicates.** A resource met twice (the same type and id, or the same
  content when it has no id), in one file or across files (a Bundle saved
  twice, overlapping ndjson parts), is loaded once: the later copy is
  skipped with a pointer to the first and counted as a warning; a copy with
  other content is rejected as a conflict.
* **Meaning.** ``valueQuantity.comparator`` (``<5``) is kept in the event's
  ``comparator``; a ``valueString`` that is a number for a lab LOINC code
  becomes a numeric value, with a warning; a panel component in no accepted
  code system is dropped with a warning; Observations *contained* in another
  resource (a DiagnosticReport) are loaded, about the container's subject.

Examples
--------
>>> import json, pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> lines = [{"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-05-01"},
...          {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"},
...           "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
...           "effectiveDateTime": "2020-01-02", "valueQuantity": {"value": 6.8, "code": "%"}}]
>>> _ = (folder / "data.ndjson").write_text("\\n".join(json.dumps(r) for r in lines))
>>> cohort = load_fhir(folder)
>>> cohort.events[["patient_id", "code", "value"]].values.tolist()
[['p1', '4548-4', 6.8]]
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from neurosym._errors import DataLoadError
from neurosym.data._cohort import Cohort
from neurosym.data._ingest import VALUE_LIMIT, check_patients, finish_events, parse_times, reject_rows
from neurosym.data._report import LoadReport
from neurosym.data._schema import COMPARATORS
from neurosym.data._units import analytes, canonicalize

__all__ = ["load_fhir"]

_SUFFIXES = (".json", ".ndjson", ".jsonl", ".json.gz", ".ndjson.gz", ".jsonl.gz")
_LINE_SUFFIXES = (".ndjson", ".jsonl", ".ndjson.gz", ".jsonl.gz")
_REFERENCE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
_UTC_OFFSET = r"(T[0-9:.]+)(?:Z|[+-]\d\d:?\d\d)$"
_SOURCE = ["source_dataset", "source_table", "source_row", "source_id"]
_EVENT_FIELDS = ["patient_id", "time", "end_time", "kind", "system", "code", "value", "unit", "value_text",
                 "comparator", *_SOURCE, "_rec"]
_MALFORMED = (TypeError, AttributeError, ValueError, KeyError, RecursionError)
_PATIENT_FIELDS = ["patient_id", "gender", "birth", "death", "deceased", *_SOURCE]

Resolver = Callable[[str], "tuple[str, str] | None"]


class _Reject(Exception):
    """A malformed resource; the message is the reason recorded in the report."""


@lru_cache(maxsize=1)
def _config() -> dict[str, Any]:
    return yaml.safe_load(resources.files("neurosym.data").joinpath("configs/fhir.yaml").read_text())


def load_fhir(paths: str | os.PathLike | Iterable[str | os.PathLike], *, name: str = "fhir") -> Cohort:
    """Load FHIR R4 JSON Bundles and bulk-export ndjson files into a cohort.

    Parameters
    ----------
    paths : str, Path or iterable of them
        Files or directories (searched recursively).  Bundles and ndjson may
        be mixed; patients are pooled, so an ndjson ``Condition`` may point at
        a ``Patient`` in another file.
    name : str
        Name of the cohort and of its :class:`~neurosym.data.LoadReport`.

    Returns
    -------
    Cohort
        Patients (sex, birth and death dates), events with source pointers,
        an empty lifelog and the report (one table per resource type).

    Raises
    ------
    DataLoadError
        A path does not exist, a directory has no FHIR files, or a file is
        not JSON / not FHIR.

    See Also
    --------
    load_fitbit : wearable data as a lifelog.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "b.json"
    >>> bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
    ...     {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "male"}},
    ...     {"fullUrl": "urn:uuid:c1", "resource": {"resourceType": "Claim", "id": "c1"}}]}
    >>> _ = path.write_text(json.dumps(bundle))
    >>> cohort = load_fhir(path)
    >>> cohort.patient_ids, cohort.report.summary()[["table", "loaded", "skipped"]].values.tolist()
    (['p1'], [['Patient', 1, 0], ['Claim', 0, 1]])
    """
    report = LoadReport(name)
    collector = _Collector(report, _config())
    for path, dataset in _data_files(paths):
        if path.name.endswith(_LINE_SUFFIXES):
            _read_ndjson(path, dataset, collector)
        else:
            _read_json(path, dataset, collector)
    patients = collector.patients_frame()
    events = collector.events_frame(patients["patient_id"])
    events = pd.concat([events.astype({"patient_id": "string"}), collector.death_events(patients)], ignore_index=True)
    check_patients(patients, report, tuple(collector.config["plausible_dates"]))
    return Cohort.from_frames(patients, events, report=report, name=name)


# -- files -------------------------------------------------------------------------------------------


def _data_files(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[tuple[Path, str]]:
    """Every FHIR file under ``paths`` with its ``source_dataset`` name, each file once."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found: dict[Path, str] = {}
    for root in map(Path, paths):
        if root.is_dir():
            files = sorted(f for f in root.rglob("*") if f.is_file() and f.name.endswith(_SUFFIXES))
            if not files:
                raise DataLoadError(f"no FHIR files ({', '.join(_SUFFIXES)}) in this directory", source=str(root))
            for f in files:
                found.setdefault(f.resolve(), f"{root.name}/{f.relative_to(root).as_posix()}")
        elif root.is_file():
            found.setdefault(root.resolve(), root.name)
        else:
            raise DataLoadError("no such file or directory; check the path", source=str(root))
    return list(found.items())


def _export_metadata(file_name: str, obj: object) -> tuple[str, str] | None:
    """(table, reason) if the file or object is bulk-export metadata rather than FHIR."""
    for kind, spec in _config()["export_metadata"].items():
        by_name = file_name.removesuffix(".gz") in spec["files"]
        by_keys = isinstance(obj, dict) and "resourceType" not in obj and all(k in obj for k in spec["keys"])
        if by_name or by_keys:
            return f"export {kind}", spec["reason"]
    return None


def _read_json(path: Path, dataset: str, collector: "_Collector") -> None:
    """One JSON document: a Bundle, one resource, or an export manifest."""
    try:
        with gzip.open(path, "rt", encoding="utf-8-sig") if path.name.endswith(".gz") else \
                open(path, encoding="utf-8-sig") as fh:  # a UTF-8 BOM is dropped
            doc = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError, EOFError, OSError) as err:
        raise DataLoadError(f"not a JSON file ({err}); expected a FHIR Bundle or resource", source=str(path)) from err
    except RecursionError as err:
        raise DataLoadError("JSON nested too deeply to be FHIR", source=str(path)) from err
    meta = _export_metadata(path.name, doc)
    if meta:
        collector.report.count(meta[0], read=1, loaded=0)
        collector.report.skip(meta[0], row=1, reason=meta[1])
        return
    if not isinstance(doc, dict) or not doc.get("resourceType"):
        raise DataLoadError("JSON without a resourceType is not FHIR; expected a Bundle or a resource",
                            source=str(path))
    if doc["resourceType"] != "Bundle":
        collector.add(doc, dataset, 1, _resolve_literal)
        return
    entries = doc.get("entry") or []
    if not isinstance(entries, list):
        raise DataLoadError(f"Bundle.entry is a {type(entries).__name__}, not a list", source=str(path))
    resolve = _bundle_resolver(entries)
    for row, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            collector.report.count("Bundle.entry", read=1, loaded=0)
            collector.report.skip("Bundle.entry", row=row, reason="entry without a resource")
        elif not isinstance(resource.get("resourceType"), str) or not resource["resourceType"]:
            collector.report.count("Bundle.entry", read=1, loaded=0)
            collector.report.reject("Bundle.entry", row=row, reason="resource without a resourceType")
        else:
            collector.add(resource, dataset, row, resolve, fallback_id=_uuid(entry.get("fullUrl")))


def _parse_line(raw: bytes, lineno: int) -> tuple[object, str | None]:
    """(object, None) for a JSON line, or (None, reason) for a line that is not UTF-8 or not JSON."""
    try:
        text = raw.decode("utf-8")
        return json.loads(text.removeprefix("\ufeff") if lineno == 1 else text), None
    except UnicodeDecodeError as err:
        return None, f"not UTF-8 text (byte {err.start + 1})"
    except json.JSONDecodeError as err:
        return None, f"invalid JSON: {err.msg} (column {err.colno})"
    except RecursionError:
        return None, "JSON nested too deeply to be FHIR"


def _read_ndjson(path: Path, dataset: str, collector: "_Collector") -> None:
    """One resource per line; invalid lines (not UTF-8, not JSON) are rejected with their line number."""
    report = collector.report
    table = path.name.split(".")[0]  # Condition.000.ndjson -> Condition, for lines without a type
    meta = _export_metadata(path.name, None)
    lines = fhir = 0
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                lines += 1
                obj, error = _parse_line(line, lineno)
                if meta is None and lines == 1:
                    meta = _export_metadata(path.name, obj)
                if meta:
                    report.count(meta[0], read=1, loaded=0)
                    report.skip(meta[0], row=lineno, reason=meta[1])
                elif error or not isinstance(obj, dict) or not isinstance(obj.get("resourceType"), str) \
                        or not obj["resourceType"]:
                    report.count(table, read=1, loaded=0)
                    report.reject(table, row=lineno, reason=error or "not a FHIR resource (no resourceType)")
                else:
                    fhir += 1
                    collector.add(obj, dataset, lineno, _resolve_literal)
    except (EOFError, OSError) as err:
        raise DataLoadError(f"not a readable ndjson file ({err})", source=str(path)) from err
    if lines and not fhir and not meta:
        raise DataLoadError(f"none of {lines} lines is a FHIR resource; expected ndjson with one resource per line",
                            source=str(path))


# -- references -------------------------------------------------------------------------------------


def _uuid(full_url: object) -> str | None:
    return full_url[len("urn:uuid:"):] if isinstance(full_url, str) and full_url.startswith("urn:uuid:") else None


def _resolve_literal(reference: str) -> tuple[str, str] | None:
    """``Patient/<id>`` (relative, absolute or versioned) -> ("Patient", id).

    >>> _resolve_literal("https://x.org/fhir/Patient/7/_history/2")
    ('Patient', '7')
    """
    match = _REFERENCE.search(reference)
    return (match.group(1), match.group(2)) if match else None


def _bundle_resolver(entries: list) -> Resolver:
    """Resolve references through the Bundle's fullUrls, then as literal references."""
    local: dict[str, tuple[str, str]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            continue
        res, url = entry["resource"], entry.get("fullUrl")
        rid = res.get("id") or _uuid(url)
        if isinstance(url, str) and isinstance(res.get("resourceType"), str) and rid:
            local[url] = (res["resourceType"], str(rid))

    def resolve(reference: str) -> tuple[str, str] | None:
        if reference in local:
            return local[reference]
        return None if reference.startswith("urn:") else _resolve_literal(reference)

    return resolve


# -- resources -> rows ------------------------------------------------------------------------------


def _get(obj: object, path: str) -> object:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _first(obj: dict, paths: list[str]) -> object:
    for path in paths:
        value = _get(obj, path)
        if value not in (None, ""):
            return value
    return None


def _codings(concept: object) -> list[dict]:
    """Codings of a CodeableConcept, a bare Coding (R4 ``Encounter.class``) or a list of either."""
    if isinstance(concept, list):
        return [c for item in concept for c in _codings(item)]
    if not isinstance(concept, dict):
        return []
    if "coding" in concept:
        return [c for c in concept["coding"] or [] if isinstance(c, dict)]
    return [concept] if "code" in concept else []


def _pick_code(concept: object, systems: list[str], field: str) -> tuple[str, str]:
    """The (system, code) of the first coding in the most preferred accepted system."""
    uris = _config()["code_systems"]
    codings = _codings(concept)
    for system in systems:
        for coding in codings:
            uri, code = coding.get("system"), coding.get("code")
            if isinstance(uri, str) and uris.get(uri) == system and isinstance(code, (str, int)) and str(code):
                return system, str(code)
    found = ", ".join(f"{c.get('system')}|{c.get('code')}" for c in codings) or "none"
    raise _Reject(f"no {'/'.join(systems)} code in {field} (codings: {found})")


def _number(value: object, field: str) -> float:
    """A finite JSON number; ``Infinity``, ``NaN``, ``1e999`` and out-of-range values are rejected."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Reject(f"non-numeric {field} {value!r}")
    number = float(value) if abs(value) < VALUE_LIMIT or isinstance(value, float) else math.inf
    if not math.isfinite(number) or abs(number) >= VALUE_LIMIT:
        raise _Reject(f"non-finite or out-of-range {field} {value!r}")
    return number


def _value(obj: dict) -> tuple[float | None, str | None, str | None, str | None]:
    """(value, unit, value_text, comparator) of an Observation or component."""
    quantity = obj.get("valueQuantity")
    if isinstance(quantity, dict):
        value = quantity.get("value")
        number = None if value is None else _number(value, "valueQuantity.value")
        unit = quantity.get("code") or quantity.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise _Reject(f"valueQuantity unit is not a string: {unit!r}")
        comparator = quantity.get("comparator")
        if comparator is not None and comparator not in COMPARATORS:
            raise _Reject(f"valueQuantity.comparator {comparator!r} is not one of {', '.join(COMPARATORS)}")
        return number, unit, None, comparator
    if obj.get("valueInteger") is not None:
        return _number(obj["valueInteger"], "valueInteger"), None, None, None
    concept = obj.get("valueCodeableConcept")
    if isinstance(concept, dict):
        labels = [c.get("display") or c.get("code") for c in _codings(concept)]
        text = concept.get("text") or next((x for x in labels if x), None)
        return None, None, None if text is None else str(text), None
    for key in ("valueString", "valueBoolean", "valueDateTime"):
        if key in obj:
            value = obj[key]
            return None, None, str(value).lower() if isinstance(value, bool) else str(value), None
    return None, None, None, None


def _coded_rows(resource: dict, spec: dict) -> list[dict]:
    """Event rows (kind, system, code, value, unit, value_text) of one resource."""
    field = spec["code"]
    if "code_map" in spec:
        return [_mapped_row(resource.get(field), spec)]
    parts = resource.get(spec["components"]) if spec.get("components") else None
    if parts:
        return _component_rows(parts, spec)
    system, code = _pick_code(resource.get(field), spec["systems"], field)
    return [_with_value({"kind": spec["kind"], "system": system, "code": code}, resource, spec)]


def _mapped_row(concept: object, spec: dict) -> dict:
    """A row whose code is looked up in a table of the config (Encounter.class -> visit kind)."""
    codings = _codings(concept)
    if not codings or not codings[0].get("code"):
        raise _Reject(f"no {spec['code']} code")
    raw = str(codings[0]["code"])
    table = _config()[spec["code_map"]]
    return {"kind": spec["kind"], "system": spec["system"], "code": table.get(raw, raw.lower()),
            "_unmapped": None if raw in table else raw}


def _component_rows(parts: list, spec: dict) -> list[dict]:
    rows, dropped = [], []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        try:
            system, code = _pick_code(part.get("code"), spec["systems"], "component.code")
        except _Reject as err:
            dropped.append(str(err))
            continue
        rows.append(_with_value({"kind": spec["kind"], "system": system, "code": code}, part, spec))
    if not rows:
        raise _Reject(f"no component with a {'/'.join(spec['systems'])} code")
    rows[0]["_warn"] = [f"component dropped: {reason}" for reason in dropped]
    return rows


def _with_value(row: dict, obj: dict, spec: dict) -> dict:
    if spec.get("value"):
        value, unit, text, comparator = _value(obj)
        numeric = _numeric_text(text) if row["system"] == "loinc" and row["code"] in analytes() else None
        if numeric is not None:
            value, text = numeric, None
            row["_warn"] = [f"numeric valueString of a lab code read as a value (LOINC {row['code']})"]
        row.update(value=value, unit=unit, value_text=text, comparator=comparator)
        if text is not None:
            row["kind"] = "observation"
    return row


def _numeric_text(text: str | None) -> float | None:
    """The number a text result spells (``"7.2"``), or None; non-finite spellings are rejected."""
    if text is None:
        return None
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return _number(number, "valueString")


def _patient_ref(resource: dict, fields: list[str], resolve: Resolver) -> str:
    """The id of the Patient a resource is about."""
    field = next((f for f in fields if resource.get(f) is not None), None)
    if field is None:
        raise _Reject(f"no {' or '.join(fields)} reference")
    ref = resource[field].get("reference") if isinstance(resource[field], dict) else None
    if not isinstance(ref, str) or not ref:
        raise _Reject(f"{field} has no literal reference")
    target = resolve(ref)
    if target is None:
        raise _Reject(f"{field} reference {ref!r} does not resolve")
    if target[0] != "Patient":
        raise _Reject(f"{field} reference {ref!r} is a {target[0]}, not a Patient")
    return target[1]


def _parse_local(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse FHIR dates/dateTimes keeping the local clock reading (the UTC offset is dropped)."""
    text = raw.astype("string").str.replace(_UTC_OFFSET, r"\1", regex=True)
    return parse_times(text)


class _Collector:
    """Gathers patient and event rows from resources, then validates them in bulk."""

    def __init__(self, report: LoadReport, config: dict[str, Any]) -> None:
        self.report = report
        self.config = config
        self.patients: list[dict] = []
        self.events: list[dict] = []
        self.records = 0
        self.seen: dict[tuple[str, str], tuple[str, str, int]] = {}

    def add(self, resource: dict, dataset: str, row: int, resolve: Resolver, fallback_id: str | None = None,
            subject: object = None) -> None:
        """Count one resource and turn it into rows, or record why not."""
        rtype = str(resource["resourceType"])
        rid = resource.get("id") or fallback_id
        rid = None if rid is None else str(rid) if isinstance(rid, (str, int)) else json.dumps(rid)[:64]
        self.report.count(rtype, read=1, loaded=0)
        if self._duplicate(resource, rtype, rid, dataset, row):
            return
        source = {"source_dataset": dataset, "source_table": rtype, "source_row": row, "source_id": rid}
        spec = self.config["events"].get(rtype)
        status = resource.get("status")
        if isinstance(status, str) and status in self.config["skip_status"]:
            self.report.skip(rtype, row=row, record_id=rid, reason=f"status {status}")
        elif rtype == "Patient":
            self._add_patient(resource, source)
        elif spec is None:
            reason = self.config["skip"].get(rtype) or self.config["skip_default"].format(type=rtype)
            self.report.skip(rtype, row=row, record_id=rid, reason=reason)
        else:
            try:
                self._add_events(resource if subject is None else {**resource, "subject": subject}, spec, source,
                                 resolve)
            except _Reject as err:
                self.report.reject(rtype, row=row, record_id=rid, reason=str(err))
            except _MALFORMED as err:
                self.report.reject(rtype, row=row, record_id=rid,
                                   reason=f"malformed {rtype} ({type(err).__name__}: {str(err)[:120]})")
        self._add_contained(resource, rtype, rid, dataset, row, resolve)

    def _duplicate(self, resource: dict, rtype: str, rid: str | None, dataset: str, row: int) -> bool:
        """Skip (same content) or reject (other content) a resource already read; True if it was one."""
        try:
            digest = hashlib.sha1(json.dumps(resource, sort_keys=True, default=str).encode()).hexdigest()
        except (RecursionError, ValueError):
            digest = f"{dataset}:{row}"  # not serialisable: never equal to another resource
        key = (rtype, rid if rid is not None else f"#content:{digest}")
        first = self.seen.setdefault(key, (digest, dataset, row))
        if first == (digest, dataset, row):
            return False
        where = f"{first[1]} row {first[2]}"
        if first[0] == digest:
            self.report.skip(rtype, row=row, record_id=rid, reason=f"duplicate of the same {rtype} in {where}")
            self.report.warn(rtype, "resource read twice (same type, id and content): loaded once",
                             example=f"row {row} (id {rid})" if rid else f"row {row}")
        else:
            self.report.reject(rtype, row=row, record_id=rid,
                               reason=f"conflicting duplicate: same {rtype} id as {where} with other content")
        return True

    def _add_contained(self, resource: dict, rtype: str, rid: str | None, dataset: str, row: int,
                       resolve: Resolver) -> None:
        """Load the modelled resources contained in ``resource`` (Observations of a DiagnosticReport)."""
        contained = resource.get("contained")
        if not isinstance(contained, list):
            return
        subject = resource.get("subject") or resource.get("patient")
        for inner in contained:
            if isinstance(inner, dict) and isinstance(inner.get("resourceType"), str) \
                    and inner["resourceType"] in self.config["events"]:
                local_id = f"{rid}#{inner.get('id') or ''}"  # contained ids are local to their container
                self.add({**inner, "id": local_id}, dataset, row, resolve,
                         subject=None if inner.get("subject") else subject)

    def _add_patient(self, resource: dict, source: dict) -> None:
        fields = self.config["patient"]
        if not source["source_id"]:
            self.report.reject("Patient", row=source["source_row"], reason="Patient without id")
            return
        gender = resource.get("gender")
        if gender is not None and not isinstance(gender, str):
            self.report.reject("Patient", row=source["source_row"], record_id=source["source_id"],
                               reason=f"Patient.gender must be a code string, got {type(gender).__name__} {gender!r:.60}")
            return
        dates = {k: _get(resource, fields[f]) for k, f in (("birth", "birth_date"), ("death", "death_date"))}
        wrong = [fields[f"{k}_date"] for k, v in dates.items() if v is not None and not isinstance(v, str)]
        if wrong:
            self.report.reject("Patient", row=source["source_row"], record_id=source["source_id"],
                               reason=f"Patient.{wrong[0]} must be a date string")
            return
        self.patients.append({"patient_id": source["source_id"], "gender": gender,
                              "birth": _get(resource, fields["birth_date"]),
                              "death": _get(resource, fields["death_date"]),
                              "deceased": resource.get("deceasedBoolean") is True, **source})

    def _add_events(self, resource: dict, spec: dict, source: dict, resolve: Resolver) -> None:
        patient = _patient_ref(resource, spec["subject"], resolve)
        time = _first(resource, spec["time"])
        if time is None:
            raise _Reject(f"missing date (none of {', '.join(spec['time'])})")
        end = _first(resource, spec.get("end_time", []))
        if not isinstance(time, str) or (end is not None and not isinstance(end, str)):
            raise _Reject("date is not a string")
        rows = _coded_rows(resource, spec)
        self.records += 1
        example = f"row {source['source_row']}" + (f" (id {source['source_id']})" if source["source_id"] else "")
        for row in rows:
            unmapped = row.pop("_unmapped", None)
            if unmapped:
                self.report.warn(source["source_table"],
                                 f"{spec['code']} code {unmapped!r} not in {spec['code_map']}; kept lower-cased",
                                 example=example)
            for message in row.pop("_warn", []):
                self.report.warn(source["source_table"], message, example=example)
            self.events.append({**row, "patient_id": patient, "time": str(time),
                                "end_time": None if end is None else str(end), **source, "_rec": self.records})

    # -- bulk validation ------------------------------------------------------------------------------

    def patients_frame(self) -> pd.DataFrame:
        """Loaded patients; duplicates and unparsable dates rejected with reasons."""
        frame = pd.DataFrame(self.patients, columns=_PATIENT_FIELDS)
        frame = reject_rows(self.report, frame, frame["patient_id"].duplicated().to_numpy(),
                            "duplicate Patient id " + frame["patient_id"].map(repr))
        for column, field in (("birth", "birth_date"), ("death", "death_date")):
            parsed, bad = _parse_local(frame[column])
            label = self.config["patient"][field]
            frame = reject_rows(self.report, frame.assign(**{column: parsed}), bad,
                                f"unparsable {label} " + frame[column].astype("string").fillna("").map(repr))
        no_date = frame["deceased"] & frame["death"].isna()
        self.report.warn("Patient", "deceasedBoolean without a date: no death event", int(no_date.sum()))
        self.report.count("Patient", read=0, loaded=len(frame))
        sex = frame["gender"].map(self.config["sex"]).fillna("U")
        return frame.assign(sex=sex, birth_date=frame["birth"], death_date=frame["death"])[
            ["patient_id", "sex", "birth_date", "death_date", *_SOURCE]].reset_index(drop=True)

    def death_events(self, patients: pd.DataFrame) -> pd.DataFrame:
        """One ``death`` event per patient with a death date, pointing at the Patient resource."""
        dead = patients[patients["death_date"].notna()]
        spec = self.config["patient"]["death_event"]
        return pd.DataFrame({"patient_id": dead["patient_id"].astype("string"), "time": dead["death_date"],
                             "kind": "death", "system": spec["system"], "code": spec["code"],
                             **{c: dead[c] for c in _SOURCE}})

    def events_frame(self, known: pd.Series) -> pd.DataFrame:
        """Validated events; each bad *record* (not each row) is rejected once, with its reason."""
        ev = pd.DataFrame(self.events, columns=_EVENT_FIELDS)
        pid = ev["patient_id"].astype("string")
        ev = self._reject_records(ev, ~pid.isin(known.astype("string")).to_numpy(dtype=bool),
                                  "unknown patient " + pid.fillna("").map(repr))
        for column, label in (("time", "date"), ("end_time", "end date")):
            parsed, bad = _parse_local(ev[column])
            ev = self._reject_records(ev.assign(**{column: parsed}), bad,
                                      f"unparsable {label} " + ev[column].astype("string").fillna("").map(repr))
        ev = self._check_units(ev)
        return finish_events(ev.drop(columns="_rec"), self.report, known.astype("string"),
                             plausible_dates=tuple(self.config["plausible_dates"]))

    def _reject_records(self, ev: pd.DataFrame, mask: np.ndarray, reasons: pd.Series) -> pd.DataFrame:
        """Reject every record with a row in ``mask``: one issue per record, all its rows dropped."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return ev.reset_index(drop=True)
        first = mask & ~ev["_rec"].where(mask).duplicated().to_numpy()
        reject_rows(self.report, ev, first, reasons.reset_index(drop=True).set_axis(ev.index))
        return ev[~ev["_rec"].isin(ev.loc[mask, "_rec"])].reset_index(drop=True)

    def _check_units(self, ev: pd.DataFrame) -> pd.DataFrame:
        """Reject records whose values all have unknown units; drop (and warn about) single bad components."""
        loinc = (ev["system"] == "loinc").to_numpy(dtype=bool)
        if not loinc.any():
            return ev
        sub = ev[loinc]
        conv = canonicalize(sub["code"], sub["value"], sub["unit"])
        bad = np.zeros(len(ev), dtype=bool)
        bad[np.flatnonzero(loinc)[conv.unknown_unit]] = True
        reasons = pd.Series([None] * len(ev), dtype="object", index=ev.index)
        reasons.iloc[np.flatnonzero(loinc)] = conv.reasons.to_numpy()
        has_good = ev["_rec"].isin(ev.loc[~bad, "_rec"]).to_numpy()
        partial = bad & has_good
        for table, reason in zip(ev.loc[partial, "source_table"], reasons[partial]):
            self.report.warn(table, f"component dropped: {reason}")
        keep = ~partial
        return self._reject_records(ev[keep].reset_index(drop=True), (bad & ~has_good)[keep],
                                    reasons[keep].reset_index(drop=True))
