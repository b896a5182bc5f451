"""SQL text -> TableQA's structured query, through a grammar as small as the structure itself.

A language model answers a question with SQL; the task scores structured queries (`sql.py` builds
and runs their statements). `parse` reads only what the structure can say, so that a query it
accepts means exactly one structured query and nothing else is ever run:

    query     := SELECT item {"," item} FROM name [WHERE condition {conn condition}] [";"]
    item      := AGG "(" column ")" | column            [AS name]   (the alias is ignored)
    AGG       := AVG | MAX | MIN | COUNT | SUM
    condition := column OP value | "(" condition {conn condition} ")"
    OP        := "=" | "==" | "!=" | "<>" | ">" | "<"
    conn      := AND | OR                               (one of them throughout a query)
    value     := 'text' | "text" | “text” | number | bare text up to a space, "," ")" or ";"

Keywords are case-insensitive. A column is one of the table's columns as `sql.column_names` names
them, quoted ("..", `..`, [..]) or bare (a bare name is matched against the table's names, longest
first, so 总建面(万方) needs no quotes); FROM takes any single name, the question having one table.
Values stay strings as TableQA writes them ("51", not 51). Everything else -- joins, subqueries,
`*`, GROUP BY, ORDER BY, LIMIT, LIKE, IN, comments, a column compared with a column, AND mixed with
OR, a second statement -- is refused with the reason (`Unparseable`). Nothing here executes text.
"""

from __future__ import annotations

import re
from typing import Any

from harness.text import unfence
from harness_nl2sql.sql import column_names
from harness_nl2sql.values import AGGS

AGG_CODES = {name: code for code, name in AGGS.items() if name}
OP_CODES = {">": 0, "<": 1, "=": 2, "==": 2, "!=": 3, "<>": 3}
CONN_CODES = {"AND": 1, "OR": 2}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?![^\s,;)])")
_WORD = re.compile(r"[A-Za-z_]+")
_BARE = re.compile(r"[^\s,;()'\"“”‘’`\[\]=<>!]+")
_QUOTES = {"'": "'", '"': '"', "“": "”", "‘": "’"}
_IDENT_QUOTES = {'"': '"', "`": "`", "[": "]"}
_STOP = set(" \t\r\n,;()=<>!'\"`")
MAX_DEPTH = 4  # parentheses around conditions, nested at most this deep
#: Words that start a clause the grammar does not have: met where a condition or the end should be.
CLAUSES = ("GROUP", "ORDER", "LIMIT", "HAVING", "JOIN", "UNION", "INNER", "LEFT", "RIGHT", "CROSS", "INTERSECT", "EXCEPT")


class Unparseable(ValueError):
    """A completion that is not a query the grammar accepts; the message says why and where."""


def parse(text: str, table: dict[str, Any]) -> dict[str, Any]:
    """The structured query `text` writes on `table`; raises `Unparseable` for anything else."""
    return _Parser(unfence(text), column_names(table["header"])).query()


class _Parser:
    def __init__(self, text: str, names: list[str]) -> None:
        self.text, self.pos, self.names = text, 0, names
        self.by_name = {name: i for i, name in enumerate(names)}
        self.folded: dict[str, int] = {}
        for i, name in enumerate(names):
            self.folded.setdefault(name.casefold(), i)
        self.longest_first = sorted(names, key=len, reverse=True)

    # -- characters and words

    def fail(self, what: str) -> Unparseable:
        shown = self.text[self.pos : self.pos + 30]
        where = f" at {shown!r}" if shown else " at the end"
        return Unparseable(f"{what}{where} (character {self.pos + 1})")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek_word(self) -> str:
        self.skip()
        match = _WORD.match(self.text, self.pos)
        end = match.end() if match else self.pos
        if not match or (end < len(self.text) and not self._boundary(end)):
            return ""
        return match.group(0).upper()

    def _boundary(self, end: int) -> bool:
        return end >= len(self.text) or self.text[end] in _STOP or self.text[end].isspace() or self.text[end] in "“‘["

    def keyword(self, *words: str) -> str | None:
        word = self.peek_word()
        if word in words:
            self.pos += len(word)
            return word
        return None

    def expect(self, word: str) -> None:
        if self.keyword(word) is None:
            raise self.fail(f"expected {word}")

    def symbol(self, *symbols: str) -> str | None:
        self.skip()
        for s in sorted(symbols, key=len, reverse=True):
            if self.text.startswith(s, self.pos):
                self.pos += len(s)
                return s
        return None

    # -- the grammar

    def query(self) -> dict[str, Any]:
        self.expect("SELECT")
        if self.keyword("DISTINCT", "ALL", "TOP"):
            raise self.fail("SELECT DISTINCT/ALL/TOP is not in the grammar")
        sel, agg = [], []
        while True:
            column, code = self.item()
            sel.append(column)
            agg.append(code)
            if not self.symbol(","):
                break
        self.expect("FROM")
        self.name("a table name")
        if self.symbol(","):
            raise self.fail("more than one table")
        conds: list[list[Any]] = []
        conns: set[int] = set()
        if self.keyword("WHERE"):
            self.conditions(conds, conns)
        self.symbol(";")
        self.skip()
        if self.pos < len(self.text):
            word = self.peek_word()
            raise self.fail(f"{word} is not in the grammar" if word in CLAUSES else "text after the query")
        if len(conns) > 1:
            raise Unparseable("AND mixed with OR: a TableQA query joins all its conditions one way")
        conn = conns.pop() if conns and len(conds) > 1 else 0
        return {"sel": sel, "agg": agg, "cond_conn_op": conn, "conds": conds}

    def item(self) -> tuple[int, int]:
        self.skip()
        if self.symbol("*"):
            raise self.fail("SELECT * is not in the grammar: name the columns")
        word = self.peek_word()
        start = self.pos
        if word in AGG_CODES:
            self.pos += len(word)
            if self.symbol("("):
                if self.keyword("DISTINCT", "ALL"):
                    raise self.fail("DISTINCT inside an aggregate is not in the grammar")
                if self.symbol("*"):
                    raise self.fail(f"{word}(*) is not in the grammar: aggregate a column")
                column = self.column()
                if not self.symbol(")"):
                    raise self.fail("expected ) after the aggregated column")
                self._alias()
                return column, AGG_CODES[word]
            self.pos = start  # a column that happens to be called e.g. "count"
        column = self.column()
        if self.symbol("("):
            raise self.fail("a function call is not in the grammar (only AVG, MAX, MIN, COUNT, SUM)")
        self._alias()
        return column, 0

    def _alias(self) -> None:
        if self.keyword("AS"):
            self.name("an alias")

    def conditions(self, conds: list[list[Any]], conns: set[int], depth: int = 0) -> None:
        while True:
            if self.symbol("("):
                if self.peek_word() == "SELECT":
                    raise self.fail("a subquery is not in the grammar")
                if depth >= MAX_DEPTH:
                    raise self.fail(f"parentheses nested deeper than {MAX_DEPTH}")
                self.conditions(conds, conns, depth + 1)
                if not self.symbol(")"):
                    raise self.fail("expected )")
            else:
                conds.append(self.condition())
            conn = self.keyword(*CONN_CODES)
            if conn is None:
                return
            conns.add(CONN_CODES[conn])

    def condition(self) -> list[Any]:
        column = self.column()
        self.skip()
        if self.text.startswith((">=", "<="), self.pos):
            raise self.fail("TableQA has no >= or <= (operators: = != > <)")
        op = self.symbol(*OP_CODES)
        if op is None:
            word = self.peek_word()
            raise self.fail(f"{word} is not in the grammar (operators: = != > <)" if word else "expected an operator = != > <")
        return [column, OP_CODES[op], self.value()]

    def value(self) -> str:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("expected a value")
        opening = self.text[self.pos]
        if opening in _QUOTES:
            return self._quoted(_QUOTES[opening])
        if opening == "(":
            raise self.fail("a subquery or expression is not a value" if self.peek_after("(") == "SELECT" else "expected a value")
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            return number.group(0)
        if self.peek_word() in ("SELECT", "NULL"):
            raise self.fail(f"{self.peek_word()} is not a value")
        if self._column_at() is not None:
            raise self.fail("comparing two columns is not in the grammar")
        bare = _BARE.match(self.text, self.pos)
        if not bare:
            raise self.fail("expected a value")
        self.pos = bare.end()
        return bare.group(0)

    def peek_after(self, symbol: str) -> str:
        saved = self.pos
        self.symbol(symbol)
        word = self.peek_word()
        self.pos = saved
        return word

    def _quoted(self, closing: str) -> str:
        """A quoted string from the opening quote at `pos`; a doubled closing quote is one quote."""
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == closing:
                if self.text.startswith(closing * 2, self.pos) and closing in "'\"":
                    out.append(closing)
                    self.pos += 2
                    continue
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.fail("unterminated quote")

    def column(self) -> int:
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos] in _IDENT_QUOTES:
            start = self.pos
            name = self._quoted(_IDENT_QUOTES[self.text[self.pos]])
            index = self._lookup(name)
            if index is None:
                self.pos = start
                raise self.fail(f"unknown column {name!r}")
            return index
        index = self._column_at()
        if index is not None:
            self.pos += len(self.names[index])
            return index
        word = _BARE.match(self.text, self.pos)
        raise self.fail(f"unknown column {word.group(0)!r}" if word else "expected a column")

    def _column_at(self) -> int | None:
        """The longest column name written bare at `pos` and ending at a word boundary, if any."""
        rest = self.text[self.pos :]
        for name in self.longest_first:
            if rest[: len(name)].casefold() == name.casefold() and self._boundary(self.pos + len(name)):
                return self._lookup(rest[: len(name)])
        return None

    def _lookup(self, name: str) -> int | None:
        if name in self.by_name:
            return self.by_name[name]
        return self.folded.get(name.casefold())

    def name(self, what: str) -> str:
        """A table name or alias: quoted, or a bare word."""
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos] in _IDENT_QUOTES:
            return self._quoted(_IDENT_QUOTES[self.text[self.pos]])
        if self.peek_word() in ("SELECT", "WHERE", *CLAUSES):
            raise self.fail(f"expected {what}")
        bare = _BARE.match(self.text, self.pos)
        if not bare:
            if self.symbol("("):
                raise self.fail("a subquery is not in the grammar")
            raise self.fail(f"expected {what}")
        self.pos = bare.end()
        return bare.group(0)
