"""Formatting results for people (rich tables) and scripts (JSON)."""
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

from kamplan.problems import Problem

console = Console()
err_console = Console(stderr=True)


def problem_line(p: Problem) -> str:
    tag = "[red]error[/red]" if p.is_error else "[yellow]warning[/yellow]"
    return f"  {tag} {escape(str(p))}"


def escape(text: str) -> str:
    return text.replace("[", r"\[")


def frame_table(df: pd.DataFrame, title: str | None = None, columns: list[str] | None = None) -> Table:
    table = Table(title=title, show_lines=False, header_style="bold")
    cols = columns or list(df.columns)
    for c in cols:
        table.add_column(str(c))
    for row in df[cols].itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    return table


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}"
    return escape(str(v))


def to_jsonable(obj):
    if isinstance(obj, Problem):
        return obj.to_dict()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, pd.DataFrame):
        return json.loads(obj.to_json(orient="records", date_format="iso", force_ascii=False))
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


def print_json(obj) -> None:
    print(json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2))


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
