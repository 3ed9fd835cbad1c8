"""What a person sees when opening or printing a workbook: every kind in both languages, converted to PDF
by LibreOffice with a *default* profile (no forced recalculation: it shows the saved results), one
conversion per workbook.

On every printed page: no ``###`` (a column too narrow), no error value, body text at 8 pt or more;
every non-zero formula figure of a visible cell appears as printed text (not a 0); each sheet prints on
no more pages than its design; the first page renders as a PNG.
"""
from __future__ import annotations

import collections
import dataclasses
import math
import re
import shutil
import statistics
import subprocess
import time
import zipfile
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from kamplan.workbooks.kit.xlsxio import sheet_parts
from support.every_workbook import every_workbook
from support.golden import LANGUAGES
from support.libreoffice import convert_as_opened, pdf_pages
from support.plan_books import plan_books

pytestmark = pytest.mark.libreoffice

ERRORS = ("###", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#N/A", "#NUM!", "#NULL!", "Err:")
LATIN_HEIGHT = 1.117  # a Latin word's box in LibreOffice's PDF is 1.117 x its font size (10 pt Arial: 11.17)
MIN_POINTS = 7.8  # 8 pt, less what the box measurement scatters

@dataclasses.dataclass(frozen=True)
class Design:
    """How a sheet is designed to print: ``across`` pages side by side (1: one page wide at >= 8 pt; more: a
    wide sheet's column pages at 80 %, the key columns repeated on each), each as many pages down as its
    used rows need at ``lines`` sheet lines a page (None: it is one page down, whatever its rows)."""
    across: int
    lines: int | None = None
    rest: bool = False  # the design of every further sheet of the kind (one sheet per salesperson)

    def pages(self, rows: int) -> int:
        return self.across * (max(1, math.ceil(rows / self.lines)) if self.lines else 1)


# Sheet lines a landscape A4 page holds: 636 pt of sheet at 80 % (42 lines of 15 pt, less the repeated
# header and the titles on the first page); 509 pt at 100 % (33 lines, less the same); a sheet that keeps
# each account's lines on one page (kit/printing.py row_groups) loses up to an account's lines a page.
AT_80, AT_100, GROUPED = 38, 30, 34
ONE = Design(1)  # one page: a read-me, a short table one page wide
CHARTS = Design(2)  # a page per chart: no page break cuts a chart
TABLE = Design(1, AT_100)  # one page wide at 100 %, long tables run down
TABLE_80 = Design(1, AT_80)  # one page wide at 80-99 %
WIDE2 = Design(2, AT_80)  # two pages across at 80 % (key columns repeated)

# The design of every printed sheet, in tab order (kit/printing.py decides the scale from the column widths;
# a sheet over its pages prints worse than designed, or LibreOffice adds blank pages).
DESIGNED = {
    "targets_round1": [ONE, Design(3, GROUPED),  # Targets: names, Q1-Q4 volume and price, revenue; accounts whole
                       TABLE, TABLE_80, TABLE, TABLE, TABLE_80],
    "targets_round2_proposal": [ONE, Design(4, GROUPED),  # Targets: round 1's three, then the proposal columns
                                Design(2), TABLE_80, TABLE, TABLE, TABLE_80],
    "account_review": [WIDE2,  # Read me: the steps and the sheet guide, wrapped
                       CHARTS, Design(3, AT_80), Design(3, AT_80),  # Accounts, Scores: 3 across
                       WIDE2, TABLE, WIDE2,  # Products; Profit curve; Movement: both reasons, wrapped
                       ONE, WIDE2],  # Develop candidates; Review: the inputs and the reason
    "consolidation": [ONE, Design(6),  # Summary: names, then the year and Q1-Q4 blocks
                      CHARTS, WIDE2,  # Top-down
                      Design(6, GROUPED),  # Accounts: names, then one period a page across; accounts whole
                      ONE, WIDE2,  # By credit; Lines
                      Design(2), Design(2), ONE],  # Status, Warnings: the reasons wrapped; Versions
    "resource_plan": [ONE, CHARTS, WIDE2, WIDE2, TABLE_80, TABLE_80, WIDE2, WIDE2, TABLE_80, TABLE_80, TABLE_80],
    "agreed_targets": [WIDE2, TABLE, TABLE, TABLE, TABLE_80],  # Annual targets: 2 across
    "management_summary": [ONE, ONE, TABLE],  # Lines: one page wide, 30 lines a page
    "evaluation_vp": [ONE, CHARTS, Design(3, AT_80), WIDE2, WIDE2, WIDE2, WIDE2, TABLE, TABLE, WIDE2, TABLE],
    "evaluation_rep": [ONE, CHARTS, Design(3, AT_80), WIDE2, WIDE2, WIDE2, WIDE2, TABLE, TABLE],
    "account_plan": [ONE, WIDE2, TABLE, WIDE2, WIDE2, TABLE_80, WIDE2],
    "month_review": [ONE, TABLE_80, TABLE_80, TABLE_80, TABLE, TABLE,
                     Design(1, rest=True)],  # one page per salesperson
}
KINDS = tuple(DESIGNED)


@pytest.fixture(scope="module")
def pictures(libreoffice, tmp_path_factory):
    """Every workbook as LibreOffice prints it: {file name: (xlsx, pdf)}; the conversion's seconds."""
    books = dict(every_workbook())
    folder = tmp_path_factory.mktemp("plans")
    for language in LANGUAGES:
        books |= plan_books(folder, language)
    started = time.perf_counter()
    pdfs = convert_as_opened(list(books.values()), tmp_path_factory.mktemp("pdf"))
    seconds = time.perf_counter() - started
    print(f"\nLibreOffice converted {len(books)} workbooks to PDF in {seconds:.1f} s")
    return {name: (path, pdfs[path]) for name, path in books.items()}


def _pages_by_sheet(pages, file_name: str) -> dict[str, list]:
    """Pages per sheet name, from the footer ("file › sheet   Page x of y"); a page without a footer
    (LibreOffice's blank pages) counts for the sheet before it."""
    out, current = collections.OrderedDict(), None
    for page in pages:
        # a chart's axis label reaching into the footer line may sit between file name and sheet
        m = re.search(re.escape(file_name) + r".*? › (.+?) (?:Page|第) ", page.footer())
        if m:
            current = m.group(1).strip()
        out.setdefault(current, []).append(page)
    return out


def _shown(value: float, fmt: str) -> set[str] | None:
    """How a number prints in the formats the workbooks use (both roundings of a tie); None: not checked."""
    decimals = {"#,##0": 0, "0": 0, "#,##0.0": 1, "#,##0.00": 2, "0.0": 1, "0.0%": 1, "0%": 0}.get(fmt)
    if decimals is None:
        return None
    percent = fmt.endswith("%")
    x = value * 100 if percent else value
    step = Decimal(1).scaleb(-decimals)
    texts = set()
    # a program rounds what it shows after cutting to 15 significant digits: 57808.4999999999 shows 57,809
    nearby = (x, x * (1 + 1e-12), x * (1 - 1e-12))
    for rounded in [Decimal(repr(v)).quantize(step, rounding=ROUND_HALF_UP) for v in nearby]:
        rounded = rounded.quantize(step)
        text = f"{rounded:,.{decimals}f}" if "," in fmt else f"{rounded:.{decimals}f}"
        if text.lstrip("-").strip("0.,") == "":
            return None  # prints as 0 because it is (nearly) 0: nothing to check
        texts.add(text + ("%" if percent else ""))
    return texts


def _figures(xlsx) -> dict[str, list[tuple[str, set[str]]]]:
    """Visible sheet -> (cell, how its non-zero formula figure prints) for every visible formula cell."""
    formulas = openpyxl.load_workbook(xlsx)
    saved = CalamineWorkbook.from_path(str(xlsx))
    out = {}
    for ws in formulas.worksheets:
        if ws.sheet_state != "visible":
            continue
        rows = saved.get_sheet_by_name(ws.title).to_python(skip_empty_area=False)
        hidden_cols = {k for k, d in ws.column_dimensions.items() if d.hidden}
        found = []
        for row in ws.iter_rows():
            for c in row:
                if not (isinstance(c.value, str) and c.value.startswith("=")) or c.column_letter in hidden_cols:
                    continue
                if ws.row_dimensions[c.row].hidden:
                    continue
                value = rows[c.row - 1][c.column - 1]
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0:
                    texts = _shown(float(value), c.number_format)
                    if texts:
                        found.append((c.coordinate, texts))
        out[ws.title] = found
    return out


def _designs(kind: str, n_sheets: int) -> list[Design]:
    designs = list(DESIGNED[kind])
    if designs[-1].rest:
        designs += [designs[-1]] * max(0, n_sheets - len(designs))
    return designs


def _used_rows(xlsx) -> dict[str, int]:
    return {ws.title: ws.max_row for ws in openpyxl.load_workbook(xlsx, read_only=True).worksheets}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_printed_workbook_shows_every_figure_readably_on_its_designed_pages(pictures, kind, language,
                                                                                tmp_path):
    name = f"{kind}_{language}.xlsx"
    xlsx, pdf = pictures[name]
    pages = pdf_pages(pdf)
    by_sheet = _pages_by_sheet(pages, name)
    assert None not in by_sheet, "the first page has no footer naming its sheet"

    shown = [(p.number, e) for p in pages for e in ERRORS if e in p.text()]
    assert not shown, f"error values or ### printed: {shown[:5]}"

    small = []  # every page, charts' too: a chart's labels print at the chart's size times the sheet's scale
    for p in pages:
        heights = [w.height / LATIN_HEIGHT for w in p.body() if w.text.isascii() and any(ch.isdigit() or
                                                                                        ch.isalpha() for ch in w.text)]
        if len(heights) >= 5 and statistics.median(heights) < MIN_POINTS:
            small.append((p.number, round(statistics.median(heights), 1)))
    assert not small, f"pages printing below 8 pt (page, median pt): {small}"

    missing = []
    for sheet, cells in _figures(xlsx).items():
        words = {w.text for p in by_sheet.get(sheet, []) for w in p.words}
        missing += [f"'{sheet}'!{ref} {sorted(texts)}" for ref, texts in cells if not texts & words]
    assert not missing, f"{len(missing)} non-zero figures do not print: {missing[:8]}"

    designs = _designs(kind, len(by_sheet))
    assert len(by_sheet) == len(designs), f"printed sheets {list(by_sheet)} ({[len(v) for v in by_sheet.values()]} pages)"
    rows = _used_rows(xlsx)
    over = [(sheet, len(got), d.pages(rows[sheet])) for (sheet, got), d in zip(by_sheet.items(), designs)
            if len(got) > d.pages(rows[sheet])]
    assert not over, f"sheets over their designed pages (sheet, pages, designed): {over}"

    png = tmp_path / "first.png"
    subprocess.run([shutil.which("pdftoppm"), "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(png.with_suffix(""))], check=True, capture_output=True, timeout=120)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
