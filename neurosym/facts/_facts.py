"""The :class:`Facts` container: relation name -> frame, with a way back to each fact's source record."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pandas as pd

__all__ = ["Facts"]


class Facts(Mapping[str, pd.DataFrame]):
    """Relation name -> frame of facts, with a way back to each fact's source record.

    Behaves as a read-only ``dict``; extra relations (e.g. ontology ``is_a``)
    can be added with :meth:`with_relations`.

    Examples
    --------
    >>> from neurosym.data import synthetic_cohort
    >>> facts = synthetic_cohort(3, seed=0).to_facts()
    >>> list(facts["patient"].columns)
    ['patient', 'sex', 'birth_year', '_source']
    """

    def __init__(self, relations: Mapping[str, pd.DataFrame], tables: Mapping[str, pd.DataFrame] | None = None,
                 table_of: Mapping[str, str] | None = None) -> None:
        self._relations = dict(relations)
        self._tables = dict(tables or {})
        self._table_of = dict(table_of or {})

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._relations[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._relations)

    def __len__(self) -> int:
        return len(self._relations)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}: {len(v)}" for k, v in self._relations.items())
        return f"Facts({sizes})"

    def with_relations(self, extra: Mapping[str, pd.DataFrame]) -> "Facts":
        """A new :class:`Facts` with ``extra`` relations added (or replaced)."""
        return Facts({**self._relations, **extra}, self._tables, self._table_of)

    def describe_source(self, relation: str, ref: object) -> dict[str, object] | None:
        """The source pointer of one fact: dataset, table, row and record id.

        ``ref`` is the fact's ``_source`` value.  Relations from outside the
        cohort (e.g. ontology paths) carry a readable string, returned as is.
        """
        table = self._tables.get(self._table_of.get(relation, ""))
        if relation == "is_a" and isinstance(ref, str):  # an ontology path: its steps, labelled from concept_label
            from neurosym.ontology._closure import parse_path

            labels = self._relations.get("concept_label")
            label = {} if labels is None else dict(zip(zip(labels["system"], labels["code"]), labels["label"]))
            return {"text": ref, "path": [{"system": s, "code": c, "label": label.get((s, c)), "edge": e}
                                          for s, c, e in parse_path(ref)]}
        if table is None or ref is None or isinstance(ref, str):
            return None if ref is None else {"text": str(ref)}
        row = table.iloc[int(ref)]
        keys = ("source_dataset", "source_table", "source_row", "source_id", *(k for k in ("value", "unit") if k in table.columns))
        return {k: (None if pd.isna(row[k]) else int(row[k]) if k == "source_row" else float(row[k]) if k == "value" else str(row[k]))
                for k in keys}
