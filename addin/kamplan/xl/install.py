"""Put kamplan.xlam where Excel loads it at start, and check the xlwings / Python set-up.

As ``xlwings addin install`` does for xlwings' own add-in, but without asking a running Excel for
its startup folder (so it works before Excel was ever opened, and in tests on a temporary folder):

* Windows: ``%APPDATA%\\Microsoft\\Excel\\XLSTART\\kamplan.xlam``; the settings file
  ``%USERPROFILE%\\.kamplan\\kamplan.conf`` names this Python (``Interpreter_Win``);
* macOS (Excel 2016 and later): ``~/Library/Group Containers/UBF8T346G9.Office/User Content/Startup/
  Excel/kamplan.xlam``; settings in Excel's sandbox, ``~/Library/Containers/com.microsoft.Excel/Data/
  kamplan.conf`` (``Interpreter_Mac``), and xlwings' AppleScript in ``~/Library/Application Scripts/
  com.microsoft.Excel`` (what ``xlwings runpython install`` copies), without which RunPython cannot
  start Python on a Mac.
"""
from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kamplan.xl.build import ADDIN_NAME, PREBUILT, BuildError, localized_addin, prebuilt_info


@dataclass(frozen=True)
class Paths:
    system: str  # "Windows" or "Darwin"
    startup: Path  # Excel's per-user startup folder
    conf: Path  # kamplan.conf read by the add-in's RunPython
    applescript_dir: Path | None = None  # macOS only

    @property
    def addin(self) -> Path:
        return self.startup / ADDIN_NAME


def default_paths(system: str | None = None, home: Path | None = None, env: dict | None = None) -> Paths:
    system = system or platform.system()
    home = Path(home) if home else Path.home()
    env = os.environ if env is None else env
    if system == "Windows":
        appdata = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
        profile = Path(env.get("USERPROFILE") or home)
        return Paths(system, appdata / "Microsoft" / "Excel" / "XLSTART", profile / ".kamplan" / "kamplan.conf")
    if system == "Darwin":
        office = home / "Library" / "Group Containers" / "UBF8T346G9.Office"
        startup = next((p for p in (office / "User Content.localized" / "Startup.localized" / "Excel",
                                    office / "User Content" / "Startup" / "Excel") if p.is_dir()),
                       office / "User Content" / "Startup" / "Excel")
        return Paths(system, startup, home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "kamplan.conf",
                     home / "Library" / "Application Scripts" / "com.microsoft.Excel")
    raise InstallError(f"Excel add-ins run on Windows and macOS; this is {system}. Use the kamplan command "
                       "line here, or run `kamplan addin install` on the Windows or Mac machine with Excel.")


class InstallError(Exception):
    pass


def conda_settings(prefix: Path) -> tuple[Path, str] | None:
    """(conda root, environment) when ``prefix`` is a conda environment, else None.  A conda Python
    started without ``conda activate`` cannot load its DLLs (numpy, pandas), so xlwings must activate it:
    its settings CONDA PATH and CONDA ENV, with the interpreter left to ``python`` as xlwings documents."""
    prefix = Path(prefix)
    if not (prefix / "conda-meta").is_dir():
        return None
    if prefix.parent.name == "envs" and (prefix.parent.parent / "condabin").is_dir():
        return prefix.parent.parent, prefix.name
    if (prefix / "condabin").is_dir():
        return prefix, "base"
    return None  # a conda-made environment outside a conda installation: the full path works as is


def settings_encoding(system: str) -> str:
    """What the add-in's VBA (xlwings' ``GetConfigFromFile``: ``Open ... For Input`` / ``Input #``) reads
    the settings file with: on Windows the ANSI code page (cp1252 in Western Europe, cp936 in China),
    not UTF-8 (``locale.getencoding`` gives it even in Python's UTF-8 mode); on the Mac UTF-8."""
    if system != "Windows":
        return "utf-8"
    import locale
    return getattr(locale, "getencoding", lambda: locale.getpreferredencoding(False))()


def _short_path(path: str) -> str | None:
    """The 8.3 short form of ``path`` (ASCII on every Windows), or None where there is none."""
    if platform.system() != "Windows":
        return None
    import ctypes
    buf = ctypes.create_unicode_buffer(1024)
    n = ctypes.windll.kernel32.GetShortPathNameW(str(path), buf, 1024)  # type: ignore[attr-defined]
    return buf.value if 0 < n < 1024 else None


def settings_text(paths: Paths, interpreter: Path, prefix: Path) -> list[tuple[str, str]]:
    """The settings lines as (key, value)."""
    key = "INTERPRETER_WIN" if paths.system == "Windows" else "INTERPRETER_MAC"
    conda = conda_settings(prefix) if paths.system == "Windows" else None
    if conda:
        return [(key, "python"), ("CONDA PATH", str(conda[0])), ("CONDA ENV", conda[1]),
                ("UDF Modules", "kamplan.xl.udfs")]
    return [(key, str(interpreter)), ("UDF Modules", "kamplan.xl.udfs")]


def settings_bytes(lines: list[tuple[str, str]], encoding: str, short_path=_short_path) -> bytes:
    """The settings file, "key","value" per line, in ``encoding``.  A path the code page cannot hold
    (a Chinese user name on a Western Windows) is written in its 8.3 short form; without one the
    install stops with the path and the fix rather than write a garbled path."""
    out = []
    for key, value in lines:
        try:
            value.encode(encoding)
        except UnicodeEncodeError:
            short = short_path(value)
            if not short:
                raise InstallError(f"the path {value} cannot be written in this Windows' code page ({encoding}), "
                                   "and it has no 8.3 short name: install Python in a folder with a plain name "
                                   "(for example C:\\Python311) and run kamplan addin install from there") from None
            value = short
        out.append(f'"{key}","{value}"\r\n' if encoding != "utf-8" else f'"{key}","{value}"\n')
    return "".join(out).encode(encoding)


def _applescript() -> Path:
    import xlwings
    return Path(xlwings.__file__).parent / f"xlwings-{xlwings.__version__}.applescript"


def _installed_xlwings() -> str | None:
    try:
        import xlwings
    except ImportError:
        return None
    return xlwings.__version__


def install(paths: Paths | None = None, language: str = "en", interpreter: Path | None = None,
            prefix: Path | None = None, addin: Path = PREBUILT) -> list[str]:
    """Copy the prebuilt add-in into the startup folder (its ribbon in ``language``) and write the settings;
    returns what was done.  Nothing is built here: no ms-ovba is needed."""
    paths = paths or default_paths()
    interpreter = Path(interpreter or sys.executable)
    info = prebuilt_info(addin)
    have = _installed_xlwings()
    if have != info["xlwings"]:
        raise InstallError(f"the add-in calls xlwings {info['xlwings']}'s DLL (xlwings64-{info['xlwings']}.dll), but "
                           f"this Python has xlwings {have or 'not installed'}: pip install 'xlwings=={info['xlwings']}'")
    settings = settings_bytes(settings_text(paths, interpreter, Path(prefix or sys.prefix)),
                              settings_encoding(paths.system))
    done = []
    paths.startup.mkdir(parents=True, exist_ok=True)
    if paths.addin.exists():
        done.append(f"replaced {paths.addin}")
    localized_addin(addin, paths.addin, language)
    done.append(f"installed {paths.addin}")
    paths.conf.parent.mkdir(parents=True, exist_ok=True)
    if paths.conf.exists():
        shutil.copy2(paths.conf, paths.conf.with_suffix(".conf.bak"))
        done.append(f"kept the previous settings as {paths.conf.with_suffix('.conf.bak')}")
    paths.conf.write_bytes(settings)
    done.append(f"wrote {paths.conf} (Python: {interpreter})")
    if paths.applescript_dir is not None:
        paths.applescript_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(_applescript(), paths.applescript_dir / _applescript().name)
        done.append(f"enabled RunPython: copied {_applescript().name} to {paths.applescript_dir}")
    return done


def uninstall(paths: Paths | None = None) -> list[str]:
    paths = paths or default_paths()
    done = []
    if paths.addin.exists():
        paths.addin.unlink()
        done.append(f"removed {paths.addin}")
    if paths.conf.exists():
        paths.conf.unlink()
        done.append(f"removed {paths.conf}")
    return done or [f"nothing to remove: {paths.addin} is not installed"]


@dataclass
class Check:
    what: str
    ok: bool
    detail: str
    advice: str = ""


@dataclass
class Status:
    paths: Paths
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def xlwings_dll_dirs(interpreter: Path, prefix: Path) -> list[Path]:
    """Where the add-in's VBA loads the xlwings DLL from: the interpreter's folder, its parent (a
    virtual environment's Scripts\\..), and the environment itself (conda)."""
    return list(dict.fromkeys([interpreter.parent, interpreter.parent.parent, prefix]))


def _xlwings_checks(paths: Paths, interpreter: Path, prefix: Path, built_for: str | None) -> list[Check]:
    have = _installed_xlwings()
    if have is None:
        return [Check("xlwings", False, "not installed", "pip install 'kamplan' (it brings the xlwings it needs)")]
    checks = [Check("xlwings", built_for in (None, have), f"xlwings {have} (open-source part only)"
                    + (f"; the add-in was built for {built_for}" if built_for not in (None, have) else ""),
                    f"pip install 'xlwings=={built_for}' (the add-in calls that version's DLL by name)")]
    if paths.system == "Windows":
        version = built_for or have
        names = [f"xlwings64-{version}.dll", f"xlwings32-{version}.dll"]
        found = [d / n for d in xlwings_dll_dirs(interpreter, prefix) for n in names if (d / n).exists()]
        checks.append(Check("xlwings DLL", bool(found), ", ".join(map(str, found)) if found else
                            f"{' / '.join(names)} not in {', '.join(map(str, xlwings_dll_dirs(interpreter, prefix)))}",
                            f"pip install --force-reinstall 'xlwings=={version}' with this Python (its DLLs go "
                            "next to python.exe); the worksheet functions and buttons need them"))
    return checks


def status(paths: Paths | None = None, interpreter: Path | None = None, prefix: Path | None = None,
           addin: Path = PREBUILT) -> Status:
    """Is the add-in installed, current, and can it reach this Python with xlwings and its DLL?"""
    paths = paths or default_paths()
    interpreter, prefix = Path(interpreter or sys.executable), Path(prefix or sys.prefix)
    st = Status(paths)
    add = st.checks.append
    add(Check("Python", sys.version_info >= (3, 11), f"{interpreter} ({platform.python_version()})",
              "kamplan needs Python 3.11 or newer"))
    try:
        info = prebuilt_info(addin)
    except BuildError as exc:
        info = {}
        add(Check("prebuilt add-in", False, str(exc), "reinstall kamplan (pip install --force-reinstall kamplan)"))
    st.checks += _xlwings_checks(paths, interpreter, prefix, info.get("xlwings"))
    if paths.system == "Windows":
        try:
            import win32com  # noqa: F401
            add(Check("pywin32", True, "installed"))
        except ImportError:
            add(Check("pywin32", False, "not installed", "pip install pywin32 (xlwings needs it to talk to Excel)"))
    installed = paths.addin.exists()
    add(Check("add-in", installed, str(paths.addin) if installed else f"not in {paths.startup}",
              "run: kamplan addin install"))
    if installed:
        current = _built_digest(paths.addin) == info.get("fingerprint", "?")
        add(Check("add-in version", current, "matches this kamplan" if current else "built by another kamplan",
                  "run: kamplan addin install (Excel must be closed)"))
    add(_settings_check(paths, interpreter, prefix))
    if paths.applescript_dir is not None:
        have = (paths.applescript_dir / _applescript().name).exists()
        add(Check("RunPython on Mac", have, str(paths.applescript_dir / _applescript().name),
                  "run: kamplan addin install (or: xlwings runpython install)"))
    return st


def _settings_check(paths: Paths, interpreter: Path, prefix: Path) -> Check:
    fix = "run: kamplan addin install (it names this Python in the settings)"
    if not paths.conf.exists():
        return Check("settings", False, f"{paths.conf} is missing", fix)
    encoding = settings_encoding(paths.system)
    try:
        got = paths.conf.read_bytes().decode(encoding)
    except UnicodeDecodeError:
        return Check("settings", False, f"{paths.conf} is not in this PC's code page ({encoding})", fix)
    try:
        want = settings_bytes(settings_text(paths, interpreter, prefix), encoding).decode(encoding)
    except InstallError as exc:
        return Check("settings", False, str(exc), fix)
    lines = {ln.strip() for ln in got.splitlines()}
    ok = all(ln.strip() in lines for ln in want.splitlines())
    return Check("settings", ok, str(paths.conf) if ok else f"{paths.conf} names another Python", fix)


def _built_digest(path: Path) -> str | None:
    import zipfile
    from kamplan.xl.build import built_digest
    try:
        return built_digest(path)
    except zipfile.BadZipFile:
        return None
