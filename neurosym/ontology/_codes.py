"""Code identifiers: CURIEs (``system:code``) and the IRIs behind them.

Every concept in the Python API is a CURIE string such as ``icd10cm:E11.65``,
``snomed:44054006`` or ``neurosym:Prediabetes``.  Systems are lowercase.  In
the OWL files each system has an IRI namespace (``SYSTEM_IRIS``); this module
converts between the two.

This module is the one place for shared vocabulary: :data:`SYSTEMS` is the
code-system list used by events, facts and ontologies alike
(``neurosym.data.CODE_SYSTEMS`` is the same tuple), and
:data:`OMOP_VOCABULARIES` the one OMOP ``vocabulary_id`` -> system map, used
by both the OMOP loader and the OMOP ontology reader.

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

#: The code systems known to neurosym (lowercase CURIE prefixes), used in
#: events, facts and ontologies.  ``omop`` codes are OMOP concept ids,
#: ``fhir`` codes name a FHIR element (``Patient.deceasedDateTime``) or an
#: Encounter class, ``local`` codes are a source's own (unmapped) codes.
SYSTEMS: tuple[str, ...] = (
    "icd10cm",
    "icd9cm",
    "icd9proc",
    "snomed",
    "loinc",
    "rxnorm",
    "ndc",
    "cvx",
    "cpt4",
    "omop",
    "doid",
    "neurosym",
    "fhir",
    "local",
)

#: IRI namespace of each code system that has one, as used in the committed
#: OWL files (``icd9proc``, ``ndc``, ``cvx``, ``cpt4``, ``fhir`` and ``local``
#: codes never appear in an ontology).
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

#: OMOP ``vocabulary_id`` -> code system: a concept of one of these
#: vocabularies is ``<system>:<concept_code>``; a concept of any other
#: vocabulary is ``omop:<concept_id>``.  "RxNorm Extension" is deliberately
#: absent: its concept codes (``OMOP2092413``) are made by OHDSI, not RxNorm
#: codes, so they stay OMOP concept ids.
OMOP_VOCABULARIES: dict[str, str] = {
    "SNOMED": "snomed",
    "LOINC": "loinc",
    "RxNorm": "rxnorm",
    "ICD10CM": "icd10cm",
    "ICD9CM": "icd9cm",
    "ICD9Proc": "icd9proc",
    "CVX": "cvx",
    "CPT4": "cpt4",
    "NDC": "ndc",
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
    if sep and system in SYSTEMS:
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
    if system not in SYSTEM_IRIS:
        raise OntologyError(f"Code system {system!r} has no IRI namespace (only {', '.join(SYSTEM_IRIS)} do); "
                            f"{curie!r} cannot appear in an ontology.", iri=curie)
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
