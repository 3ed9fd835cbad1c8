#!/usr/bin/env python
"""Benchmark: the fiscal period of 10 million dates (``kamplan.periods.fiscal_year_quarter``) next to the
month arithmetic it replaced, in the same run on the same dates.

    python benchmarks/bench_periods.py [--dates 10000000] [--repeat 3] [--out DIR]

Dates: ``--dates`` random days over 2012-2015 (datetime64[ns], as pandas holds them).  Cases:

* ``baseline: month arithmetic``: the former ``fiscal_year_quarter`` (year and month of each stamp, then
  ``year - (month < first_month)`` and ``(month - first_month) % 12 // 3 + 1``), first month 12;
* ``kamplan first_month 12``, ``kamplan period_ends`` (28 Feb / 30 May / 30 Aug / 30 Nov) and
  ``kamplan weeks 4-4-5``: the period function (a binary search among the parts' first days).

Each case: best wall time (``time.perf_counter``) and its CPU time (``time.process_time``) over
``--repeat`` runs, and the peak memory it allocates (``tracemalloc``, numpy and pandas arrays included,
measured in a separate run so tracing does not slow the timed ones).  The first-month case must equal
the baseline exactly (checked).  Prints a markdown table and the machine; ``--out DIR`` writes results.json.
"""
from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from _common import machine_info
from kamplan.config.schema import Calendar
from kamplan.periods import fiscal_year_quarter


def month_arithmetic(dates, first_month: int):
    """The former fiscal_year_quarter, verbatim."""
    stamps = pd.DatetimeIndex(pd.to_datetime(dates))
    if stamps.hasnans:
        raise ValueError("a date is missing; every dated line needs a date")
    month = stamps.month.to_numpy(dtype="int64")
    year = stamps.year.to_numpy(dtype="int64") - (month < first_month)
    quarter = (month - first_month) % 12 // 3 + 1
    return year, quarter


def measure(fn, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        run = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
        best = run if best is None or run["wall_s"] < best["wall_s"] else best
    del result
    tracemalloc.start()
    fn()
    best["peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dates", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    dates = pd.Series(np.datetime64("2012-01-01") + rng.integers(0, 4 * 365, args.dates).astype("timedelta64[D]"),
                      dtype="datetime64[ns]")
    cases = {
        "baseline: month arithmetic": lambda: month_arithmetic(dates, 12),
        "kamplan first_month 12": lambda: fiscal_year_quarter(dates, 12),
        "kamplan period_ends": lambda: fiscal_year_quarter(dates, Calendar(
            period_ends=["2013-02-28", "2013-05-30", "2013-08-30", "2013-11-30"])),
        "kamplan weeks 4-4-5": lambda: fiscal_year_quarter(dates, Calendar(weeks=[4, 4, 5], start="2012-01-01")),
    }
    want, got = month_arithmetic(dates, 12), fiscal_year_quarter(dates, 12)
    same = bool((want[0] == got[0]).all() and (want[1] == got[1]).all())
    results = {name: measure(fn, args.repeat) for name, fn in cases.items()}
    base = results["baseline: month arithmetic"]["wall_s"]
    print(f"{args.dates:,} dates; first-month result equal to the baseline: {same}\n")
    print("| case | wall s | CPU s | peak MiB | wall vs baseline |\n| --- | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['wall_s']:.3f} | {r['cpu_s']:.3f} | {r['peak_mib']:.0f} | {r['wall_s'] / base:.2f}× |")
    machine = machine_info(("numpy", "pandas"))
    print("\n" + json.dumps(machine))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps({"dates": args.dates, "equal": same, "results": results,
                                                           "machine": machine}, indent=2))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
