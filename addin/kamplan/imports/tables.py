"""Any table file (CSV in UTF-8 or GB18030, or the first sheet of an xlsx) as string columns plus ``_row``,
the row number a person sees in the file."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Callable

import polars as pl

from kamplan.config.actuals import ActualsRules
from kamplan.imports.columns import find_columns, has_fields, match_header, repeated_headers
from kamplan.problems import Problem, problem
from kamplan.workbooks.kit.safety import Limits, check_workbook_file

ROW = "_row"
ERP_LIMITS = Limits(max_file_bytes=1024 * 2**20, max_uncompressed_bytes=8 * 1024 * 2**20)  # ERP exports are big
HEADER_SEARCH_ROWS = 30  # a workbook's header is looked for in its top rows (ERP exports put a title above it)


def text(col: str) -> pl.Expr:
    """Stripped text; empty -> null."""
    s = pl.col(col).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def read_table(path: Path, rules: ActualsRules, is_header: Callable[[list[str]], bool] = lambda h: True,
               wanted: dict[str, list[str]] | None = None, lazy: bool = False
               ) -> tuple[pl.DataFrame | pl.LazyFrame | None, str | None, list[Problem]]:
    """The file's first sheet (or ``rules.sheet``) or CSV as string columns under their own headers, plus
    ``_row``: the row number a person sees.  A CSV's header is its first line; in a workbook it is
    the first of the top 30 rows that ``is_header`` accepts (ERP exports often put a title above it),
    else the first row with anything in it.  ``lazy``: a CSV comes as a ``LazyFrame`` whose header has been
    read (the lines are read when it is collected, batch by batch if the caller likes: an ERP export can
    have tens of millions).  Returns (frame, sheet name, problems)."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        return None, None, [problem("import.no-file", path=str(path), file=name)]
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, rules, is_header)
    if suffix in (".xls", ".ods"):
        return None, None, [problem("import.format", suffix=suffix, file=name)]
    if lazy:
        return _scan_csv(path, rules)
    return _read_csv(path, rules, wanted)


def csv_source(path: Path, rules: ActualsRules) -> Path | io.BytesIO:
    """The file, or its text recoded to UTF-8 when it is GB18030 (set, or found by ``auto``)."""
    if rules.encoding == "gb18030" or (rules.encoding == "auto" and not _looks_utf8(path)):
        return _recoded(path)
    return path


def scan_csv(source: Path | io.BytesIO, rules: ActualsRules) -> pl.LazyFrame:
    """The CSV as string columns plus ``_row``, read when collected; its header is read here."""
    lazy = pl.scan_csv(source, infer_schema=False, separator=rules.delimiter, row_index_name=ROW,
                       row_index_offset=2)
    lazy.collect_schema()  # the header now: an unreadable file is a problem here, not halfway through
    return lazy


def _scan_csv(path: Path, rules: ActualsRules):
    try:
        return scan_csv(csv_source(path, rules), rules), None, []
    except UnicodeDecodeError:
        return None, None, [problem("import.not-text", file=path.name)]
    except (pl.exceptions.PolarsError, OSError) as exc:
        return None, None, [problem("import.csv-unreadable", reason=str(exc).splitlines()[0], file=path.name)]


def _read_csv(path: Path, rules: ActualsRules, wanted: dict[str, list[str]] | None = None):
    """With ``wanted`` (field -> accepted headers) only the columns that match are read: an ERP export
    often has 30 columns of which 6 are used."""
    name = path.name
    opts = dict(infer_schema=False, separator=rules.delimiter, row_index_name=ROW, row_index_offset=2)
    def read(source):
        if wanted is not None:
            header = pl.read_csv(source, n_rows=0, infer_schema=False, separator=rules.delimiter).columns
            keep = set(find_columns(header, wanted).values())
            # duplicate headers: read all (polars renames them); nothing known (wrong encoding?): read all
            if keep and len(set(header)) == len(header):
                opts["columns"] = [h for h in header if h in keep]
            if isinstance(source, io.BytesIO):
                source.seek(0)
        return pl.read_csv(source, **opts)

    try:
        if rules.encoding == "gb18030" or (rules.encoding == "auto" and not _looks_utf8(path)):
            frame = read(_recoded(path))
        else:
            try:
                frame = read(path)
            except pl.exceptions.ComputeError as exc:
                if rules.encoding != "auto" or "utf-8" not in str(exc).lower():
                    raise
                opts.pop("columns", None)
                frame = read(_recoded(path))  # Chinese Excel saves CSV as GBK/GB18030
    except UnicodeDecodeError:
        return None, None, [problem("import.not-text", file=name)]
    except (pl.exceptions.PolarsError, OSError) as exc:
        return None, None, [problem("import.csv-unreadable", reason=str(exc).splitlines()[0], file=name)]
    return frame, None, []


def column_names(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    return frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns


def frame_headers(path: Path, frame: pl.DataFrame | pl.LazyFrame, rules: ActualsRules) -> list[str]:
    """The header row as the file has it, repeats included (polars and ``_rows_frame`` rename repeats)."""
    original = column_names(frame)
    if Path(path).suffix.lower() in (".xlsx", ".xlsm"):
        return [re.sub(r"_\d+$", "", c) if re.sub(r"_\d+$", "", c) in original else c for c in original if c != ROW]
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = head.decode("gb18030", errors="replace")
    first = text.splitlines()[0] if text else ""
    return next(csv.reader([first], delimiter=rules.delimiter), [])


def _looks_utf8(path: Path) -> bool:
    """Whether the file's first megabyte is UTF-8 (polars would read GBK bytes as replacement characters
    without a word, and no header would match)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    cut = head.rfind(b"\n")
    try:
        (head[:cut] if cut > 0 and len(head) == 1 << 20 else head).decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _recoded(path: Path) -> io.BytesIO:
    return io.BytesIO(path.read_bytes().decode("gb18030").encode("utf-8"))


def _read_xlsx(path: Path, rules: ActualsRules, is_header: Callable[[list[str]], bool]):
    gate = check_workbook_file(path, ERP_LIMITS)
    if gate:
        return None, None, gate
    sheet_name, rows, problems = _sheet_rows(path, rules.sheet)
    if problems:
        return None, None, problems
    filled = [i for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]) if any(_cell_text(v) for v in r)]
    if not filled:
        return pl.DataFrame({ROW: pl.Series([], dtype=pl.UInt32)}), sheet_name, []
    at = next((i for i in filled if is_header([_cell_text(v) or "" for v in rows[i]])), filled[0])
    return _rows_frame(rows, at), sheet_name, []


def _sheet_rows(path: Path, wanted_sheet: str | None) -> tuple[str | None, list[list], list[Problem]]:
    """The cell values of the sheet (``wanted_sheet`` or the first), or the problem why not."""
    from python_calamine import CalamineWorkbook
    name = path.name
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet_name = wanted_sheet or book.sheet_names[0]
        if sheet_name not in book.sheet_names:
            return None, [], [problem("import.no-sheet", name=repr(sheet_name), sheets=", ".join(book.sheet_names), file=name)]
        return sheet_name, book.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False), []
    except Exception as exc:  # calamine raises its own error types for damaged files
        return None, [], [problem("import.xlsx-unreadable", reason=str(exc), file=name)]


def _rows_frame(rows: list[list], at: int) -> pl.DataFrame:
    """The rows below the header row ``at`` as string columns under its (unique) names."""
    header = [_cell_text(v) or f"column {i + 1}" for i, v in enumerate(rows[at])]
    width = len(header)
    body = rows[at + 1:]
    columns = list(zip(*[(list(r) + [""] * width)[:width] for r in body])) if body else [()] * width
    data = {h: pl.Series(h, [_cell_text(v) for v in col], dtype=pl.String)
            for h, col in zip(_unique_names(header), columns)}
    return pl.DataFrame(data).with_row_index(ROW, offset=at + 2)  # rows[0] is sheet row 1


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


def _cell_text(value) -> str | None:
    """An xlsx cell as the text a CSV export would hold (dates ISO, whole numbers without .0)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if (value.hour, value.minute, value.second) != (0, 0, 0) \
            else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def read_fields(path: Path, rules: ActualsRules, wanted: dict[str, list[str]], required, *, code: str,
                config_key: str, show_accepted: bool = False, only_wanted: bool = False, stripped: bool = False,
                lazy: bool = False) -> tuple[pl.DataFrame | pl.LazyFrame | None, str | None, dict[str, str], list[Problem]]:
    """The file's data rows with one column ``raw_<field>`` per field it has (values as read) plus
    ``_row``; blank rows are left out.  ``only_wanted``: a CSV's other columns are not read at all;
    ``stripped``: values are stripped (empty -> null) before blank rows are found; ``lazy``: a ``LazyFrame``
    (see ``read_table``; a workbook's rows are read at once anyway).  Returns (frame or None, sheet, field -> header, problems)."""
    frame, sheet, problems = read_table(path, rules, has_fields(required, wanted), wanted if only_wanted else None,
                                        lazy=lazy)
    if frame is None:
        return None, sheet, {}, problems
    repeated = repeated_headers(frame_headers(path, frame, rules), wanted, code=code, file=Path(path).name,
                                sheet=sheet)
    if repeated:
        return None, sheet, {}, problems + repeated
    cols, missing = match_header([c for c in column_names(frame) if c != ROW], wanted, required, code=code,
                                 config_key=config_key, file=Path(path).name, sheet=sheet,
                                 show_accepted=show_accepted)
    if cols is None:
        return None, sheet, {}, problems + missing
    value = text if stripped else pl.col
    frame = frame.select(pl.col(ROW), *[value(h).alias(f"raw_{f}") for f, h in cols.items()])
    frame = frame.filter(pl.any_horizontal(pl.col(f"raw_{f}").is_not_null() for f in cols))  # skip blank rows
    return frame, sheet, cols, problems


class TableFile:
    """A foreign file read step by step: its name, the config's import rules, the sheet and columns found,
    and the problems every step adds (a step that finds an error ends the read).  A reader gives
    ``parse(frame)`` (values kamplan knows, null where unreadable) and ``validate(frame)`` (the problems)."""

    def __init__(self, path: Path, config):
        self.path, self.config, self.name = Path(path), config, Path(path).name
        self.rules: ActualsRules = config.actuals
        self.problems: list[Problem] = []
        self.sheet: str | None = None
        self.cols: dict[str, str] = {}

    def failed(self) -> bool:
        return any(p.is_error for p in self.problems)

    def rows(self, wanted: dict[str, list[str]], required, *, empty: str, **options
             ) -> pl.DataFrame | None:
        """The data rows (``read_fields`` with ``options``); ``empty`` = the catalogue id of the warning
        for a file without any."""
        frame, self.sheet, self.cols, problems = read_fields(self.path, self.rules, wanted, required, **options)
        self.problems += problems
        if isinstance(frame, pl.DataFrame) and frame.height == 0:
            self.problems.append(problem(empty, file=self.name, sheet=self.sheet))
        return frame

    def checked(self, frame: pl.DataFrame) -> pl.DataFrame | None:
        """The rows parsed (``parse``) and checked (``validate``); None if a value is wrong or missing."""
        frame = self.parse(frame)
        self.validate(frame)
        return None if self.failed() else frame
