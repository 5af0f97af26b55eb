"""Checks before evaluation: arity, undefined relations, safety and stratification.

Each check returns a list of :class:`~neurosym.RuleError` located at the
offending token, so ``neurosym rules check`` can print all of them at once.

Examples
--------
>>> from neurosym.logic._parser import parse
>>> errs = check_module(parse("h(X, Y) :- a(X)."), known={"a": 1})
>>> print(errs[0])
<text>:1:6: variable Y in the head is not bound by a positive body atom (rule <text>:1:1)
    h(X, Y) :- a(X).
         ^
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

import networkx as nx

from neurosym._errors import ArityError, RuleError, SafetyError, StratificationError, UnknownRelationError
from neurosym.logic._ast import Aggregate, Assignment, Atom, Comparison, Literal, Module, Negation, Rule, Span, Var, term_vars

__all__ = ["aggregate_warnings", "check_module", "dependency_graph", "strata", "bound_variables", "body_atoms"]


def _err(cls: type[RuleError], message: str, module: Module, rule: Rule | None, span: Span, **extra) -> RuleError:
    path = rule.path if rule else "<text>"
    lines = module.sources.get(path, [])
    src = lines[span.line - 1] if 0 < span.line <= len(lines) else None
    return cls(message, path=path, line=span.line or None, col=span.col or None, source_line=src,
               rule_id=rule.id if rule else None, **extra)


def body_atoms(literals: Iterable[Literal], inside: str = "pos") -> Iterable[tuple[Atom, str]]:
    """Every atom in a body with how it is used: ``pos``, ``neg`` or ``agg`` (inside an aggregate)."""
    for lit in literals:
        if isinstance(lit, Atom):
            yield lit, inside
        elif isinstance(lit, Negation):
            yield lit.atom, "neg" if inside == "pos" else inside
        elif isinstance(lit, Assignment):
            yield from body_atoms(lit.aggregate.body, "agg")


def _arity_errors(module: Module, known: Mapping[str, int]) -> list[RuleError]:
    errors: list[RuleError] = []
    arity: dict[str, tuple[int, str]] = {rel: (n, "the input facts") for rel, n in known.items()}
    for decl in module.decls:
        if decl.rel in arity and arity[decl.rel][0] != decl.arity:
            errors.append(_err(ArityError, f"relation {decl.rel} declared with {decl.arity} columns but used with {arity[decl.rel][0]} in {arity[decl.rel][1]}", module, None, decl.span))
        arity.setdefault(decl.rel, (decl.arity, f"its .decl at {decl.path}:{decl.span.line}"))
    for rule in module.rules:
        for atom in [rule.head, *(a for a, _ in body_atoms(rule.body))]:
            seen = arity.get(atom.rel)
            if seen is None:
                arity[atom.rel] = (atom.arity, f"{rule.path}:{atom.span.line}")
            elif seen[0] != atom.arity:
                errors.append(_err(ArityError, f"relation {atom.rel} used with {atom.arity} arguments here but {seen[0]} in {seen[1]}", module, rule, atom.span))
    return errors


def _undefined_errors(module: Module, known: Mapping[str, int]) -> list[RuleError]:
    defined = set(known) | {d.rel for d in module.decls} | {r.head.rel for r in module.rules}
    errors: list[RuleError] = []
    for rule in module.rules:
        for atom, _ in body_atoms(rule.body):
            if atom.rel not in defined:
                close = difflib.get_close_matches(atom.rel, sorted(defined), n=1)
                hint = f"; did you mean {close[0]}?" if close else "; define it with a rule, a fact, a .decl or input facts"
                errors.append(_err(UnknownRelationError, f"unknown relation {atom.rel}{hint}", module, rule, atom.span, name=atom.rel))
    return errors


def bound_variables(literals: Iterable[Literal], outer: set[str] = frozenset()) -> set[str]:
    """Variables bound by positive atoms, then by ``V = expr`` and aggregate assignments, to a fixpoint."""
    literals = list(literals)
    bound = set(outer) | {v.name for lit in literals if isinstance(lit, Atom) for v in lit.vars()}
    changed = True
    while changed:
        changed = False
        for lit in literals:
            if isinstance(lit, Assignment) and lit.var.name not in bound:
                bound.add(lit.var.name)
                changed = True
            elif isinstance(lit, Comparison) and lit.op == "=":
                for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
                    if isinstance(target, Var) and target.name not in bound and all(v.name in bound for v in term_vars(source)):
                        bound.add(target.name)
                        changed = True
    return bound


def _safety_errors(module: Module, rule: Rule) -> list[RuleError]:
    errors: list[RuleError] = []
    if rule.is_fact:
        for v in rule.head.vars():
            errors.append(_err(SafetyError, f"fact has a variable {v}; facts must be ground", module, rule, v.span))
        return errors
    errors += _body_safety(module, rule, list(rule.body), set())
    bound = bound_variables(rule.body)
    for v in rule.head.vars():
        if v.anonymous:
            errors.append(_err(SafetyError, "'_' cannot appear in a rule head", module, rule, v.span))
        elif v.name not in bound:
            errors.append(_err(SafetyError, f"variable {v} in the head is not bound by a positive body atom", module, rule, v.span))
    return errors


def _body_safety(module: Module, rule: Rule, literals: list[Literal], outer: set[str]) -> list[RuleError]:
    errors: list[RuleError] = []
    bound = bound_variables(literals, outer)
    for lit in literals:
        if isinstance(lit, Negation):
            for v in lit.atom.vars():
                if not v.anonymous and v.name not in bound:
                    errors.append(_err(SafetyError, f"variable {v} in 'not {lit.atom}' is not bound by a positive body atom", module, rule, v.span))
        elif isinstance(lit, Comparison):
            unbound = [v for v in term_vars(lit.left) + term_vars(lit.right) if v.name not in bound]
            for v in unbound:
                what = "an assignment whose other side is not bound" if lit.op == "=" else f"comparison '{lit}'"
                errors.append(_err(SafetyError, f"variable {v} in {what} is not bound by a positive body atom", module, rule, v.span))
            for v in unbound:
                if v.anonymous:
                    errors.append(_err(SafetyError, "'_' cannot appear in a comparison", module, rule, v.span))
        elif isinstance(lit, Assignment):
            errors += _aggregate_safety(module, rule, lit.aggregate, bound - {lit.var.name})
    return errors


def _aggregate_safety(module: Module, rule: Rule, agg: Aggregate, outer: set[str]) -> list[RuleError]:
    if not any(isinstance(lit, Atom) for lit in agg.body):
        return [_err(SafetyError, f"aggregate '{agg}' needs at least one positive atom in its body", module, rule, agg.span)]
    errors = _body_safety(module, rule, list(agg.body), outer)
    inner = bound_variables(agg.body, outer)
    if agg.expr is not None:
        for v in term_vars(agg.expr):
            if v.name not in inner:
                errors.append(_err(SafetyError, f"variable {v} of the {agg.func} expression is not bound in the aggregate body", module, rule, v.span))
    return errors


def dependency_graph(module: Module) -> nx.DiGraph:
    """Edges head -> body relation, labelled ``pos``/``neg``/``agg`` with the first rule and atom using them."""
    graph = nx.DiGraph()
    for rule in module.rules:
        graph.add_node(rule.head.rel)
        for atom, how in body_atoms(rule.body):
            data = graph.get_edge_data(rule.head.rel, atom.rel)
            if data is None or (data["how"] == "pos" and how != "pos"):
                graph.add_edge(rule.head.rel, atom.rel, how=how, rule=rule, atom=atom)
    return graph


def _stratification_errors(module: Module, graph: nx.DiGraph) -> list[RuleError]:
    errors: list[RuleError] = []
    for scc in nx.strongly_connected_components(graph):
        for head, body in graph.subgraph(scc).edges:
            data = graph.edges[head, body]
            if data["how"] == "pos":
                continue
            back = nx.shortest_path(graph.subgraph(scc), body, head)
            word = "negation" if data["how"] == "neg" else "aggregation"
            cycle = f"{head} -> {'not ' if data['how'] == 'neg' else 'aggregate over '}{body}"
            if len(back) > 1:
                cycle += " -> " + " -> ".join(back[1:])
            errors.append(_err(StratificationError, f"{word} through recursion: {cycle}; such a program has no stratified meaning", module, data["rule"], data["atom"].span))
    return errors


def strata(module: Module) -> list[list[str]]:
    """Relations defined by rules, grouped into strata in evaluation order (each an SCC)."""
    graph = dependency_graph(module)
    heads = {r.head.rel for r in module.rules if not r.is_fact}
    cond = nx.condensation(graph)
    order = list(reversed(list(nx.topological_sort(cond))))
    result = []
    for node in order:
        members = sorted(m for m in cond.nodes[node]["members"] if m in heads)
        if members:
            result.append(members)
    return result


def _collision_errors(module: Module) -> list[RuleError]:
    """Two relation names that SQL would confuse (``pP`` is stored as ``pp__u2``; a relation may not be named that)."""
    from neurosym.logic._sql import sql_name  # _sql imports this module

    first: dict[str, tuple[str, Rule | None, Span]] = {}
    errors: list[RuleError] = []
    places = [(d.rel, None, d.span) for d in module.decls]
    places += [(atom.rel, rule, atom.span) for rule in module.rules for atom in [rule.head, *(a for a, _ in body_atoms(rule.body))]]
    for rel, rule, span in places:
        seen = first.setdefault(sql_name(rel), (rel, rule, span))
        if seen[0] != rel:
            errors.append(_err(RuleError, f"relation names {seen[0]} and {rel} are stored under the same SQL name; rename one",
                               module, rule, span))
            first[sql_name(rel)] = (rel, rule, span)
    return errors


def aggregate_warnings(module: Module) -> list[RuleError]:
    """Lint (warnings, never raised): ``count``/``sum``/``mean`` aggregates whose body has no per-record key.

    Relations are sets, so two body tuples that agree on every column are one tuple and
    equal readings collapse (150, 150, 120 average 135).  A body has a per-record key when
    one of its atoms has a variable (named or ``_``) that is neither bound outside the
    aggregate nor part of the aggregated expression, e.g. a record column ``R``.

    Examples
    --------
    >>> from neurosym.logic._parser import parse
    >>> [w.message for w in aggregate_warnings(parse("m(P, V) :- r(P, _), V = mean X : r(P, X)."))]
    ['warning: mean X : r(P, X) has no per-record key: equal values in its body collapse into one tuple (set semantics); add a record column such as r(P, X, R)']
    """
    warnings: list[RuleError] = []
    for rule in module.rules:
        outer = bound_variables([lit for lit in rule.body if not isinstance(lit, Assignment)])
        for lit in rule.body:
            if not isinstance(lit, Assignment) or lit.aggregate.func not in ("count", "sum", "mean"):
                continue
            agg = lit.aggregate
            value = {v.name for v in term_vars(agg.expr)} if agg.expr is not None else set()
            atoms = [a for a, _ in body_atoms(agg.body)]
            if not {v.name for a in atoms for v in a.vars()} - outer - value:
                example = f"{atoms[0].rel}({', '.join(str(a) for a in atoms[0].args)}, R)" if atoms else "a record column"
                warnings.append(_err(RuleError, f"warning: {agg} has no per-record key: equal values in its body collapse "
                                     f"into one tuple (set semantics); add a record column such as {example}", module, rule, agg.span))
    return warnings


def check_module(module: Module, known: Mapping[str, int] | None = None) -> list[RuleError]:
    """Every arity, undefined-relation, safety and stratification error, in source order.

    ``known`` maps relations provided as input facts to their arity.
    """
    known = dict(known or {})
    errors = _arity_errors(module, known) + _undefined_errors(module, known) + _collision_errors(module)
    for rule in module.rules:
        errors += _safety_errors(module, rule)
    errors += _stratification_errors(module, dependency_graph(module))
    unique = {(type(e), e.path, e.line, e.col, e.message): e for e in errors}
    return sorted(unique.values(), key=lambda e: (e.path, e.line or 0, e.col or 0))
