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
from dataclasses import dataclass

from neurosym._errors import ArityError, RuleError, SafetyError, StratificationError, UnknownRelationError
from neurosym.logic._ast import (Aggregate, Assignment, Atom, BinOp, Call, Comparison, Literal, Module, Negation, Rule, Span, Term,
                                  Var, term_vars)

__all__ = ["range_assignment", "aggregate_warnings", "check_module", "components", "dependency_graph", "strata", "bound_variables", "body_atoms"]


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


def range_assignment(lit: Literal) -> tuple[Var, Call] | None:
    """``(V, range(...))`` when ``lit`` is Soufflé's generator ``V = range(from, to[, step])``, else ``None``."""
    if isinstance(lit, Comparison) and lit.op == "=":
        for target, source in ((lit.left, lit.right), (lit.right, lit.left)):
            if isinstance(target, Var) and isinstance(source, Call) and source.func == "range":
                return target, source
    return None


def _generator_errors(module: Module, rule: Rule) -> list[RuleError]:
    """``range(...)`` generates values: it may only be the whole side of an assignment ``V = range(...)``."""
    terms: list[Term] = list(rule.head.args)
    pending: list[Literal] = list(rule.body)
    while pending:
        lit = pending.pop()
        if isinstance(lit, Assignment):
            pending += lit.aggregate.body
            terms += [lit.aggregate.expr] if lit.aggregate.expr is not None else []
        elif isinstance(lit, (Atom, Negation)):
            terms += (lit.atom if isinstance(lit, Negation) else lit).args
        elif isinstance(lit, Comparison):
            generator = range_assignment(lit)
            terms += list(generator[1].args) if generator is not None else [lit.left, lit.right]
    return [_err(SafetyError, f"{call} generates values: write V = {call} as a body literal", module, rule, call.span)
            for call in _calls(terms, "range")]


def _calls(terms: list[Term], func: str) -> list[Call]:
    out: list[Call] = []
    while terms:
        term = terms.pop()
        if isinstance(term, Call):
            out += [term] if term.func == func else []
            terms += term.args
        elif isinstance(term, BinOp):
            terms += [term.left, term.right]
    return out


def _aggregate_safety(module: Module, rule: Rule, agg: Aggregate, outer: set[str]) -> list[RuleError]:
    errors = _body_safety(module, rule, list(agg.body), outer)
    inner = bound_variables(agg.body, outer)
    if agg.expr is not None:
        for v in term_vars(agg.expr):
            if v.name not in inner:
                errors.append(_err(SafetyError, f"variable {v} of the {agg.func} expression is not bound in the aggregate body", module, rule, v.span))
    return errors


@dataclass(frozen=True)
class Dependency:
    """How a head relation uses a body relation (``pos``, ``neg`` or ``agg``), with the first rule and atom doing so."""

    how: str
    rule: Rule
    atom: Atom


#: head relation -> body relation -> how it is used; every relation a node, in the order the rules mention them.
Graph = dict[str, dict[str, Dependency]]


def dependency_graph(module: Module) -> Graph:
    """Edges head -> body relation, labelled ``pos``/``neg``/``agg`` (a negative use wins over a positive one).

    >>> from neurosym.logic._parser import parse
    >>> {h: {b: d.how for b, d in out.items()} for h, out in dependency_graph(parse("p(X) :- q(X), not r(X).")).items()}
    {'p': {'q': 'pos', 'r': 'neg'}, 'q': {}, 'r': {}}
    """
    graph: Graph = {}
    for rule in module.rules:
        uses = graph.setdefault(rule.head.rel, {})
        for atom, how in body_atoms(rule.body):
            graph.setdefault(atom.rel, {})
            seen = uses.get(atom.rel)
            if seen is None or (seen.how == "pos" and how != "pos"):
                uses[atom.rel] = Dependency(how, rule, atom)
    return graph


def components(graph: Graph) -> list[list[str]]:
    """Strongly connected components (Tarjan), each listed after every component it reaches: evaluation order.

    >>> components({"a": {"b": None}, "b": {"a": None, "c": None}, "c": {}})
    [['c'], ['b', 'a']]
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = [stack.pop()]
                    while component[-1] != node:
                        component.append(stack.pop())
                    on_stack.difference_update(component)
                    out.append(component)
    return out


def _path(graph: Graph, within: set[str], start: str, goal: str) -> list[str]:
    """A shortest path ``start .. goal`` inside one component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier and goal not in previous and start != goal:
        following = []
        for node in frontier:
            for nxt in graph[node]:
                if nxt in within and nxt not in previous and nxt != start:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    path = [goal]
    while path[-1] != start:
        path.append(previous[path[-1]])
    return path[::-1]


def _stratification_errors(module: Module, graph: Graph) -> list[RuleError]:
    errors: list[RuleError] = []
    for component in components(graph):
        members = set(component)
        for head in component:
            for body, dep in graph[head].items():
                if body not in members or dep.how == "pos":
                    continue
                back = _path(graph, members, body, head)
                word = "negation" if dep.how == "neg" else "aggregation"
                cycle = f"{head} -> {'not ' if dep.how == 'neg' else 'aggregate over '}{body}"
                if len(back) > 1:
                    cycle += " -> " + " -> ".join(back[1:])
                errors.append(_err(StratificationError, f"{word} through recursion: {cycle}; such a program has no stratified meaning",
                                   module, dep.rule, dep.atom.span))
    return errors


def strata(module: Module) -> list[list[str]]:
    """Relations defined by rules, grouped into strata in evaluation order (each an SCC)."""
    heads = {r.head.rel for r in module.rules if not r.is_fact}
    return [sorted(m for m in component if m in heads) for component in components(dependency_graph(module))
            if any(m in heads for m in component)]


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
        errors += _safety_errors(module, rule) + _generator_errors(module, rule)
    errors += _stratification_errors(module, dependency_graph(module))
    unique = {(type(e), e.path, e.line, e.col, e.message): e for e in errors}
    return sorted(unique.values(), key=lambda e: (e.path, e.line or 0, e.col or 0))
