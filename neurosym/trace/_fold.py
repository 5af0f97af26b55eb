"""Fold a trace for reading: helper rules away, deep structure elided, evidence always kept.

Examples
--------
>>> from neurosym.trace import Check, FactLeaf, RuleApplication
>>> day = FactLeaf("index_day(p1, 2024-01-01)", "index_day")
>>> year = RuleApplication("calendar_year(2024-01-01, 2024)", "cal", helper=True, children=[day, Check("Y = 2024")])
>>> age = RuleApplication("age(p1, 50)", "age", children=[FactLeaf("patient(p1, 1974)", "patient"), year])
>>> [n.atom for n in fold(age).children]
['patient(p1, 1974)', 'index_day(p1, 2024-01-01)']
>>> top = fold(RuleApplication("adult(p1)", "adult", children=[age]), max_depth=0).children[0]
>>> top.kind, top.rule_ids, [n.atom for n in top.children]
('elided', ['age', 'cal'], ['patient(p1, 1974)', 'index_day(p1, 2024-01-01)'])
"""

from __future__ import annotations

from dataclasses import replace

from neurosym.trace._nodes import (Aggregate, Elided, FactLeaf, NeuralLeaf, Node, OntologyLeaf, Prediction, RuleApplication,
                                   children_of)

__all__ = ["fold"]

_EVIDENCE = (FactLeaf, OntologyLeaf, NeuralLeaf)


def fold(root: Node, *, helpers: bool = True, max_depth: int | None = None) -> Node:
    """A copy of the trace for reading; the input is not changed.

    Parameters
    ----------
    root : Node
    helpers : bool
        Replace each application of a ``@helper`` rule (not the root) by the
        evidence and non-helper rule applications below it; its own checks
        (calendar arithmetic, ...) disappear.
    max_depth : int, optional
        Rule applications more than ``max_depth`` levels below the root become
        :class:`Elided` nodes that name the rules left out and keep every
        evidence leaf (fact, ontology path, neural predicate) they rested on.
    """
    memo: dict[tuple[int, int | None], list[Node]] = {}
    heights: dict[int, int] = {}

    def height(node: Node) -> int:
        """Levels below ``node``; a node whose whole subtree fits above the limit folds the same at any depth."""
        if id(node) not in heights:
            heights[id(node)] = max((1 + height(c) for c in children_of(node)), default=0)
        return heights[id(node)]

    def expand(node: Node, depth: int, top: bool = False) -> list[Node]:
        key = (id(node), None if max_depth is None or depth + height(node) <= max_depth else depth)
        if key in memo:
            return memo[key]
        if isinstance(node, RuleApplication):
            if max_depth is not None and depth > max_depth:
                out: list[Node] = [Elided(node.atom, sorted({n.rule_id for n in node.walk() if isinstance(n, RuleApplication)}),
                                          node.probability, _unique([n for n in node.walk() if isinstance(n, _EVIDENCE)]),
                                          node.contribution)]
            elif helpers and node.helper and not top:
                out = _unique([x for child in node.children if isinstance(child, (RuleApplication, *_EVIDENCE))
                               for x in expand(child, depth)])
            else:
                out = [replace(node, children=_unique([x for child in node.children for x in expand(child, depth + 1)]))]
        elif isinstance(node, (Aggregate, Prediction)):
            out = [replace(node, children=_unique([x for child in node.children for x in expand(child, depth + 1)]))]
        else:
            out = [node]
        memo[key] = out
        return out

    return expand(root, 0, top=True)[0]


def _unique(nodes: list[Node]) -> list[Node]:
    """Each node once, in order (a folded helper may lift a leaf its parent already shows)."""
    seen: set[int] = set()
    return [n for n in nodes if not (id(n) in seen or seen.add(id(n)))]
