"""The facts stage: cohort + ontology -> the relations rules read, and the clinical rule library.

Between :mod:`neurosym.data` (patients) and :mod:`neurosym.logic` (a generic
Datalog engine): :func:`cohort_facts` (behind :meth:`Cohort.to_facts`) builds
the base relations of :data:`FACT_SCHEMAS`, :func:`is_a_facts` adds the
ontology's subsumption, :func:`clinical_facts` does both for the rule
library, and :func:`load_rule_library` parses the library in ``rules/``.
Neural predicates will join the facts here.

Examples
--------
>>> from neurosym.data import synthetic_cohort
>>> from neurosym.facts import clinical_facts, load_rule_library
>>> facts = clinical_facts(synthetic_cohort(3, seed=0))
>>> sorted(set(facts) - set(FACT_SCHEMAS))
['is_a']
>>> load_rule_library(["kidney"]).evaluate(facts).count("ckd_g_stage") >= 0
True
"""

from neurosym._resources import rules_dir
from neurosym.facts._clinical import CODED_RELATIONS, clinical_facts, is_a_facts
from neurosym.facts._cohort import cohort_facts
from neurosym.facts._facts import Facts
from neurosym.facts._library import RULE_TOPICS, library_files, load_rule_library, required_ancestors
from neurosym.facts._omop_sql import omop_sql_facts
from neurosym.facts._schemas import BASE_RELATIONS, FACT_SCHEMAS, ONTOLOGY_RELATIONS

__all__ = [
    "omop_sql_facts",
    "BASE_RELATIONS",
    "CODED_RELATIONS",
    "FACT_SCHEMAS",
    "Facts",
    "ONTOLOGY_RELATIONS",
    "RULE_TOPICS",
    "clinical_facts",
    "cohort_facts",
    "is_a_facts",
    "library_files",
    "load_rule_library",
    "required_ancestors",
    "rules_dir",
]
