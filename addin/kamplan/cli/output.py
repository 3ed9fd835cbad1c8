"""Formatting results for people (rich tables, in the run's language) and scripts (JSON, language-neutral:
codes, catalogue ids and numbers; always valid JSON, never NaN or Infinity)."""
from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING


from kamplan.messages import catalogue, current_language, t

if TYPE_CHECKING:  # imported where used: `kamplan --help` needs neither
    import pandas as pd

    from kamplan.problems import Problem



class _Console:
    """rich's Console, made when first used: importing rich.console takes longer than the rest of
    `kamplan --help` (benchmarks/bench_startup.py).  Every attribute is the real console's, even
    ``__dict__`` (no instance dict of its own: the slots), so that a test's monkeypatch restores the real one."""

    __slots__ = ("_options", "_real")

    def __init__(self, **options):
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_real", None)

    @property
    def real(self):
        if self._real is None:
            from rich.console import Console
            object.__setattr__(self, "_real", Console(**self._options))
        return self._real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __setattr__(self, name, value):
        setattr(self.real, name, value)

    def __delattr__(self, name):
        delattr(self.real, name)


console = _Console()
err_console = _Console(stderr=True)


def problem_line(p: Problem) -> str:
    """One problem for a person, in the run's language (a text problem as it was given)."""
    tag = f"[red]{t('cli.tag.error')}[/red]" if p.is_error else f"[yellow]{t('cli.tag.warning')}[/yellow]"
    return f"  {tag} {escape(p.render())}"


def escape(text: str) -> str:
    return text.replace("[", r"\[")


def frame_table(df: pd.DataFrame, title: str | None = None, columns: list[str] | None = None,
                width: int | None = None):
    """A table that never cuts a value: a long path or text folds onto the next line instead of ending in
    an ellipsis, ids, dates and figures stay whole on one line, and when even so the columns do not fit
    the terminal (``width``, default the console's), each row is shown as its own block of
    "column: value" lines."""
    import pandas as pd  # only when a table or frame is shown: --help needs no pandas
    from rich.cells import cell_len
    from rich.table import Table
    cols = columns or list(df.columns)
    words = catalogue(current_language()).gettext
    headers = [_word(words, f"column.{c}", str(c)) for c in cols]
    cells = [[_word(words, f"value.{c}.{v}", _cell(v)) if isinstance(v, str) else _cell(v)
              for c, v in zip(cols, row)] for row in df[cols].itertuples(index=False)]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in cols]
    widest = [max([cell_len(r[i]) for r in cells] + [cell_len(headers[i]) if numeric[i] else 1])
              for i in range(len(cols))]
    short = [n or w <= SHORT_TEXT for n, w in zip(numeric, widest)]
    needed = sum(w if s else FOLDED_MIN for w, s in zip(widest, short)) + 3 * len(cols) + 1
    if needed > (width or console.width):
        return _blocks(title, headers, cells)
    table = Table(title=title, show_lines=False, header_style="bold")
    for header, n, w, s in zip(headers, numeric, widest, short):
        table.add_column(header, overflow="fold", no_wrap=s, min_width=w if s else None,
                         justify="right" if n else "left")
    for row in cells:
        table.add_row(*row)
    return table


def _blocks(title: str | None, headers: list[str], rows: list[list[str]]):
    """Each row as a block of "column: value" lines (values fold, nothing is cut)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text
    parts = [Text(title, style="bold")] if title else []
    for row in rows:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for header, value in zip(headers, row):
            if value != "":
                grid.add_row(header, value)
        parts += [grid, Text("")]
    return Group(*parts)


def _word(words, key: str, otherwise: str) -> str:
    """A column's header or a closed value (``value.state.missing``) in the run's language, when the
    catalogue has it; anything else as it is."""
    said = words(key)
    return escape(said) if said != key else otherwise


SHORT_TEXT = 22  # a text column no wider than this is never folded (a salesperson id, a date and time)
FOLDED_MIN = 12  # the narrowest a folded text column may become


def _cell(v) -> str:
    import pandas as pd  # only when a table or frame is shown: --help needs no pandas
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, pd.Timestamp) or hasattr(v, "strftime") and hasattr(v, "hour"):
        return v.strftime("%Y-%m-%d %H:%M")
    return escape(str(v))


def to_jsonable(obj, _found: list | None = None, _path: str = "$"):
    """``obj`` as plain JSON values; a NaN becomes null (a missing figure), and so does an infinite number,
    which is also noted in ``_found`` (its path) so that ``print_json`` can say where."""
    import pandas as pd  # only when a table or frame is shown: --help needs no pandas

    from kamplan.problems import Problem
    if isinstance(obj, float) and not math.isfinite(obj):
        if _found is not None and math.isinf(obj):
            _found.append((_path, obj))
        return None
    if isinstance(obj, Problem):
        return obj.to_dict()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, pd.DataFrame):
        if _found is not None:
            _found += _infinite_cells(obj, _path)
        return json.loads(obj.to_json(orient="records", date_format="iso", force_ascii=False))
    if isinstance(obj, dict):
        return {k: to_jsonable(v, _found, f"{_path}.{k}") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, _found, f"{_path}[{i}]") for i, v in enumerate(obj)]
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "item") and hasattr(obj, "dtype"):  # a numpy scalar
        return to_jsonable(obj.item(), _found, _path)
    return obj


def _infinite_cells(frame: pd.DataFrame, path: str) -> list:
    numbers = frame.select_dtypes("number")
    return [(f"{path}[{i}].{column}", value) for column in numbers.columns
            for i, value in enumerate(numbers[column].tolist())
            if isinstance(value, float) and math.isinf(value)]


def print_json(obj) -> None:
    """``obj`` as JSON on standard output: valid JSON always (``allow_nan=False``).  An infinite number is
    written as null and said as a problem (``json.not-a-number``): in ``json_problems`` of a top-level
    object, on standard error otherwise."""
    from kamplan.problems import problem
    found: list = []
    data = to_jsonable(obj, found)
    problems = [problem("json.not-a-number", field=path, value=str(value)) for path, value in found]
    if problems and isinstance(data, dict):
        data["json_problems"] = [p.to_dict() for p in problems]
    elif problems:
        for p in problems:
            err_console.print(problem_line(p))
    print(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False))


@contextlib.contextmanager
def stdout_to_stderr(enabled: bool = True):
    """Send everything written to standard output, also by C libraries (the HiGHS solver prints its banner
    straight to file descriptor 1), to standard error while the block runs: with ``--json`` standard output
    carries only the JSON."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # captured (tests, an IDE): Python's own writes only
        with contextlib.redirect_stdout(sys.stderr):
            yield
        return
    saved = os.dup(fd)
    try:
        os.dup2(sys.stderr.fileno(), fd)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)
