"""Start-up and workspace open: how long a person waits before any command does its work.

Measured in fresh processes (as a person runs kamplan), each against the baseline in the same run:

* ``kamplan --help``, ``--version`` and a subcommand's ``--help`` against ``python -c "import click, rich"``
  (aim: at most 2x);
* a read-only command (``targets status --json``) on a generated 20,000- and 40,000-account workspace:
  the first run after kamplan.yaml changed (it parses the YAML and keeps the config cache) and the runs
  after it (the config from ``.kamplan/config-cache.json``); aim: at most 1 s at 40,000 accounts.  For
  information, ``json.loads`` and a libyaml parse of the same config in this process.

Each figure is the median of ``--runs`` runs (after one warm-up run that writes the bytecode and the
compiled catalogue, as an installed kamplan has them): wall seconds, CPU seconds (user + system of the
child, from ``os.wait4``) and the child's peak memory (maximum resident set).

    python benchmarks/bench_startup.py                      # 20,000 and 40,000 accounts, 5 runs each
    python benchmarks/bench_startup.py --accounts 2000 --runs 3   # smoke run
    python benchmarks/bench_startup.py --out bench-out      # also bench-out/startup.json
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from _common import machine_info

KAMPLAN = "import sys; sys.argv[0] = 'kamplan'; from kamplan.cli.main import main; main()"
BASELINE = "import click, rich"


def child(code: str, *args: str, env: dict) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak MiB, exit status) of one fresh ``python -c code args``."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def measured(name: str, code: str, args: list[str], env: dict, runs: int, before=None) -> dict:
    """The median of ``runs`` runs; ``before`` is called before each run (e.g. to drop the config cache)."""
    got = []
    for _ in range(runs):
        if before:
            before()
        got.append(child(code, *args, env=env))
    if any(r[3] != 0 for r in got):
        raise SystemExit(f"{name}: exit status {[r[3] for r in got]}")
    row = {"step": name, "wall_s": statistics.median(r[0] for r in got), "cpu_s": statistics.median(r[1] for r in got),
           "peak_mib": max(r[2] for r in got), "runs": runs}
    print(f"  {name}: {row['wall_s']:.3f} s wall, {row['cpu_s']:.3f} s CPU, {row['peak_mib']:.0f} MiB", flush=True)
    return row


def environment(cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "KAMPLAN_PROFILE")}
    env.update(KAMPLAN_CACHE_DIR=str(cache), KAMPLAN_LANG="en")
    return env


def startup_rows(env: dict, runs: int) -> list[dict]:
    rows = []
    for argv in (["--help"], ["--version"], ["--lang", "zh-CN", "--help"]):
        child(KAMPLAN, *argv, env=env)  # warm-up: bytecode and compiled catalogue, as an installed kamplan has
    child(BASELINE, env=env)
    rows.append(measured("baseline: python -c 'import click, rich'", BASELINE, [], env, runs))
    for argv in (["--help"], ["--version"], ["targets", "consolidate", "--help"], ["--lang", "zh-CN", "--help"]):
        rows.append(measured("kamplan " + " ".join(argv), KAMPLAN, argv, env, runs))
    return rows


def workspace_rows(folder: Path, accounts: int, env: dict, runs: int) -> list[dict]:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_issue_collect import build_config
    from kamplan.workspace import Workspace
    reps = max(1, accounts // 40)
    data = build_config(reps, accounts // reps, 4)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    root = folder / f"ws-{accounts}"
    started = time.perf_counter()
    Workspace.init(root, text).close()
    print(f"  (setup: {accounts:,} accounts, {len(text) / 2**20:.1f} MiB of YAML, workspace in "
          f"{time.perf_counter() - started:.1f} s)", flush=True)
    t0 = time.perf_counter()
    yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    t1 = time.perf_counter()
    as_json = json.dumps(data, default=str)
    t2 = time.perf_counter()
    json.loads(as_json)
    t3 = time.perf_counter()
    rows = [{"step": f"{accounts:,} accounts: libyaml parse (in this process)", "wall_s": t1 - t0, "cpu_s": None,
             "peak_mib": None, "runs": 1},
            {"step": f"{accounts:,} accounts: json.loads of the same data (in this process)", "wall_s": t3 - t2,
             "cpu_s": None, "peak_mib": None, "runs": 1}]
    args = ["targets", "status", "--json", "-w", str(root)]
    cached = root / ".kamplan"
    rows.append(measured(f"{accounts:,} accounts: targets status, kamplan.yaml changed (no cache)", KAMPLAN, args,
                         env, max(1, runs // 2), before=lambda: shutil.rmtree(cached, ignore_errors=True)))
    rows.append(measured(f"{accounts:,} accounts: targets status (config cache)", KAMPLAN, args, env, runs))
    rows.append(measured(f"{accounts:,} accounts: check (config cache)", KAMPLAN, ["check", "-w", str(root)], env,
                         runs))
    return rows


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def render(result: dict) -> str:
    lines = ["| step | wall s | CPU s | peak MiB |", "| --- | ---: | ---: | ---: |"]
    for r in result["rows"]:
        cpu = f"{r['cpu_s']:.3f}" if r["cpu_s"] is not None else "–"
        mem = f"{r['peak_mib']:.0f}" if r["peak_mib"] is not None else "–"
        lines.append(f"| {r['step']} | {r['wall_s']:.3f} | {cpu} | {mem} |")
    base = next(r for r in result["rows"] if r["step"].startswith("baseline"))
    for r in result["rows"]:
        if r["step"].startswith("kamplan "):
            lines.append(f"\n{r['step']}: {r['wall_s'] / base['wall_s']:.2f}x the baseline's wall time, "
                         f"{r['cpu_s'] / base['cpu_s']:.2f}x its CPU (aim: at most 2x)")
    lines.append(f"\nload average (1 min) before: {result['load_before']}, after: {result['load_after']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[20000, 40000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="kamplan-bench-startup-"))
    try:
        env = environment(folder / "cache")
        result = {"load_before": load_average(), "machine": machine_info(("click", "rich", "PyYAML", "pydantic"))}
        print("start-up:", flush=True)
        rows = startup_rows(env, args.runs)
        for n in args.accounts:
            print(f"workspace open, {n:,} accounts:", flush=True)
            rows += workspace_rows(folder, n, env, args.runs)
        result.update(rows=rows, load_after=load_average())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(render(result))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "startup.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
