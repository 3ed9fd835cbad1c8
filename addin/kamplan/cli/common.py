"""What every command module shares: opening the workspace, the progress bar, a collected file's line.

The command modules import this, never ``cli.main``: main imports them to register their commands.
"""
from __future__ import annotations

import contextlib

import click
import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kamplan.cli.output import console, err_console, escape, frame_table, print_json, problem_line
from kamplan.workspace import Workspace

OUTCOME_COLOURS = {"stored": "green", "unchanged": "cyan", "rejected": "red"}


@contextlib.contextmanager
def progress_bar(label: str, total: int | None):
    """A progress bar on the terminal; silent when output is not a terminal (scripts, CI logs)."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[item]}"), console=err_console, transient=True,
                  disable=not err_console.is_terminal) as bar:
        task = bar.add_task(label, total=total, item="")
        yield lambda item: bar.update(task, advance=1, item=item)


def open_workspace(ctx: click.Context, read_only: bool = False) -> Workspace:
    """The workspace of ``--workspace``; ``read_only`` for commands that only show what is stored."""
    # A read-only command writes nothing, so it neither waits for nor takes the store's write lock.
    return Workspace.open(ctx.obj["workspace"], sync=not read_only)


def print_file_outcome(f, extra: str = "") -> None:
    """One collected file: stored / unchanged / rejected, its name, ``extra``, then its problems."""
    colour = OUTCOME_COLOURS[f.outcome]
    console.print(f"[{colour}]{f.outcome:>9}[/{colour}] {escape(f.path.name)}{extra}")
    for p in f.problems:
        console.print(problem_line(p))


def show_frame(frame: pd.DataFrame, as_json: bool, title: str) -> None:
    """A table for people, or its rows as JSON for scripts."""
    if as_json:
        print_json(frame)
    else:
        console.print(frame_table(frame, title=title))
