"""Code identifiers: CURIEs (``system:code``) and the IRIs behind them.

Every concept in the Python API is a CURIE string such as ``icd10cm:E11.65``,
``snomed:44054006`` or ``neurosym:Prediabetes``.  Systems are lowercase.  In
the OWL files each system has an IRI namespace (``SYSTEM_IRIS``); this module
converts between the two.

Examples
--------
>>> split_curie("icd10cm:E11.65")
('icd10cm', 'E11.65')
>>> to_iri("doid:9352")
'http://purl.obolibrary.org/obo/DOID_9352'
>>> from_iri("http://snomed.info/id/44054006")
'snomed:44054006'
"""

from __future__ import annotations

from neurosym._errors import OntologyError

__all__ = [
    "SYSTEMS",
    "SYSTEM_IRIS",
    "OMOP_VOCABULARIES",
    "split_curie",
    "make_curie",
    "normalize_code",
    "to_iri",
    "from_iri",
]

#: IRI namespace of each code system, as used in the committed OWL files.
SYSTEM_IRIS: dict[str, str] = {
    "icd10cm": "http://purl.bioontology.org/ontology/ICD10CM/",
    "icd9cm": "http://purl.bioontology.org/ontology/ICD9CM/",
    "snomed": "http://snomed.info/id/",
    "loinc": "https://loinc.org/",
    "rxnorm": "http://purl.bioontology.org/ontology/RXNORM/",
    "doid": "http://purl.obolibrary.org/obo/DOID_",
    "omop": "https://athena.ohdsi.org/search-terms/terms/",
    "neurosym": "https://w3id.org/neurosym/cardiometabolic#",
}

#: The code systems known to neurosym (lowercase CURIE prefixes).
SYSTEMS: tuple[str, ...] = tuple(SYSTEM_IRIS)

#: OMOP ``vocabulary_id`` values and the CURIE system they map to.
OMOP_VOCABULARIES: dict[str, str] = {
    "SNOMED": "snomed",
    "LOINC": "loinc",
    "RxNorm": "rxnorm",
    "RxNorm Extension": "rxnorm",
    "ICD10CM": "icd10cm",
    "ICD9CM": "icd9cm",
}

_ALIASES = {
    "sct": "snomed",
    "snomedct": "snomed",
    "snomedct_us": "snomed",
    "icd10": "icd10cm",
    "icd-10-cm": "icd10cm",
    "icd9": "icd9cm",
}


def normalize_code(system: str, code: str) -> str:
    """Return ``code`` in the canonical spelling of ``system``.

    ICD codes are upper-cased and get their dot after the third character
    (``E1165`` becomes ``E11.65``); block ranges (``E08-E13``) and other
    systems' codes are returned stripped.

    Examples
    --------
    >>> normalize_code("icd10cm", "e1165")
    'E11.65'
    """
    code = code.strip()
    if system in ("icd10cm", "icd9cm"):
        code = code.upper()
        if "-" not in code and "." not in code and len(code) > 3:
            code = f"{code[:3]}.{code[3:]}"
    return code


def split_curie(curie: str, default_system: str | None = None) -> tuple[str, str]:
    """Split a CURIE into ``(system, code)``.

    Parameters
    ----------
    curie : str
        ``system:code``, or a bare code when ``default_system`` is given.
    default_system : str, optional
        System assumed for a bare code.

    Returns
    -------
    tuple of str
        Lowercase system and canonical code.

    Raises
    ------
    OntologyError
        If the system is unknown or a bare code has no default system.

    Examples
    --------
    >>> split_curie("SNOMED:44054006")
    ('snomed', '44054006')
    >>> split_curie("E11", default_system="icd10cm")
    ('icd10cm', 'E11')
    """
    if not isinstance(curie, str) or not curie.strip():
        raise OntologyError(f"Expected a code such as 'icd10cm:E11.65'; got {curie!r}.")
    text = curie.strip()
    head, sep, tail = text.partition(":")
    system = _ALIASES.get(head.lower(), head.lower()) if sep else ""
    if sep and system in SYSTEM_IRIS:
        return system, normalize_code(system, tail)
    if sep:
        raise OntologyError(
            f"Unknown code system {head!r} in {curie!r}; known systems: {', '.join(SYSTEMS)}.",
            iri=curie,
        )
    if default_system is None:
        raise OntologyError(
            f"Bare code {curie!r} has no system; write it as a CURIE such as 'icd10cm:{text}'.",
            iri=curie,
        )
    return default_system, normalize_code(default_system, text)


def make_curie(system: str, code: str) -> str:
    """Join ``system`` and ``code`` into a CURIE.

    Examples
    --------
    >>> make_curie("icd10cm", "E11")
    'icd10cm:E11'
    """
    return f"{system}:{code}"


def to_iri(curie: str) -> str:
    """Return the IRI used in the OWL files for a CURIE.

    Examples
    --------
    >>> to_iri("icd10cm:E08-E13")
    'http://purl.bioontology.org/ontology/ICD10CM/E08-E13'
    """
    system, code = split_curie(curie)
    return SYSTEM_IRIS[system] + code


def from_iri(iri: str) -> str | None:
    """Return the CURIE for an IRI, or ``None`` if its namespace is unknown.

    Examples
    --------
    >>> from_iri("https://w3id.org/neurosym/cardiometabolic#Prediabetes")
    'neurosym:Prediabetes'
    >>> from_iri("http://example.org/x") is None
    True
    """
    for system, base in SYSTEM_IRIS.items():
        if iri.startswith(base) and len(iri) > len(base):
            return f"{system}:{iri[len(base):]}"
    return None
