"""One error tree for the whole library.

Every error raised on purpose by neurosym derives from :class:`NeurosymError`,
so services can catch one class.  Messages say what came in, where, and what
to do about it.

Examples
--------
>>> from neurosym import NeurosymError, RuleSyntaxError
>>> err = RuleSyntaxError("expected '.'", path="r.dl", line=3, col=7)
>>> isinstance(err, NeurosymError), err.line
(True, 3)
"""

from __future__ import annotations

__all__ = [
    "NeurosymError",
    "RuleError",
    "RuleSyntaxError",
    "SafetyError",
    "ArityError",
    "StratificationError",
    "UnknownRelationError",
    "EvaluationError",
    "DataLoadError",
    "OntologyError",
    "NotFittedError",
    "InputError",
    "UnknownIdError",
    "ResourceNotFoundError",
    "TraceError",
]


class NeurosymError(Exception):
    """Root of every error neurosym raises on purpose."""


class RuleError(NeurosymError):
    """A problem in rule text, located by file, line and column.

    ``str(err)`` gives ``path:line:col: message`` followed by the offending
    source line and a caret under the column, like a compiler.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        col: int | None = None,
        source_line: str | None = None,
        rule_id: str | None = None,
    ) -> None:
        self.message = message
        self.path = path or "<text>"
        self.line = line
        self.col = col
        self.source_line = source_line
        self.rule_id = rule_id
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        text = f"{where}: {self.message}"
        if self.rule_id:
            text += f" (rule {self.rule_id})"
        if self.source_line is not None:
            text += "\n    " + self.source_line.rstrip("\n")
            if self.col is not None:
                text += "\n    " + " " * max(self.col - 1, 0) + "^"
        return text


class RuleSyntaxError(RuleError):
    """Rule text that does not parse."""


class SafetyError(RuleError):
    """A variable is not bound by a positive body atom (head, negation, comparison)."""


class ArityError(RuleError):
    """One relation used with different numbers of arguments."""


class StratificationError(RuleError):
    """Negation or aggregation through recursion; the message names the cycle."""


class UnknownRelationError(RuleError):
    """A body relation that no rule defines and no fact provides."""

    def __init__(self, message: str, *, name: str = "", **kwargs) -> None:
        self.name = name
        super().__init__(message, **kwargs)


class EvaluationError(NeurosymError):
    """Evaluation could not finish: bad facts, a limit reached, an engine failure."""


class DataLoadError(NeurosymError):
    """A data source that cannot be read at all (missing file, wrong format).

    Single malformed records are not errors: loaders count them in the
    :class:`~neurosym.data.LoadReport` with a reason.
    """

    def __init__(self, message: str, *, source: str | None = None, record: str | None = None) -> None:
        self.source = source
        self.record = record
        where = f"{source}: " if source else ""
        what = f" (record {record})" if record else ""
        super().__init__(f"{where}{message}{what}")


class OntologyError(NeurosymError):
    """An unknown ontology, class or code, or an inconsistent ontology."""

    def __init__(self, message: str, *, iri: str | None = None) -> None:
        self.iri = iri
        super().__init__(message)


class NotFittedError(NeurosymError, ValueError, AttributeError):
    """A model used before ``fit``; also a ValueError and AttributeError, as in scikit-learn."""


class InputError(NeurosymError, ValueError):
    """An argument, setting, unit or input frame that is not valid; also a ValueError.

    Examples
    --------
    >>> err = InputError("k must be >= 1, got 0")
    >>> isinstance(err, ValueError), str(err)
    (True, 'k must be >= 1, got 0')
    """


class UnknownIdError(NeurosymError, KeyError):
    """An id that names nothing (a patient, a rule); also a KeyError, shown without KeyError's quotes.

    Examples
    --------
    >>> str(UnknownIdError("no patient 'x' in demo"))
    "no patient 'x' in demo"
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ResourceNotFoundError(NeurosymError, FileNotFoundError):
    """A shipped resource (rule library, ontologies) that is not where neurosym looks; also a FileNotFoundError."""


class TraceError(NeurosymError):
    """A trace that breaks an invariant of the Trace model (e.g. contributions that do not add up to the logit)."""
