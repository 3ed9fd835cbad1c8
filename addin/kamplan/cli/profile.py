"""``--profile`` (or ``KAMPLAN_PROFILE=1``): where a command spent its time, printed to stderr so that the
command's own output (``--json`` too) stays as it is.  A user who finds a step slow runs it again with
``--profile`` and sends the lines it prints.

Two lists from the standard library's profiler (``cProfile``): kamplan's own steps by the time they took
including what they called (which step is slow), and the functions that used the most time themselves
(where the time went: a YAML parser, the SQL driver, a workbook writer).
"""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from kamplan.messages import t

SHOWN = 12  # lines of each list
PACKAGE = Path(__file__).resolve().parents[1]  # the kamplan package: its functions are the "steps"
_SKIPPED = ("cli/main.py", "cli/profile.py")  # the command line's own wrappers contain every step


def wants_profile(args: list[str]) -> bool:
    """Whether this run is profiled: ``--profile`` among the global options (before the subcommand once
    ``hoist_global_options`` has moved them there), or ``KAMPLAN_PROFILE`` set to 1/yes/true."""
    if os.environ.get("KAMPLAN_PROFILE", "").strip().lower() in ("1", "yes", "true", "on"):
        return True
    from kamplan.cli.common import GLOBAL_OPTIONS
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":
        name, eq, _ = args[i].partition("=")
        if name == "--profile":
            return True
        i += 1 + bool(GLOBAL_OPTIONS.get(name) and not eq)  # skip the value of -w DIR, --lang LANG
    return False


@contextlib.contextmanager
def profiled(console):
    """Run the block under the profiler and print its report on ``console`` (stderr) however it ends:
    a command that fails, or exits with a status (click does so on every run), is reported too."""
    import cProfile
    profiler = cProfile.Profile()
    wall, cpu = time.perf_counter(), time.process_time()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        report(console, profiler, time.perf_counter() - wall, time.process_time() - cpu)


def report(console, profiler, wall: float, cpu: float) -> None:
    """The two lists; each line: seconds, calls, function and where it is (file:line)."""
    import pstats
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (primitive calls, calls, own, cumulative, callers)
    console.print(t("cli.profile.title", wall=wall, cpu=cpu), highlight=False)
    steps = sorted(((v[3], v[1], k) for k, v in stats.items() if _is_step(k[0])), reverse=True)[:SHOWN]
    console.print(t("cli.profile.steps"), highlight=False)
    for seconds, calls, key in steps:
        console.print(_line(seconds, calls, key), highlight=False, overflow="fold")
    own = sorted(((v[2], v[1], k) for k, v in stats.items()), reverse=True)[:SHOWN]
    console.print(t("cli.profile.own"), highlight=False)
    for seconds, calls, key in own:
        console.print(_line(seconds, calls, key), highlight=False, overflow="fold")


def _is_step(filename: str) -> bool:
    try:
        inside = Path(filename).resolve().relative_to(PACKAGE)
    except ValueError:
        return False
    return inside.as_posix() not in _SKIPPED


def _line(seconds: float, calls: int, key: tuple) -> str:
    filename, line, name = key
    where = _short(filename)
    return "  " + t("cli.profile.line", ms=seconds * 1000, calls=calls, name=name,
                    where=f"{where}:{line}" if line else where)


def _short(filename: str) -> str:
    """kamplan/… for our files, the part after site-packages for a library's, the name for the rest."""
    path = Path(filename)
    try:
        return "kamplan/" + path.resolve().relative_to(PACKAGE).as_posix()
    except (ValueError, OSError):
        pass
    parts = path.parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1:])
    return filename if filename.startswith("<") or filename == "~" else path.name
