"""What every command module shares: finding and opening the workspace, the run's language, the progress
bar, a collected file's line, and the help texts in the run's language.

The command modules import this, never ``cli.main``: main imports them to register their commands.
Every line a command prints goes through the catalogue: ``t("cli.key", field=value)`` (re-exported
here from ``kamplan.messages``), ``nt`` for a count.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kamplan.cli.output import console, err_console, escape, frame_table, print_json, problem_line
from kamplan.messages import catalogue, current_language, normalise_language, nt, t, use_language
from kamplan.workspace import CONFIG_NAME

if TYPE_CHECKING:
    import pandas as pd

    from kamplan.workspace import Workspace

__all__ = ["t", "nt", "current_language", "open_workspace", "find_workspace", "progress_bar", "show_frame",
           "print_file_outcome", "relative", "workspace_root"]

OUTCOME_COLOURS = {"stored": "green", "unchanged": "cyan", "rejected": "red"}


@contextlib.contextmanager
def progress_bar(label: str, total: int | None):
    """A progress bar on the terminal; silent when output is not a terminal (scripts, CI logs).
    ``label`` may be a catalogue key (``cli.progress.*``): it is said in the run's language."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    label = t(label) if label.startswith("cli.") else label
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[item]}"), console=err_console.real, transient=True,
                  disable=not err_console.is_terminal) as bar:
        task = bar.add_task(label, total=total, item="")
        yield lambda item: bar.update(task, advance=1, item=item)


def find_workspace(start: Path) -> Path:
    """The folder holding kamplan.yaml: ``start`` or the nearest folder above it (as git finds .git);
    ``start`` itself when there is none (opening it then says it is not a workspace)."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return start


def workspace_root(ctx: click.Context) -> Path:
    """The workspace of this run: ``-w DIR`` as given, else found from the current folder upwards."""
    given = (ctx.find_root().obj or {}).get("workspace")
    return Path(given) if given is not None else find_workspace(Path.cwd())


def open_workspace(ctx: click.Context, read_only: bool = False) -> Workspace:
    """The workspace of ``--workspace`` (or the one the current folder is in); ``read_only`` for commands
    that only show what is stored."""
    from kamplan.workspace import Workspace
    # A read-only command writes nothing, so it neither waits for nor takes the store's write lock.
    return Workspace.open(workspace_root(ctx), sync=not read_only)


def relative(path: Path, root: Path | None) -> str:
    """``path`` relative to the workspace when it is inside it (short enough for an 80-column table)."""
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve())) if root else str(path)
    except ValueError:
        return str(path)


def print_file_outcome(f, extra: str = "") -> None:
    """One collected file: stored / unchanged / rejected, its name, ``extra``, then its problems."""
    colour = OUTCOME_COLOURS[f.outcome]
    console.print(f"[{colour}]{t('cli.outcome.' + f.outcome):>9}[/{colour}] {escape(f.path.name)}{extra}",
                  overflow="fold")
    for p in f.problems:
        console.print(problem_line(p), overflow="fold")


# -- the run's language -----------------------------------------------------------------------------------
GLOBAL_OPTIONS = {"-w": True, "--workspace": True, "--lang": True, "--debug": False, "--profile": False}  # name -> takes a value


def configured_language(root: Path) -> str | None:
    """``language:`` of the workspace's kamplan.yaml (the schema's default when it says none), None when
    there is no readable config (the command then says why)."""
    path = Path(root) / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = re.search(r"^language:\s*['\"]?([A-Za-z_-]+)", text, re.MULTILINE)
    if match:
        return normalise_language(match.group(1))
    from kamplan.config.schema import KamplanConfig
    return KamplanConfig.model_fields["language"].default


def choose_language(explicit: str | None, root: Path) -> str:
    """--lang, else KAMPLAN_LANG, else the workspace's ``language:``, else English; made the run's language."""
    return use_language(normalise_language(explicit) or normalise_language(os.environ.get("KAMPLAN_LANG"))
                        or configured_language(root) or "en")


def hoist_global_options(group: click.Group, args: list[str]) -> list[str]:
    """``kamplan targets status -w DIR`` as ``kamplan -w DIR targets status``: the global options (-w,
    --lang, --debug) may come after the subcommand; an option the subcommand has itself (``targets issue
    --lang``: the workbooks' language) stays with it."""
    leaf, i, front, rest = group, 0, [], []
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        name = arg.split("=", 1)[0]
        takes = 1 if GLOBAL_OPTIONS.get(name) and "=" not in arg else 0
        if name in GLOBAL_OPTIONS and (leaf is group or not _owns(leaf, name)):
            front += args[i:i + 1 + takes]
            i += 1 + takes
            continue
        if not arg.startswith("-") and isinstance(leaf, click.Group) and arg in leaf.commands:
            leaf = leaf.commands[arg]
        rest.append(arg)
        i += 1
    return front + rest


def _owns(command: click.Command, name: str) -> bool:
    return any(name in p.opts or name in p.secondary_opts for p in command.params)


def front_language(args: list[str]) -> tuple[str | None, Path | None]:
    """The --lang and -w given before the subcommand (after ``hoist_global_options``)."""
    lang = root = None
    i = 0
    while i < len(args) and args[i].startswith("-"):
        name, eq, value = args[i].partition("=")
        takes = GLOBAL_OPTIONS.get(name, False) and not eq
        value = value or (args[i + 1] if takes and i + 1 < len(args) else None)
        if name == "--lang":
            lang = value
        elif name in ("-w", "--workspace") and value:
            root = Path(value)
        i += 1 + bool(takes)
    return lang, root


def localise_help(command: click.Command) -> None:
    """Every help text of ``command`` and below in the run's language, looked up at call time: the English
    text is the catalogue's msgid (``help.*`` entries of the .po files); an untranslated text stays English."""
    translations = catalogue(current_language())
    for cmd in _commands(command):
        cmd._help_en = getattr(cmd, "_help_en", None) or (cmd.help, cmd.short_help)
        help_en, short_en = cmd._help_en
        cmd.help = _translated(help_en, translations)
        cmd.short_help = _translated(short_en, translations)
        cmd._help_option = None  # click makes --help again, in the words click_words just gave it
        for p in cmd.params:
            if isinstance(p, click.Option):
                p._help_en = getattr(p, "_help_en", None) or (p.help or "",)
                p.help = _translated(p._help_en[0], translations) or None


def _translated(text: str | None, translations) -> str | None:
    if not text:
        return text
    clean = inspect.cleandoc(text)
    return translations.gettext(clean)


def _commands(command: click.Command):
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _commands(sub)


def click_words(language: str) -> None:
    """Click's own words (Usage:, Options, Show this message and exit., its error messages) from our catalogue."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types
    say = catalogue(language).gettext
    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.types):
        if hasattr(module, "_"):
            module._ = say
        if hasattr(module, "ngettext"):
            module.ngettext = catalogue(language).ngettext


def show_frame(frame: pd.DataFrame, as_json: bool, title: str) -> None:
    """A table for people, or its rows as JSON for scripts."""
    if as_json:
        print_json(frame)
    else:
        console.print(frame_table(frame, title=title))
