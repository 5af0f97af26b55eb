"""Batch proofs: the top-k proofs of every tuple of a relation, as sets of input facts, in one pass.

A *proof* of a tuple is the set of input facts it rests on plus the rules
applied; its probability is the product of its distinct facts' probabilities
times the ``1 - p`` factors of the negations it checked.  :meth:`Prover.proofs`
computes, set-oriented in SQL, the ``k`` most probable proofs of every tuple of
one relation:

1. *Demand, top down.*  For each rule of a needed relation, the body
   groundings of the needed head tuples are materialised, at most ``k`` per head
   tuple (the most probable by the engine's best-proof probabilities, ties
   broken by every column).  The atoms those groundings use are what the body
   relations must prove.
2. *Proofs, bottom up, stratum by stratum.*  An input fact proves itself.  A
   rule's proofs join each grounding with its body atoms' proofs one atom at a
   time, keeping the ``k`` best per grounding; a tuple keeps its ``k`` best
   distinct fact sets.  Recursive strata iterate until the top-k tables stop
   changing.

Input facts get stable ids: ``relation index << 40 | rank``, where the
relation index is its position among the program's relations (sorted) and the
rank its position among the relation's distinct input tuples ordered by every
column.  The same program and facts give the same ids in any process;
:meth:`Prover.facts` resolves them.

Examples
--------
>>> import pandas as pd
>>> from neurosym.logic import Program, TopKProofs
>>> prog = Program.from_text('@id("a") p(X) :- a(X). @id("b") p(X) :- b(X).')
>>> half = pd.DataFrame({"x": [1], "_prob": [0.5]})
>>> prover = Prover(prog.evaluate({"a": half, "b": half}, semiring=TopKProofs(k=2)))
>>> table = prover.proofs("p").select(["X", "proof", "probability", "fact_ids", "rule_ids"]).to_pydict()
>>> {name: table[name] for name in ("X", "proof", "probability", "rule_ids")}
{'X': [1, 1], 'proof': [1, 2], 'probability': [0.5, 0.5], 'rule_ids': [['a'], ['b']]}
>>> prover.facts(table["fact_ids"][0])[["relation", "atom", "probability"]].values.tolist()
[['a', 'a(1)', 0.5]]
>>> prover.probability("p(1)")
0.75
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

from neurosym._errors import EvaluationError
from neurosym.logic._ast import Rule
from neurosym.logic._lookup import atom_text, find, relation_types
from neurosym.logic._native import DIALECT
from neurosym.logic._parser import parse_atom
from neurosym.logic._sql import compile_body, compile_term, literal, table_name

if TYPE_CHECKING:
    from neurosym.logic._model import Model

__all__ = ["FACT_ID_BITS", "Prover"]

#: Bits of a fact id holding the rank of the fact within its relation.
FACT_ID_BITS = 40
_MAX_ROUNDS = 10_000
_PREFIX = "_nsp_"
_UNSOURCED = 1 << (FACT_ID_BITS - 1)
_ROW_MASK = (1 << FACT_ID_BITS) - 1


class Prover:
    """Top-k proofs of derived facts, and the probabilities they give under the model's semiring.

    Parameters
    ----------
    model : Model
        An evaluated program.  The prover reads its relations through
        :meth:`Model.connect` and keeps a few ``_nsp_`` temporary tables there
        (fact ids) between calls.
    """

    def __init__(self, model: "Model") -> None:
        self._model = model
        self._con = model.connect()
        self._plan = model.plan
        self._semiring = model.semiring
        self._relations = sorted(self._plan.types)
        self._fact_rules = [i for i, r in enumerate(self._plan.rules) if r.is_fact]
        self._fact_tables: set[str] = set()
        # Without probabilities a proof's facts are plain ids and every proof has probability 1 (times no negation factor).
        self._fact_type = "STRUCT(i BIGINT, p DOUBLE)" if self._plan.prob else "BIGINT"
        self._prob = "list_product(list_transform(_f, lambda x: x.p)) * _n" if self._plan.prob else "_n"

    # -- public ----------------------------------------------------------
    def proofs(self, relation: str, k: int | None = None, where: Mapping[str, object] | None = None) -> pa.Table:
        """The ``k`` best proofs of every tuple of ``relation`` (of those ``where`` selects).

        Parameters
        ----------
        relation : str
            A relation of the program.
        k : int, optional
            Proofs per tuple; default the semiring's ``k`` (:class:`TopKProofs`), else 1.
        where : mapping, optional
            Column name (as in :meth:`Model.columns`) to a value or a list of
            values, e.g. ``{"patient": "S000001"}``.

        Returns
        -------
        pyarrow.Table
            The tuple's columns, ``proof`` (rank from 1, best first),
            ``probability``, ``fact_ids`` (list of int64, sorted) and
            ``rule_ids`` (list of rule ids, sorted by rule position); sorted
            by tuple, then rank.
        """
        k = k if k is not None else (self._semiring.k if self._semiring.on_demand else 1)
        if k < 1:
            raise EvaluationError(f"k must be >= 1, got {k}")
        arity = len(relation_types(self._plan, relation))
        names = self._model.columns(relation)
        target_demand = self._where(relation, names, where) if where else None
        strata = self._strata(relation)
        tables: list[str] = []
        try:
            demand = self._demand(relation, target_demand, strata, k, tables)
            for stratum in strata:
                derived = [r for r in stratum if r == relation or self._rules([r])]
                if derived:
                    self._prove_stratum(derived, demand, k, tables)
            cols = ", ".join(f'c{i} AS "{names[i]}"' for i in range(arity))
            ids = exp.Array(expressions=[literal(r.id) for r in self._plan.rules]).sql(DIALECT)
            order = ", ".join([*(f"c{i}" for i in range(arity)), "proof"])
            sql = (f"SELECT {cols}{', ' if arity else ''}proof, prob AS probability, "
                   f"{'list_transform(_f, lambda x: x.i)' if self._plan.prob else '_f'} AS fact_ids, list_transform(_r, lambda x: {ids}[x + 1]) AS rule_ids "
                   f"FROM {_PREFIX}pf_{relation} t")
            if target_demand:
                sql += " SEMI JOIN " + target_demand + " d ON " + (" AND ".join(f"t.c{i} = d.c{i}" for i in range(arity)) or "TRUE")
            sql += f" ORDER BY {order}"
            return self._con.sql(sql).to_arrow_table()
        finally:
            for name in tables:
                self._con.execute(f"DROP TABLE IF EXISTS {name}")
            if target_demand:
                self._con.execute(f"DROP TABLE IF EXISTS {target_demand}")

    def facts(self, fact_ids: Sequence[int]) -> pd.DataFrame:
        """Resolve fact ids: ``fact_id``, ``relation``, ``values`` (tuple), ``atom``, ``probability``, ``source`` (the fact's ``_source``)."""
        ids = np.asarray(list(fact_ids), dtype=np.int64)
        frames = []
        for index in np.unique(ids >> FACT_ID_BITS).tolist():
            if not 0 <= index < len(self._relations):
                raise EvaluationError(f"fact id with relation index {index} is not from this program")
            rel = self._relations[index]
            arity = len(self._plan.types[rel])
            wanted = np.unique(ids[(ids >> FACT_ID_BITS) == index])
            rows = self._con.execute(f"SELECT _fid, {', '.join(f'c{i}' for i in range(arity)) or 'NULL'}, _p, _s "
                                     f"FROM ({self._facts_sql(rel, (wanted & _ROW_MASK).tolist())}) ORDER BY _fid").fetchall()
            found = [r[0] for r in rows]
            if len(set(found)) != len(found):
                raise EvaluationError(f"{rel}: several facts share one integer _source; fact ids need _source to identify a fact")
            if len(rows) != len(wanted):
                missing = sorted(set(wanted.tolist()) - set(found))
                raise EvaluationError(f"fact ids {missing[:5]} are not input facts of {rel}")
            values = [tuple(r[1: 1 + arity]) for r in rows]
            frames.append(pd.DataFrame({"fact_id": [r[0] for r in rows], "relation": rel, "values": values,
                                        "atom": [atom_text(rel, v) for v in values],
                                        "probability": [float(r[-2]) for r in rows], "source": [r[-1] for r in rows]}))
        if not frames:
            return pd.DataFrame({"fact_id": pd.Series([], dtype="int64"), "relation": [], "values": [], "atom": [],
                                 "probability": pd.Series([], dtype="float64"), "source": []})
        out = pd.concat(frames, ignore_index=True).set_index("fact_id")
        return out.loc[ids.tolist()].reset_index()

    def probability(self, atom: str) -> float:
        """Probability of a ground atom (0 if not derived) under the model's semiring.

        Max-product: the engine's best-proof probability.  :class:`TopKProofs`:
        its ``k`` best proofs combined by noisy-or or exact inclusion-exclusion.
        """
        parsed = parse_atom(atom)
        found = find(self._con, self._plan, parsed, limit=1)
        if not found:
            return 0.0
        if not self._semiring.on_demand:
            return float(found[0][3])
        names = self._model.columns(parsed.rel)
        table = self.proofs(parsed.rel, k=self._semiring.k, where=dict(zip(names, found[0][0]))).to_pydict()
        sets = [frozenset(ids) for ids in table["fact_ids"]]
        fact_prob = self._fact_probs(pd.DataFrame({"fact_ids": table["fact_ids"]})) if self._semiring.method == "exact" else {}
        return float(self._semiring.combine(list(zip(sets, table["probability"])), fact_prob))

    def probabilities(self, relation: str, where: Mapping[str, object] | None = None) -> pd.DataFrame:
        """Every tuple of ``relation`` (of those ``where`` selects) with its probability, sorted by tuple, in one pass.

        :class:`TopKProofs` combines each tuple's ``k`` best proofs from
        :meth:`proofs` (noisy-or vectorised; exact inclusion-exclusion per
        tuple); other semirings give the probability the engine computed.
        """
        names = self._model.columns(relation)
        if not self._semiring.on_demand:
            cols = [f"c{i}" for i in range(len(names))]
            frame = self._con.execute(f"SELECT {', '.join(cols)}{', ' if cols else ''}MAX(_p) AS probability FROM {table_name(relation)} "
                                      + (f"GROUP BY {', '.join(cols)} ORDER BY {', '.join(cols)}" if cols else "")).df()
            frame = frame.rename(columns=dict(zip(cols, names)))
            for name, wanted in (where or {}).items():
                frame = frame[frame[name].isin(list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted])]
            return frame.reset_index(drop=True)
        proofs = self.proofs(relation, k=self._semiring.k, where=where).to_pandas()
        if not names:
            return pd.DataFrame({"probability": [self._semiring.combine(list(zip(map(frozenset, proofs["fact_ids"]),
                                                                                 proofs["probability"])), self._fact_probs(proofs))]})
        groups = proofs.groupby(names, sort=True)
        if self._semiring.method == "noisy_or":
            absent = np.log1p(-proofs["probability"].clip(upper=1.0)).groupby([proofs[n] for n in names], sort=True).sum()
            return (1.0 - np.exp(absent)).rename("probability").reset_index()
        fact_prob = self._fact_probs(proofs)
        rows = [(*key, self._semiring.combine(list(zip(map(frozenset, g["fact_ids"]), g["probability"])), fact_prob))
                for key, g in groups]  # exact inclusion-exclusion: per tuple, over at most k proofs
        return pd.DataFrame(rows, columns=[*names, "probability"])

    def _fact_probs(self, proofs: pd.DataFrame) -> dict[int, float]:
        ids = sorted({int(i) for ids in proofs["fact_ids"] for i in ids})
        facts = self.facts(ids)
        return dict(zip(facts["fact_id"], facts["probability"]))

    # -- planning --------------------------------------------------------
    def _where(self, relation: str, names: list[str], where: Mapping[str, object]) -> str:
        """A table of the target tuples ``where`` selects."""
        conds = []
        types = self._plan.types[relation]
        for name, wanted in where.items():
            if name not in names:
                raise EvaluationError(f"{relation} has no column {name!r}; its columns are {', '.join(names)}")
            i = names.index(name)
            values = list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
            if types[i] == "symbol":
                values = [str(v) for v in values]
            conds.append(exp.In(this=exp.column(f"c{i}"), expressions=[literal(v) for v in values]))
        name = f"{_PREFIX}where"
        query = exp.select(*[exp.column(f"c{i}") for i in range(len(names))]).distinct().from_(table_name(relation))
        self._con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query.where(exp.and_(*conds)).sql(DIALECT)}")
        return name

    def _strata(self, relation: str) -> list[list[str]]:
        """The strata (bottom up) of the relations ``relation``'s proofs go through (positive body atoms)."""
        needed, todo = set(), [relation]
        while todo:
            rel = todo.pop()
            if rel in needed:
                continue
            needed.add(rel)
            todo += [a.rel for r in self._plan.rules if r.head.rel == rel for a in r.positive_atoms()]
        ordered = [[r for r in stratum if r in needed] for stratum in self._plan.strata]
        placed = {r for s in ordered for r in s}
        return [[r] for r in sorted(needed - placed)] + [s for s in ordered if s]

    def _rules(self, rels: list[str]) -> list[int]:
        return [i for i, r in enumerate(self._plan.rules) if r.head.rel in rels and not r.is_fact]

    def _demand(self, relation: str, target: str | None, strata: list[list[str]], k: int, tables: list[str]) -> dict[str, str | None]:
        """Top down: materialise each rule's groundings (``_nsp_g<i>``) and the tuples each relation must prove.

        ``demand[rel]`` is a table of tuples, or None for all tuples (the
        target without ``where``, and recursive strata).
        """
        demand: dict[str, str | None] = {}
        sources: dict[str, list[str]] = {}
        for stratum in reversed(strata):
            recursive = self._recursive(stratum)
            for rel in stratum:
                if rel == relation:
                    demand[rel] = None if recursive else target
                    continue
                parts = sources.get(rel)
                if not self._rules([rel]):  # an input relation: rule proofs join its facts directly
                    continue
                if parts is None or recursive:
                    demand[rel] = None
                    continue
                name = f"{_PREFIX}d_{rel}"
                self._con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {' UNION '.join(parts)}")
                tables.append(name)
                demand[rel] = name
            for index in self._rules(stratum):
                rule = self._plan.rules[index]
                name = f"{_PREFIX}g{index}"
                self._con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {self._groundings(rule, demand[rule.head.rel], k)}")
                tables.append(name)
                for j, atom in enumerate(rule.positive_atoms()):
                    if atom.rel in stratum:
                        continue
                    cols = ", ".join(f"a{j}_{c} AS c{c}" for c in range(atom.arity)) or "1 AS _unit"
                    sources.setdefault(atom.rel, []).append(f"SELECT DISTINCT {cols} FROM {name}")
        return demand

    def _recursive(self, stratum: list[str]) -> bool:
        return any(a.rel in stratum for i in self._rules(stratum) for a in self._plan.rules[i].positive_atoms())

    def _groundings(self, rule: Rule, demand: str | None, k: int) -> str:
        """SQL: the rule's distinct body groundings (head ``h*``, atoms ``a<j>_*``, negation factor ``_n``), k best per head."""
        body = compile_body(list(rule.body), self._plan.types, prob=self._plan.prob)
        heads = [exp.alias_(compile_term(a, body.env), f"h{i}") for i, a in enumerate(rule.head.args)]
        atoms = [exp.alias_(exp.column(f"c{c}", table=alias), f"a{j}_{c}")
                 for j, (alias, atom) in enumerate(body.atoms) for c in range(atom.arity)]
        negs = [p for p in body.probs if not isinstance(p, exp.Column)]
        neg: exp.Expression = exp.Literal.number(1.0)
        for p in negs:
            neg = exp.Mul(this=neg, expression=p)
        # The demand is joined into the body on the head columns that are atom columns, so that the optimizer
        # starts from the needed heads; if some heads are computed (arithmetic, aggregates), a semi-join after
        # the body checks the whole head.
        on = [exp.EQ(this=exp.column(f"c{i}", table="_d"), expression=h.this.copy()) for i, h in enumerate(heads)
              if isinstance(h.this, exp.Column)]
        joined = bool(demand) and bool(on) and body.select.args.get("from_") is not None
        if joined:
            body.select = body.select.join(exp.alias_(exp.to_table(demand), "_d", table=True), on=exp.and_(*on), copy=False)
        select = body.select.select(*heads, *atoms, exp.alias_(exp.Cast(this=neg, to=exp.DataType.build("DOUBLE")), "_n"),
                                    exp.alias_(exp.Cast(this=body.probability(), to=exp.DataType.build("DOUBLE")), "_ub"),
                                    copy=False).distinct()
        hcols = [f"h{i}" for i in range(rule.head.arity)]
        acols = [f"a{j}_{c}" for j, (_, atom) in enumerate(body.atoms) for c in range(atom.arity)]
        sql = f"SELECT * FROM ({select.sql(DIALECT)}) g"
        if demand and not (joined and len(on) == len(heads)):
            sql += f" SEMI JOIN {demand} d ON " + " AND ".join(f"g.h{i} = d.c{i}" for i in range(rule.head.arity))
        order = ", ".join(["_ub DESC", *hcols, *acols])
        partition = f"PARTITION BY {', '.join(hcols)} " if hcols else ""
        return f"{sql} QUALIFY row_number() OVER ({partition}ORDER BY {order}) <= {k}"

    # -- proving ---------------------------------------------------------
    def _facts_sql(self, rel: str, rows: list[int] | None = None) -> str:
        """SQL: the relation's input facts ``c.., _fid, _p, _s`` (only fact ids ``rows`` when given).

        A fact with an integer ``_source`` (the facts stage's source row) has
        the id ``relation << 40 | source``; the others ``relation << 40 |
        2**39 + rank`` by all columns among them, computed once per prover
        into ``_nsp_u_<rel>``.
        """
        arity = len(self._plan.types[rel])
        cols = ", ".join(f"c{i}" for i in range(arity))
        sep = ", " if arity else ""
        facts_here = [i for i in self._fact_rules if self._plan.rules[i].head.rel == rel]
        base = "(_r = -1" + (f" OR _r IN ({', '.join(map(str, facts_here))}))" if facts_here else ")")
        shift = self._relations.index(rel) << FACT_ID_BITS
        sourced = self._con.execute(f"SELECT typeof(_s) IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UBIGINT', 'UINTEGER') "
                                    f"FROM {table_name(rel)} LIMIT 1").fetchone()
        sourced = bool(sourced and sourced[0])
        unsourced = f"{_PREFIX}u_{rel}"
        if rel not in self._fact_tables:
            if sourced and self._con.execute(f"SELECT MIN(_s) < 0 OR MAX(_s) >= {_UNSOURCED} FROM {table_name(rel)} WHERE {base}").fetchone()[0]:
                raise EvaluationError(f"{rel}: integer _source values must lie in [0, 2**39) to serve as fact ids")
            rank = f"row_number() OVER (ORDER BY {cols})" if arity else "1"
            self._con.execute(
                f"CREATE OR REPLACE TEMP TABLE {unsourced} AS SELECT {cols}{sep}"
                f"CAST({shift + _UNSOURCED} + {rank} - 1 AS BIGINT) AS _fid, CAST(COALESCE(MAX(_p), 1.0) AS DOUBLE) AS _p, MIN(_s) AS _s "
                f"FROM {table_name(rel)} WHERE {base}{' AND _s IS NULL' if sourced else ''} {f'GROUP BY {cols}' if arity else ''}")
            self._fact_tables.add(rel)
        wanted = "" if rows is None else f" AND _fid IN ({', '.join(str(shift + r) for r in rows) or 'NULL'})"
        sql = f"SELECT {cols}{sep}_fid, _p, _s FROM {unsourced} WHERE TRUE{wanted}"
        if sourced:
            direct = "" if rows is None else f" AND _s IN ({', '.join(str(r) for r in rows if r < _UNSOURCED) or 'NULL'})"
            sql += (f" UNION ALL SELECT {cols}{sep}CAST({shift} + _s AS BIGINT) AS _fid, CAST(COALESCE(_p, 1.0) AS DOUBLE) AS _p, _s "
                    f"FROM {table_name(rel)} WHERE {base} AND _s IS NOT NULL{direct}")
        return sql

    def _prove_stratum(self, stratum: list[str], demand: dict[str, str | None], k: int, tables: list[str]) -> None:
        """``_nsp_pf_<rel>`` for each relation of the stratum; a recursive stratum iterates until no top-k set changes."""
        rules = self._rules(stratum)

        def candidates(rel: str) -> list[str]:
            return [self._base(rel, demand.get(rel))] + [self._rule_proofs(i, k) for i in rules if self._plan.rules[i].head.rel == rel]

        if not self._recursive(stratum):
            for rel in stratum:
                self._con.execute(f"CREATE OR REPLACE TEMP TABLE {_PREFIX}pf_{rel} AS {self._topk(rel, candidates(rel), k)}")
                tables.append(f"{_PREFIX}pf_{rel}")
            return
        for rel in stratum:
            self._con.execute(f"CREATE OR REPLACE TEMP TABLE {_PREFIX}pf_{rel} AS {self._topk(rel, candidates(rel)[:1], k)}")
            tables.append(f"{_PREFIX}pf_{rel}")
        for _ in range(_MAX_ROUNDS):
            changed = False
            for rel in stratum:
                old, new = f"{_PREFIX}pf_{rel}", f"{_PREFIX}new_{rel}"
                self._con.execute(f"CREATE OR REPLACE TEMP TABLE {new} AS {self._topk(rel, [f'SELECT * FROM {old}', *candidates(rel)[1:]], k)}")
                keys = ", ".join([*(f"c{i}" for i in range(len(self._plan.types[rel]))), "_f"])
                changed |= self._con.execute(f"SELECT EXISTS (SELECT {keys} FROM {new} EXCEPT SELECT {keys} FROM {old})").fetchone()[0]
                self._con.execute(f"DROP TABLE {old}")
                self._con.execute(f"ALTER TABLE {new} RENAME TO {old}")
            if not changed:
                return
        raise EvaluationError(f"proofs of {', '.join(stratum)} did not converge within {_MAX_ROUNDS} rounds")

    def _base(self, rel: str, demand: str | None) -> str:
        """SQL: each input fact as its own proof."""
        arity = len(self._plan.types[rel])
        cols = ", ".join(f"f.c{i}" for i in range(arity))
        fact = "{'i': f._fid, 'p': f._p}" if self._plan.prob else "f._fid"
        sql = (f"SELECT {cols}{', ' if arity else ''}[{fact}] AS _f, CAST([] AS INTEGER[]) AS _r, "
               f"CAST(1.0 AS DOUBLE) AS _n FROM ({self._facts_sql(rel)}) f")
        if demand:
            sql += f" SEMI JOIN {demand} d ON " + (" AND ".join(f"f.c{i} = d.c{i}" for i in range(arity)) or "TRUE")
        return sql

    def _proved(self, rel: str) -> str:
        """SQL: the proofs of ``rel`` computed so far; an input relation's facts are read directly."""
        if self._rules([rel]):
            return f"SELECT * FROM {_PREFIX}pf_{rel}"
        return self._base(rel, None)

    def _rule_proofs(self, index: int, k: int) -> str:
        """SQL: proofs through rule ``index``: its groundings joined with their atoms' proofs, k best per grounding."""
        rule = self._plan.rules[index]
        arity = rule.head.arity
        atoms = rule.positive_atoms()
        keep = ", ".join([*(f"h{i}" for i in range(arity)), *(f"a{j}_{c}" for j, a in enumerate(atoms) for c in range(a.arity))])
        sql = (f"SELECT {keep}{', ' if keep else ''}row_number() OVER () AS _gid, CAST([] AS {self._fact_type}[]) AS _f, "
               f"[{index}] AS _r, _n FROM {_PREFIX}g{index}")
        for j, atom in enumerate(atoms):
            on = " AND ".join(f"p.c{c} = s.a{j}_{c}" for c in range(atom.arity)) or "TRUE"
            cols = ", ".join(f"s.{c}" for c in [*(f"h{i}" for i in range(arity)),
                                                 *(f"a{jj}_{c}" for jj, a in enumerate(atoms) for c in range(a.arity)), "_gid"])
            step = (f"SELECT {cols}, list_sort(list_distinct(list_concat(s._f, p._f))) AS _f, "
                    f"list_sort(list_distinct(list_concat(s._r, p._r))) AS _r, s._n * p._n AS _n "
                    f"FROM ({sql}) s JOIN ({self._proved(atom.rel)}) p ON {on}")
            sql = f"SELECT * FROM ({step}) QUALIFY row_number() OVER (PARTITION BY _gid ORDER BY {self._prob} DESC, len(_f), _f, _r) <= {k}"
        heads = ", ".join(f"h{i} AS c{i}" for i in range(arity))
        return f"SELECT {heads}{', ' if heads else ''}_f, _r, _n, {self._prob} AS prob, 0 AS proof FROM ({sql})"

    def _topk(self, rel: str, candidates: list[str], k: int) -> str:
        """SQL: the k best distinct fact sets per tuple, ranked (``proof``) by probability, then fewest facts, then facts, then rules."""
        arity = len(self._plan.types[rel])
        cols = [f"c{i}" for i in range(arity)]
        union = " UNION ALL ".join(f"SELECT {', '.join([*cols, '_f', '_r', '_n'])} FROM ({c})" for c in candidates)
        key = ", ".join([*cols, "_f"])
        partition = f"PARTITION BY {', '.join(cols)} " if cols else ""
        if k == 1:  # the best proof needs no deduplication of equal fact sets
            return (f"SELECT *, 1 AS proof FROM (SELECT *, {self._prob} AS prob FROM ({union})) "
                    f"QUALIFY row_number() OVER ({partition}ORDER BY prob DESC, len(_f), _f, _r) = 1")
        distinct = f"SELECT {key}, first(_r ORDER BY _n DESC, _r) AS _r, max(_n) AS _n FROM ({union}) GROUP BY {key}"
        return (f"SELECT *, row_number() OVER ({partition}ORDER BY prob DESC, len(_f), _f, _r) AS proof FROM ("
                f"SELECT *, {self._prob} AS prob FROM ({distinct})) QUALIFY proof <= {k}")
