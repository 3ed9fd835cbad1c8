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

from kamplan.xl.build import ADDIN_NAME, BuildError, build_addin


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


def _conf_lines(paths: Paths) -> str:
    key = "INTERPRETER_WIN" if paths.system == "Windows" else "INTERPRETER_MAC"
    # read by VBA's `Input #`: "key","value" per line
    return f'"{key}","{sys.executable}"\n"UDF Modules","kamplan.xl.udfs"\n'


def _applescript() -> Path:
    import xlwings
    return Path(xlwings.__file__).parent / f"xlwings-{xlwings.__version__}.applescript"


def install(paths: Paths | None = None, language: str = "en") -> list[str]:
    """Build the add-in into the startup folder and write the settings; returns what was done."""
    paths = paths or default_paths()
    done = []
    paths.startup.mkdir(parents=True, exist_ok=True)
    if paths.addin.exists():
        done.append(f"replaced {paths.addin}")
    build_addin(paths.addin, language)
    done.append(f"installed {paths.addin}")
    paths.conf.parent.mkdir(parents=True, exist_ok=True)
    if paths.conf.exists():
        shutil.copy2(paths.conf, paths.conf.with_suffix(".conf.bak"))
        done.append(f"kept the previous settings as {paths.conf.with_suffix('.conf.bak')}")
    paths.conf.write_text(_conf_lines(paths), encoding="utf-8")
    done.append(f"wrote {paths.conf} (Python: {sys.executable})")
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


def status(paths: Paths | None = None) -> Status:
    """Is the add-in installed, current, and can it reach this Python with xlwings?"""
    paths = paths or default_paths()
    st = Status(paths)
    add = st.checks.append
    add(Check("Python", sys.version_info >= (3, 11), f"{sys.executable} ({platform.python_version()})",
              "kamplan needs Python 3.11 or newer"))
    try:
        import xlwings
        add(Check("xlwings", True, f"xlwings {xlwings.__version__} (open-source part only)"))
    except ImportError:
        add(Check("xlwings", False, "not installed", "pip install xlwings"))
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
        current = _same_addin(paths.addin)
        add(Check("add-in version", current, "matches this kamplan" if current else "built by another kamplan",
                  "run: kamplan addin install (Excel must be closed)"))
    conf = paths.conf.read_text(encoding="utf-8") if paths.conf.exists() else ""
    points = sys.executable in conf
    add(Check("settings", points, str(paths.conf) if conf else f"{paths.conf} is missing",
              "run: kamplan addin install (it names this Python in the settings)"))
    if paths.applescript_dir is not None:
        have = (paths.applescript_dir / _applescript().name).exists()
        add(Check("RunPython on Mac", have, str(paths.applescript_dir / _applescript().name),
                  "run: kamplan addin install (or: xlwings runpython install)"))
    return st


def _same_addin(path: Path) -> bool:
    """True when the installed add-in was built from the VBA sources this kamplan would build."""
    import zipfile
    from kamplan.xl.build import addin_modules, built_digest, vba_digest
    try:
        return built_digest(path) == vba_digest(addin_modules(["Sheet1"]))
    except (BuildError, zipfile.BadZipFile):
        return False
