"""Unit conversion to one canonical unit per LOINC analyte.

The table lives in ``configs/units.yaml``.  :func:`canonicalize` converts a
frame of measurements in one vectorised pass and returns which rows have a
unit it does not know, so loaders can reject them with a reason.

Examples
--------
>>> convert("59261-8", 48.0, "mmol/mol")
('4548-4', 6.54, '%')
>>> convert("2339-0", 7.0, "mmol/L")
('2345-7', 126.11, 'mg/dL')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from neurosym._errors import InputError

__all__ = ["Analyte", "analytes", "canonical_code", "convert", "canonicalize", "vital_kinds"]


@dataclass(frozen=True)
class Analyte:
    """One analyte: canonical LOINC code, unit, fact relation and accepted (code, unit) conversions."""

    loinc: str
    name: str
    unit: str
    relation: str  # "lab" or "vital"
    vital: str | None
    conversions: dict[tuple[str, str], tuple[float, float]]  # (loinc, unit key) -> (factor, offset)
    plausible: tuple[float, float] | None = None  # canonical-unit range outside which a value is warned about
    plausible_source: str = ""  # where that range comes from


def _unit_key(unit: object) -> str:
    return "" if unit is None or (isinstance(unit, float) and np.isnan(unit)) else str(unit).replace(" ", "").lower()


@lru_cache(maxsize=1)
def analytes() -> dict[str, Analyte]:
    """Every analyte keyed by each LOINC code that reports it (canonical code and aliases)."""
    text = resources.files("neurosym.data").joinpath("configs/units.yaml").read_text()
    table: dict[str, Analyte] = {}
    for entry in yaml.safe_load(text)["analytes"]:
        base_units = {_unit_key(u): (c.get("factor", 1.0), c.get("offset", 0.0)) for u, c in entry["units"].items()}
        conversions: dict[tuple[str, str], tuple[float, float]] = {}
        codes = {entry["loinc"]: {}, **entry.get("aliases", {})}
        for code, spec in codes.items():
            units = base_units
            if spec.get("units"):
                units = {_unit_key(u): (c.get("factor", 1.0), c.get("offset", 0.0)) for u, c in spec["units"].items()}
            for unit, conv in units.items():
                conversions[(code, unit)] = conv
        plausible = entry.get("plausible")
        analyte = Analyte(entry["loinc"], entry["name"], entry["unit"], entry["relation"], entry.get("vital"),
                          conversions, tuple(plausible["range"]) if plausible else None,
                          plausible["source"] if plausible else "")
        for code in codes:
            table[code] = analyte
    return table


@lru_cache(maxsize=1)
def vital_kinds() -> dict[str, str]:
    """Canonical LOINC code -> vital kind (bmi, sbp, dbp, weight, height, waist, heart_rate).

    >>> vital_kinds()["39156-5"]
    'bmi'
    """
    return {a.loinc: a.vital for a in analytes().values() if a.relation == "vital"}


@lru_cache(maxsize=1)
def _conversion_table() -> pd.DataFrame:
    rows = [
        (code, unit, factor, offset, a.loinc, a.unit, _unit_key(a.unit))
        for a in {id(a): a for a in analytes().values()}.values()
        for (code, unit), (factor, offset) in a.conversions.items()
    ]
    return pd.DataFrame(rows, columns=["code", "key", "factor", "offset", "canon_code", "canon_unit", "canon_key"])


def canonical_code(loinc: str) -> str:
    """The canonical LOINC code reporting the same analyte (``loinc`` itself if unknown).

    >>> canonical_code("38483-4")
    '2160-0'
    """
    analyte = analytes().get(loinc)
    return analyte.loinc if analyte else loinc


def convert(loinc: str, value: float, unit: str | None) -> tuple[str, float, str]:
    """Convert one value to its canonical code and unit; :class:`~neurosym.InputError` (a ValueError) on an unknown unit.

    A missing unit is read as the canonical unit.
    """
    analyte = analytes().get(loinc)
    if analyte is None:
        return loinc, value, unit or ""
    key = _unit_key(unit) or _unit_key(analyte.unit)
    if (loinc, key) not in analyte.conversions:
        raise InputError(f"unknown unit {unit!r} for LOINC {loinc} ({analyte.name}); expected one of {_accepted(analyte, loinc)}")
    factor, offset = analyte.conversions[(loinc, key)]
    return analyte.loinc, round(value * factor + offset, 2), analyte.unit


def _accepted(analyte: Analyte, loinc: str) -> list[str]:
    return sorted(unit for code, unit in analyte.conversions if code == loinc)


@dataclass
class Canonicalized:
    """Result of :func:`canonicalize`: converted columns, a mask of unknown units and their reasons."""

    code: pd.Series
    value: pd.Series
    unit: pd.Series
    unknown_unit: np.ndarray
    reasons: pd.Series
    assumed_unit: np.ndarray


def canonicalize(code: pd.Series, value: pd.Series, unit: pd.Series) -> Canonicalized:
    """Vectorised :func:`convert` over columns of LOINC codes, values and units.

    Codes outside the table pass through unchanged.  Rows of a known code whose
    unit is unknown are flagged in ``unknown_unit`` with a reason; rows with a
    value but no unit are read in the canonical unit and flagged in
    ``assumed_unit`` so the loader can count them as warnings.

    >>> c = canonicalize(pd.Series(["4548-4", "38483-4", "4548-4"]),
    ...                  pd.Series([6.1, 88.42, 1.0]), pd.Series(["%", "umol/L", "furlong"]))
    >>> c.code.tolist(), c.value.tolist()[:2], c.unknown_unit.tolist()
    (['4548-4', '2160-0', '4548-4'], [6.1, 1.0], [False, False, True])
    """
    table = analytes()
    code = code.astype("string").reset_index(drop=True)
    value = pd.to_numeric(value, errors="coerce").astype("float64").reset_index(drop=True)
    unit = unit.astype("string").reset_index(drop=True)
    unit_key = unit.fillna("").str.replace(" ", "", regex=False).str.lower()
    conv = _conversion_table()
    canon = conv.drop_duplicates("code").set_index("code")
    known = code.isin(canon.index).fillna(False).to_numpy(dtype=bool)
    missing_unit = (unit_key == "").to_numpy(dtype=bool)
    key = unit_key.where(~missing_unit, code.map(canon["canon_key"]).fillna(""))
    lookup = pd.DataFrame({"code": code.fillna(""), "key": key}).merge(conv, on=["code", "key"], how="left")
    factors = lookup["factor"].to_numpy(dtype="float64")
    offsets = lookup["offset"].to_numpy(dtype="float64")
    unknown = known & np.isnan(factors)
    convertible = known & ~unknown
    out_value = value.to_numpy(copy=True)
    out_value[convertible] = np.round(out_value[convertible] * factors[convertible] + offsets[convertible], 4)
    out_code = code.where(~known, code.map(canon["canon_code"]))
    out_unit = unit.where(~convertible, code.map(canon["canon_unit"]))
    reasons = pd.Series([None] * len(code), dtype="object")
    if unknown.any():
        reasons[unknown] = [
            f"unknown unit {u!r} for LOINC {c} ({table[c].name}); expected one of {_accepted(table[c], c)}"
            for c, u in zip(code[unknown], unit[unknown].fillna(""))
        ]
    assumed = convertible & missing_unit & ~np.isnan(out_value)
    return Canonicalized(out_code, pd.Series(out_value), out_unit, unknown, reasons, assumed)
