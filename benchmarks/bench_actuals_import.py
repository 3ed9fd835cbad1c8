#!/usr/bin/env python
"""Benchmark: import 10 million ERP invoice lines (``kamplan actuals import``) next to a plain pandas baseline.

    python benchmarks/bench_actuals_import.py [--lines 10000000] [--out DIR] [--keep]

Builds a workspace with the demo company (93 customers, its products), writes one CSV of ``--lines``
invoice lines for a whole year with Chinese headers (开票日期, 客户编码, 产品编码, 数量, 金额, 成本),
dates in two formats, ~15 % of the lines for customers outside the plan.  Then, in the same process and
on the same file, measured with the wall clock (``time.perf_counter``):

* ``kamplan``: ``stages.actuals.import_actuals(ws, [file])`` end to end: read, check every value,
  match, convert, sum per fiscal quarter x account x product, write the unmatched-lines CSV, store;
* ``pandas baseline``: ``pd.read_csv`` (default C engine) + ``pd.to_datetime`` + ``groupby().sum()``
  of the same sums, with none of the checks, matching or storing.

Both must give the same stored totals (checked).  Prints a markdown table and the machine;
``--out DIR`` also writes ``DIR/results.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import yaml

from _common import peak_rss_mib
from kamplan.demo.company import demo_config_dict
from kamplan.stages.actuals import import_actuals
from kamplan.workspace import Workspace

HEADERS = ["开票日期", "客户编码", "产品编码", "数量", "金额", "成本"]


def write_lines(path: Path, n: int, accounts: list[str], products: list[str], year: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    outsiders = [f"X{i:04d}" for i in range(400)]
    customers = np.array(accounts + outsiders)
    weights = np.r_[np.full(len(accounts), 0.85 / len(accounts)), np.full(len(outsiders), 0.15 / len(outsiders))]
    cust = customers[rng.choice(len(customers), n, p=weights)]
    prod = np.array(products)[rng.integers(0, len(products), n)]
    days = np.datetime64(f"{year}-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    text = np.datetime_as_string(days)
    slash = rng.random(n) < 0.3  # some lines written 2027/03/05 (another ERP module)
    text = np.where(slash, np.char.replace(text, "-", "/"), text)
    qty = np.round(rng.gamma(2.0, 1.5, n), 3)
    amount = np.round(qty * rng.normal(9000, 600, n), 2)
    cost = np.round(amount * rng.uniform(0.6, 0.85, n), 2)
    pl.DataFrame({HEADERS[0]: text, HEADERS[1]: cust, HEADERS[2]: prod, HEADERS[3]: qty, HEADERS[4]: amount,
                  HEADERS[5]: cost}).write_csv(path)


def polars_limit(path: Path) -> pl.DataFrame:
    """The limit: polars ``scan_csv`` + ``group_by`` of the same sums (streaming engine), no checks."""
    d = pl.col(HEADERS[0])
    date = pl.coalesce(d.str.to_date("%Y-%m-%d", strict=False), d.str.to_date("%Y/%m/%d", strict=False))
    return (pl.scan_csv(path).with_columns(date.dt.year().alias("year"), date.dt.quarter().alias("quarter"))
            .group_by("year", "quarter", HEADERS[1], HEADERS[2]).agg(pl.col(HEADERS[3], HEADERS[4], HEADERS[5]).sum())
            .collect(engine="streaming"))


def in_own_process(step: str, csv: Path, root: Path) -> dict:
    """``step`` run in a fresh Python process: its wall and CPU seconds (all threads) and peak memory."""
    import subprocess
    done = subprocess.run([sys.executable, __file__, "--step", step, "--csv", str(csv), "--ws", str(root)],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_step(step: str, csv: Path, root: Path) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    if step == "kamplan":
        with Workspace.open(root) as ws:
            res = import_actuals(ws, [csv])
            assert res.stored and not res.errors, res.all_problems()
    elif step == "polars":
        polars_limit(csv)
    else:
        pandas_baseline(csv)
    return {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
            "peak_mib": peak_rss_mib()}


def pandas_baseline(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    date = pd.to_datetime(df[HEADERS[0]].str.replace("/", "-"), format="%Y-%m-%d")
    return (df.assign(year=date.dt.year, quarter=date.dt.quarter)
            .groupby(["year", "quarter", HEADERS[1], HEADERS[2]])[[HEADERS[3], HEADERS[4], HEADERS[5]]].sum())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=10_000_000)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="with --out: keep the invoice file written by an earlier run")
    ap.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline (it needs ~3 GiB at 10 M lines)")
    ap.add_argument("--step", choices=("kamplan", "polars", "pandas"), help=argparse.SUPPRESS)
    ap.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--ws", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.step:
        print(json.dumps(run_step(args.step, args.csv, args.ws)))
        return 0
    base = args.out or Path(tempfile.mkdtemp(prefix="kamplan-bench-actuals-"))
    base.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    try:
        data = demo_config_dict(language="en")
        root = base / "workspace"
        if root.exists():
            shutil.rmtree(root)
        ws = Workspace.init(root, yaml.safe_dump(data, allow_unicode=True))
        accounts = [a.id for a in ws.config.accounts]
        products = [p.id for p in ws.config.products]
        csv = base / "invoice_lines.csv"
        t = time.perf_counter()
        if not (args.reuse and csv.exists()):
            write_lines(csv, args.lines, accounts, products, ws.config.plan_year)
        print(f"wrote {args.lines:,} lines ({csv.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - t:.1f} s",
              file=sys.stderr)

        ws.close()
        measured = {"kamplan": in_own_process("kamplan", csv, root), "polars": in_own_process("polars", csv, root)}
        if not args.no_pandas:
            measured["pandas"] = in_own_process("pandas", csv, root)
        for k, m in measured.items():
            print(f"{k}: {m['wall_s']:.1f} s wall, {m['cpu_s']:.1f} s CPU, {m['peak_mib']:.0f} MiB", file=sys.stderr)
        t_ours = measured["kamplan"]["wall_s"]
        ws = Workspace.open(root)
        base_sums = pd.DataFrame(polars_limit(csv).to_dict(as_series=False))

        keys = base_sums
        planned = keys[keys[HEADERS[1]].isin(accounts)]
        stored = ws.store.history(years=[ws.config.plan_year])
        same = (np.isclose(planned[HEADERS[4]].sum(), stored["revenue"].sum(), rtol=1e-9)
                and np.isclose(planned[HEADERS[3]].sum(), stored["volume"].sum(), rtol=1e-9)
                and len(planned) == len(stored))
        ws.close()
        labels = {"kamplan": "kamplan `actuals import` (read, check, match, sum, store)",
                  "polars": "limit: polars scan_csv + group_by (streaming), no checks",
                  "pandas": "pandas baseline (read_csv C engine + to_datetime + groupby)"}
        print(f"\n{args.lines:,} invoice lines, {csv.stat().st_size / 2**20:,.0f} MiB CSV; {len(stored):,} rows "
              f"stored; same totals as the limit: {same}\n")
        print("| step | wall s | CPU s | peak MiB | lines per second |\n| --- | ---: | ---: | ---: | ---: |")
        for k, m in measured.items():
            print(f"| {labels[k]} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} | {m['peak_mib']:.0f} | "
                  f"{args.lines / m['wall_s'] / 1e6:.2f} M |")
        lim = measured["polars"]
        print(f"\nkamplan / limit: CPU {measured['kamplan']['cpu_s'] / lim['cpu_s']:.2f}x (aim <= 2x), "
              f"peak {measured['kamplan']['peak_mib']:.0f} MiB (aim <= 1024)")
        machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "load_1min_before": load,
                   "load_1min_after": os.getloadavg()[0],
                   **{p: metadata.version(p) for p in ("pandas", "polars", "numpy", "SQLAlchemy")}}
        print(f"machine: {machine}")
        if load > 1.0:
            print(f"warning: the 1-minute load was {load:.1f} before the run; other work may have slowed it",
                  file=sys.stderr)
        if args.out:
            (base / "results.json").write_text(json.dumps({
                "lines": args.lines, "measured": measured, "rows_stored": len(stored), "same_totals": bool(same),
                "machine": machine}, indent=2))
        return 0 if same else 1
    finally:
        if not args.keep and not args.out:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
