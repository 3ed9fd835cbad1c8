"""The saved result of every formula cell, computed from the cells the workbook itself holds.

Why: XlsxWriter saves 0 as the result of a formula unless told otherwise, and LibreOffice with its
default settings, every previewer without a formula engine (mail, phone, file managers, PDF
converters) and every Python reader show that saved result.  A salesperson would see zero totals.

Why here, in one place, and not at the ~20 call sites that write formulas: the call sites write the
formula text from the layout and rarely hold the figure the formula gives (a totals line's SUM, a
SUMIFS of another sheet, a score from typed ratings).  Passing an engine value from each site would
need a second computation per site that can drift from the formula.  Instead, just before the file
is closed, ``cache_results`` reads back every cell the writer put into each XlsxWriter worksheet and
evaluates each formula on exactly those cells, with a small evaluator for exactly the vocabulary
kamplan writes: + - * / ^ & unary minus, comparisons, numbers, texts, TRUE/FALSE, cell references and
ranges (also on other sheets), SUM, SUMIF, SUMIFS, SUMPRODUCT, COUNT, N, IF, IFERROR, ISNUMBER, AND,
OR, MIN, MAX, ROUND, ABS, INDEX, MATCH (exact), TRIM.  What a spreadsheet program computes and what
this saves are compared in the tests (LibreOffice recalculates every workbook kind); a formula using
anything else raises ``UnsupportedFormula``, a programming error the tests catch, never a silent 0.

How, fast enough for a company (90,000 formulas in one consolidation): a formula is computed through
its *shape*, its text with the references taken out, parsed once into closures (``_compile_shape``);
ranges are read once (one-column ranges once per cell of the column), SUMIFS finds its rows through
one index over its equality criteria, a range's numbers are kept.  The results are those of parsing
and computing each formula on its own (tests/workbooks/kit/test_results_shapes.py), which is still
how a formula of a shape that does not compile is computed.

What is read back from a returned workbook stays the typed inputs: readers never read a formula
cell's saved result as a figure (a user may have changed the formula or its inputs since).
"""
from __future__ import annotations

import functools
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from dataclasses import dataclass
from typing import NamedTuple

from xlsxwriter.utility import xl_cell_to_rowcol
from xlsxwriter.worksheet import (CellBlankTuple, CellBooleanTuple, CellDatetimeTuple, CellFormulaTuple,
                                  CellNumberTuple, CellRichStringTuple, CellStringTuple)


class UnsupportedFormula(ValueError):
    """A formula kamplan wrote uses something this evaluator does not know: extend it (and its tests)."""


@dataclass(frozen=True)
class XlError:
    text: str  # "#DIV/0!", "#N/A", "#VALUE!"

    def __str__(self) -> str:
        return self.text


DIV0, NA, VALUE = XlError("#DIV/0!"), XlError("#N/A"), XlError("#VALUE!")


class Ref(NamedTuple):
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int

    @property
    def single(self) -> bool:
        return self.r1 == self.r2 and self.c1 == self.c2


class Grid(list):
    """A 2-D array of values (list of rows), the value of a range or of an operation on one."""


# the kind of each cell class XlsxWriter keeps (by class: ``type(cell).__name__`` was a tenth of the time)
_CELL_KINDS = {CellNumberTuple: "Number", CellDatetimeTuple: "Number", CellStringTuple: "String",
               CellRichStringTuple: "RichString", CellBooleanTuple: "Boolean", CellBlankTuple: "Blank",
               CellFormulaTuple: "Formula"}


# -- reading what the writer put into the sheets ------------------------------------------------------------
class Book:
    """The cells of every worksheet of an XlsxWriter workbook, and the formula results computed on them."""

    def __init__(self, wb):
        self.tables = {ws.get_name(): ws.table for ws in wb.worksheets()}
        self.strings = {index: text for text, index in wb.str_table.string_table.items()}
        self.done: dict[tuple[str, int, int], object] = {}
        self.busy: set[tuple[str, int, int]] = set()
        self.grids: dict[Ref, Grid] = {}
        self.indexes: dict[Ref, dict] = {}
        self.criteria_indexes: dict[tuple[Ref, ...], dict] = {}
        self.columns: dict[tuple[str, int], list] = {}
        self.flats: dict[Ref, list] = {}
        self.number_lists: dict[Ref, list | XlError] = {}
        self.sums: dict[Ref, float | XlError] = {}
        self.refs: dict[tuple[str, str], Ref] = {}
        self.evaluator = Evaluator(self, "", "")

    def value(self, sheet: str, r: int, c: int):
        table = self.tables.get(sheet)
        if table is None:
            raise UnsupportedFormula(f"reference to a sheet that does not exist: {sheet!r}")
        row = table.get(r)
        cell = row.get(c) if row is not None else None
        if cell is None:
            return None
        kind = _CELL_KINDS.get(type(cell)) or type(cell).__name__
        if kind == "Formula":
            return self.result(sheet, r, c, cell.formula)
        if kind == "Number" or kind == "Datetime":
            return float(cell.number)
        if kind == "String":
            return self.strings[cell.string] if isinstance(cell.string, int) else cell.string
        if kind == "RichString":
            return cell.raw_string
        if kind == "Boolean":
            return bool(cell.boolean)
        if kind == "Blank":
            return None
        raise UnsupportedFormula(f"'{sheet}'!R{r + 1}C{c + 1}: cell of kind {kind} is not evaluated")

    def result(self, sheet: str, r: int, c: int, formula: str):
        key = (sheet, r, c)
        done = self.done.get(key, _MISSING)
        if done is not _MISSING:
            return done
        if key in self.busy:
            raise UnsupportedFormula(f"circular reference at '{sheet}'!R{r + 1}C{c + 1}")
        self.busy.add(key)
        try:
            value = self.compute(sheet, formula)
        except UnsupportedFormula as exc:
            raise UnsupportedFormula(f"'{sheet}'!R{r + 1}C{c + 1} ={formula}: {exc}") from None
        finally:
            self.busy.discard(key)
        self.done[key] = value
        return value

    def compute(self, sheet: str, formula: str):
        """The value of ``formula`` on ``sheet``: its shape's compiled form run on its references, or
        (for a shape that does not compile) the formula parsed and computed on its own."""
        text = formula.lstrip("=")
        parts = _SHAPE.split(text)
        shape = (tuple(parts[0::3]), tuple(parts[1::3]))
        run = _COMPILED.get(shape)
        if run is None:
            if len(_COMPILED) > 50_000:  # a process writing many kinds of books: keep memory bounded
                _COMPILED.clear()
            run = _COMPILED[shape] = _compile_shape(text, parts)
        if run is False:
            return Evaluator(self, sheet, formula).run()
        refs = self.refs
        found = []
        for part in parts[2::3]:
            if part is not None:
                ref = refs.get((sheet, part))
                if ref is None:
                    other, r1, c1, r2, c2 = _quick_reference(part)
                    ref = refs[(sheet, part)] = Ref(other if other is not None else sheet, r1, c1, r2, c2)
                found.append(ref)
        return _one(run(self.evaluator, found))

    def grid(self, ref: Ref) -> Grid:
        grid = self.grids.get(ref)
        if grid is None:
            if ref.c1 == ref.c2:
                grid = Grid([v] for v in self.flat(ref))
            else:
                grid = Grid([[self.value(ref.sheet, r, c) for c in range(ref.c1, ref.c2 + 1)]
                             for r in range(ref.r1, ref.r2 + 1)])
            self.grids[ref] = grid
        return grid

    def column(self, ref: Ref) -> list:
        """The values of a one-column range, top to bottom, read once per cell of the sheet's column
        (running totals ask for every top part of a column)."""
        key = (ref.sheet, ref.c1)
        known = self.columns.get(key)
        if known is None:
            known = self.columns[key] = []
        if len(known) <= ref.r2:
            known.extend([_MISSING] * (ref.r2 + 1 - len(known)))
        part = known[ref.r1:ref.r2 + 1]
        if any(v is _MISSING for v in part):
            for i, v in enumerate(part):
                if v is _MISSING:
                    part[i] = known[ref.r1 + i] = self.value(ref.sheet, ref.r1 + i, ref.c1)
        return part

    def flat(self, ref: Ref) -> list:
        """A range's values in reading order (row by row)."""
        flat = self.flats.get(ref)
        if flat is None:
            flat = self.flats[ref] = self.column(ref) if ref.c1 == ref.c2 else _flat(self.grid(ref))
        return flat

    def numbers(self, ref: Ref):
        """The numbers of a range (texts, truth values and blanks left out), or its first error."""
        found = self.number_lists.get(ref)
        if found is None:
            found = self.number_lists[ref] = _range_numbers(self.flat(ref))
        return found

    def index(self, ref: Ref) -> dict:
        """Position lists of a range by matching key (``_key``): SUMIFS with a plain equality criterion
        then looks its rows up instead of scanning the range once per formula."""
        if ref not in self.indexes:
            positions: dict = {}
            for i, v in enumerate(self.flat(ref)):
                positions.setdefault(_key(v), []).append(i)
            self.indexes[ref] = positions
        return self.indexes[ref]

    def criteria_index(self, refs: tuple[Ref, ...]) -> dict:
        """Position lists of equally sized ranges by the tuple of their matching keys, position by
        position: the rows where every range matches its plain equality criterion, in one look-up."""
        positions = self.criteria_indexes.get(refs)
        if positions is None:
            positions = self.criteria_indexes[refs] = {}
            for i, keys in enumerate(zip(*(map(_key, self.flat(ref)) for ref in refs))):
                positions.setdefault(keys, []).append(i)
        return positions


_MISSING = object()


def cache_results(wb) -> int:
    """Set the saved result of every formula cell of ``wb`` (XlsxWriter, before ``close``) to its value;
    returns the number of formula cells.  Raises ``UnsupportedFormula`` for a formula it cannot compute."""
    book = Book(wb)
    n = 0
    for ws in wb.worksheets():
        sheet = ws.get_name()
        for r, row in ws.table.items():
            for c, cell in row.items():
                kind = type(cell)
                if kind is not CellFormulaTuple:
                    if kind not in _CELL_KINDS and kind.__name__ == "ArrayFormula":
                        raise UnsupportedFormula(f"'{sheet}'!R{r + 1}C{c + 1}: array formulas are not evaluated")
                    continue
                value = saved(book.result(sheet, r, c, cell.formula))
                row[c] = CellFormulaTuple(cell.formula, cell.format, value)
                n += 1
    return n


def saved(value):
    """A result as XlsxWriter saves it: a blank reference gives 0 (as in any spreadsheet program)."""
    if isinstance(value, XlError):
        return value.text
    if value is None:
        return 0
    if isinstance(value, Grid):
        raise UnsupportedFormula("the formula gives a range, not one value")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


# -- value helpers ------------------------------------------------------------------------------------------
def _flat(grid) -> list:
    return [v for row in grid for v in row] if isinstance(grid, list) else [grid]


def _range_numbers(values: list):
    """The numbers among a range's values (a truth value is no number here), or the first error."""
    errors = [v for v in values if isinstance(v, XlError)]
    if errors:
        return errors[0]
    return [v for v in values if isinstance(v, float) and not isinstance(v, bool)]


def _key(v):
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, float):
        return ("n", v)
    if v is None or v == "":
        return ("s", "")
    if isinstance(v, str):
        return ("s", v.casefold())
    return ("e", str(v))


def _number(v):
    """A value in arithmetic: blank 0, TRUE 1, a number's text its number, other text #VALUE!."""
    if isinstance(v, XlError):
        return v
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        return v
    try:
        return float(str(v).strip())
    except ValueError:
        return VALUE


def _text(v) -> str | XlError:
    if isinstance(v, XlError):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return v


def _truth(v):
    if isinstance(v, XlError):
        return v
    if v is None:
        return False
    if isinstance(v, (bool, float)):
        return bool(v)
    if v.upper() in ("TRUE", "FALSE"):
        return v.upper() == "TRUE"
    return VALUE


def _rank(v) -> int:
    return 2 if isinstance(v, bool) else 1 if isinstance(v, str) else 0


def _compare(op: str, a, b):
    for e in (a, b):
        if isinstance(e, XlError):
            return e
    if a is None:
        a = "" if isinstance(b, str) else False if isinstance(b, bool) else 0.0
    if b is None:
        b = "" if isinstance(a, str) else False if isinstance(a, bool) else 0.0
    ka, kb = (_rank(a), a.casefold() if isinstance(a, str) else a), (_rank(b), b.casefold() if isinstance(b, str) else b)
    return {"=": ka == kb, "<>": ka != kb, "<": ka < kb, ">": ka > kb, "<=": ka <= kb, ">=": ka >= kb}[op]


def _arith(op: str, a, b):
    a, b = _number(a), _number(b)
    for e in (a, b):
        if isinstance(e, XlError):
            return e
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return DIV0 if b == 0 else a / b
    try:
        return float(a ** b)
    except (OverflowError, ZeroDivisionError, TypeError):
        return XlError("#NUM!")


def _concat(a, b):
    a, b = _text(a), _text(b)
    for e in (a, b):
        if isinstance(e, XlError):
            return e
    return a + b


_COMPARISONS = ("=", "<>", "<", ">", "<=", ">=")


def _binary(op: str, a, b):
    """``a op b``, element by element where either is an array (a scalar against every element)."""
    if isinstance(a, Grid) or isinstance(b, Grid):
        rows = len(a) if isinstance(a, Grid) else len(b)
        cols = len(a[0]) if isinstance(a, Grid) else len(b[0])
        if isinstance(a, Grid) and isinstance(b, Grid) and (len(b), len(b[0])) != (rows, cols):
            raise UnsupportedFormula("operation on ranges of different sizes")
        pick = (lambda g, i, j: g[i][j] if isinstance(g, Grid) else g)
        return Grid([[_binary(op, pick(a, i, j), pick(b, i, j)) for j in range(cols)] for i in range(rows)])
    if op in _COMPARISONS:
        return _compare(op, a, b)
    if op == "&":
        return _concat(a, b)
    return _arith(op, a, b)


def _negate(v):
    if isinstance(v, Grid):
        return Grid([[_negate(x) for x in row] for row in v])
    n = _number(v)
    return n if isinstance(n, XlError) else -n


# -- criteria (SUMIF, SUMIFS) -------------------------------------------------------------------------------
_CRITERION = re.compile(r"^(<=|>=|<>|<|>|=)?(.*)$", re.S)


_CRITERIA: dict = {}


def _criterion(c):
    """``_make_criterion``, once per criterion value (by type too: 1.0, True and "1" differ)."""
    key = (type(c), c)
    test = _CRITERIA.get(key)
    if test is None:
        if len(_CRITERIA) > 100_000:
            _CRITERIA.clear()
        test = _CRITERIA[key] = _make_criterion(c)
    return test


def _make_criterion(c):
    """A criterion as a test of one value, or ("eq", key) for a plain equality (looked up by index)."""
    if isinstance(c, XlError):
        return c
    if c is None:
        c = ""
    if not isinstance(c, str):
        return ("eq", _key(float(c) if isinstance(c, float) else c))
    op, rest = _CRITERION.match(c).groups()
    try:
        number = float(rest) if rest.strip() else None
    except ValueError:
        number = None
    if op is None and number is None and not any(ch in rest for ch in "*?~"):
        return ("eq", _key(rest))
    op = op or "="
    if number is not None:
        return lambda v: isinstance(v, float) and not isinstance(v, bool) and _compare(op, v, number) is True
    if op in ("=", "<>") and any(ch in rest for ch in "*?~"):
        pattern = re.compile(_wildcard(rest), re.S | re.I)
        hit = (lambda v: isinstance(v, str) and pattern.fullmatch(v) is not None)
        return hit if op == "=" else (lambda v: not hit(v))
    if rest == "" and op in ("=", "<>"):
        return (lambda v: v is None) if op == "=" else (lambda v: v is not None)
    return lambda v: isinstance(v, str) and _compare(op, v, rest) is True


def _wildcard(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "~" and i + 1 < len(text):
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return "".join(out)


# -- the evaluator ------------------------------------------------------------------------------------------
_PRECEDENCE = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}
_LAZY = {"IF", "IFERROR"}
_SHEET_REF = re.compile(r"^(?:(?:'((?:[^']|'')+)'|([^'!]+))!)?(.+)$")
_TOKEN = re.compile(r"""
    \s+
  | (?P<str>"(?:[^"]|"")*")
  | (?P<func>[A-Za-z_][A-Za-z0-9_.]*)\(
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!)?\$?[A-Za-z]{1,3}\$?[0-9]+(?::\$?[A-Za-z]{1,3}\$?[0-9]+)?)(?![A-Za-z0-9_(!])
  | (?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[Ee][+-]?[0-9]+)?)
  | (?P<bool>TRUE|FALSE)\b
  | (?P<op><>|<=|>=|[-+*/^&=<>])
  | (?P<punct>[(),])
  | (?P<other>[^\s]+)
""", re.X | re.S)


@functools.lru_cache(maxsize=65536)
def tokens_of(formula: str) -> tuple[tuple[str, str], ...]:
    """(kind, text) tokens of a formula: str, func (name), ref, num, bool, op, punct.  Cached: a column's
    formulas repeat the same ranges."""
    out = []
    for m in _TOKEN.finditer(formula.lstrip("=")):
        kind = m.lastgroup
        if kind is None:
            continue
        if kind == "other":
            raise UnsupportedFormula(f"{m.group()!r} (defined names, whole columns and the like are not evaluated)")
        out.append((kind, m.group(kind)))
    return tuple(out)


@functools.lru_cache(maxsize=65536)
def _reference(text: str) -> tuple[str | None, int, int, int, int]:
    """(sheet or None for this sheet, first row, first column, last row, last column) of an A1 reference."""
    quoted, plain, cells = _SHEET_REF.match(text).groups()
    sheet = quoted.replace("''", "'") if quoted else plain
    ends = cells.replace("$", "").upper().split(":")
    (r1, c1), (r2, c2) = xl_cell_to_rowcol(ends[0]), xl_cell_to_rowcol(ends[-1])
    return sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


_A1 = re.compile(r"(?:(?:'((?:[^']|'')+)'|([^'!]+))!)?\$?([A-Za-z]{1,3})\$?([0-9]+)"
                 r"(?::\$?([A-Za-z]{1,3})\$?([0-9]+))?")
_COLUMNS: dict[str, int] = {}


def _column_number(letters: str) -> int:
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for ch in letters.upper():
            number = number * 26 + ord(ch) - ord("A") + 1
        number = _COLUMNS[letters] = number - 1
    return number


def _quick_reference(text: str) -> tuple[str | None, int, int, int, int]:
    """``_reference`` without XlsxWriter's general cell parser (a tenth of the time: every row's
    references differ, so they are not found in a cache)."""
    m = _A1.fullmatch(text)
    if m is None:
        return _reference(text)
    quoted, plain, col1, row1, col2, row2 = m.groups()
    sheet = quoted.replace("''", "'") if quoted else plain
    r1, c1 = int(row1) - 1, _column_number(col1)
    r2, c2 = (int(row2) - 1, _column_number(col2)) if col2 is not None else (r1, c1)
    return sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


@functools.lru_cache(maxsize=65536)
def parsed(sheet: str, formula: str):
    """The parse tree of ``formula`` on ``sheet``.  Cached: the same formula text comes back in every
    workbook a process writes (same rows, same columns), and parsing was half the evaluation time."""
    parser = Evaluator(None, sheet, formula)
    parser.tokens = tokens_of(formula)
    node = parser.expression(0)
    if parser.i != len(parser.tokens):
        raise UnsupportedFormula(f"unexpected {parser.tokens[parser.i][1]!r}")
    return node


# -- formulas compiled once per shape ------------------------------------------------------------------------
# Why: a sheet's formulas repeat one shape down a column (=IF(N(F7)>0,H7/F7-1,"") on every row, only the
# references differ), and parsing each formula was half of the time.  A shape is the formula's text with
# its references taken out; it is parsed once into closures that take the formula's references.
_REF_TEXT = (r"(?:(?:'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_.]*)!)?\$?[A-Za-z]{1,3}\$?[0-9]+"
             r"(?::\$?[A-Za-z]{1,3}\$?[0-9]+)?")
# texts (skipped whole) and references; a reference is only taken where no name, number or reference
# goes on either side of it (where the tokens below could see it differently, the shape is checked
# against them once and, if they differ, computed the old way)
_SHAPE = re.compile(r'("(?:[^"]|"")*")|(?<![A-Za-z0-9_.$:!\'"])(' + _REF_TEXT + r")(?![A-Za-z0-9_(!.:$'])")
_COMPILED: dict = {}


class _NotCompiled(Exception):
    """A shape the closures do not cover: its formulas are computed by ``Evaluator`` one by one."""


def _compile_shape(text: str, parts: list):
    """The closure computing the formulas of ``text``'s shape, or False where they are computed one
    by one (the tokens see the references differently, the formula does not parse, a rare form)."""
    found = [(m.start(2), m.group(2)) for m in _SHAPE.finditer(text) if m.group(2) is not None]
    try:
        tokens = [(m.start(m.lastgroup), m.group(m.lastgroup)) for m in _TOKEN.finditer(text)
                  if m.lastgroup == "ref"]
        if tokens != found or any(m.lastgroup == "other" for m in _TOKEN.finditer(text)):
            return False
        parser = Evaluator(None, "", text)
        parser.tokens = tokens_of(text)
        parser.slots = 0
        node = parser.expression(0)
        if parser.i != len(parser.tokens):
            return False
        return _compile_value(node)
    except (UnsupportedFormula, _NotCompiled):
        return False


def _n_of(v):
    if isinstance(v, Grid):
        v = v[0][0]
    if isinstance(v, XlError):
        return v
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    return v if isinstance(v, float) else 0.0


def _is_number(v):
    if isinstance(v, Grid):
        return Grid([[isinstance(x, float) and not isinstance(x, bool) for x in row] for row in v])
    return isinstance(v, float) and not isinstance(v, bool)


_ONE_VALUE_FUNCTIONS = {"N": _n_of, "ISNUMBER": _is_number}


def _one(v):
    if isinstance(v, Grid):
        raise UnsupportedFormula("a range where one value is expected")
    return v


def _compile_value(node):
    """A closure giving the node's value with references read (Evaluator.array of Evaluator.compute)."""
    if node[0] == "slot":
        k = node[1]

        def read(ev, refs):
            ref = refs[k]
            if ref.r1 == ref.r2 and ref.c1 == ref.c2:
                return ev.book.value(ref.sheet, ref.r1, ref.c1)
            return ev.book.grid(ref)
        return read
    return _compile(node)  # only references stay references: no other node gives one


_FAST_ARITH = {"+": float.__add__, "-": float.__sub__, "*": float.__mul__}
_FAST_COMPARE = {"=": float.__eq__, "<>": float.__ne__, "<": float.__lt__, ">": float.__gt__,
                 "<=": float.__le__, ">=": float.__ge__}


def _compile(node):
    """A closure ``f(evaluator, refs)`` computing the node as ``Evaluator.compute`` does."""
    kind = node[0]
    if kind == "num":
        constant = node[1]
        return lambda ev, refs: constant
    if kind == "slot":
        k = node[1]
        return lambda ev, refs: refs[k]
    if kind == "neg":
        operand = _compile_value(node[1])
        return lambda ev, refs: _negate(operand(ev, refs))
    if kind == "op":
        return _compile_operation(node[1], _compile_value(node[2]), _compile_value(node[3]))
    if kind == "call":
        return _compile_call(node[1], node[2])
    raise _NotCompiled(kind)


def _compile_operation(op, left, right):
    fast = _FAST_ARITH.get(op)
    if fast is not None:
        def arithmetic(ev, refs):
            a, b = left(ev, refs), right(ev, refs)
            if type(a) is float and type(b) is float:
                return fast(a, b)
            return _binary(op, a, b)
        return arithmetic
    if op == "/":
        def divide(ev, refs):
            a, b = left(ev, refs), right(ev, refs)
            if type(a) is float and type(b) is float and b != 0:
                return a / b
            return _binary(op, a, b)
        return divide
    if op in _FAST_COMPARE:
        compare = _FAST_COMPARE[op]

        def comparison(ev, refs):
            a, b = left(ev, refs), right(ev, refs)
            if type(a) is float and type(b) is float and a == a and b == b:  # NaN the long way
                return compare(a, b)
            return _binary(op, a, b)
        return comparison
    return lambda ev, refs: _binary(op, left(ev, refs), right(ev, refs))


def _compile_call(name: str, args):
    if name == "IF":
        if not 1 <= len(args) <= 3:
            raise _NotCompiled(name)
        return _compile_if(*[_compile_value(a) if a is not None else None for a in (list(args) + [None, None])[:3]])
    if name == "IFERROR":
        if len(args) != 2:
            raise _NotCompiled(name)
        first, fallback = _compile_value(args[0]), _compile_value(args[1])

        def if_error(ev, refs):
            v = _one(first(ev, refs))
            return _one(fallback(ev, refs)) if isinstance(v, XlError) else v
        return if_error
    if name in _ONE_VALUE_FUNCTIONS and len(args) == 1:
        of, operand = _ONE_VALUE_FUNCTIONS[name], _compile_value(args[0])
        return lambda ev, refs: of(operand(ev, refs))
    handler = getattr(Evaluator, "fn_" + name.replace(".", "_"), None)
    if handler is None or name in _LAZY:
        raise _NotCompiled(name)  # computed one by one: the old path raises at the call, when reached
    computed = [_compile(a) for a in args]
    return lambda ev, refs: handler(ev, [f(ev, refs) for f in computed])


def _compile_if(test, then, otherwise):
    def if_(ev, refs):
        cond = _truth(_one(test(ev, refs)))
        if isinstance(cond, XlError):
            return cond
        if cond:
            return _one(then(ev, refs)) if then is not None else True
        return _one(otherwise(ev, refs)) if otherwise is not None else False
    return if_


class Evaluator:
    """One formula of one sheet: parsed by precedence climbing over its tokens (``parsed``), then
    computed on ``book``'s cells."""

    def __init__(self, book: Book | None, sheet: str, formula: str):
        self.book, self.sheet, self.formula = book, sheet, formula
        self.tokens: tuple[tuple[str, str], ...] = ()  # while parsing (``parsed``)
        self.i = 0
        self.slots: int | None = None  # while parsing a shape: the references numbered in order

    def run(self):
        return self.scalar(self.compute(parsed(self.sheet, self.formula)))

    # parsing: nodes are tuples ("num", v), ("ref", Ref), ("op", op, a, b), ("neg", a), ("call", NAME, args)
    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def expression(self, level: int):
        left = self.unary()
        while True:
            kind, op = self.peek()
            if kind != "op" or _PRECEDENCE[op] < level:
                return left
            self.i += 1
            left = ("op", op, left, self.expression(_PRECEDENCE[op] + 1))

    def unary(self):
        kind, op = self.peek()
        if kind == "op" and op in "+-":
            self.i += 1
            operand = self.unary()
            return ("neg", operand) if op == "-" else operand
        return self.primary()

    def primary(self):
        kind, text = self.peek()
        self.i += 1
        if kind == "num":
            return ("num", float(text))
        if kind == "str":
            return ("num", text[1:-1].replace('""', '"'))
        if kind == "bool":
            return ("num", text == "TRUE")
        if kind == "ref":
            return self.reference_node(text)
        if kind == "func":
            return self.call(text.upper())
        if text == "(":
            node = self.expression(0)
            self.expect(")")
            return node
        raise UnsupportedFormula(f"unexpected {text!r}" if kind != "end" else "formula ends too early")

    def expect(self, text: str) -> None:
        if self.peek() != ("punct", text):
            raise UnsupportedFormula("unbalanced parentheses")
        self.i += 1

    def call(self, name: str):
        args = []
        if self.peek() == ("punct", ")"):
            self.i += 1
            return ("call", name, args)
        while True:
            args.append(self.expression(0))
            if self.peek() == ("punct", ","):
                self.i += 1
                continue
            self.expect(")")
            return ("call", name, args)

    def reference_node(self, text: str):
        if self.slots is not None:  # parsing a shape (``_compile_shape``): the k-th reference
            self.slots += 1
            return ("slot", self.slots - 1)
        return ("ref", self.reference(text))

    def reference(self, text: str) -> Ref:
        sheet, r1, c1, r2, c2 = _reference(text)
        return Ref(sheet if sheet is not None else self.sheet, r1, c1, r2, c2)

    # computing
    def compute(self, node):
        kind = node[0]
        if kind == "num":
            return node[1]
        if kind == "ref":
            return node[1]
        if kind == "neg":
            return _negate(self.array(self.compute(node[1])))
        if kind == "op":
            return _binary(node[1], self.array(self.compute(node[2])), self.array(self.compute(node[3])))
        return self.function(node[1], node[2])

    def array(self, v):
        """A reference's values: one cell's value, or a range's grid; anything else as it is."""
        if isinstance(v, Ref):
            return self.book.value(v.sheet, v.r1, v.c1) if v.single else self.book.grid(v)
        return v

    def scalar(self, v):
        v = self.array(v)
        if isinstance(v, Grid):
            raise UnsupportedFormula("a range where one value is expected")
        return v

    def function(self, name: str, args):
        handler = getattr(self, "fn_" + name.replace(".", "_"), None)
        if handler is None:
            raise UnsupportedFormula(f"function {name} is not evaluated")
        if name in _LAZY:
            return handler(args)
        return handler([self.compute(a) for a in args])

    # lazy
    def fn_IF(self, args):
        cond = _truth(self.scalar(self.compute(args[0])))
        if isinstance(cond, XlError):
            return cond
        if cond:
            return self.scalar(self.compute(args[1])) if len(args) > 1 else True
        return self.scalar(self.compute(args[2])) if len(args) > 2 else False

    def fn_IFERROR(self, args):
        v = self.scalar(self.compute(args[0]))
        return self.scalar(self.compute(args[1])) if isinstance(v, XlError) else v

    # aggregates
    def _numbers(self, args):
        """Numbers of the arguments as SUM sees them (in ranges: numbers only; direct: coerced), or
        the first error among them.  Every range is read first (as a spreadsheet program does)."""
        parts = [(True, self.book.numbers(v)) if isinstance(v, Ref)
                 else (True, _range_numbers(_flat(v))) if isinstance(v, Grid) else (False, v) for v in args]
        out = []
        for ranged, v in parts:
            if isinstance(v, XlError):
                return v
            if ranged:
                out += v
            else:
                n = _number(v)
                if isinstance(n, XlError):
                    return n
                out.append(n)
        return out

    def values_of(self, computed) -> list:
        out = []
        for v in computed:
            if isinstance(v, (Ref, Grid)):
                out += [(x, True) for x in _flat(self.array(v))]
            else:
                out.append((v, False))
        return out

    def fn_SUM(self, args):
        if len(args) == 1 and isinstance(args[0], Ref):  # a column's total is asked for again and again
            total = self.book.sums.get(args[0])
            if total is None:
                nums = self._numbers(args)
                total = self.book.sums[args[0]] = nums if isinstance(nums, XlError) else float(math.fsum(nums))
            return total
        nums = self._numbers(args)
        return nums if isinstance(nums, XlError) else float(math.fsum(nums))

    def fn_MIN(self, args):
        nums = self._numbers(args)
        return nums if isinstance(nums, XlError) else (min(nums) if nums else 0.0)

    def fn_MAX(self, args):
        nums = self._numbers(args)
        return nums if isinstance(nums, XlError) else (max(nums) if nums else 0.0)

    def fn_COUNT(self, args):
        return float(sum(1 for v, _ in self.values_of(args) if isinstance(v, float) and not isinstance(v, bool)))

    def _logical(self, args, combine):
        found = []
        for v, ranged in self.values_of(args):
            if isinstance(v, XlError):
                return v
            if ranged and not isinstance(v, (bool, float)):
                continue
            t = _truth(v)
            if isinstance(t, XlError):
                return t
            found.append(t)
        return combine(found) if found else VALUE

    def fn_AND(self, args):
        return self._logical(args, all)

    def fn_OR(self, args):
        return self._logical(args, any)

    def fn_SUMPRODUCT(self, args):
        grids = [self.array(a) for a in args]
        grids = [g if isinstance(g, Grid) else Grid([[g]]) for g in grids]
        shape = (len(grids[0]), len(grids[0][0]))
        if any((len(g), len(g[0])) != shape for g in grids):
            return VALUE
        total = []
        for cells in zip(*(_flat(g) for g in grids)):
            product = 1.0
            for v in cells:
                if isinstance(v, XlError):
                    return v
                product *= v if isinstance(v, float) and not isinstance(v, bool) else 0.0
            total.append(product)
        return float(math.fsum(total))

    def fn_SUMIFS(self, args):
        if len(args) < 3 or len(args) % 2 == 0:
            raise UnsupportedFormula("SUMIFS needs a sum range and pairs of range and criterion")
        return self._sum_if(args[0], list(zip(args[1::2], args[2::2])))

    def fn_SUMIF(self, args):
        return self._sum_if(args[2] if len(args) > 2 else args[0], [(args[0], args[1])])

    def _sum_if(self, sum_ref, pairs):
        if not isinstance(sum_ref, Ref) or any(not isinstance(r, Ref) for r, _ in pairs):
            raise UnsupportedFormula("SUMIFS/SUMIF over something that is not a range")
        size = (sum_ref.r2 - sum_ref.r1, sum_ref.c2 - sum_ref.c1)
        rows = None
        plain_refs, plain_keys = [], []
        for ref, crit in pairs:
            if (ref.r2 - ref.r1, ref.c2 - ref.c1) != size:
                return VALUE
            test = _criterion(self.scalar(crit))
            if isinstance(test, XlError):
                return test
            if isinstance(test, tuple):
                self.book.grid(ref)  # read here, in the order of the pairs
                plain_refs.append(ref)
                plain_keys.append(test[1])
            else:
                hits = {i for i, v in enumerate(self.book.flat(ref)) if test(v)}
                rows = hits if rows is None else rows & hits
        if plain_refs:
            found = self.book.criteria_index(tuple(plain_refs)).get(tuple(plain_keys), ())
            rows = found if rows is None else [i for i in found if i in rows]  # found is in order
        else:
            rows = sorted(rows)
        summed = self.book.flat(sum_ref)
        nums = []
        for i in rows:
            v = summed[i]
            if isinstance(v, XlError):
                return v
            if isinstance(v, float) and not isinstance(v, bool):
                nums.append(v)
        return float(math.fsum(nums))

    # one value
    def fn_N(self, args):
        return _n_of(self.array(args[0]))

    def fn_ISNUMBER(self, args):
        return _is_number(self.array(args[0]))

    def fn_ROUND(self, args):
        v, digits = _number(self.scalar(args[0])), _number(self.scalar(args[1]) if len(args) > 1 else 0.0)
        for e in (v, digits):
            if isinstance(e, XlError):
                return e
        step = Decimal(1).scaleb(-int(digits))
        # the number as the file holds it: XlsxWriter writes 16 significant digits (%.16G), so a full-precision
        # 56073.534999999996 is 56073.535 in the file, which a spreadsheet rounds to 56073.54
        return float(Decimal("%.16G" % v).quantize(step, rounding=ROUND_HALF_UP))

    def fn_ABS(self, args):
        v = _number(self.scalar(args[0]))
        return v if isinstance(v, XlError) else abs(v)

    def fn_TRIM(self, args):
        t = _text(self.scalar(args[0]))
        return t if isinstance(t, XlError) else re.sub(" +", " ", t).strip(" ")

    def fn_INDEX(self, args):
        grid = self.array(args[0])
        grid = grid if isinstance(grid, Grid) else Grid([[grid]])
        pos = [_number(self.scalar(a)) for a in args[1:]]
        for p in pos:
            if isinstance(p, XlError):
                return p
        if len(pos) == 1:
            flat, n = _flat(grid), int(pos[0])
            if not (len(grid) == 1 or len(grid[0]) == 1) or not 1 <= n <= len(flat):
                return XlError("#REF!")
            return flat[n - 1]
        r, c = int(pos[0]), int(pos[1])
        if not (1 <= r <= len(grid) and 1 <= c <= len(grid[0])):
            return XlError("#REF!")
        return grid[r - 1][c - 1]

    def fn_MATCH(self, args):
        wanted = self.scalar(args[0])
        if isinstance(wanted, XlError):
            return wanted
        kind = _number(self.scalar(args[2])) if len(args) > 2 else 1.0
        if kind != 0:
            raise UnsupportedFormula("MATCH is evaluated for exact matches (0) only")
        key = _key(wanted)
        for i, v in enumerate(_flat(self.array(args[1]))):
            if v is not None and _key(v) == key:
                return float(i + 1)
        return NA
