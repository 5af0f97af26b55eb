"""Proof trees and why-not reports: JSON for services, indented text for terminals.

Examples
--------
>>> leaf = ProofNode("fact", 'edge(1, 2)', source={"text": "edges.facts line 1"})
>>> root = ProofNode("rule", "path(1, 2)", rule_id="tc.base", bindings={"X": 1, "Y": 2}, children=[leaf])
>>> print(root.render_text())
path(1, 2)
└─ rule tc.base  {X=1, Y=2}
   └─ edge(1, 2)  ⟵ edges.facts line 1
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ProofNode", "WhyNot", "RuleAttempt"]


def _fmt_prob(p: float | None) -> str:
    return "" if p is None else f"  [p={p:.4g}]"


def _fmt_source(source: dict[str, Any] | None) -> str:
    if not source:
        return ""
    if "text" in source:
        return f"  ⟵ {source['text']}"
    parts = [str(source.get("source_dataset") or ""), str(source.get("source_table") or "")]
    text = "/".join(p for p in parts if p)
    if source.get("source_row") is not None:
        text += f" row {source['source_row']}"
    if source.get("source_id"):
        text += f" (id {source['source_id']})"
    return f"  ⟵ {text}"


@dataclass
class ProofNode:
    """One node of a proof tree.

    ``kind`` is ``rule`` (a derived atom: rule id, citation, variable
    bindings, children = body literals), ``fact`` (an input fact with its
    source pointer), ``negation`` (an atom checked absent), ``comparison``
    (a built-in test with its values), ``aggregate`` (an aggregate value and
    the facts it was computed from) or ``elided`` (deeper than ``max_depth``,
    like Soufflé's ``subproof``).
    """

    kind: str
    atom: str
    rule_id: str | None = None
    cite: str | None = None
    doc: str | None = None
    bindings: dict[str, Any] = field(default_factory=dict)
    probability: float | None = None
    height: int | None = None
    source: dict[str, Any] | None = None
    children: list["ProofNode"] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; empty fields are left out."""
        out: dict[str, Any] = {"kind": self.kind, "atom": self.atom}
        for key in ("rule_id", "cite", "doc", "probability", "height", "source"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.bindings:
            out["bindings"] = self.bindings
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=str)

    def walk(self):
        """Yield this node and every descendant, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> list["ProofNode"]:
        """The input facts the proof rests on."""
        return [n for n in self.walk() if n.kind == "fact"]

    def render_text(self) -> str:
        """Indented tree text, one line per node."""
        lines = [self.atom + _fmt_prob(self.probability) + (_fmt_source(self.source) if self.kind == "fact" else "")]
        self._render_children(lines, "")
        return "\n".join(lines)

    def _label(self) -> str:
        if self.kind == "rule":
            return self.atom + _fmt_prob(self.probability)
        if self.kind == "fact":
            return self.atom + _fmt_prob(self.probability) + _fmt_source(self.source)
        if self.kind == "negation":
            return f"not {self.atom}  ✓ absent" + _fmt_prob(self.probability)
        if self.kind == "comparison":
            return f"{self.atom}  ✓"
        if self.kind == "aggregate":
            return self.atom
        return f"{self.atom}  … (subproof elided)"

    def _render_children(self, lines: list[str], indent: str) -> None:
        if self.kind == "rule" and self.rule_id is not None and self.children is not None:
            bindings = ", ".join(f"{k}={v}" for k, v in self.bindings.items())
            head = f"rule {self.rule_id}" + (f" — {self.cite}" if self.cite else "") + (f"  {{{bindings}}}" if bindings else "")
            lines.append(f"{indent}└─ {head}")
            self._render_list(lines, indent + "   ", self.children)
        elif self.children:
            self._render_list(lines, indent, self.children)

    @staticmethod
    def _render_list(lines: list[str], indent: str, children: list["ProofNode"]) -> None:
        for k, child in enumerate(children):
            last = k == len(children) - 1
            lines.append(f"{indent}{'└─' if last else '├─'} {child._label()}")
            inner = indent + ("   " if last else "│  ")
            if child.kind == "rule":
                child._render_children(lines, inner)
            elif child.children:
                ProofNode._render_list(lines, inner, child.children)


@dataclass
class RuleAttempt:
    """Why one rule did not derive the atom: the first failing body literal and the closest bindings."""

    rule_id: str
    rule: str
    failed_literal: str | None
    reason: str
    partial_bindings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "rule": self.rule, "failed_literal": self.failed_literal,
                "reason": self.reason, "partial_bindings": self.partial_bindings}


@dataclass
class WhyNot:
    """Why an atom does not hold: one :class:`RuleAttempt` per rule that could derive it."""

    atom: str
    holds: bool
    attempts: list[RuleAttempt] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"atom": self.atom, "holds": self.holds, "note": self.note, "attempts": [a.to_dict() for a in self.attempts]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=str)

    def render_text(self) -> str:
        if self.holds:
            return f"{self.atom} holds; use explain() for its proof"
        lines = [f"{self.atom} does not hold" + (f": {self.note}" if self.note else "")]
        for a in self.attempts:
            lines.append(f"- rule {a.rule_id}: {a.reason}")
            if a.failed_literal:
                lines.append(f"    fails at: {a.failed_literal}")
            for b in a.partial_bindings:
                lines.append("    closest: {" + ", ".join(f"{k}={v}" for k, v in b.items()) + "}")
        return "\n".join(lines)
