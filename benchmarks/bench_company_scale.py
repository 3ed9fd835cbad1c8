#!/usr/bin/env python
"""Benchmark: consolidate, evaluate (one quarter) and the account review workbook on a generated company.

    python benchmarks/bench_company_scale.py [--size small|large|both] [--out DIR] [--profile]

Two companies made from the demo company (``benchmarks/_company.py``):

* **small**: 20 salespeople, 700 accounts, 4 products (a real-size company); aim ≤ 3 s per step;
* **large**: 500 salespeople, 20,000 accounts, 4 products; aim ≤ 30 s per step.

Setup (timed, not measured): the workspace, three years of history, a round-1 submission per
salesperson (last year +5 %, stored directly, no workbook read), simulated ERP actuals for Q1
imported with ``kamplan actuals import``.  Each measured step then runs in a fresh Python process on
its own copy of that workspace, so its peak memory (``ru_maxrss``) is its own:

| step | what is timed |
| --- | --- |
| consolidate | ``stages.plan.consolidate``: the bottom-up version and the consolidation workbook |
| evaluate Q1 | ``stages.evaluation.evaluate(ws, 1)``: the VP's and every salesperson's evaluation workbook |
| account review | ``stages.review.segment_accounts``: Pareto, profitability, scores, classes, the workbook |
| limit: read the inputs | opening the workspace and reading history and plan lines from the store into frames: the floor every step stands on |

Wall seconds (``perf_counter``), CPU seconds (``process_time``: this process, all threads, and its
worker processes: evaluate writes its workbooks in one per core from 8 workbooks on), of that
the CPU seconds in the kit's saved formula results (``kit/results.cache_results``, timed apart) and
peak resident memory of the step's process.  ``--profile`` prints each step's top cProfile entries.

With ``--out DIR`` the prepared workspace is kept as ``DIR/<size>-prepared`` (its setup figures in
``DIR/<size>-prepared.json``) and a later run with the same ``--out`` measures the steps on it without
building it again (``--rebuild`` builds it anew); ``--steps`` measures only some steps.  The large
company takes several minutes to build, so build it once and re-measure on a quiet machine.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from _common import machine_info, peak_rss_mib
from _company import plan_submissions, scaled_company

SIZES = {"small": (20, 700, 3.0), "large": (500, 20_000, 30.0)}
STEPS = ("limit", "consolidate", "evaluate", "review")
LABELS = {"limit": "limit: open + read history and plan lines", "consolidate": "consolidate",
          "evaluate": "evaluate Q1", "review": "account review workbook"}


def build(root: Path, n_reps: int, n_accounts: int) -> dict:
    from kamplan.config import config_from_dict
    from kamplan.demo.actuals import simulate_actuals, write_actuals_files
    from kamplan.stages.actuals import import_actuals
    from kamplan.workspace import Workspace
    took = {}
    t = time.perf_counter()
    data, history = scaled_company(n_reps, n_accounts)
    config = config_from_dict(data)
    took["generate"] = time.perf_counter() - t
    t = time.perf_counter()
    with Workspace.init(root, yaml.safe_dump(data, allow_unicode=True, sort_keys=False)) as ws:
        ws.store.replace_history(history, source="bench")
        year = config.plan_year
        ws.store.open_round(year, 1, "bottom-up")
        subs = plan_submissions(config, history)
        for sub in subs:
            ws.store.record_submission(sub, dt.datetime(year - 1, 12, 20))
        took["store history + submissions"] = time.perf_counter() - t
        t = time.perf_counter()
        targets = pd.concat([s.targets for s in subs])
        inv, act = simulate_actuals(config, targets, year, [1], seed=11)
        inv_path, _ = write_actuals_files(root / "erp", inv, act, "q1", language="en", fmt="csv")
        res = import_actuals(ws, [inv_path])
        assert not res.errors, res.all_problems()
        took["actuals Q1"] = time.perf_counter() - t
    return {"history_rows": len(history), "plan_lines": int(len(targets)), "invoice_lines": len(inv), "setup_s": took}


def _timing_saved_results(log: Path):
    """Count the CPU seconds the workbook kit spends saving every formula's result (``cache_results``,
    called once per workbook as it is closed): the evaluator is a part of its own, measured apart.  Each
    call appends its seconds to ``log``, so that workbooks written by worker processes count too."""
    from kamplan.workbooks.kit import styles
    cache_results = styles.cache_results
    log.unlink(missing_ok=True)

    def timed(wb):
        t = time.process_time()
        try:
            return cache_results(wb)
        finally:
            with open(log, "a") as fh:
                fh.write(f"{time.process_time() - t}\n")
    styles.cache_results = timed
    return lambda: sum(float(x) for x in log.read_text().split()) if log.exists() else 0.0


def run_step(step: str, root: Path, profile: bool) -> dict:
    """In the step's own process: time ``step`` on the workspace ``root``."""
    from kamplan.workspace import Workspace
    results_cpu = _timing_saved_results(root.parent / f"{root.name}-saved-results.log")
    wall, cpu = time.perf_counter(), time.process_time()
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    with Workspace.open(root) as ws:
        if step == "limit":
            ws.store.history()
            ws.store.lines_frame(ws.config.plan_year, 1, "targets")
        elif step == "consolidate":
            from kamplan.stages.plan import consolidate
            consolidate(ws, by="bench")
        elif step == "evaluate":
            from kamplan.stages.evaluation import evaluate
            evaluate(ws, 1)
        elif step == "review":
            from kamplan.stages.review import segment_accounts
            segment_accounts(ws)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # worker processes, once ended
    out = {"wall_s": time.perf_counter() - wall,
           "cpu_s": time.process_time() - cpu + children.ru_utime + children.ru_stime,
           "saved_results_cpu_s": results_cpu(), "peak_mib": peak_rss_mib(),
           "worker_peak_mib": children.ru_maxrss / 1024}
    if prof:
        prof.disable()
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(35)
        out["profile"] = s.getvalue()
    return out


def prepared_workspace(size: str, base: Path, rebuild: bool) -> tuple[Path, dict]:
    """The workspace the steps run on, built in ``base`` unless a finished build is already there (its
    setup figures are written next to it last, so a build that was stopped is not taken for one)."""
    n_reps, n_accounts, _ = SIZES[size]
    prepared, info_file = base / f"{size}-prepared", base / f"{size}-prepared.json"
    if info_file.exists() and prepared.exists() and not rebuild:
        info = json.loads(info_file.read_text())
        print(f"[{size}] reusing the workspace built {info['built']} in {prepared}", file=sys.stderr)
        return prepared, info
    info_file.unlink(missing_ok=True)
    shutil.rmtree(prepared, ignore_errors=True)
    print(f"[{size}] building {n_reps} salespeople, {n_accounts:,} accounts ...", file=sys.stderr)
    info = build(prepared, n_reps, n_accounts)
    info["built"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    print(f"[{size}] setup {info['setup_s']}", file=sys.stderr)
    info_file.write_text(json.dumps(info, indent=2))
    return prepared, info


def measure(size: str, base: Path, profile: bool, steps_wanted=STEPS, rebuild: bool = False) -> dict:
    n_reps, n_accounts, aim = SIZES[size]
    prepared, info = prepared_workspace(size, base, rebuild)
    steps = {}
    for step in steps_wanted:
        copy = base / f"{size}-{step}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(prepared, copy)
        cmd = [sys.executable, __file__, "--step", step, "--ws", str(copy)] + (["--profile"] if profile else [])
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"step {step} failed:\n{done.stderr[-4000:]}")
        steps[step] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"[{size}] {step}: {steps[step]['wall_s']:.2f} s wall, {steps[step]['cpu_s']:.2f} s CPU "
              f"(saved results {steps[step]['saved_results_cpu_s']:.2f}), {steps[step]['peak_mib']:.0f} MiB",
              file=sys.stderr)
        if profile:
            print(steps[step].pop("profile"), file=sys.stderr)
        shutil.rmtree(copy, ignore_errors=True)
        (base / f"{size}-{step}-saved-results.log").unlink(missing_ok=True)
    return {"size": size, "salespeople": n_reps, "accounts": n_accounts, "aim_s": aim, **info, "steps": steps}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", choices=("small", "large", "both"), default="both")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    ap.add_argument("--rebuild", action="store_true", help="build the company anew even if --out has it")
    ap.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    ap.add_argument("--ws", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.step:
        out = run_step(args.step, args.ws, args.profile)
        print(json.dumps(out))
        return 0
    wanted = tuple(s.strip() for s in args.steps.split(",") if s.strip())
    if not wanted or set(wanted) - set(STEPS):
        ap.error(f"--steps: give some of {', '.join(STEPS)}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    base = args.out.resolve() if args.out else Path(tempfile.mkdtemp(prefix="kamplan-bench-scale-"))
    load = os.getloadavg()[0]
    results = []
    try:
        for size in (("small", "large") if args.size == "both" else (args.size,)):
            results.append(measure(size, base, args.profile, wanted, args.rebuild))
    finally:
        if not args.out:
            shutil.rmtree(base, ignore_errors=True)
    load_after = os.getloadavg()[0]
    print("\n| company | step | wall s | CPU s | of which saved results CPU s | peak MiB | aim |\n"
          "| --- | --- | ---: | ---: | ---: | ---: | --- |")
    missed = 0
    for r in results:
        for step, m in r["steps"].items():
            verdict = "" if step == "limit" else ("met" if m["wall_s"] <= r["aim_s"] else "MISSED")
            missed += verdict == "MISSED"
            print(f"| {r['salespeople']} reps / {r['accounts']:,} accounts | {LABELS[step]} | {m['wall_s']:.2f} | "
                  f"{m['cpu_s']:.2f} | {m['saved_results_cpu_s']:.2f} | {m['peak_mib']:.0f} | ≤ {r['aim_s']:.0f} s {verdict} |")
    machine = {**machine_info(("pandas", "numpy", "SQLAlchemy", "XlsxWriter", "polars")),
               "load_1min_before": load, "load_1min_after": load_after}
    print(f"\nmachine: {machine}")
    if args.out:
        (args.out / "results.json").write_text(json.dumps({"results": results, "machine": machine}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
