"""Medical ontologies as subsumption hierarchies and as facts for rules.

Shipped OWL ontologies live in the repository's ``ontologies/`` directory
(built by ``ontologies/build.py``; a wheel carries them as package data,
found by :func:`ontology_dir`, ``$NEUROSYM_ONTOLOGIES`` overrides): ``icd10cm`` (ICD-10-CM FY2023),
``doid`` (Human Disease Ontology) and ``cardiometabolic`` (curated
guideline concepts, system ``neurosym``).  ``"clinical"`` merges the three
and bridges ICD-10-CM, SNOMED CT and DOID through DOID cross-references;
:meth:`Ontology.from_omop` reads an OMOP CDM concept hierarchy.

Codes are CURIEs ``system:code`` with lowercase systems (``icd10cm``,
``icd9cm``, ``snomed``, ``loinc``, ``rxnorm``, ``omop``, ``doid``,
``neurosym``).  owlready2 is imported only when an OWL file is parsed or
reasoned over; parsed graphs are cached under :func:`cache_dir`.

Examples
--------
>>> from neurosym.ontology import Ontology
>>> clinical = Ontology.load("clinical")
>>> clinical.is_a("snomed:44054006", "icd10cm:E08-E13")
True
>>> clinical.to_facts(codes=["icd10cm:E11.65"], ancestors=["icd10cm:E08-E13"]).iloc[0].tolist()
['icd10cm', 'E11.65', 'icd10cm', 'E08-E13', 'icd10cm:E11.65 -> icd10cm:E11.6 -> icd10cm:E11 -> icd10cm:E08-E13']
"""

from neurosym.ontology._codes import SYSTEMS, from_iri, split_curie, to_iri
from neurosym.ontology._closure import IS_A_COLUMNS, LABEL_COLUMNS
from neurosym.ontology._ontology import SHIPPED, Ontology
from neurosym.ontology._paths import cache_dir, ontology_dir, shared_data_dir

__all__ = [
    "Ontology",
    "SHIPPED",
    "SYSTEMS",
    "IS_A_COLUMNS",
    "LABEL_COLUMNS",
    "split_curie",
    "to_iri",
    "from_iri",
    "ontology_dir",
    "shared_data_dir",
    "cache_dir",
]
