#!/usr/bin/env python
"""Benchmark: allocate executives, technical staff and advisors (greedy, LP bound, MILP with HiGHS).

    python benchmarks/bench_allocation.py [--accounts 200 500 2000] [--limits 5 10] [--long]
                                          [--seed 1] [--threads N] [--out DIR]

For each size, ``kamplan.engine.resources.allocation.generate_instance(n, seed)`` builds a company with
~2 requests per account over 3 pools x 4 quarters (capacity ~55 % of what is asked, regions,
skills, all-or-nothing requests, an advisor budget, customer limits, "every key account gets one
executive visit").  Measured with wall-clock time (``time.perf_counter``), in one process:

* ``greedy``: ``greedy(instance)``, its value and its distance to the best bound found;
* ``LP bound``: ``solve(instance, relax=True)``, the LP relaxation (an upper bound);
* ``MILP <t> s``: ``solve(instance, time_limit=t)`` warm-started from the greedy: value, proven
  bound, gap and time (the time includes the greedy and building the model).

``--long`` adds a 60 s run.  The gap of the greedy is against the best bound of that size.  Prints
a markdown table and the machine; ``--out DIR`` also writes ``DIR/results.json``.
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

from kamplan.engine.resources.allocation import generate_instance, greedy, solve
from kamplan.engine.resources.allocation.compiled import Compiled as _Compiled
from kamplan.engine.resources.allocation.milp import Milp as _Milp, aon_mode as _aon_mode


def run(sizes, limits, seed, threads):
    rows = []
    for n in sizes:
        inst = generate_instance(n, seed)
        greedy(generate_instance(20, seed))  # warm imports
        t = time.perf_counter()
        g = greedy(inst)
        tg = time.perf_counter() - t
        lp = solve(inst, relax=True, time_limit=60)
        c = _Compiled(inst)
        m = _Milp(c, aon=_aon_mode(c, "auto"))
        size = dict(accounts=n, requests=len(c.reqs), columns=m.n_col, rows=m.n_row, integers=int(m.integ.sum()),
                    aon_mode=m.aon)
        print(f"{n} accounts: {size}", file=sys.stderr)
        best_bound = lp.bound
        runs = []
        for lim in limits:
            a = solve(inst, time_limit=lim, threads=threads)
            best_bound = min(best_bound, a.bound)
            runs.append((lim, a))
            print(f"  MILP {lim:g} s: {a.objective:,.0f} bound {a.bound:,.0f} gap {a.gap:.4%} {a.status} "
                  f"{a.seconds:.2f} s", file=sys.stderr)
        rows.append(dict(size=size, greedy=dict(value=g.objective, seconds=tg,
                                                gap_to_bound=(best_bound - g.objective) / best_bound),
                         lp=dict(bound=lp.bound, seconds=lp.seconds),
                         milp=[dict(limit=lim, value=a.objective, bound=a.bound, gap=a.gap, status=a.status,
                                    seconds=a.seconds, nodes=a.nodes,
                                    unmet=len(a.unmet)) for lim, a in runs]))
    return rows


def table(rows):
    out = ["| accounts | requests | greedy value | greedy s | greedy gap | LP bound | LP s | MILP limit | MILP value "
           "| bound | gap | status | MILP s |",
           "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for r in rows:
        s, g, lp = r["size"], r["greedy"], r["lp"]
        for n, m in enumerate(r["milp"]):
            head = (f"| {s['accounts']:,} | {s['requests']:,} | {g['value']:,.0f} | {g['seconds']:.3f} | "
                    f"{g['gap_to_bound']:.3%} | {lp['bound']:,.0f} | {lp['seconds']:.2f} |") if n == 0 else \
                "| | | | | | | |"
            out.append(f"{head} {m['limit']:g} s | {m['value']:,.0f} | {m['bound']:,.0f} | {m['gap']:.4%} | "
                       f"{m['status']} | {m['seconds']:.2f} |")
    return "\n".join(out)


def machine():
    versions = {}
    for p in ("numpy", "pandas", "scipy", "highspy"):
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return dict(cpus=os.cpu_count(), python=platform.python_version(), platform=platform.platform(),
                load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else None, **versions)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--accounts", type=int, nargs="+", default=[200, 500, 2000])
    ap.add_argument("--limits", type=float, nargs="+", default=[5.0, 10.0])
    ap.add_argument("--long", action="store_true", help="add a 60 s MILP run")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    limits = list(args.limits) + ([60.0] if args.long else [])
    rows = run(args.accounts, limits, args.seed, args.threads)
    mach = machine()
    print(table(rows))
    print()
    print(" · ".join(f"{k} {v}" for k, v in mach.items()))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(dict(machine=mach, seed=args.seed, rows=rows), indent=2),
                                               encoding="utf-8")


if __name__ == "__main__":
    main()
