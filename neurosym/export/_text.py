"""Traces as indented text trees (``├─ └─``), plain text that ``rich`` prints as is (``markup=False``).

A prediction shows each reason's contribution to the logit (``Δlogit``), then how the logit splits (bias, residual
term and its share, reasons), the threshold and calibration context, what would change the risk and why-not reports.

Examples
--------
>>> from neurosym.trace import Check, FactLeaf, RuleApplication, SourceRef
>>> lab = FactLeaf('lab(a, "4548-4", 7.1, 2022-01-08)', "lab", source=SourceRef(dataset="ehr", table="labs", row=1, value=7.1, unit="%"))
>>> print(to_text(RuleApplication('dm(a)', "ada.a1c", cite="ADA 2025", bindings={"P": "a", "V": 7.1}, children=[lab, Check("7.1 >= 6.5")])))
dm(a)
└─ rule ada.a1c — ADA 2025  {P=a, V=7.1}
   ├─ lab(a, "4548-4", 7.1, 2022-01-08)  ⟵ ehr/labs row 1: 7.1 %
   └─ 7.1 >= 6.5  ✓
"""

from __future__ import annotations

from neurosym.export._summary import calibration_text, change_text, contribution_of, fmt, logit_line
from neurosym.trace import (Aggregate, Check, Elided, FactLeaf, Negation, NeuralLeaf, Node, OntologyLeaf, Prediction,
                            RuleApplication, SourceRef, WhyNot, fold)

__all__ = ["to_text"]


def to_text(trace: Node, *, unfold_helpers: bool = False, max_depth: int | None = None) -> str:
    """One line per node; a subproof shared by two branches is written out once and marked ``(shown above)`` after.

    Parameters
    ----------
    trace : Node
        A trace (e.g. from ``Model.explain``), a prediction or a why-not report.
    unfold_helpers : bool
        Show applications of ``@helper`` rules (folded away by default).
    max_depth : int, optional
        Elide rule applications deeper than this, keeping their evidence leaves.
    """
    if isinstance(trace, WhyNot):
        return _why_not(trace)
    root = fold(trace, helpers=not unfold_helpers, max_depth=max_depth)
    lines = [_label(root)]
    _below(root, lines, "", set())
    if isinstance(root, Prediction):
        lines.extend(_prediction_notes(root))
    return "\n".join(lines)


def _prediction_notes(prediction: Prediction) -> list[str]:
    lines = [text for text in (logit_line(prediction), calibration_text(prediction)) if text]
    if prediction.counterfactuals:
        lines.append("What would change the risk:")
        for cf in prediction.counterfactuals:
            below = " (below threshold)" if cf.below_threshold else ""
            lines.append(f"- {'; '.join(map(change_text, cf.changes))}: risk {cf.risk:.3g}{below}")
    for report in prediction.why_not:
        lines.append("Why not: " + _why_not(report))
    return lines


def _below(node: Node, lines: list[str], indent: str, seen: set[int]) -> None:
    seen.add(id(node))
    children = list(getattr(node, "children", ()))
    if isinstance(node, RuleApplication):
        lines.append(f"{indent}└─ {_rule_line(node)}")
        indent += "   "
    for k, child in enumerate(children):
        last = k == len(children) - 1
        repeated = id(child) in seen and bool(getattr(child, "children", ()))
        lines.append(f"{indent}{'└─' if last else '├─'} {_label(child)}{'  (shown above)' if repeated else ''}")
        if not repeated:
            _below(child, lines, indent + ("   " if last else "│  "), seen)


def _rule_line(node: RuleApplication) -> str:
    bindings = ", ".join(f"{k}={fmt(v)}" for k, v in node.bindings.items())
    return f"rule {node.rule_id}" + (f" — {node.cite}" if node.cite else "") + (f"  {{{bindings}}}" if bindings else "")


def _label(node: Node) -> str:
    contribution = contribution_of(node)
    return _plain_label(node) + ("" if contribution is None else f"  Δlogit {contribution:+.3g}")


def _plain_label(node: Node) -> str:
    if isinstance(node, RuleApplication):
        return node.atom + _prob(node.probability)
    if isinstance(node, FactLeaf):
        return node.atom + _prob(node.probability) + _source(node)
    if isinstance(node, OntologyLeaf):
        return node.atom + _prob(node.probability) + f"  ⟵ {node.text}"
    if isinstance(node, NeuralLeaf):
        window = f", window {fmt(node.window_start)}..{fmt(node.window_end)}" if node.window_start or node.window_end else ""
        top = sorted(node.attributions.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:3]
        attributions = ("; " + ", ".join(f"{k} {v:+.3g}" for k, v in top)) if top else ""
        return f"{node.atom}{_prob(node.probability)}  ⟵ model {node.model}{window}{attributions}"
    if isinstance(node, Negation):
        return f"not {node.atom}  ✓ absent" + _prob(node.probability)
    if isinstance(node, Check):
        return f"{node.text}  ✓"
    if isinstance(node, Aggregate):
        return node.text
    if isinstance(node, Elided):
        rules = f" (rules {', '.join(node.rule_ids)})" if node.rule_ids else ""
        return f"{node.atom}{_prob(node.probability)}  … subproof elided{rules}"
    if isinstance(node, Prediction):
        horizon = f" within {node.horizon_days} days" if node.horizon_days is not None else ""
        landmark = f" of {fmt(node.landmark)}" if node.landmark else ""
        version = f" (model {node.model_version})" if node.model_version else ""
        return f"risk of {node.target}{horizon}{landmark}: {node.risk:.3g}{version}"
    raise TypeError(f"not a trace node: {node!r}")


def _why_not(report: Node) -> str:
    """Each rule attempt, and under it why its failing literal does not hold in turn (indented)."""
    if not isinstance(report, WhyNot):
        return _label(report)
    if report.holds:
        return f"{report.atom} holds; use explain() for its proof"
    lines = [f"{report.atom} does not hold" + (f": {report.note}" if report.note else "")]
    for attempt in report.attempts:
        lines.append(f"- rule {attempt.rule_id}: {attempt.reason}")
        if attempt.failed_literal:
            lines.append(f"    fails at: {attempt.failed_literal}")
        for bindings in attempt.partial_bindings:
            lines.append("    closest: {" + ", ".join(f"{k}={fmt(v)}" for k, v in bindings.items()) + "}")
        for deeper in attempt.children:
            lines.extend("    " + line for line in _why_not(deeper).splitlines())
    return "\n".join(lines)


def _prob(p: float | None) -> str:
    return "" if p is None else f"  [p={p:.4g}]"


def _source(leaf: FactLeaf) -> str:
    s: SourceRef | None = leaf.source
    if s is None:
        return ""
    if s.text and not (s.dataset or s.table):
        return f"  ⟵ {s.text}"
    text = "/".join(p for p in (s.dataset, s.table) if p)
    if s.row is not None:
        text += f" row {s.row}"
    if s.id:
        text += f" (id {s.id})"
    if s.value is not None:
        text += f": {fmt(s.value)}" + (f" {s.unit}" if s.unit else "")
    return f"  ⟵ {text}"
