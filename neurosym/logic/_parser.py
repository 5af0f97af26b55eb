"""Recursive-descent parser of the rule language (grammar in ``docs/rule-language.md``).

The parser recovers after a syntax error (it skips to the next ``.``), so a
file with several mistakes reports all of them.  Nothing is ever evaluated.

Examples
--------
>>> m = parse('@id("r1") @cite("ADA 2025 §2") d(P) :- lab(P, "4548-4", V, _), V >= 6.5.')
>>> m.rules[0].id, m.rules[0].cite, str(m.rules[0].body[1])
('r1', 'ADA 2025 §2', 'V >= 6.5')
"""

from __future__ import annotations

from neurosym._errors import RuleSyntaxError
from neurosym.logic._ast import (
    AGGREGATES,
    COMPARISONS,
    FUNCTIONS,
    PREDICATES,
    Aggregate,
    Assignment,
    Atom,
    BinOp,
    Call,
    Comparison,
    Const,
    Decl,
    Literal,
    Module,
    Negation,
    Rule,
    Span,
    Term,
    Var,
)
from neurosym.logic._lexer import OPERATOR_WORDS, Token, souffle_dialect, tokenize
from neurosym.logic._preprocess import has_directives, preprocess

__all__ = ["parse", "parse_atom", "ParseErrors", "MAX_DEPTH"]

#: Deepest nesting of expressions and aggregates accepted.
MAX_DEPTH = 100

_TYPES = {"symbol": "symbol", "string": "symbol", "number": "number", "int": "number", "float": "float", "unsigned": "number"}
#: Soufflé's own primitive types (the others in ``_TYPES`` are this parser's shorthands, which a .type may redefine).
_SOUFFLE_TYPES = ("symbol", "number", "unsigned", "float")
#: Soufflé's relation qualifiers that change nothing here (storage and planning hints).
_QUALIFIERS = ("btree", "brie", "inline", "no_inline", "magic", "no_magic", "overridable", "btree_delete")
_ANNOTATIONS = ("id", "cite", "doc", "helper")


class ParseErrors(RuleSyntaxError):
    """Several syntax errors at once; ``errors`` lists them, the message shows the first.

    ``module`` holds the statements that did parse, so later checks can still run on them.
    """

    def __init__(self, errors: list[RuleSyntaxError], module: Module | None = None) -> None:
        self.errors = errors
        self.module = module or Module()
        first = errors[0]
        super().__init__(first.message, path=first.path, line=first.line, col=first.col, source_line=first.source_line)


#: The comparison that holds exactly when another does not.
_COMPLEMENT = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
               "match": "!match", "!match": "match", "contains": "!contains", "!contains": "contains"}

#: Binary operators above ``* / %`` and their precedence (higher binds tighter), as in Soufflé.
_PRECEDENCE = {"lor": 0, "lxor": 1, "land": 2, "bor": 3, "bxor": 4, "band": 5, "bshl": 6, "bshr": 6, "+": 7, "-": 7}


class _Parser:
    def __init__(self, text: str, path: str, dialect: str = "auto") -> None:
        self.path = path
        self.dialect = "souffle" if souffle_dialect(text, dialect) else "plain"
        pre = preprocess(text, path) if self.dialect == "souffle" and has_directives(text) else None
        self.origin = pre.origin if pre is not None else None  # line of the preprocessed text -> (file, line)
        self.sources = pre.sources if pre is not None else {path: text.split("\n")}
        try:
            self.tokens = tokenize(pre.text if pre is not None else text, path, dialect)
        except RuleSyntaxError as err:
            if err.line is None:
                raise
            raise self.error(err.message, Token("punct", "", err.line, err.col or 1)) from None
        self.i = 0
        self.depth = 0
        self.anon = 0
        self.fresh = 0
        self.types = dict(_TYPES)  # with Soufflé's .type aliases and unions, once resolved
        self.type_defs: dict[str, list[Token]] = {}  # .type T = A | B: the members, resolved when a .decl needs them
        self.declared: list[tuple[list[Token], list[tuple[Token, Token]], Token, tuple[tuple[str, ...], ...]]] = []  # .decl: names, columns, keyword, keys
        self.pending: list[Literal] = []  # assignments of aggregates written inside expressions, for the enclosing body
        self.eqrels: list[tuple[str, Span]] = []  # relations declared eqrel, with the qualifier's position
        self.inputs: dict[str, dict[str, str]] = {}
        self.outputs: dict[str, dict[str, str]] = {}

    # -- token helpers -------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def at(self, value: str) -> bool:
        return self.tok.kind in ("punct", "ident", "directive") and self.tok.value == value

    def advance(self) -> Token:
        tok = self.tok
        if tok.kind != "eof":
            self.i += 1
        return tok

    def error(self, message: str, tok: Token | None = None) -> RuleSyntaxError:
        tok = tok or self.tok
        path, line = self.where(tok)
        lines = self.sources.get(path, [])
        src = lines[line - 1] if 0 < line <= len(lines) else None
        return RuleSyntaxError(message, path=path, line=line, col=tok.col, source_line=src)

    def where(self, tok: Token) -> tuple[str, int]:
        """The file and line a token was written on (``#include`` and ``#define`` moved it in the text parsed)."""
        if self.origin is None or not 0 < tok.line <= len(self.origin):
            return self.path, tok.line
        return self.origin[tok.line - 1]

    def expect(self, value: str, what: str | None = None) -> Token:
        if not self.at(value):
            raise self.error(f"expected {what or repr(value)}, found {_describe(self.tok)}")
        return self.advance()

    def span(self, tok: Token | None = None) -> Span:
        tok = tok or self.tok
        path, line = self.where(tok)
        return Span(line, tok.col, path)

    # -- statements ----------------------------------------------------
    def module(self) -> Module:
        module = Module(sources=dict(self.sources))
        errors: list[RuleSyntaxError] = []
        while self.tok.kind != "eof":
            start = self.i
            try:
                if self.tok.kind == "directive":
                    module.decls += self.directive()
                else:
                    module.rules += self.clause()
            except RuleSyntaxError as err:
                errors.append(err)
                self.recover(start)
        for name, members in self.type_defs.items():
            try:
                self.resolve(Token("var", name, members[0].line, members[0].col), set())  # every .type, used or not
            except RuleSyntaxError as err:
                errors.append(err)
        for names, columns, keyword, keys in self.declared:  # types may be defined after the .decl that uses them
            try:
                resolved = tuple((str(c.value), self.resolve(t, set())) for c, t in columns)
                module.decls += [Decl(str(name.value), resolved, self.span(keyword), self.where(keyword)[0], keys) for name in names]
            except RuleSyntaxError as err:
                errors.append(err)
        module.rules += [rule for rel, span in self.eqrels for rule in self.equivalence(rel, span)]
        module.inputs, module.outputs = self.inputs, self.outputs
        module.dialects[self.path] = self.dialect
        if errors:
            raise ParseErrors(sorted(errors, key=lambda e: (e.line or 0, e.col or 0)), module)
        return module

    def recover(self, start: int) -> None:
        if self.i == start:
            self.advance()
        while self.tok.kind != "eof" and not self.at("."):
            self.advance()
        self.advance()

    def directive(self) -> list[Decl]:
        """A directive; ``.decl a, b(x: number)`` declares several relations alike."""
        tok = self.advance()
        if tok.value == ".type":
            self.type_alias()
            return []
        if tok.value == ".pragma":  # Soufflé's command-line options in the file: nothing to configure here
            while self.tok.kind == "string":
                self.advance()
            return []
        if tok.value == ".plan":  # Soufflé's join order for the rule before: n:(i, j, ...), ...; evaluation plans its own
            self.plan()
            return []
        if tok.value not in (".decl", ".input", ".output"):
            raise self.error(f"Soufflé directive {tok.value} is not supported (supported: .decl, .type, .input, .output)", tok)
        name_tok = self.tok
        if name_tok.kind not in ("ident", "var"):
            raise self.error(f"expected a relation name after {tok.value}, found {_describe(name_tok)}")
        self.advance()
        names = [name_tok]
        while self.at(","):
            self.advance()
            names.append(self.advance())
        if tok.value in (".input", ".output"):
            params = self.io_parameters() if self.at("(") else {}
            for name in names:
                (self.inputs if tok.value == ".input" else self.outputs)[str(name.value)] = params
            if self.at("."):
                self.advance()
            return []
        self.expect("(")
        columns: list[tuple[Token, Token]] = []
        while not self.at(")"):
            col_tok = self.advance()
            if col_tok.kind not in ("ident", "var"):
                raise self.error(f"expected a column name, found {_describe(col_tok)}", col_tok)
            self.expect(":")
            columns.append((col_tok, self.advance()))
            if not self.at(")"):
                self.expect(",", "',' or ')'")
        close = self.advance()
        keys: list[tuple[str, ...]] = []
        while self.tok.kind in ("ident", "var") and (self.tok.value in (*_QUALIFIERS, "eqrel") or self.at_key(close)):
            if self.tok.value == "key":
                keys.append(self.key(columns))
                continue
            if self.tok.value == "eqrel":
                if len(columns) != 2:
                    raise self.error(f"an eqrel relation has two columns, not {len(columns)}", self.tok)
                self.eqrels += [(str(name.value), self.span(self.tok)) for name in names]
            self.advance()
        if self.at("."):
            self.advance()
        for name in names:
            if name.kind not in ("ident", "var"):
                raise self.error(f"expected a relation name after {tok.value}, found {_describe(name)}", name)
        self.declared.append((names, columns, tok, tuple(keys)))
        return []

    def at_key(self, close: Token) -> bool:
        """Whether ``key(`` follows a ``.decl`` on the line its columns end (on a later line it is a relation named key)."""
        return self.tok.value == "key" and self.peek().value == "(" and self.where(self.tok) == self.where(close)

    def key(self, columns: list[tuple[Token, Token]]) -> tuple[str, ...]:
        """``key(name, ...)``: declared columns whose values identify one input row (see the rule-language reference)."""
        self.advance()
        self.expect("(")
        known = [str(c.value) for c, _ in columns]
        names: list[str] = []
        while True:
            tok = self.advance()
            if tok.kind not in ("ident", "var") or str(tok.value) not in known:
                raise self.error(f"key column {_describe(tok)} is not a column of the declaration (columns: {', '.join(known)})", tok)
            if str(tok.value) in names:
                raise self.error(f"key column {tok.value!r} is named twice", tok)
            names.append(str(tok.value))
            if self.at(")"):
                self.advance()
                return tuple(names)
            self.expect(",", "',' or ')'")

    def plan(self) -> None:
        while True:
            version = self.advance()
            if version.kind != "int":
                raise self.error(f"expected a version number in .plan, found {_describe(version)}", version)
            self.expect(":")
            self.expect("(")
            while not self.at(")"):
                position = self.advance()
                if position.kind != "int":
                    raise self.error(f"expected an atom position in .plan, found {_describe(position)}", position)
                if not self.at(")"):
                    self.expect(",", "',' or ')'")
            self.advance()
            if not self.at(","):
                return
            self.advance()

    def equivalence(self, rel: str, span: Span) -> list[Rule]:
        """Soufflé's ``eqrel``: the relation is closed under reflexivity (on the values it holds), symmetry and
        transitivity; three rules at the qualifier's position, ids ``<path>:<line>:<col>#eqrel-...``."""
        x, y, z = (Var(name, span) for name in ("x", "y", "z"))

        def atom(a: Var, b: Var) -> Atom:
            return Atom(rel, (a, b), span)

        laws = {"reflexive": (atom(x, x), (atom(x, Var("_#1", span)),)), "symmetric": (atom(x, y), (atom(y, x),)),
                "transitive": (atom(x, z), (atom(x, y), atom(y, z)))}
        return [Rule(head, body, f"{span}#eqrel-{law}", span=span, path=span.path) for law, (head, body) in laws.items()]

    def type_alias(self) -> None:
        """``.type T <: symbol`` (a subtype), ``.type T = number`` (an alias) or ``.type T = A | B`` (a union of types of
        one kind); the names may be defined later in the text."""
        name = self.advance()
        if not (self.at("<:") or self.at("=")):
            raise self.error(f"expected '<:' or '=' after .type {name.value}, found {_describe(self.tok)}")
        self.advance()
        members = [self.advance()]
        while self.at("|"):
            self.advance()
            members.append(self.advance())
        if self.at("{") or self.at("[") or any(m.kind not in ("ident", "var") for m in members):
            raise self.error(f".type {name.value}: records and algebraic data types are not supported", self.tok)
        if str(name.value) in _SOUFFLE_TYPES or str(name.value) in self.type_defs:
            raise self.error(f".type {name.value} is defined twice", name)
        self.types.pop(str(name.value), None)  # a program's own 'string' or 'int' replaces this parser's shorthand
        self.type_defs[str(name.value)] = members

    def resolve(self, tok: Token, seen: set[str]) -> str:
        """The kind (symbol, number or float) of a type name: built in, or a .type resolved through its members."""
        name = str(tok.value)
        if name in self.types:
            return self.types[name]
        if name not in self.type_defs:
            raise self.error(f"unknown type {name!r}; use one of symbol, number, unsigned, float or a .type", tok)
        if name in seen:
            raise self.error(f".type {name} is defined in terms of itself", tok)
        kinds = {self.resolve(member, seen | {name}) for member in self.type_defs[name]}
        if len(kinds) > 1:
            raise self.error(f".type {name} joins types of different kinds ({', '.join(sorted(kinds))})", self.type_defs[name][0])
        self.types[name] = kinds.pop()
        return self.types[name]

    def io_parameters(self) -> dict[str, str]:
        """``(key=value, ...)`` of an ``.input``/``.output`` directive."""
        self.expect("(")
        params: dict[str, str] = {}
        while not self.at(")"):
            key = self.advance()
            self.expect("=")
            value = self.advance()
            params[str(key.value)] = str(value.value)
            if not self.at(")"):
                self.expect(",", "',' or ')'")
        self.advance()
        return params

    def clause(self) -> list[Rule]:
        """One rule, or one per head and alternative of a body (Soufflé's several heads and disjunction; ids ``<id>#1``,
        ``<id>#2`` ...)."""
        start = self.tok
        notes: dict[str, str] = {}
        while self.at("@"):
            at = self.advance()
            key = self.advance()
            if key.value not in _ANNOTATIONS:
                raise self.error(f"unknown annotation @{key.value}; use @id, @cite, @doc or @helper", key)
            if key.value in notes:
                raise self.error(f"@{key.value} given twice", at)
            if key.value == "helper":  # a flag: intermediate structure that traces fold away
                notes["helper"] = ""
                continue
            self.expect("(")
            value = self.advance()
            if value.kind != "string":
                raise self.error(f'@{key.value} takes a "quoted string", found {_describe(value)}', value)
            self.expect(")")
            notes[str(key.value)] = str(value.value)
        self.anon = 0
        head_tok = self.tok
        if head_tok.kind != "ident":
            raise self.error(f"expected a rule head (a relation name in lower case), found {_describe(head_tok)}")
        self.pending = []
        heads = [self.atom(head=True)]
        while self.at(",") and self.peek().kind == "ident":  # Soufflé's several heads sharing one body
            self.advance()
            heads.append(self.atom(head=True))
        in_heads = self.take_pending()
        bodies: list[list[Literal]] = [[]]
        if self.at(":-"):
            self.advance()
            bodies = self.alternatives()
            if not self.at("."):
                raise self.error(f"expected ',' or '.', found {_describe(self.tok)}")
        elif len(heads) > 1:
            raise self.error(f"several heads need a body (':-'), found {_describe(self.tok)}")
        bodies = [body + in_heads for body in bodies]
        self.expect(".", "'.' at the end of the rule")
        rule_id = notes.get("id") or str(self.span(start))
        pairs = [(head, body) for head in heads for body in bodies]
        ids = [rule_id] if len(pairs) == 1 else [f"{rule_id}#{k}" for k in range(1, len(pairs) + 1)]
        return [Rule(head, tuple(body), i, notes.get("cite"), notes.get("doc"), self.span(start), self.span(start).path,
                     helper="helper" in notes)
                for i, (head, body) in zip(ids, pairs)]

    def alternatives(self) -> list[list[Literal]]:
        """A rule body: conjunctions separated by ``;`` (Soufflé's disjunction), as the bodies of one rule each.

        Literals joined by ``,`` may be parenthesised groups with their own ``;``, also negated (``!(a(x) ; b(x))``,
        De Morgan: one negated literal per alternative).  Bindings made for expression arguments come last.
        """
        out = self.conjunction()
        while self.at(";"):
            self.advance()
            out += self.conjunction()
        return out

    def conjunction(self) -> list[list[Literal]]:
        parts: list[tuple[list[Literal], list[Literal]]] = [([], [])]
        while True:
            choices = self.item()
            parts = [(lits + more, binds + extra) for lits, binds in parts for more, extra in choices]
            if not self.at(","):
                return [lits + binds for lits, binds in parts]
            self.advance()

    def item(self) -> list[tuple[list[Literal], list[Literal]]]:
        """One literal, or a parenthesised group's alternatives; each as (literals, bindings)."""
        start, first = self.i, self.tok
        negated = 0
        while self.at("!") or self.at("not"):
            self.advance()
            negated += 1
        if self.at("(") and self._group_follows():
            self.advance()
            self.enter()
            inner = self.alternatives()
            self.expect(")")
            self.depth -= 1
            return [(alt, []) for alt in inner] if negated % 2 == 0 else [(self._negate(inner, first), [])]
        bindings: list[Literal] = []
        if self._predicate_follows():
            test = self.predicate()
            return [([test if negated % 2 == 0 else Comparison(_COMPLEMENT[test.op], test.left, test.right, self.span(first))],
                      bindings)]
        if negated > 1:  # !!a(x) is a(x), !!!a(x) is !a(x)
            atom = self.atom(bindings=bindings)
            return [([atom if negated % 2 == 0 else Negation(atom, self.span(first))], bindings)]
        self.i = start
        literal = self.literal(bindings)
        return [([literal], bindings + self.take_pending())]

    def _predicate_follows(self) -> bool:
        """Whether ``match(`` or ``contains(`` at the cursor is Soufflé's string constraint (not a relation)."""
        return self.tok.kind == "ident" and self.tok.value in PREDICATES and self.peek().value == "("

    def predicate(self) -> Comparison:
        """``match(pattern, text)`` or ``contains(part, text)``: a comparison whose operator is the name."""
        name = self.advance()
        self.expect("(")
        left = self.expr()
        self.expect(",", "',' (match and contains take two arguments)")
        right = self.expr()
        self.expect(")", "')' (match and contains take two arguments)")
        return Comparison(str(name.value), left, right, self.span(name))

    def _group_follows(self) -> bool:
        """Whether the ``(`` at the cursor opens a group of literals (the token after its ``)`` ends a literal)."""
        depth, j = 0, self.i
        while self.tokens[j].kind != "eof":
            value = self.tokens[j].value
            depth += value == "("
            depth -= value == ")"
            if depth == 0:
                return self.tokens[j + 1].value in (",", ";", ".", ")")
            j += 1
        return False

    def _negate(self, alternatives: list[list[Literal]], tok: Token) -> list[Literal]:
        """``!( A ; B )`` as ``!A, !B``: each alternative must be one atom, negation or comparison."""
        out: list[Literal] = []
        for alt in alternatives:
            if len(alt) != 1 or isinstance(alt[0], Assignment):
                raise self.error("a negated group may hold only single atoms or comparisons separated by ';'", tok)
            lit = alt[0]
            if isinstance(lit, Atom):
                out.append(Negation(lit, lit.span))
            elif isinstance(lit, Negation):
                out.append(lit.atom)
            else:
                out.append(Comparison(_COMPLEMENT[lit.op], lit.left, lit.right, lit.span))
        return out

    def take_pending(self) -> list[Literal]:
        """The aggregate assignments made since the last call (they join the body being parsed)."""
        taken, self.pending = self.pending, []
        return taken

    def body(self, closers: tuple[str, ...]) -> list[Literal]:
        bindings: list[Literal] = []
        literals = [self.literal(bindings)]
        while self.at(","):
            self.advance()
            literals.append(self.literal(bindings))
        literals += bindings + self.take_pending()
        if not any(self.at(c) for c in closers):
            raise self.error(f"expected ',' or {' or '.join(repr(c) for c in closers)}, found {_describe(self.tok)}")
        return literals

    # -- literals ------------------------------------------------------
    def literal(self, bindings: list[Literal] | None = None) -> Literal:
        tok = self.tok
        if self._predicate_follows():
            return self.predicate()
        if self.dialect == "souffle" and tok.kind == "var" and tok.value in ("true", "false") and \
                self.peek().value in (",", ";", ".", ")", "}"):  # Soufflé's constant constraints: 1 = 1, 1 = 0
            self.advance()
            return Comparison("=", Const(1, self.span(tok)), Const(int(tok.value == "true"), self.span(tok)), self.span(tok))
        if self.at("not") or self.at("!"):
            self.advance()
            if self._predicate_follows():
                test = self.predicate()
                return Comparison(_COMPLEMENT[test.op], test.left, test.right, self.span(tok))
            if self.tok.kind != "ident":
                raise self.error(f"expected an atom after 'not', found {_describe(self.tok)}")
            return Negation(self.atom(bindings=bindings), self.span(tok))
        if tok.kind == "ident" and not (tok.value in FUNCTIONS and self.peek().value == "(" and self._call_is_expression()):
            nxt = self.peek()
            if nxt.kind == "punct" and nxt.value in ("(", ",", ".", "}"):
                return self.atom(bindings=bindings)
        if tok.kind == "var" and self.peek().value == "=" and self._aggregate_follows(2):
            start, pending, anon = self.i, list(self.pending), self.anon
            var = self.variable(self.advance())
            self.advance()
            assignment = Assignment(var, self.aggregate(), self.span(tok))
            if self.tok.value in (",", ";", ".", ")", "}"):
                return assignment
            self.i, self.pending, self.anon = start, pending, anon  # the aggregate is part of an expression: again as one
        left = self.expr()
        op = self.tok
        if op.kind != "punct" or op.value not in COMPARISONS:
            raise self.error(f"expected a comparison ({' '.join(COMPARISONS)}) after {left}, found {_describe(op)}")
        self.advance()
        right = self.expr()
        return Comparison(str(op.value), left, right, self.span(tok))

    def _call_is_expression(self) -> bool:
        """True when ``f(...)`` at the cursor is followed by an operator, i.e. used as a function."""
        depth, j = 0, self.i + 1
        while j < len(self.tokens):
            t = self.tokens[j]
            if t.kind == "eof":
                return False
            if t.value == "(":
                depth += 1
            elif t.value == ")":
                depth -= 1
                if depth == 0:
                    nxt = self.tokens[j + 1]
                    return (nxt.kind == "punct" and nxt.value in (*COMPARISONS, "+", "-", "*", "/", "%", "^")) or \
                        (nxt.kind == "ident" and nxt.value in OPERATOR_WORDS)
            j += 1
        return False

    def _aggregate_follows(self, k: int) -> bool:
        t = self.peek(k)
        if t.kind != "ident" or t.value not in AGGREGATES:
            return False
        nxt = self.peek(k + 1)
        if nxt.value != "(":
            return True
        depth, j = 0, self.i + k + 1
        while j < len(self.tokens) and self.tokens[j].kind != "eof":
            if self.tokens[j].value == "(":
                depth += 1
            elif self.tokens[j].value == ")":
                depth -= 1
                if depth == 0:
                    return self.tokens[j + 1].value == ":"
            j += 1
        return False

    def aggregate(self) -> Aggregate:
        saved = self.take_pending()  # the enclosing body's, kept out of this aggregate's body
        tok = self.advance()
        func = str(tok.value)
        expr: Term | None = None
        if not self.at(":"):
            expr = self.expr()
        if func == "count" and expr is not None:
            raise self.error("count takes no expression: write N = count : body", tok)
        if func != "count" and expr is None:
            raise self.error(f"{func} needs an expression: write V = {func} X : body", tok)
        self.expect(":", "':' after the aggregate")
        self.enter()
        if self.at("{"):
            self.advance()
            body = self.body(closers=("}",))
            self.advance()
        else:
            bindings: list[Literal] = []
            body = [self.literal(bindings), *bindings, *self.take_pending()]
            if isinstance(body[0], Assignment):
                raise self.error("nested aggregates need braces: agg X : { ... }", tok)
        self.depth -= 1
        self.pending = saved + self.take_pending()
        return Aggregate(func, expr, tuple(body), self.span(tok))

    def atom(self, head: bool = False, bindings: list[Literal] | None = None) -> Atom:
        """An atom; in a body an expression argument ``fib(N - 1, X)`` becomes a fresh variable bound in ``bindings``."""
        name = self.advance()
        args: list[Term] = []
        if self.at("("):
            self.advance()
            while not self.at(")"):
                arg_tok = self.tok
                arg = self.expr()
                if not head and not isinstance(arg, (Var, Const)):
                    if bindings is None:
                        raise self.error(f"arguments of negated atoms must be variables or constants, not {arg}; "
                                         f"bind it first: V = {arg}", arg_tok)
                    self.fresh += 1
                    var = Var(f"{arg_tok.line}:{arg_tok.col}#{self.fresh}", self.span(arg_tok))
                    bindings.append(Comparison("=", var, arg, self.span(arg_tok)))
                    arg = var
                args.append(arg)
                if not self.at(")"):
                    self.expect(",", "',' or ')'")
            self.advance()
        return Atom(str(name.value), tuple(args), self.span(name))

    # -- expressions ---------------------------------------------------
    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression nested more than {MAX_DEPTH} levels deep")

    def expr(self) -> Term:
        """A term: operands of :meth:`product` joined by binary operators by precedence (:data:`_PRECEDENCE`, Soufflé's:
        ``lor`` loosest, then ``lxor land bor bxor band``, the shifts, ``+ -``), left associative; shunting-yard, so
        a long chain costs no Python frames."""
        self.enter()
        operands, operators = [self.product()], []
        chain = 0
        while self.tok.kind in ("punct", "ident") and self.tok.value in _PRECEDENCE:
            op = self.advance()
            chain = self.chain(chain)
            while operators and _PRECEDENCE[str(operators[-1].value)] >= _PRECEDENCE[str(op.value)]:
                self._reduce(operands, operators)
            operators.append(op)
            operands.append(self.product())
        while operators:
            self._reduce(operands, operators)
        self.depth -= 1
        return operands[0]

    def _reduce(self, operands: list[Term], operators: list[Token]) -> None:
        op = operators.pop()
        right = operands.pop()
        operands.append(BinOp(str(op.value), operands.pop(), right, self.span(op)))

    def _is_call(self) -> bool:
        """``bnot(`` / ``lnot(`` at the start of a term is a call (the functions), not the prefix operator."""
        return self.peek().value == "("

    def product(self) -> Term:
        left = self.power()
        chain = 0
        while self.at("*") or self.at("/") or self.at("%"):
            op = self.advance()
            chain = self.chain(chain)
            left = BinOp(str(op.value), left, self.power(), self.span(op))
        return left

    def power(self) -> Term:
        """``a ^ b`` (Soufflé's exponent) binds tighter than ``*``."""
        left = self.unary()
        if self.at("^"):
            op = self.advance()
            self.enter()
            left = BinOp("^", left, self.power(), self.span(op))
            self.depth -= 1
        return left

    def chain(self, length: int) -> int:
        """A chain ``a + b + c ...`` nests one level per operator; count it against the depth limit."""
        if self.depth + length + 1 > MAX_DEPTH:
            raise self.error(f"expression nested more than {MAX_DEPTH} levels deep (split it with intermediate variables)")
        return length + 1

    def unary(self) -> Term:
        if self.tok.kind == "ident" and self.tok.value in ("bnot", "lnot") and not self._is_call():
            op = self.advance()
            self.enter()
            inner = self.unary()
            self.depth -= 1
            return Call(str(op.value), (inner,), self.span(op))
        if self.at("-"):
            op = self.advance()
            self.enter()
            inner = self.unary()
            self.depth -= 1
            if isinstance(inner, Const) and not isinstance(inner.value, str):
                return Const(-inner.value, self.span(op))
            return BinOp("-", Const(0, self.span(op)), inner, self.span(op))
        return self.primary()

    def primary(self) -> Term:
        tok = self.tok
        if tok.kind in ("int", "float", "string"):
            self.advance()
            return Const(tok.value, self.span(tok))  # type: ignore[arg-type]
        if tok.kind == "var":
            return self.variable(self.advance())
        if tok.kind == "ident" and tok.value in AGGREGATES and self._aggregate_follows(0):
            self.fresh += 1  # Soufflé's aggregate inside an expression: a fresh variable assigned in the body
            var = Var(f"{tok.line}:{tok.col}#{self.fresh}", self.span(tok))
            aggregate = self.aggregate()
            self.pending.append(Assignment(var, aggregate, self.span(tok)))
            return var
        if tok.kind == "ident" and tok.value == "as" and self.peek().value == "(":  # Soufflé's as(expr, Type)
            self.advance()
            self.advance()
            inner = self.expr()
            self.expect(",", "',' (as takes an expression and a type)")
            type_tok = self.advance()
            if type_tok.kind not in ("ident", "var"):
                raise self.error(f"expected a type name in as(...), found {_describe(type_tok)}", type_tok)
            self.expect(")")
            return inner  # a static type only: the value is unchanged, and the column types are checked as usual
        if tok.kind == "ident":
            self.advance()
            if self.at("("):
                if tok.value not in FUNCTIONS:
                    raise self.error(f"unknown function {tok.value!r}; built-ins are {', '.join(FUNCTIONS)}", tok)
                self.advance()
                args = []
                while not self.at(")"):
                    args.append(self.expr())
                    if not self.at(")"):
                        self.expect(",", "',' or ')'")
                self.advance()
                if len(args) not in FUNCTIONS[str(tok.value)]:
                    raise self.error(f"{tok.value} takes {' or '.join(map(str, FUNCTIONS[str(tok.value)]))} arguments, got {len(args)}", tok)
                return Call(str(tok.value), tuple(args), self.span(tok))
            return Const(str(tok.value), self.span(tok))
        if self.at("("):
            self.advance()
            inner = self.expr()
            self.expect(")")
            return inner
        raise self.error(f"expected a term (variable, constant or expression), found {_describe(tok)}")

    def variable(self, tok: Token) -> Var:
        name = str(tok.value)
        if name == "_":
            self.anon += 1
            name = f"_#{self.anon}"
        return Var(name, self.span(tok))


def _describe(tok: Token) -> str:
    if tok.kind == "eof":
        return "end of input"
    if tok.kind == "string":
        return f'string "{tok.value}"'
    return repr(str(tok.value))


def parse(text: str, path: str = "<text>", dialect: str = "auto") -> Module:
    """Parse rule text into a :class:`~neurosym.logic._ast.Module`.

    ``dialect`` is ``"plain"``, ``"souffle"`` or ``"auto"`` (Soufflé's when the
    text has a ``.decl`` line and no line starting with ``%``; see
    :data:`~neurosym.logic._lexer.DIALECTS`).  Raises :class:`ParseErrors` (a
    :class:`~neurosym.RuleSyntaxError`) listing every syntax error found, each
    with file, line, column and a caret.

    >>> [str(r) for r in parse("p(x) :- q(x).", dialect="souffle").rules]
    ['p(x) :- q(x).']
    >>> print(parse("% a comment\\np(X) :- q(X).", dialect="souffle"))
    Traceback (most recent call last):
    ...
    neurosym._errors.RuleSyntaxError: <text>:1:1: a line starting with '%' is a comment only in the plain dialect (Soufflé's comments are // and /* */); read the file with dialect='plain'
        % a comment
        ^
    """
    return _Parser(text, path, dialect).module()


def parse_atom(text: str) -> Atom:
    """Parse a ground or partially ground atom such as ``'egfr("S01", V, D)'``.

    >>> str(parse_atom('glycemic_status("S000001", diabetes)'))
    'glycemic_status("S000001", diabetes)'
    """
    parser = _Parser(text.strip().rstrip("."), "<atom>")
    if parser.tok.kind != "ident":
        raise parser.error(f"expected an atom such as rel(a, 1), found {_describe(parser.tok)}")
    atom = parser.atom()
    if parser.tok.kind != "eof":
        raise parser.error(f"unexpected {_describe(parser.tok)} after the atom")
    return atom
