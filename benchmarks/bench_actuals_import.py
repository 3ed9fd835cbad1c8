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
    args = ap.parse_args(argv)
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
        write_lines(csv, args.lines, accounts, products, ws.config.plan_year)
        print(f"wrote {args.lines:,} lines ({csv.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - t:.1f} s",
              file=sys.stderr)

        t = time.perf_counter()
        res = import_actuals(ws, [csv])
        t_ours = time.perf_counter() - t
        assert res.stored and not res.errors, res.all_problems()
        print(f"kamplan import: {t_ours:.1f} s", file=sys.stderr)

        t = time.perf_counter()
        base_sums = pandas_baseline(csv)
        t_base = time.perf_counter() - t
        print(f"pandas baseline: {t_base:.1f} s", file=sys.stderr)

        keys = base_sums.reset_index()
        planned = keys[keys[HEADERS[1]].isin(accounts)]
        stored = ws.store.history(years=[ws.config.plan_year])
        same = (np.isclose(planned[HEADERS[4]].sum(), stored["revenue"].sum(), rtol=1e-9)
                and np.isclose(planned[HEADERS[3]].sum(), stored["volume"].sum(), rtol=1e-9)
                and len(planned) == len(stored))
        f = res.files[0]
        ws.close()
        rows = [("kamplan `actuals import` (read, check, match, sum, store)", t_ours),
                ("pandas baseline (read_csv C engine + to_datetime + groupby)", t_base)]
        print(f"\n{args.lines:,} invoice lines, {csv.stat().st_size / 2**20:,.0f} MiB CSV; "
              f"{f.matched:,} matched, {f.unmatched:,} not in the plan; {len(stored):,} rows stored; "
              f"same totals as the baseline: {same}\n")
        print("| step | seconds | lines per second |\n| --- | ---: | ---: |")
        for label, sec in rows:
            print(f"| {label} | {sec:.1f} | {args.lines / sec / 1e6:.2f} M |")
        print(f"\nspeed-up over the baseline: {t_base / t_ours:.1f}x")
        machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "load_1min_before": load,
                   **{p: metadata.version(p) for p in ("pandas", "polars", "numpy", "SQLAlchemy")}}
        print(f"machine: {machine}")
        if load > 1.0:
            print(f"warning: the 1-minute load was {load:.1f} before the run; other work may have slowed it",
                  file=sys.stderr)
        if args.out:
            (base / "results.json").write_text(json.dumps({
                "lines": args.lines, "kamplan_s": t_ours, "baseline_s": t_base, "matched": f.matched,
                "unmatched": f.unmatched, "rows_stored": len(stored), "same_totals": bool(same),
                "machine": machine}, indent=2))
        return 0 if same else 1
    finally:
        if not args.keep and not args.out:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
