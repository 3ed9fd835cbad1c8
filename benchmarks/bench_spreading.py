#!/usr/bin/env python
"""Benchmark: top-down spreading of a VP's figure over 1,000,000 plan lines, against plain pandas.

    python benchmarks/bench_spreading.py [--lines 1000000] [--repeat 3] [--out DIR]
    python benchmarks/bench_spreading.py --scale 5 [--lines 1000000] [--no-pandas]   # 5 M against 1 M, same run

Builds in memory: 10 regions x 50 salespeople x 100 accounts x 20 lines (5 products x 4 quarters)
= 1,000,000 account x product x quarter lines, heavy-tailed bottom-up targets in cents, last
year's actual around them; 10 % of the lines held (whole accounts held by the VP); floors on
10 % of the lines (key accounts: not below last year) and caps on another 10 % (at most +5 %
over the salesperson's own figure), so 20 % of the lines carry a bound and many of them bind.

Measured, wall clock (``time.perf_counter``), best of ``--repeat`` runs, in one process:

* ``kamplan spread``, company figure: bottom-up + 8 %, proportional (TM1 "P"), rounded to the
  cent so that company, region, salesperson and account totals are exact (hierarchy
  region -> salesperson -> account -> line);
* ``kamplan spread``, a figure per region (+2 % ... +12 %, ``by=region``), proportional to
  last year;
* ``baseline pandas``: the same two spreads written the plain way: a water-filling loop of
  ``groupby(...).transform("sum")`` passes, then largest-remainder rounding level by level with
  ``groupby().sum()``, ``groupby().rank()`` and ``merge``.

``--scale K``: kamplan (and the pandas baseline unless ``--no-pandas``) at ``--lines`` and at K x
``--lines`` in the same process, best of ``--repeat``, wall and CPU seconds (``time.process_time``),
and how many times longer the bigger run takes (the aim: 5 M lines <= 6x the 1 M time).

Both must give the same company and region totals (to the cent) and every account total within
one cent of the other; the script exits 1 otherwise.  Prints a markdown table and the machine;
``--out DIR`` also writes ``DIR/results.json``.  ``--lines 100000`` is a smoke run of a few seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from kamplan.engine.spreading import spread

SEED = 4242
UNIT = 0.01


def build(n_lines: int, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    per_acc, acc_per_rep, rep_per_region = 20, 100, 50
    n_acc = max(1, n_lines // per_acc)
    acc = np.repeat(np.arange(n_acc), per_acc)[:n_lines]
    rep = acc // acc_per_rep
    region = rep // rep_per_region
    size = rng.pareto(1.3, n_acc) * 2000 + 50
    cur = np.round(size[acc] * rng.uniform(0.2, 1.8, n_lines), 2)
    cur[rng.random(n_lines) < 0.05] = 0.0  # lines without a target this year
    ly = np.round(cur * rng.uniform(0.75, 1.15, n_lines), 2)
    held = np.isin(acc, rng.choice(n_acc, n_acc // 10, replace=False))
    b = rng.random(n_lines)
    floors = np.where(b < 0.10, ly, np.nan)  # key accounts: not below last year
    caps = np.where(b >= 0.90, np.round(cur * 1.05, 2), np.nan)  # at most +5 % over the own figure
    return pd.DataFrame({"region": region, "rep": rep, "account": acc, "current": cur, "last_year": ly,
                         "held": held, "floor": floors, "cap": caps})


# -- kamplan ------------------------------------------------------------------------------------------
def kamplan_company(df: pd.DataFrame, figure: float):
    return spread(figure, df["current"].to_numpy(), "proportional", held=df["held"].to_numpy(),
                  floors=df["floor"].to_numpy(), caps=df["cap"].to_numpy(), unit=UNIT,
                  hierarchy=[df["region"].to_numpy(), df["rep"].to_numpy(), df["account"].to_numpy()])


def kamplan_regions(df: pd.DataFrame, figures: dict):
    return spread(figures, df["current"].to_numpy(), "reference", reference=df["last_year"].to_numpy(),
                  held=df["held"].to_numpy(), floors=df["floor"].to_numpy(), caps=df["cap"].to_numpy(),
                  unit=UNIT, by=df["region"].to_numpy(),
                  hierarchy=[df["rep"].to_numpy(), df["account"].to_numpy()])


# -- the plain pandas way ---------------------------------------------------------------------------------
def pandas_spread(df: pd.DataFrame, figures: pd.Series, group: str, key: str, levels: list[str]) -> pd.Series:
    """Water-filling with groupby/transform passes, then largest remainder level by level."""
    d = df[list(dict.fromkeys([group, *levels, "current", "held", "floor", "cap", key]))].copy()
    d["lo"] = np.ceil(d["floor"] / UNIT - 1e-6) * UNIT
    d["hi"] = np.floor(d["cap"] / UNIT + 1e-6) * UNIT
    d["lo"] = d["lo"].fillna(-np.inf)
    d["hi"] = d["hi"].fillna(np.inf)
    d["x"] = d["current"].where(d["held"], d["current"].clip(d["lo"], d["hi"]))
    d["k"] = d[key].where(~d["held"], 0.0).clip(lower=0)
    d["target"] = d[group].map(figures)
    for _ in range(100):
        rem = d["target"] - d.groupby(group)["x"].transform("sum")
        up = rem > 0
        room = np.where(up, d["hi"] - d["x"], d["x"] - d["lo"])
        active = (~d["held"]) & (room > 0) & (rem.abs() > 1e-6)
        if not active.any():
            break
        ka = d["k"].where(active, 0.0)
        s = ka.groupby(d[group]).transform("sum")
        step = (rem / s).where(s > 0, 0.0) * ka
        step = np.where(active, np.where(up, np.minimum(step, room), np.maximum(step, -room)), 0.0)
        d["x"] = d["x"] + step
        if (np.abs(step) < room)[active].all():
            break
    # rounding, top down: the group's figure, then each level, then the lines
    d["u"] = d["x"] / UNIT
    d["held_u"] = np.where(d["held"], np.rint(d["current"] / UNIT), 0.0)
    d["free_u"] = np.where(d["held"], 0.0, d["u"])
    top = (np.rint(figures / UNIT) - d.groupby(group)["held_u"].sum()).rename("alloc")
    top.index.name = group
    parent_keys = [group]
    alloc = top
    for lv in [*levels, None]:
        keys = parent_keys + ([lv] if lv else [])
        if lv is None:
            g = d[~d["held"]][keys + ["free_u"]].reset_index()
            g = g.rename(columns={"free_u": "exact"})
        else:
            g = d[~d["held"]].groupby(keys, as_index=False)["free_u"].sum().rename(columns={"free_u": "exact"})
        g["base"] = np.floor(np.round(g["exact"], 6))
        g["frac"] = (g["exact"] - g["base"]).round(9)
        g = g.merge(alloc.reset_index(), on=parent_keys, how="left")
        g["short"] = g["alloc"] - g.groupby(parent_keys)["base"].transform("sum")
        g["rank"] = g.sort_values(["frac"] + ([lv] if lv else ["index"]), ascending=[False, True]) \
            .groupby(parent_keys).cumcount()
        g["alloc_child"] = g["base"] + (g["rank"] < g["short"])
        if lv is None:
            out = pd.Series(np.rint(d["current"] / UNIT), index=d.index)
            out[g["index"].to_numpy()] = g["alloc_child"].to_numpy()
            return out.astype(np.int64)
        alloc = g.set_index(keys)["alloc_child"].rename("alloc")
        parent_keys = keys
    raise AssertionError("unreachable")


# -- run ----------------------------------------------------------------------------------------------------
def best_of(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def timed(fn, repeat: int) -> tuple[float, float]:
    """Best wall and best CPU seconds (this process) of ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def figures(df: pd.DataFrame) -> tuple[float, pd.Series]:
    """The company figure (bottom-up + 8 %) and one figure per region (+2 % ... +12 %)."""
    figure = round(df["current"].sum() * 1.08, 2)
    regions = sorted(df["region"].unique())
    return figure, pd.Series({r: round(df.loc[df["region"] == r, "current"].sum() * (1.02 + 0.01 * (i % 11)), 2)
                              for i, r in enumerate(regions)})


def scale(lines: int, factor: int, repeat: int, with_pandas: bool) -> dict:
    """Each spread at ``lines`` and ``factor`` x ``lines``, in this process: how much longer the bigger takes."""
    measured = {}
    for n in (lines, lines * factor):
        df = build(n)
        figure, reg_figs = figures(df)
        runs = {"kamplan company": lambda: kamplan_company(df, figure),
                "kamplan regions": lambda: kamplan_regions(df, reg_figs.to_dict())}
        if with_pandas:
            runs["pandas company"] = lambda: pandas_spread(df.assign(all="company"), pd.Series({"company": figure}),
                                                           "all", "current", ["region", "rep", "account"])
            runs["pandas regions"] = lambda: pandas_spread(df, reg_figs, "region", "last_year", ["rep", "account"])
        for name, fn in runs.items():
            measured[(name, n)] = timed(fn, repeat)
            print(f"{name}, {n:,} lines: {measured[(name, n)][0]:.3f} s wall, {measured[(name, n)][1]:.3f} s CPU",
                  flush=True)
        del df
    print(f"\n| spread | {lines:,} lines wall / CPU s | {lines * factor:,} lines wall / CPU s | x wall | x CPU |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = []
    for name in dict.fromkeys(k for k, _ in measured):
        (w1, c1), (w2, c2) = measured[(name, lines)], measured[(name, lines * factor)]
        rows.append({"spread": name, "small": [w1, c1], "big": [w2, c2], "x_wall": w2 / w1, "x_cpu": c2 / c1})
        print(f"| {name} | {w1:.3f} / {c1:.3f} | {w2:.3f} / {c2:.3f} | {w2 / w1:.1f} | {c2 / c1:.1f} |")
    print(f"\naim: {factor}x the lines in <= 6x the time; load average at the end {os.getloadavg()[0]:.1f}")
    return {"lines": lines, "factor": factor, "repeat": repeat, "rows": rows}


def compare(df: pd.DataFrame, units_a: np.ndarray, units_b: np.ndarray) -> dict:
    a = pd.Series(units_a, index=df.index)
    b = pd.Series(units_b, index=df.index)
    acc = (a.groupby(df["account"]).sum() - b.groupby(df["account"]).sum()).abs()
    return {"company_equal": bool(a.sum() == b.sum()),
            "regions_equal": bool((a.groupby(df["region"]).sum() == b.groupby(df["region"]).sum()).all()),
            "accounts_max_diff_units": int(acc.max()), "lines_differing": int((a != b).sum())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--scale", type=int, help="also run at this many times --lines and give the ratio")
    ap.add_argument("--no-pandas", action="store_true", help="with --scale: kamplan only")
    args = ap.parse_args(argv)
    if args.scale:
        found = scale(args.lines, args.scale, args.repeat, not args.no_pandas)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "scale.json").write_text(json.dumps(found, indent=2))
        return 0

    t0 = time.perf_counter()
    df = build(args.lines)
    figure, reg_figs = figures(df)
    regions = list(reg_figs.index)
    setup = time.perf_counter() - t0
    print(f"setup: {len(df):,} lines, {df['account'].nunique():,} accounts, {df['rep'].nunique():,} salespeople, "
          f"{len(regions)} regions in {setup:.2f}s", flush=True)

    rows, checks = [], {}
    k1, r1 = best_of(lambda: kamplan_company(df, figure), args.repeat)
    print(f"kamplan company figure: {k1:.3f}s  ({r1.method_note})", flush=True)
    p1, b1 = best_of(lambda: pandas_spread(df.assign(all="company"), pd.Series({"company": figure}), "all",
                                           "current", ["region", "rep", "account"]), args.repeat)
    print(f"pandas company figure: {p1:.3f}s", flush=True)
    checks["company figure"] = compare(df, r1.units, b1.to_numpy())
    k2, r2 = best_of(lambda: kamplan_regions(df, reg_figs.to_dict()), args.repeat)
    print(f"kamplan region figures: {k2:.3f}s", flush=True)
    p2, b2 = best_of(lambda: pandas_spread(df, reg_figs, "region", "last_year", ["rep", "account"]), args.repeat)
    print(f"pandas region figures: {p2:.3f}s", flush=True)
    checks["figure per region"] = compare(df, r2.units, b2.to_numpy())

    n = len(df)
    for name, k, p, r in [("company figure, proportional", k1, p1, r1), ("figure per region, by last year", k2, p2, r2)]:
        rows.append({"spread": name, "kamplan_s": k, "pandas_s": p, "speedup": p / k, "lines_per_s": n / k,
                     "held": int(df["held"].sum()), "at_floor": r.n_at_floor, "at_cap": r.n_at_cap,
                     "shortfall": r.shortfall})
    print()
    print(f"{n:,} lines, 10 % held, floors on 10 % and caps on 10 %, rounded to {UNIT} exact at "
          "company / region / salesperson / account; best of", args.repeat)
    print()
    print("| spread | kamplan `spread` s | pandas baseline s | speed-up | lines at floor / cap | same totals |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for row, (cname, c) in zip(rows, checks.items()):
        same = "yes" if c["company_equal"] and c["regions_equal"] and c["accounts_max_diff_units"] <= 1 else "NO"
        print(f"| {row['spread']} | {row['kamplan_s']:.3f} | {row['pandas_s']:.3f} | {row['speedup']:.0f}× | "
              f"{row['at_floor']:,} / {row['at_cap']:,} | {same} (accounts within {c['accounts_max_diff_units']} "
              f"cent, {c['lines_differing']:,} lines differ by a cent) |")
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
               "numpy": metadata.version("numpy"), "pandas": metadata.version("pandas"),
               "load_average_at_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    print()
    print("machine:", ", ".join(f"{k} {v}" for k, v in machine.items()))
    ok = all(c["company_equal"] and c["regions_equal"] and c["accounts_max_diff_units"] <= 1
             for c in checks.values())
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(
            {"lines": n, "repeat": args.repeat, "rows": rows, "checks": checks, "machine": machine}, indent=2))
    if not ok:
        print("kamplan and the pandas baseline disagree on the totals", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
