"""What a person sees when opening or printing a workbook: every kind in both languages, converted to PDF
by LibreOffice with a *default* profile (no forced recalculation: it shows the saved results), one
conversion per workbook.

On every printed page: no ``###`` (a column too narrow), no error value, body text at 8 pt or more;
every non-zero formula figure of a visible cell appears as printed text (not a 0); each sheet prints on
no more pages than its design; the first page renders as a PNG.
"""
from __future__ import annotations

import collections
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

pytestmark = pytest.mark.libreoffice

KINDS = ("targets_round1", "targets_round2_proposal", "account_review", "consolidation", "resource_plan",
         "agreed_targets", "management_summary", "evaluation_vp", "evaluation_rep")
ERRORS = ("###", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#N/A", "#NUM!", "#NULL!", "Err:")
LATIN_HEIGHT = 1.117  # a Latin word's box in LibreOffice's PDF is 1.117 x its font size (10 pt Arial: 11.17)
MIN_POINTS = 7.8  # 8 pt, less what the box measurement scatters

# Pages each sheet prints on for the golden planning year (printed sheets in tab order), measured with
# the kit's print design (kit/printing.py): one page wide where that keeps 8 pt, else 80 % across pages
# with the keys repeated; long tables run down.  A sheet over its count prints worse than designed (or
# LibreOffice adds blank pages, as it did for consolidation Accounts with a Calibri-counted width).
DESIGNED_PAGES = {
    "targets_round1": [1, 6, 1, 1, 2, 2, 2],
    "targets_round2_proposal": [1, 8, 2, 1, 2, 2, 2],
    "account_review": [2, 2, 3, 3, 4, 1, 2, 1, 2],
    "consolidation": [1, 7, 2, 3, 18, 1, 16, 2, 2, 1],  # Charts: a page per chart; Accounts: 58 columns at 80 %, keys repeated; By credit: 1
    "resource_plan": [1, 2, 2, 2, 1, 1, 2, 2, 1, 1, 1],
    "agreed_targets": [4, 1, 1, 1, 1],
    "management_summary": [1, 1, 10],
    "evaluation_vp": [1, 2, 6, 2, 2, 2, 2, 1, 1, 2, 1],
    "evaluation_rep": [1, 2, 6, 2, 2, 2, 2, 1, 1],
}


@pytest.fixture(scope="module")
def pictures(libreoffice, tmp_path_factory):
    """Every workbook as LibreOffice prints it: {file name: (xlsx, pdf)}; the conversion's seconds."""
    books = every_workbook()
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


def _chart_sheets(xlsx) -> set[str]:
    """Sheets holding charts: a chart's own labels are sized by the chart, not by the sheet's print
    scale, so those pages are left out of the 8 pt check (their cells are few)."""
    out = set()
    with zipfile.ZipFile(xlsx) as zf:
        names = set(zf.namelist())
        for sheet, part in sheet_parts(zf).items():
            rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
            if rels not in names:
                continue
            for drawing in re.findall(r'Target="\.\./drawings/(drawing\d+\.xml)"', zf.read(rels).decode()):
                drawing_rels = f"xl/drawings/_rels/{drawing}.rels"
                if drawing_rels in names and "charts/" in zf.read(drawing_rels).decode():
                    out.add(sheet)
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

    small = []
    for p in (p for sheet, sheet_pages in by_sheet.items() if sheet not in _chart_sheets(xlsx) for p in sheet_pages):
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

    counts = [len(v) for v in by_sheet.values()]
    designed = DESIGNED_PAGES[kind]
    assert len(counts) == len(designed), f"printed sheets {list(by_sheet)} ({counts} pages)"
    over = [(s, n, d) for (s, n), d in zip(((s, len(v)) for s, v in by_sheet.items()), designed) if n > d]
    assert not over, f"sheets over their designed page count (sheet, pages, designed): {over}"

    png = tmp_path / "first.png"
    subprocess.run([shutil.which("pdftoppm"), "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(png.with_suffix(""))], check=True, capture_output=True, timeout=120)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
