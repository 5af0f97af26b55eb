"""The fact schemas read straight from the tables of an OMOP CDM in PostgreSQL: no patient row leaves the database.

:func:`omop_sql_facts` returns, for every base relation of
:data:`~neurosym.facts.FACT_SCHEMAS`, a :class:`~neurosym.logic._postgres.PostgresRelation`:
an SQL query over the CDM tables that the PostgreSQL engine runs inside the
database.  The queries follow :func:`~neurosym.data.load_omop` and
:meth:`Cohort.to_facts <neurosym.data.Cohort.to_facts>` step by step, so the
rule library derives the same relations as on the CSV export in DuckDB:

* concepts become ``(system, code)`` through ``concept`` (the vocabularies of
  ``OMOP_VOCABULARIES``; another vocabulary or an unknown id gives
  ``("omop", id)``; id 0 falls back to ``("local", source value)``); a
  condition's known source concept gives a second event;
* LOINC events get canonical codes and units (``configs/units.yaml``: value
  x factor + offset, rounded to 4 decimals, a value without unit read in the
  canonical unit); an unknown unit, a value beyond 2^53, a missing date, a
  person without a birth date reject the record, as the loader does;
* ``lab_record`` / ``vital_record`` keys number the events as the loaded
  cohort does (by patient, time, table, then record id: the CSV row order of
  an export ordered by id);
* ``index_day`` is each patient's last recorded day; no lifelog tables exist
  in the CDM, so ``activity``, ``sleep``, ``sleep_record`` and ``resting_hr``
  are empty.

``is_a`` rows come from the ontology for the distinct condition and drug
codes (codes only are read; they are reference data, not patient data).

Examples
--------
>>> print(concept_sql("cdm", "c.condition_concept_id", "c.condition_source_value")[:59])
CASE WHEN COALESCE(c.condition_concept_id, 0) = 0 THEN CASE
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from neurosym._errors import EvaluationError
from neurosym.data._units import _conversion_table, vital_kinds
from neurosym.facts._clinical import is_a_facts
from neurosym.facts._library import load_rule_library, required_ancestors
from neurosym.facts._schemas import BASE_RELATIONS, FACT_SCHEMAS
from neurosym.logic._postgres import PostgresRelation, connect
from neurosym.ontology._codes import OMOP_VOCABULARIES

if TYPE_CHECKING:
    from neurosym.logic import Program
    from neurosym.ontology import Ontology

__all__ = ["CDM_TABLES", "concept_sql", "omop_sql_facts"]

#: CDM tables the facts are read from (``concept`` for codes and units).
CDM_TABLES = ("person", "concept", "visit_occurrence", "condition_occurrence", "drug_exposure", "procedure_occurrence",
              "measurement", "observation", "death")

_OPERATORS = {4171754: "<=", 4171755: ">=", 4171756: "<", 4172703: "=", 4172704: ">"}
_SEX = {8507: "male", 8532: "female"}
_VALUE_LIMIT = 2.0 ** 53


def _text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _values(rows: Iterable[tuple], names: list[str]) -> str:
    """An inline table ``(VALUES ...) AS t(names)`` of reference data."""
    body = ", ".join("(" + ", ".join(_text(v) if isinstance(v, str) else repr(float(v)) for v in row) + ")" for row in rows)
    return f"(VALUES {body}) AS t({', '.join(names)})"


def concept_sql(schema: str, concept: str, source: str | None) -> str:
    """SQL of ``system || '|' || code`` for a concept id column, with the loader's fallbacks (see the module docstring)."""
    systems = " ".join(f"WHEN {_text(v)} THEN {_text(s)}" for v, s in OMOP_VOCABULARIES.items())
    fallback = f"CASE WHEN {source} IS NOT NULL THEN 'local|' || {source} ELSE 'omop|0' END" if source else "'omop|0'"
    return (f"CASE WHEN COALESCE({concept}, 0) = 0 THEN {fallback} ELSE COALESCE((SELECT CASE k.vocabulary_id {systems} END "
            f"|| '|' || k.concept_code FROM {schema}.concept AS k WHERE k.concept_id = {concept} AND k.vocabulary_id IN "
            f"({', '.join(_text(v) for v in OMOP_VOCABULARIES)})), 'omop|' || CAST({concept} AS TEXT)) END")


def _event_tables(schema: str) -> list[str]:
    """One SELECT per CDM table: kind, person, coded concept, day, time, value, unit, comparator, table order, record id.

    The loader concatenates the tables in this order (a condition's source-code
    events after the condition table), rows in file order (here: id order).
    """
    def day(*columns: str) -> str:
        return f"(COALESCE({', '.join(f'CAST({c} AS DATE)' for c in columns)}) - DATE '1970-01-01')"

    def unit(table: str) -> str:
        known = ", ".join(_text(v) for v in OMOP_VOCABULARIES)
        return (f"COALESCE((SELECT u.concept_code FROM {schema}.concept AS u WHERE u.concept_id = {table}.unit_concept_id "
                f"AND {table}.unit_concept_id <> 0 AND u.vocabulary_id IN ({known})), {table}.unit_source_value)")

    operators = " ".join(f"WHEN {k} THEN {_text(v)}" for k, v in _OPERATORS.items())
    none = "CAST(NULL AS DOUBLE PRECISION) AS value, CAST(NULL AS TEXT) AS unit, CAST(NULL AS TEXT) AS comparator"
    specs = [
        ("visit", "visit_occurrence", "visit_concept_id", "visit_source_value", ("visit_start_datetime", "visit_start_date"),
         none, "visit_occurrence_id"),
        ("condition", "condition_occurrence", "condition_concept_id", "condition_source_value",
         ("condition_start_datetime", "condition_start_date"), none, "condition_occurrence_id"),
        ("drug", "drug_exposure", "drug_concept_id", "drug_source_value",
         ("drug_exposure_start_datetime", "drug_exposure_start_date"), none, "drug_exposure_id"),
        ("procedure", "procedure_occurrence", "procedure_concept_id", "procedure_source_value",
         ("procedure_datetime", "procedure_date"), none, "procedure_occurrence_id"),
        ("measurement", "measurement", "measurement_concept_id", "measurement_source_value",
         ("measurement_datetime", "measurement_date"),
         f"CAST(value_as_number AS DOUBLE PRECISION) AS value, {unit('measurement')} AS unit, "
         f"CASE operator_concept_id {operators} END AS comparator", "measurement_id"),
        ("observation", "observation", "observation_concept_id", "observation_source_value",
         ("observation_datetime", "observation_date"),
         f"CAST(value_as_number AS DOUBLE PRECISION) AS value, {unit('observation')} AS unit, CAST(NULL AS TEXT) AS comparator",
         "observation_id"),
        ("death", "death", "cause_concept_id", "cause_source_value", ("death_datetime", "death_date"), none, "person_id"),
    ]
    def at(*columns: str) -> str:
        return f"COALESCE({', '.join(f'CAST({c} AS TIMESTAMP)' for c in columns)})"

    selects = [f"SELECT {_text(kind)} AS kind, CAST({table}.person_id AS TEXT) AS patient, "
               f"{concept_sql(schema, f'{table}.{concept}', f'{table}.{source}')} AS coded, {day(*when)} AS day, {at(*when)} AS at, "
               f"{values}, {2 * part} AS part, CAST({record} AS BIGINT) AS id FROM {schema}.{table}"
               for part, (kind, table, concept, source, when, values, record) in enumerate(specs)]
    # a condition's source concept in a known vocabulary, other than its standard code: a second event of the record
    source = concept_sql(schema, "c.condition_source_concept_id", None)
    start = ("c.condition_start_datetime", "c.condition_start_date")
    selects.append(f"SELECT 'condition', CAST(c.person_id AS TEXT), {source}, {day(*start)}, {at(*start)}, {none}, 3, "
                   f"CAST(c.condition_occurrence_id AS BIGINT) "
                   f"FROM {schema}.condition_occurrence AS c WHERE COALESCE(c.condition_source_concept_id, 0) <> 0 "
                   f"AND split_part({source}, '|', 1) IN ({', '.join(_text(s) for s in OMOP_VOCABULARIES.values())}) "
                   f"AND {source} <> {concept_sql(schema, 'c.condition_concept_id', 'c.condition_source_value')}")
    return selects


def _persons(schema: str) -> str:
    sex = " ".join(f"WHEN {k} THEN {_text(v)}" for k, v in _SEX.items())
    birth = ("COALESCE(CAST(birth_datetime AS DATE), make_date(CAST(year_of_birth AS INT), CAST(COALESCE(month_of_birth, 1) AS INT), "
             "CAST(COALESCE(day_of_birth, 1) AS INT)))")
    return (f"SELECT CAST(person_id AS TEXT) AS patient, CASE gender_concept_id {sex} ELSE CASE upper(gender_source_value) "
            f"WHEN 'M' THEN 'male' WHEN 'MALE' THEN 'male' WHEN 'F' THEN 'female' WHEN 'FEMALE' THEN 'female' ELSE 'unknown' END "
            f"END AS sex, {birth} AS birth FROM {schema}.person WHERE {birth} IS NOT NULL")


def _events(schema: str) -> str:
    """Every event of a known patient with a date, LOINC codes and values canonical, unknown units rejected."""
    conversions = _conversion_table()
    canon = conversions.drop_duplicates("code")[["code", "canon_code", "canon_key"]]
    conv = _values(conversions[["code", "key", "factor", "offset"]].itertuples(index=False), ["code", "key", "factor", "shift"])
    canon_values = _values(canon.itertuples(index=False), ["code", "canon_code", "canon_key"])
    raw = " UNION ALL ".join(_event_tables(schema))
    split = ("SELECT e.kind, e.patient, split_part(e.coded, '|', 1) AS system, substr(e.coded, strpos(e.coded, '|') + 1) AS code, "
             f"e.day, e.at, e.part, e.id, e.value, e.unit, e.comparator FROM ({raw}) AS e JOIN ({_persons(schema)}) AS p ON p.patient = e.patient "
             f"WHERE e.day IS NOT NULL AND (e.value IS NULL OR abs(e.value) < {_VALUE_LIMIT!r})")
    key = "COALESCE(NULLIF(lower(replace(s.unit, ' ', '')), ''), n.canon_key)"
    return (f"SELECT s.kind, s.patient, s.system, COALESCE(n.canon_code, s.code) AS code, s.day, "
            f"CASE WHEN n.code IS NULL THEN s.value ELSE round((s.value * f.factor + f.shift) * 10000.0) / 10000.0 END AS value, "
            f"s.comparator, row_number() OVER (ORDER BY s.patient COLLATE \"C\", s.at, s.part, s.id) - 1 AS record FROM ({split}) AS s "
            f"LEFT JOIN (SELECT * FROM {canon_values}) AS n ON s.system = 'loinc' AND n.code = s.code "
            f"LEFT JOIN (SELECT * FROM {conv}) AS f ON n.code IS NOT NULL AND f.code = s.code AND f.key = {key} "
            f"WHERE n.code IS NULL OR f.code IS NOT NULL")


def _setup(schema: str) -> str:
    """The statement materialising every event once per evaluation (a temporary table read by each relation)."""
    return f"CREATE TEMP TABLE IF NOT EXISTS omop_events_{schema} AS {_events(schema)}"


def _relations(schema: str) -> dict[str, str]:
    """Per base relation, the SQL of its argument columns (reading the table made by :func:`_setup`)."""
    events = f"omop_events_{schema} AS e"
    vitals = _values(sorted(vital_kinds().items()), ["code", "kind"])
    visit_yaml = yaml.safe_load(resources.files("neurosym.data").joinpath("configs/visit_kinds.yaml").read_text())
    visits = _values(sorted((s, str(c), k) for s, codes in visit_yaml.items() for c, k in codes.items()), ["system", "code", "kind"])
    measure = "e.kind = 'measurement' AND e.system = 'loinc' AND e.value IS NOT NULL"
    vital_join = f"JOIN (SELECT * FROM {vitals}) AS v ON v.code = e.code"
    out = {
        "patient": f"SELECT patient, sex, CAST(extract(YEAR FROM birth) AS BIGINT) FROM ({_persons(schema)}) AS p",
        "birth": f"SELECT patient, CAST(birth - DATE '1970-01-01' AS BIGINT) FROM ({_persons(schema)}) AS p",
        "lab": f"SELECT e.patient, e.code, e.value, e.day FROM {events} WHERE {measure} AND e.code NOT IN (SELECT code FROM {vitals})",
        "vital": f"SELECT e.patient, v.kind, e.value, e.day FROM {events} {vital_join} WHERE {measure}",
        "lab_record": f"SELECT e.patient, e.code, e.value, e.day, COALESCE(e.comparator, 'none'), e.record FROM {events} "
                      f"WHERE {measure} AND e.code NOT IN (SELECT code FROM {vitals})",
        "vital_record": f"SELECT e.patient, v.kind, e.value, e.day, e.record FROM {events} {vital_join} WHERE {measure}",
        "visit": f"SELECT e.patient, COALESCE(k.kind, e.code), e.day FROM {events} LEFT JOIN (SELECT * FROM {visits}) AS k "
                 f"ON k.system = e.system AND k.code = e.code WHERE e.kind = 'visit'",
        "death": f"SELECT e.patient, e.day FROM {events} WHERE e.kind = 'death'",
    }
    for kind in ("condition", "drug", "procedure", "observation"):
        out[kind] = f"SELECT e.patient, e.system, e.code, e.day FROM {events} WHERE e.kind = '{kind}'"
    days = " UNION ALL ".join(f"SELECT q.c0, q.c{FACT_SCHEMAS[rel].index('day')} FROM ({sql}) AS q ({_names(rel)})"
                              for rel, sql in out.items() if "day" in FACT_SCHEMAS[rel])
    out["index_day"] = f"SELECT d.patient, MAX(d.day) FROM ({days}) AS d (patient, day) GROUP BY d.patient"
    for rel in ("activity", "sleep", "sleep_record", "resting_hr"):
        types = {"symbol": "TEXT", "number": "BIGINT", "float": "DOUBLE PRECISION"}
        out[rel] = "SELECT " + ", ".join(f"CAST(NULL AS {types[t]})" for _, t in BASE_RELATIONS[rel]) + " WHERE FALSE"
    return out


def _names(rel: str) -> str:
    return ", ".join(f"c{i}" for i in range(len(FACT_SCHEMAS[rel])))


def omop_sql_facts(url: str, schema: str = "cdm", *, ontology: "Ontology | None" = None,
                   program: "Program | None" = None) -> dict[str, Any]:
    """The clinical facts of an OMOP CDM schema in PostgreSQL, read in place by ``engine="postgres"``.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/database`` of the CDM; the
        tables named in :data:`CDM_TABLES` must exist in ``schema``.
    schema : str
        The CDM schema (``cdm``, ``public``, ...).
    ontology : Ontology, optional
        For the ``is_a`` rows (default ``Ontology.load("clinical")``).
    program : Program, optional
        Rules whose ``is_a`` ancestors are wanted (default the whole library).

    Returns
    -------
    dict
        Relation -> :class:`~neurosym.logic._postgres.PostgresRelation` (every
        cohort relation) and a frame for ``is_a``; pass it to
        ``program.evaluate(..., engine="postgres")`` with the same URL in
        ``$NEUROSYM_POSTGRES_URL`` (or a registered ``PostgresEngine(url)``).

    Raises
    ------
    EvaluationError
        The URL is not a reachable PostgreSQL database, or a CDM table is
        missing (the message names them).
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", schema):
        raise EvaluationError(f"not a schema name: {schema!r}")
    with connect(url) as con:
        present = {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)).fetchall()}
        missing = [t for t in CDM_TABLES if t not in present]
        if missing:
            raise EvaluationError(f"the OMOP CDM schema {schema!r} lacks the table(s) {', '.join(missing)}")
        sql = _relations(schema)
        con.execute(_setup(schema))
        codes = con.execute(f"SELECT DISTINCT q.c1, q.c2 FROM ({sql['condition']} UNION {sql['drug']}) AS q (c0, c1, c2, c3)").fetchall()
    setup = (_setup(schema),)
    facts: dict[str, Any] = {rel: PostgresRelation(rel, query, [t for _, t in BASE_RELATIONS[rel]], setup=setup)
                             for rel, query in sql.items()}
    if ontology is None:
        from neurosym.ontology import Ontology

        ontology = Ontology.load("clinical")
    frame = pd.DataFrame(codes, columns=["system", "code"])
    facts["is_a"] = is_a_facts({"condition": frame}, ontology, required_ancestors(program or load_rule_library()))
    return facts
