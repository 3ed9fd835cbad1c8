"""How every kamplan sheet prints: A4 landscape (or portrait), repeated titles, a header and footer in
the workbook's language, one page wide only where that stays readable, and no chart cut by a page break.

``page_setup`` is what a writer calls per sheet (it records the sheet's wish); ``finish_printing``
runs once per workbook just before it is saved, when every column width, row height and chart is
known, and decides what only then can be decided:

- **One page wide** only where the resulting scale keeps the 10 pt text at 8 pt or more
  (``MIN_SCALE``), computed from the sheet's column widths, overflowing text and charts.  A wider sheet is not shrunk: it prints
  at ``WIDE_SCALE`` across several pages, the key columns (account, product ...) repeated on each.
- **Column pages** (``column_breaks``): a sheet too wide for one page may name where its pages end
  across (e.g. one period's block per page), so that each printed page holds whole blocks rather than
  wherever 80 % runs out; kept only when every such page fits with the repeated key columns.
- **Row groups** (``row_groups``): a long table keeps each group (an account's lines) on one page: a
  horizontal page break above a group that would otherwise straddle a page boundary.
- **Charts**: a chart that would straddle a page boundary starts a new page (a horizontal page break
  above the row it is anchored in).
"""
from __future__ import annotations

from kamplan.workbooks.kit.i18n import t

PAPER_A4 = 9
MARGIN_SIDE, MARGIN_TOP = 0.4, 0.6  # inches; the header and footer sit in the top and bottom margins
A4_POINTS = (595.28, 841.89)  # portrait width, height
BODY_POINTS = 10  # the workbooks' cell font size (styles.BASE)
MIN_POINTS = 8
MIN_SCALE = MIN_POINTS / BODY_POINTS
WIDE_SCALE = 80  # percent: a sheet too wide for one page prints at the smallest readable size
PIXELS_TO_POINTS = 0.75
# LibreOffice lays the columns out about 10 % wider than their pixel widths (measured: a sheet at the
# computed scale spilled its last column onto a second page); the estimate keeps that margin
LAYOUT_MARGIN = 1.12


def escape(text: str) -> str:
    """Text for a header or footer: ``&`` starts a code there."""
    return str(text).replace("&", "&&")


def page_setup(ws, header_row: int | None = None, *, landscape: bool = True, wide: bool = False,
               key_columns: int = 0, language: str = "en", header: str = "", column_breaks: tuple = (),
               row_groups: tuple = ()) -> None:
    """A4, margins, the table's header rows repeated on every page, ``header`` (the workbook, the
    salesperson, the round) at the top and file, sheet and "page x of y" at the bottom, in
    ``language``.  The width is decided by ``finish_printing``: one page wide when readable, else
    ``WIDE_SCALE`` with the first ``key_columns`` repeated (``wide``: the writer knows already);
    ``column_breaks``: the first column of each page across (0-based), ``row_groups``: (first, last)
    0-based rows kept on one page each (see the module docstring)."""
    ws.set_paper(PAPER_A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=MARGIN_TOP, bottom=MARGIN_TOP)
    if header:
        ws.set_header(f"&L{escape(header)[:200]}", {"margin": 0.25})
    ws.set_footer(f"&L&F › &A&R{t('print.page', language)}", {"margin": 0.25})
    repeated = None
    if header_row is not None:
        repeated = (header_row - (1 if wide else 0), header_row)
        ws.repeat_rows(*repeated)
    ws.kamplan_print = {"landscape": landscape, "wide": wide, "key_columns": key_columns, "repeated": repeated,
                        "column_breaks": tuple(column_breaks), "row_groups": tuple(row_groups)}


def finish_printing(wb) -> None:
    """Decide each sheet's width on paper and keep charts whole (see the module docstring)."""
    strings = {index: text for text, index in wb.str_table.string_table.items()}
    for ws in wb.worksheets():
        wish = getattr(ws, "kamplan_print", None)
        if wish is None:
            continue
        scale = fit_width(ws, wish, strings)
        if scale == WIDE_SCALE / 100:
            break_columns(ws, wish)
        keep_groups_together(ws, scale, wish)
        keep_charts_whole(ws, scale, wish["landscape"])


def printable(landscape: bool) -> tuple[float, float]:
    """(width, height) in points inside the margins."""
    w, h = A4_POINTS if not landscape else A4_POINTS[::-1]
    return w - 2 * MARGIN_SIDE * 72, h - 2 * MARGIN_TOP * 72


def _col_left(ws, col: int) -> float:
    return sum(ws._size_col(c) for c in range(col)) * PIXELS_TO_POINTS


def text_width(text: str, font_size: float) -> float:
    """About how wide ``text`` prints in points: half an em per Latin character, a full em per wide
    (Chinese) character."""
    return sum(font_size if ord(ch) > 0x2E7F else font_size * 0.55 for ch in text)


def _overflow_right(ws, strings: dict[int, str]) -> float:
    """The right edge in points of text that runs past its cell into empty cells (titles, notes): a
    spreadsheet program prints that text, so the sheet is as wide as its longest such line."""
    edge = 0.0
    for r, row in ws.table.items():
        for c, cell in row.items():
            if type(cell).__name__ != "String" or (c + 1) in row:
                continue
            fmt = cell.format
            if fmt is not None and (getattr(fmt, "text_wrap", 0) or getattr(fmt, "shrink", 0)):
                continue
            text = strings.get(cell.string, "") if isinstance(cell.string, int) else str(cell.string)
            size = getattr(fmt, "font_size", 11) if fmt is not None else 11
            longest = max((text_width(line, size) for line in text.split("\n")), default=0.0)
            edge = max(edge, _col_left(ws, c) + longest)
    return edge


def _charts_right(ws) -> float:
    return max((_col_left(ws, col) + (x_offset + chart.width * x_scale) * PIXELS_TO_POINTS
                for _row, col, chart, x_offset, _y, x_scale, *_ in ws.charts), default=0.0)


def sheet_width(ws, strings: dict[int, str] | None = None) -> float:
    """The printed width in points of the sheet: its used columns (hidden ones print as nothing), text
    running past the last of them, and its charts."""
    used = [c for c in ws.col_info if not ws.col_info[c].hidden]
    last = max([ws.dim_colmax or 0, *used])
    columns = sum(ws._size_col(c) for c in range(last + 1)) * PIXELS_TO_POINTS
    return max(columns, _overflow_right(ws, strings or {}), _charts_right(ws))


def fit_width(ws, wish: dict, strings: dict[int, str] | None = None) -> float:
    """The print scale: the largest that fits the sheet on one page wide, when that keeps ``MIN_SCALE``;
    else ``WIDE_SCALE`` across pages with the key columns repeated.  Set as a fixed scale rather than
    "fit to one page wide": LibreOffice's fit shrinks these sheets further than their width needs
    (to 6-7 pt, measured), a fixed scale prints the same everywhere.  Returns the scale (1.0 = 100 %)."""
    page_width, _ = printable(wish["landscape"])
    needed = page_width / max(sheet_width(ws, strings) * LAYOUT_MARGIN, 1.0)
    if not wish["wide"] and needed >= MIN_SCALE:
        percent = min(100, int(needed * 100))
        ws.set_print_scale(percent)
        return percent / 100
    ws.set_print_scale(WIDE_SCALE)
    if wish["key_columns"]:
        ws.repeat_columns(0, wish["key_columns"] - 1)
    return WIDE_SCALE / 100


def _row_top(ws, row: int, cache: dict) -> float:
    """Points from the top of the sheet to the top of ``row``.  The rows' heights (whole pixels) are added
    up once, row after row, into ``cache`` (a sum from the top for each row asked about made a long
    table's page breaks quadratic: hours at 80,000 rows)."""
    tops = cache.setdefault("pixels_above", [0])
    while len(tops) <= row:
        tops.append(tops[-1] + ws._size_row(len(tops) - 1))
    return tops[row] * PIXELS_TO_POINTS


def keep_charts_whole(ws, scale: float, landscape: bool) -> None:
    """A page break above each chart that would otherwise straddle a page boundary."""
    if not ws.charts:
        return
    _, page_height = printable(landscape)
    page = page_height / scale  # sheet points per page
    breaks, tops = set(ws.hbreaks), {}
    for row, _col, chart, _x, y_offset, _xs, y_scale, *_ in sorted(ws.charts, key=lambda c: c[0]):
        top = _row_top(ws, row, tops) + y_offset * PIXELS_TO_POINTS
        height = chart.height * y_scale * PIXELS_TO_POINTS
        start = max([_row_top(ws, b, tops) for b in breaks if b <= row] or [0.0])
        into = (top - start) % page
        if into + height > page * 0.97 and height < page and row > 0:
            breaks.add(row)
    if breaks != set(ws.hbreaks):
        ws.set_h_pagebreaks(sorted(breaks))


def break_columns(ws, wish: dict) -> bool:
    """Vertical page breaks at ``wish["column_breaks"]`` when every page across then fits at
    ``WIDE_SCALE`` (with the repeated key columns on each page after the first); else LibreOffice's own
    breaks stand.  Returns whether the breaks were set."""
    starts = sorted(b for b in wish.get("column_breaks", ()) if b > 0)
    if not starts:
        return False
    page_width = printable(wish["landscape"])[0] / (WIDE_SCALE / 100)
    keys = _col_left(ws, wish["key_columns"]) if wish["key_columns"] else 0.0
    last = max(ws.dim_colmax or 0, *ws.col_info) + 1 if ws.col_info else (ws.dim_colmax or 0) + 1
    edges = [0, *starts, last]
    for n, (a, b) in enumerate(zip(edges, edges[1:])):
        width = (_col_left(ws, b) - _col_left(ws, a) + (keys if n else 0.0)) * LAYOUT_MARGIN
        if width > page_width:
            return False
    ws.set_v_pagebreaks(starts)
    return True


def _repeated_height(ws, wish: dict, tops: dict) -> float:
    rows = wish.get("repeated")
    if not rows:
        return 0.0
    return _row_top(ws, rows[1] + 1, tops) - _row_top(ws, rows[0], tops)


def keep_groups_together(ws, scale: float, wish: dict) -> None:
    """A horizontal page break above each row group (``wish["row_groups"]``) that would straddle a page
    boundary; a group taller than a page runs on (the program breaks it) and the next starts afresh."""
    groups = sorted(wish.get("row_groups", ()))
    if len(groups) < 2:
        return
    tops: dict = {}
    page = printable(wish["landscape"])[1] / scale * 0.97  # sheet points per page, a little to spare
    repeat = _repeated_height(ws, wish, tops)
    breaks = set(ws.hbreaks)
    start, room = 0, page  # the first page starts at the sheet's top (its titles), the others repeat the header
    for first, last in groups:
        height = _row_top(ws, last + 1, tops) - _row_top(ws, first, tops)
        used = _row_top(ws, first, tops) - _row_top(ws, start, tops)
        if used + height <= room or (used == 0 and room >= page - repeat):
            continue  # it fits, or it already starts a page
        if height > page - repeat:  # a long group starts its own page and runs on
            breaks.add(first)
            used_last = (height - (page - repeat)) % (page - repeat)
            start, room = last + 1, page - repeat - used_last
            continue
        breaks.add(first)
        start, room = first, page - repeat
    if breaks != set(ws.hbreaks):
        ws.set_h_pagebreaks(sorted(breaks))


def runs(first_row: int, keys) -> list[tuple[int, int]]:
    """The (first, last) sheet rows of each run of equal keys in rows from ``first_row`` on (an
    account's lines, a level of a summary): the groups ``row_groups`` keeps on one page."""
    out: list[tuple[int, int]] = []
    previous = object()
    for n, key in enumerate(keys):
        if n and key == previous:
            out[-1] = (out[-1][0], first_row + n)
        else:
            out.append((first_row + n, first_row + n))
        previous = key
    return out
