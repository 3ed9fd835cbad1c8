"""Formatting results for people (rich tables, in the run's language) and scripts (JSON, language-neutral:
codes, catalogue ids and numbers; always valid JSON, never NaN or Infinity)."""
from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from kamplan.messages import t
from kamplan.problems import Problem, problem

console = Console()
err_console = Console(stderr=True)


def problem_line(p: Problem) -> str:
    """One problem for a person, in the run's language (a text problem as it was given)."""
    tag = f"[red]{t('cli.tag.error')}[/red]" if p.is_error else f"[yellow]{t('cli.tag.warning')}[/yellow]"
    return f"  {tag} {escape(p.render())}"


def escape(text: str) -> str:
    return text.replace("[", r"\[")


def frame_table(df: pd.DataFrame, title: str | None = None, columns: list[str] | None = None) -> Table:
    """A table that never cuts a value: a narrow terminal folds a long path or name onto the next line
    instead of ending it with an ellipsis, and a number is kept whole on one line."""
    table = Table(title=title, show_lines=False, header_style="bold")
    cols = columns or list(df.columns)
    for c in cols:
        numeric = pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        widest = max([len(_cell(v)) for v in df[c]] + [1]) if numeric else None
        table.add_column(str(c), overflow="fold", no_wrap=numeric, min_width=widest,
                         justify="right" if numeric else "left")
    for row in df[cols].itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    return table


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}"
    return escape(str(v))


def to_jsonable(obj, _found: list | None = None, _path: str = "$"):
    """``obj`` as plain JSON values; a NaN becomes null (a missing figure), and so does an infinite number,
    which is also noted in ``_found`` (its path) so that ``print_json`` can say where."""
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
