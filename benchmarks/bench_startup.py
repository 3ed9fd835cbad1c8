"""Start-up and workspace open: how long a person waits before any command does its work.

Measured in fresh processes (as a person runs kamplan), each against the baseline in the same run:

* ``kamplan --help``, ``--version`` and a subcommand's ``--help`` against ``python -c "import click, rich"``
  (aim: at most 2x);
* read-only commands (``targets status --json``, ``targets versions --json``, ``status --json``,
  ``check``) on a generated 20,000- and 40,000-account workspace: the first run after kamplan.yaml
  changed (it parses the YAML and keeps the config cache) and the runs after it (the config from
  ``.kamplan/config-cache.json``); aim: at most 1 s at 40,000 accounts.  For information, ``json.loads``
  and a libyaml parse of the same config in this process.
* ``--baseline-src DIR``: the same workspace commands with another kamplan (DIR holds its ``kamplan``
  package, e.g. ``git archive main addin | tar -x -C /tmp/main`` and ``--baseline-src /tmp/main/addin``),
  on its own copy of each workspace, run by run in turn with this one so that both share the load.

Each figure is the median of ``--runs`` runs (after one warm-up run that writes the bytecode and the
compiled catalogue, as an installed kamplan has them): wall seconds, CPU seconds (user + system of the
child, from ``os.wait4``) and the child's peak memory (maximum resident set).

    python benchmarks/bench_startup.py                      # 20,000 and 40,000 accounts, 5 runs each
    python benchmarks/bench_startup.py --accounts 2000 --runs 3   # smoke run
    python benchmarks/bench_startup.py --out bench-out      # also bench-out/startup.json
    python benchmarks/bench_startup.py --baseline-src /tmp/main/addin   # before/after in the same run
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
    return measured_in_turn([(name, args, env, before)], code, runs)[0]


def measured_in_turn(variants: list[tuple], code: str, runs: int) -> list[dict]:
    """One row per variant ``(name, args, env, before)``: the median of ``runs`` runs, the variants taking
    turns run by run (so that a baseline and this kamplan share the machine's load)."""
    got: list[list] = [[] for _ in variants]
    for _ in range(runs):
        for i, (_, args, env, before) in enumerate(variants):
            if before:
                before()
            got[i].append(child(code, *args, env=env))
    rows = []
    for (name, *_), results in zip(variants, got):
        if any(r[3] != 0 for r in results):
            raise SystemExit(f"{name}: exit status {[r[3] for r in results]}")
        row = {"step": name, "wall_s": statistics.median(r[0] for r in results),
               "cpu_s": statistics.median(r[1] for r in results), "peak_mib": max(r[2] for r in results),
               "runs": runs}
        print(f"  {name}: {row['wall_s']:.3f} s wall, {row['cpu_s']:.3f} s CPU, {row['peak_mib']:.0f} MiB", flush=True)
        rows.append(row)
    return rows


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


READ_ONLY = (["targets", "status", "--json"], ["targets", "versions", "--json"], ["status", "--json"], ["check"])


def workspace_rows(folder: Path, accounts: int, env: dict, runs: int, baseline_env: dict | None = None) -> list[dict]:
    root = folder / f"ws-{accounts}"
    # The workspace is made (and the YAML parsed) in a child process: a child's peak memory (ru_maxrss) starts
    # from this process's high-water mark at fork, so this process must stay small.
    made = subprocess.run([sys.executable, __file__, "--setup", str(root), str(accounts)], env=env, check=True,
                          stdout=subprocess.PIPE, text=True)
    *said, last = made.stdout.splitlines()
    print("\n".join(said), flush=True)
    rows = json.loads(last)
    sides = [("", root, env)]
    if baseline_env is not None:
        copy = folder / f"ws-{accounts}-baseline"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".kamplan"))
        sides.append((" [baseline]", copy, baseline_env))
    for _, ws, side_env in sides:  # warm-up: the config cache and the bytecode
        child(KAMPLAN, *READ_ONLY[0], "-w", str(ws), env=side_env)
    label = f"{accounts:,} accounts: "

    def dropping(ws):
        return lambda: shutil.rmtree(ws / ".kamplan", ignore_errors=True)
    rows += measured_in_turn([(f"{label}targets status, kamplan.yaml changed (no cache){tag}",
                               [*READ_ONLY[0], "-w", str(ws)], side_env, dropping(ws))
                              for tag, ws, side_env in sides], KAMPLAN, max(1, runs // 2))
    for args in READ_ONLY:
        rows += measured_in_turn([(f"{label}{' '.join(a for a in args if a != '--json')} (config cache){tag}",
                                   [*args, "-w", str(ws)], side_env, None) for tag, ws, side_env in sides],
                                 KAMPLAN, runs)
    return rows


def setup(root: Path, accounts: int) -> None:
    """``--setup``: make the workspace, then print the in-process parse rows as the last line (JSON)."""
    text = _make_workspace(root, accounts)
    print(json.dumps(_parse_rows(text, accounts)))


def _make_workspace(root: Path, accounts: int) -> str:
    """A generated workspace of ``accounts`` accounts in ``root``; its kamplan.yaml text."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_issue_collect import build_config
    from kamplan.workspace import Workspace
    reps = max(1, accounts // 40)
    text = yaml.safe_dump(build_config(reps, accounts // reps, 4), allow_unicode=True, sort_keys=False)
    started = time.perf_counter()
    Workspace.init(root, text).close()
    print(f"  (setup: {accounts:,} accounts, {len(text) / 2**20:.1f} MiB of YAML, workspace in "
          f"{time.perf_counter() - started:.1f} s)", flush=True)
    return text


def _parse_rows(text: str, accounts: int) -> list[dict]:
    """For information: libyaml and ``json.loads`` on the same config, in this process."""
    t0 = time.perf_counter()
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    t1 = time.perf_counter()
    as_json = json.dumps(data, default=str)
    t2 = time.perf_counter()
    json.loads(as_json)
    t3 = time.perf_counter()
    return [{"step": f"{accounts:,} accounts: libyaml parse (in this process)", "wall_s": t1 - t0, "cpu_s": None,
             "peak_mib": None, "runs": 1},
            {"step": f"{accounts:,} accounts: json.loads of the same data (in this process)", "wall_s": t3 - t2,
             "cpu_s": None, "peak_mib": None, "runs": 1}]


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
    base = next((r for r in result["rows"] if r["step"].startswith("baseline")), None)
    for r in result["rows"]:
        if base and r["step"].startswith("kamplan "):
            lines.append(f"\n{r['step']}: {r['wall_s'] / base['wall_s']:.2f}x the baseline's wall time, "
                         f"{r['cpu_s'] / base['cpu_s']:.2f}x its CPU (aim: at most 2x)")
    by_step = {r["step"]: r for r in result["rows"]}
    for r in result["rows"]:
        ours = by_step.get(r["step"].removesuffix(" [baseline]"))
        if r["step"].endswith(" [baseline]") and ours and r["cpu_s"]:
            lines.append(f"\n{ours['step']}: {ours['cpu_s'] / r['cpu_s']:.2f}x the baseline kamplan's CPU, "
                         f"{ours['wall_s'] / r['wall_s']:.2f}x its wall time")
    lines.append(f"\nload average (1 min) before: {result['load_before']}, after: {result['load_after']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--setup"]:
        setup(Path(argv[1]), int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[20000, 40000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--baseline-src", type=Path, help="a folder holding another kamplan package (its addin/), "
                        "measured on the workspaces in turn with this one")
    parser.add_argument("--no-startup", action="store_true", help="only the workspace commands")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="kamplan-bench-startup-"))
    try:
        env = environment(folder / "cache")
        baseline_env = None
        if args.baseline_src:
            baseline_env = dict(environment(folder / "cache-baseline"),
                                PYTHONPATH=str(args.baseline_src.resolve()))
        result = {"load_before": load_average(), "machine": machine_info(("click", "rich", "PyYAML", "pydantic")),
                  "baseline_src": str(args.baseline_src) if args.baseline_src else None}
        rows = []
        if not args.no_startup:
            print("start-up:", flush=True)
            rows += startup_rows(env, args.runs)
        for n in args.accounts:
            print(f"workspace open, {n:,} accounts:", flush=True)
            rows += workspace_rows(folder, n, env, args.runs, baseline_env)
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
