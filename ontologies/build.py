"""Build the committed OWL files in ``ontologies/`` from the shared sources.

Usage::

    python ontologies/build.py [--shared-data DIR] [--out DIR]

``DIR`` defaults to ``$NEUROSYM_SHARED_DATA`` or else ``../shared/data``
relative to the repository root.  Outputs (deterministic, byte-for-byte
reproducible from the same inputs):

- ``icd10cm.owl``: ICD-10-CM FY2023 chapters > (super-)blocks > categories >
  subcategories and codes, from the official tabular XML;
- ``doid.owl``: the non-obsolete Human Disease Ontology classes with labels,
  definitions, ``is_a`` and their ICD-10-CM, ICD-9-CM and SNOMED CT xrefs;
- ``cardiometabolic.owl``: the curated neurosym ontology in
  ``_cardiometabolic_terms.py``;
- ``SOURCES.md``: sources, versions, licences, checksums and class counts.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from _cardiometabolic_terms import CITATIONS, DISJOINT, TERMS  # noqa: E402
from _rdfxml import OwlClass, write_rdfxml  # noqa: E402

from neurosym._resources import shared_data_dir  # noqa: E402
from neurosym.ontology._codes import SYSTEM_IRIS, split_curie  # noqa: E402

ICD_XML = "ontologies/icd10cm/icd10cm_tabular_2023.xml.gz"
DOID_OBO = "ontologies/disease_ontology/doid.obo"
NS = {
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "oboInOwl": "http://www.geneontology.org/formats/oboInOwl#",
    "obo": "http://purl.obolibrary.org/obo/",
}
NEUROSYM_PROPS = "https://w3id.org/neurosym/cardiometabolic#"
ENTITIES = {
    "icd": SYSTEM_IRIS["icd10cm"],
    "icd9": SYSTEM_IRIS["icd9cm"],
    "sct": SYSTEM_IRIS["snomed"],
    "loinc": SYSTEM_IRIS["loinc"],
    "doid": SYSTEM_IRIS["doid"],
    "ns": SYSTEM_IRIS["neurosym"],
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------- ICD-10-CM
def _range_of(section_id: str) -> tuple[str, str]:
    first, _, last = section_id.partition("-")
    return first, last or first


def build_icd10cm(xml_gz: Path) -> tuple[list[OwlClass], dict]:
    """Chapters > super-blocks > blocks > categories > codes, in tabular order."""
    with gzip.open(xml_gz, "rb") as fh:
        root = ET.parse(fh).getroot()
    version = root.findtext("version")
    icd = SYSTEM_IRIS["icd10cm"]
    classes: list[OwlClass] = []
    counts = defaultdict(int)
    seen: set[str] = set()

    def add(code: str, label: str, parent: str | None, kind: str) -> None:
        if code in seen:
            raise SystemExit(f"duplicate ICD-10-CM id {code!r}")
        seen.add(code)
        counts[kind] += 1
        classes.append(
            OwlClass(
                iri=icd + code,
                label=label,
                subclass_of=[icd + parent] if parent else [],
            )
        )

    def add_diag(diag: ET.Element, parent: str, depth: int) -> None:
        code = diag.findtext("name").strip()
        add(code, diag.findtext("desc").strip(), parent, "category" if depth == 0 else "code")
        for child in diag.findall("diag"):
            add_diag(child, code, depth + 1)

    for chapter in root.findall("chapter"):
        desc = chapter.findtext("desc").strip()
        m = re.search(r"\(([A-Z0-9]{3}-[A-Z0-9]{3})\)\s*$", desc)
        if not m:
            raise SystemExit(f"no code range in chapter description {desc!r}")
        chap = m.group(1)
        add(chap, desc, None, "chapter")
        sections = chapter.findall("section")
        grouping = [s.get("id") for s in sections if s.find("diag") is None]

        def parent_of(sid: str) -> str:
            first, last = _range_of(sid)
            best = None
            for g in grouping:
                if g == sid:
                    continue
                gf, gl = _range_of(g)
                if gf <= first and last <= gl:
                    span = (gf, gl)
                    if best is None or (span[0] >= best[1][0] and span[1] <= best[1][1]):
                        best = (g, span)
            return best[0] if best else chap

        block_of: dict[str, str] = {}
        for section in sections:
            sid = section.get("id")
            if "-" not in sid:
                # A one-category block ("B10") has the id of its category:
                # the category takes the block's place in the hierarchy.
                block_of[sid] = parent_of(sid)
                counts["single_category_block_merged"] += 1
                continue
            block_of[sid] = sid
            kind = "super_block" if sid in grouping else "block"
            add(sid, section.findtext("desc").strip(), parent_of(sid), kind)
        for section in sections:
            for diag in section.findall("diag"):
                add_diag(diag, block_of[section.get("id")], 0)
    # Super-blocks are written before the blocks they contain only if the
    # tabular order says so; the parent is an IRI, so order does not matter.
    return classes, {"version": version, "counts": dict(counts)}


# --------------------------------------------------------------------- DOID
_XREF_SYSTEMS = {"ICD10CM": "icd10cm", "ICD9CM": "icd9cm", "SNOMEDCT": "snomed"}


def parse_obo(path: Path) -> tuple[dict[str, str], list[dict[str, list[str]]]]:
    """Header tags and ``[Term]`` stanzas of an OBO file (enough for doid.obo)."""
    header: dict[str, str] = {}
    terms: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    in_header = True
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\n")
            if line.startswith("["):
                in_header = False
                current = defaultdict(list) if line == "[Term]" else None
                if current is not None:
                    terms.append(current)
                continue
            if not line or ": " not in line:
                continue
            key, value = line.split(": ", 1)
            if in_header:
                header.setdefault(key, value)
            elif current is not None:
                current[key].append(value)
    return header, terms


def _obo_value(value: str) -> str:
    """Strip trailing ``! comment`` and ``{qualifiers}`` from an OBO value."""
    value = re.sub(r"\s*\{[^}]*\}\s*$", "", value)
    return value.split(" ! ")[0].strip()


def _obo_quoted(value: str) -> str:
    m = re.match(r'"((?:[^"\\]|\\.)*)"', value)
    return m.group(1).replace('\\"', '"').replace("\\\\", "\\") if m else value


def build_doid(obo: Path) -> tuple[list[OwlClass], dict]:
    header, terms = parse_obo(obo)
    doid = SYSTEM_IRIS["doid"]
    classes: list[OwlClass] = []
    n_xref = defaultdict(int)
    n_obsolete = 0
    for t in terms:
        tid = t["id"][0]
        if not tid.startswith("DOID:"):
            continue
        if t.get("is_obsolete") == ["true"]:
            n_obsolete += 1
            continue
        ann: list[tuple[str, str]] = []
        if t.get("def"):
            ann.append(("obo:IAO_0000115", _obo_quoted(t["def"][0])))
        xrefs = set()
        for x in t.get("xref", []):
            x = _obo_value(x)
            prefix, _, code = x.partition(":")
            system = _XREF_SYSTEMS.get(prefix.split("_")[0])
            if system and code:
                xrefs.add(f"{system}:{code.strip()}")
        for x in sorted(xrefs):
            n_xref[x.split(":")[0]] += 1
            ann.append(("oboInOwl:hasDbXref", x))
        parents = sorted(
            doid + _obo_value(p).split(":")[1] for p in t.get("is_a", []) if p.startswith("DOID:")
        )
        classes.append(
            OwlClass(
                iri=doid + tid.split(":")[1],
                label=t["name"][0],
                subclass_of=parents,
                annotations=ann,
            )
        )
    classes.sort(key=lambda c: c.iri)
    info = {
        "version": header.get("data-version", "?"),
        "counts": {"classes": len(classes), "obsolete_skipped": n_obsolete},
        "xrefs": dict(sorted(n_xref.items())),
    }
    return classes, info


# --------------------------------------------------------------------- cardiometabolic
def build_cardiometabolic() -> tuple[list[OwlClass], dict, list[list[str]]]:
    ns = SYSTEM_IRIS["neurosym"]
    names = {t["name"] for t in TERMS}
    classes: list[OwlClass] = []
    external: dict[str, OwlClass] = {}
    n_map = defaultdict(int)

    def ext(curie: str) -> str:
        system, code = split_curie(curie)
        iri = SYSTEM_IRIS[system] + code
        external.setdefault(iri, OwlClass(iri=iri))
        n_map[system] += 1
        return iri

    for t in TERMS:
        unknown = [p for p in t["parents"] if p not in names]
        if unknown or t["cite"] not in CITATIONS:
            raise SystemExit(f"{t['name']}: unknown parents {unknown} or citation {t['cite']!r}")
        iri = ns + t["name"]
        ann = [("skos:definition", t["definition"]), ("dcterms:bibliographicCitation", CITATIONS[t["cite"]])]
        for code in t.get("loinc", []):
            ann.append(("ns:loincCode", code))
        if "unit" in t:
            ann.append(("ns:canonicalUnit", t["unit"]))
        for curie in t.get("equiv", []):
            ann.append(("skos:exactMatch", curie))
        for curie in t.get("narrower", []):
            ann.append(("skos:narrowMatch", curie))
        classes.append(
            OwlClass(
                iri=iri,
                label=t["label"],
                subclass_of=[ns + p for p in t["parents"]],
                equivalent_to=[ext(c) for c in t.get("equiv", [])],
                annotations=ann,
            )
        )
        for curie in t.get("narrower", []) + [f"loinc:{c}" for c in t.get("loinc", [])]:
            e = ext(curie)
            external[e].subclass_of.append(iri)
    for group in DISJOINT:
        for name in group:
            if name not in names:
                raise SystemExit(f"disjointness group names unknown term {name!r}")
    extra = sorted(external.values(), key=lambda c: c.iri)
    info = {"counts": {"neurosym_classes": len(classes), "external_classes": len(extra)},
            "mappings": dict(sorted(n_map.items()))}
    return classes + extra, info, [[ns + n for n in g] for g in DISJOINT]


# --------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=shared_data_dir())
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    src: Path = args.shared_data.resolve()
    out: Path = args.out
    icd_src, doid_src = src / ICD_XML, src / DOID_OBO
    for p in (icd_src, doid_src):
        if not p.is_file():
            parser.error(f"missing source {p}; pass --shared-data or set NEUROSYM_SHARED_DATA")
    out.mkdir(parents=True, exist_ok=True)

    icd_classes, icd_info = build_icd10cm(icd_src)
    write_rdfxml(
        out / "icd10cm.owl",
        ontology_iri="https://w3id.org/neurosym/ontologies/icd10cm.owl",
        classes=icd_classes,
        entities=ENTITIES,
        namespaces=NS,
        ontology_annotations=[
            ("rdfs:label", "ICD-10-CM FY2023 (tabular list), as an OWL class hierarchy"),
            ("owl:versionInfo", f"FY{icd_info['version']}"),
            ("dcterms:source", "CDC/NCHS icd10cm_tabular_2023.xml"),
            ("dcterms:license", "US Government work, public domain in the US (17 U.S.C. 105)"),
        ],
    )
    doid_classes, doid_info = build_doid(doid_src)
    write_rdfxml(
        out / "doid.owl",
        ontology_iri="https://w3id.org/neurosym/ontologies/doid.owl",
        classes=doid_classes,
        entities=ENTITIES,
        namespaces=NS,
        annotation_properties=[NS["obo"] + "IAO_0000115", NS["oboInOwl"] + "hasDbXref"],
        ontology_annotations=[
            ("rdfs:label", "Human Disease Ontology (non-obsolete classes, is_a, ICD/SNOMED xrefs)"),
            ("owl:versionInfo", doid_info["version"]),
            ("dcterms:license", "https://creativecommons.org/publicdomain/zero/1.0/"),
        ],
    )
    cm_classes, cm_info, disjoint = build_cardiometabolic()
    write_rdfxml(
        out / "cardiometabolic.owl",
        ontology_iri="https://w3id.org/neurosym/cardiometabolic",
        classes=cm_classes,
        entities=ENTITIES,
        namespaces={**NS, "ns": NEUROSYM_PROPS},
        annotation_properties=[
            NS["skos"] + "definition",
            NS["skos"] + "exactMatch",
            NS["skos"] + "narrowMatch",
            NS["dcterms"] + "bibliographicCitation",
            NEUROSYM_PROPS + "loincCode",
            NEUROSYM_PROPS + "canonicalUnit",
        ],
        all_disjoint=disjoint,
        ontology_annotations=[
            ("rdfs:label", "neurosym cardiometabolic ontology"),
            ("owl:versionInfo", "0.1.0"),
            ("dcterms:license", "Apache-2.0"),
        ],
    )
    write_sources(out, src, icd_src, doid_src, icd_info, doid_info, cm_info)
    for name in ("icd10cm.owl", "doid.owl", "cardiometabolic.owl"):
        print(f"{name}: {(out / name).stat().st_size:,} bytes, sha256 {sha256(out / name)[:16]}")
    return 0


def write_sources(out, src, icd_src, doid_src, icd_info, doid_info, cm_info) -> None:
    ic = icd_info["counts"]
    dc = doid_info["counts"]
    cc = cm_info["counts"]
    total_icd = sum(v for k, v in ic.items() if k != 'single_category_block_merged')
    sizes = {n: (out / n).stat().st_size for n in ("icd10cm.owl", "doid.owl", "cardiometabolic.owl")}
    text = f"""# ontologies/: sources, versions, licences

Generated by `python ontologies/build.py` (do not edit by hand; edit `build.py` or
`_cardiometabolic_terms.py` and rebuild). The build is deterministic: the same inputs give
byte-identical files. It reads `--shared-data DIR` (default `$NEUROSYM_SHARED_DATA`, else
`../shared/data` relative to the repository root) and writes RDF/XML that owlready2 loads.

| file | bytes | classes | source |
|---|---:|---:|---|
| `icd10cm.owl` | {sizes['icd10cm.owl']:,} | {total_icd:,} | ICD-10-CM FY{icd_info['version']} tabular XML |
| `doid.owl` | {sizes['doid.owl']:,} | {dc['classes']:,} | Human Disease Ontology {doid_info['version']} |
| `cardiometabolic.owl` | {sizes['cardiometabolic.owl']:,} | {cc['neurosym_classes']} neurosym + {cc['external_classes']} referenced | curated here |

## icd10cm.owl
- Source: `{ICD_XML}` (SHA-256 `{sha256(icd_src)}`), the official CDC/NCHS
  ICD-10-CM FY2023 tabular list (release of 2022-06-09); provenance in that folder's `SOURCE.md`.
- Licence: a work of the US Government (CDC/NCHS), public domain in the US (17 U.S.C. 105);
  ICD-10-CM is adapted from WHO's ICD-10.
- IRIs: `{SYSTEM_IRIS['icd10cm']}<code>` (BioPortal's convention); CURIEs `icd10cm:<code>`.
- Hierarchy: chapter > [super-block >] block > category > subcategory > code, each with
  `rdfs:label` = the tabular description.
  - Chapters are identified by their code range (`icd10cm:E00-E89` is chapter 4
    "Endocrine, nutritional and metabolic diseases (E00-E89)"): {ic['chapter']}.
  - Blocks (sections) by their id (`icd10cm:E08-E13`): {ic['block']}.
  - The 12 grouping sections that contain no categories are kept as **super-blocks**
    ({ic['super_block']}): each block's parent is the smallest grouping section whose range
    contains it (e.g. `C00-C14` < `C00-C75` < `C00-C96` < chapter `C00-D49`), otherwise the chapter.
  - Categories (3 characters): {ic['category']:,}; subcategories and codes: {ic['code']:,}.
  - The {ic['single_category_block_merged']} one-category blocks whose id is their only category
    (e.g. `B10`, `E89`, `Z68`) are merged into that category, which then sits
    directly under the chapter or super-block.
- Skipped: 7th-character extensions (`S72.001A`; 50,876 codes built from `<sevenChrDef>`);
  `Ontology.resolve` maps such a code to the code it extends (`S72.001`, dropping placeholder
  `X`: `T07.XXXA` -> `T07`), and `to_facts` keeps the 7-character spelling in its rows. Also
  skipped: instructional notes (includes/excludes/code-first).

## doid.owl
- Source: `{DOID_OBO}` (SHA-256 `{sha256(doid_src)}`), `data-version: {doid_info['version']}`.
- Licence: CC0 1.0 (Human Disease Ontology, https://disease-ontology.org).
- Content: all {dc['classes']:,} non-obsolete `DOID:` classes ({dc['obsolete_skipped']:,} obsolete
  ones skipped) with `rdfs:label`, definition (`obo:IAO_0000115`), `rdfs:subClassOf` from `is_a`,
  and cross-references as `oboInOwl:hasDbXref` annotations written as neurosym CURIEs:
  {', '.join(f'{k} {v:,}' for k, v in doid_info['xrefs'].items())}. SNOMED CT xrefs of every
  `SNOMEDCT_US_<release>` prefix are merged into `snomed:`. Synonyms, subsets and other xref
  sources (UMLS, OMIM, MeSH, NCI, ...) are not kept.
- IRIs are the OBO PURLs `http://purl.obolibrary.org/obo/DOID_<n>`; CURIEs `doid:<n>`.
- How xrefs become bridges in the combined ontology (`Ontology.load("clinical")`): an xref
  between DOID class d and external code x is read as equivalence when it is one-to-one;
  when x is referenced by several DOID classes each d is_a x (x is the broader bucket); when d
  references several codes of the same system each x is_a d. See `neurosym/ontology/_combine.py`.

## cardiometabolic.owl
Written for this library (namespace `{SYSTEM_IRIS['neurosym']}`, CURIEs `neurosym:<Name>`),
licence Apache-2.0 like the code. Source of truth: `_cardiometabolic_terms.py`.
- {cc['neurosym_classes']} classes: diabetes (type 1, type 2, other/secondary, gestational),
  prediabetes (IFG, IGT, HbA1c-defined), CKD G1-G5 (G3a/G3b) and albuminuria A1-A3, diabetic
  kidney disease, ACC/AHA 2017 BP categories, WHO BMI classes, metabolic syndrome, ASCVD (CAD,
  stroke/TIA, PAD), laboratory and vital-sign measurements with LOINC codes and UCUM units, and
  lifelog measures (steps, active minutes, sleep, resting heart rate, wear time).
- Each class has `rdfs:label`, `skos:definition` (with thresholds) and
  `dcterms:bibliographicCitation` (guideline, edition, section).
- Mappings are OWL axioms so a reasoner can use them: `owl:equivalentClass` to the same concept
  in ICD-10-CM / SNOMED CT (also annotated `skos:exactMatch`), and `rdfs:subClassOf` from narrower
  ICD-10-CM / SNOMED CT codes and from LOINC codes (annotated `skos:narrowMatch` /
  `ns:loincCode`). Mapping counts: {', '.join(f'{k} {v}' for k, v in cm_info['mappings'].items())}.
  External codes are declared as classes without labels (labels come from icd10cm.owl/doid.owl).
- `owl:AllDisjointClasses` axioms over the diabetes types, the KDIGO G and A categories, the BP
  categories and the BMI classes; HermiT finds the ontology consistent (tests/ontology).
- SNOMED CT codes that appear in the shared data (OMOP `concept.csv` or DOID xrefs) were checked
  against their names there: 44054006, 46635009, 11687002, 15777000, 38341003, 59621000,
  431855005, 431856006, 433144002, 431857002, 46177005, 127013003, 237602007, 53741008.
  The others (73211009, 8801005, 390951007, 9414007, 709044004, 700378005, 700379002, 433146000,
  238131007, 414916001, 238136002, 399957001) were entered from the SNOMED CT International
  Edition without an offline copy to check against; verify before clinical use.

## OMOP concept ancestry
Not committed: `Ontology.from_omop(dir)` builds it at load time from an OMOP CDM directory
(`concept_ancestor.csv`, `concept.csv`, optional `concept_ancestor_concepts.csv` and
`concept_relationship.csv`).

## Rebuild
```
python ontologies/build.py --shared-data ../shared/data
```
"""
    (out / "SOURCES.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
