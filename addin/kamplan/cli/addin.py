"""``kamplan addin``: build, install, uninstall and check the Excel add-in (kamplan.xlam).

Register on the main command with ``cli.add_command(addin)``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kamplan.cli.common import t
from kamplan.cli.output import console, err_console, escape


def _paths(startup: Path | None, conf: Path | None, system: str | None):
    """Excel's own folders for this OS, or the ones given (a shared startup folder, or a test's)."""
    from dataclasses import replace
    from kamplan.xl.install import InstallError, Paths, default_paths
    try:
        p = default_paths(system)
    except InstallError as exc:
        if startup is None or conf is None:
            err_console.print(f"[red]{t('cli.tag.error')}:[/red] {escape(str(exc))}")
            sys.exit(2)
        p = Paths("Windows", startup, conf)
    return replace(p, startup=startup or p.startup, conf=conf or p.conf)


@click.group()
def addin():
    """The Excel add-in: a "Key Accounts" ribbon tab and KAM_ worksheet functions."""


@addin.command("build")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the add-in here instead of the prebuilt one shipped in the package "
                   "(addin/kamplan/xl/prebuilt/kamplan.xlam, which is committed).")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), default="en", show_default=True,
              help="Language of the ribbon labels.")
@click.option("--workspace", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Also write macro-enabled (.xlsm) copies of the newest consolidation, account review and "
                   "resource plan workbooks in this workspace's reports folder (existing .xlsm files are kept).")
def addin_build(out, lang, workspace):
    """Build kamplan.xlam from addin/kamplan/xl/excel (VBA, ribbon) and the action registry: a developer's
    step (pip install '.[addin-build]'); users' installs copy the prebuilt add-in."""
    from kamplan.xl.build import BuildError, build_addin, build_prebuilt, write_sources
    try:
        for p in write_sources():
            console.print(t("cli.wrote", path=escape(str(p))), overflow="fold")
        if out is None and lang != "en":
            raise BuildError("the prebuilt add-in is English (`kamplan addin install --lang zh-CN` puts the Chinese "
                             "ribbon in); give --out FILE for a zh-CN copy")
        if out is None:
            built = build_prebuilt()
            console.print(t("cli.addin.built-commit", path=f"[bold]{escape(str(built))}[/bold]"), overflow="fold")
        else:
            console.print(t("cli.addin.built", path=f"[bold]{escape(str(build_addin(out, lang)))}[/bold]"),
                          overflow="fold")
        if workspace is not None:
            from kamplan.xl.macrobook import macro_path, make_macro_workbook, newest_vp_workbooks
            books = newest_vp_workbooks(workspace / "reports")
            if not books:
                console.print(t("cli.addin.no-vp-workbook", folder=escape(str(workspace / "reports"))), overflow="fold")
            for src in books:
                if macro_path(src).exists():
                    console.print(t("cli.addin.kept", path=escape(str(macro_path(src)))), overflow="fold")
                    continue
                built = make_macro_workbook(src, password=_password(workspace))
                console.print(t("cli.addin.built", path=f"[bold]{escape(str(built))}[/bold]"), overflow="fold")
    except BuildError as exc:
        err_console.print(f"[red]{t('cli.tag.error')}:[/red] {escape(str(exc))}")
        sys.exit(2)


@addin.command("xlsm")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite an existing .xlsm of the same name.")
def addin_xlsm(files, replace):
    """Write macro-enabled (.xlsm) copies of kamplan VP workbooks, with buttons for the add-in's actions."""
    from kamplan.xl.actions import find_workspace
    from kamplan.xl.build import BuildError
    from kamplan.xl.macrobook import make_macro_workbook
    failed = False
    for src in files:
        try:
            root = find_workspace(src)
            out = make_macro_workbook(src, replace=replace, password=_password(root) if root else "")
            console.print(t("cli.addin.built", path=f"[bold]{escape(str(out))}[/bold]"), overflow="fold")
        except BuildError as exc:
            err_console.print(f"[red]{t('cli.tag.error')}:[/red] {escape(str(exc))}")
            failed = True
    sys.exit(1 if failed else 0)


def _password(workspace: Path) -> str:
    """The workspace's sheet password (the Actions sheet is protected like the other sheets)."""
    from kamplan.config import load_config
    from kamplan.workspace import CONFIG_NAME
    return load_config(workspace / CONFIG_NAME).workbook.sheet_password


@addin.command("actions")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), default="en", show_default=True)
def addin_actions(lang):
    """List the ribbon buttons and the Python function each one runs."""
    from kamplan.xl.actions import ACTIONS
    for a in ACTIONS:
        console.print(f"[bold]{a.id}[/bold]  {escape(a.label(lang))}  → {a.target}\n    {escape(a.help(lang))}")


def _startup_option(f):
    f = click.option("--startup-dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Install into this folder instead of Excel's own startup folder.")(f)
    f = click.option("--conf", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the settings file here instead of the place the add-in reads by default.")(f)
    return click.option("--system", type=click.Choice(["Windows", "Darwin"]), hidden=True)(f)


@addin.command("install")
@_startup_option
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), default="en", show_default=True)
def addin_install(startup_dir, conf, system, lang):
    """Put kamplan.xlam where Excel loads it (Windows, macOS) and point it at this Python."""
    from kamplan.xl.build import BuildError
    from kamplan.xl.install import InstallError, install, status
    paths = _paths(startup_dir, conf, system)
    try:
        for line in install(paths, lang):
            console.print(escape(line))
    except (BuildError, InstallError) as exc:
        err_console.print(f"[red]{t('cli.tag.error')}:[/red] {escape(str(exc))}")
        sys.exit(2)
    except OSError as exc:
        err_console.print(f"[red]{t('cli.tag.error')}:[/red] {escape(str(exc))} ({t('cli.addin.close-excel')})")
        sys.exit(2)
    _print_status(status(paths))
    console.print(t("cli.addin.restart"))


@addin.command("uninstall")
@_startup_option
def addin_uninstall(startup_dir, conf, system):
    """Remove kamplan.xlam and its settings."""
    from kamplan.xl.install import uninstall
    for line in uninstall(_paths(startup_dir, conf, system)):
        console.print(escape(line))


@addin.command("status")
@_startup_option
def addin_status(startup_dir, conf, system):
    """Check the add-in, xlwings and Python set-up, with advice for what is missing. Exit 1 if anything is."""
    from kamplan.xl.install import status
    st = status(_paths(startup_dir, conf, system))
    _print_status(st)
    sys.exit(0 if st.ok else 1)


def _print_status(st) -> None:
    for c in st.checks:
        mark = f"[green]{t('cli.addin.ok')}[/green]  " if c.ok else f"[red]{t('cli.addin.missing')}[/red]"
        console.print(f"{mark} {c.what}: {escape(c.detail)}" + ("" if c.ok else f"\n        → {escape(c.advice)}"))
