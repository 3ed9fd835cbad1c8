#!/usr/bin/env python
"""Benchmark: segment N accounts (Pareto, profitability, scores, classes) against a naive pandas baseline.

    python benchmarks/bench_segmentation.py [--accounts 100000] [--products 10] [--years 3]
                                            [--out DIR] [--skip-store]

Builds a synthetic history in memory: ``--accounts`` accounts x ``--products`` products x 4
quarters x ``--years`` years (12 million rows by default), heavy-tailed account sizes, a trend
per account, ~30 % of lines without an order in a quarter, cost to serve per account; and
judgements for one account in five.  Then measures, with wall-clock time
(``time.perf_counter``) in one run on one machine:

* ``kamplan segment()``: the whole engine run of ``kamplan accounts segment``: account and
  account x product profitability, Pareto/ABC, whale curve, indicator scores, class rules with
  reasons, last year's classes computed from the history, movement and develop candidates;
* ``kamplan Pareto + profitability only``: the part the baseline also does (per account sums,
  Pareto shares and core, per account x product profit with cost to serve split by revenue,
  whale curve), with the engine's functions;
* ``baseline pandas groupby/apply``: the same Pareto + profitability written the plain way,
  one Python function per account (``groupby("account_id").apply``);
* information: storing the 100,000-row classification in SQLite and writing the review
  workbook (its 2,000 biggest accounts) -- what ``kamplan accounts segment`` adds.

The engine's and the baseline's results are compared (the same core accounts, the same profit
per account and per line) so the speed-up is for the same answer.  Prints a markdown table and
the machine facts; with ``--out DIR`` also writes ``DIR/results.json``.
``--accounts 5000`` is a smoke run of a few seconds.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from kamplan.config import config_from_dict
from kamplan.config.review import SegmentationRules
from kamplan.engine.pareto import pareto
from kamplan.periods import Period
from kamplan.engine.profitability import account_sums, add_ratios, prepare, product_lines, whale_curve
from kamplan.engine.review import segment
from kamplan.model import HISTORY_COLUMNS
from _common import machine_info as common_machine_info

SEED = 20271
PLAN_YEAR = 2027


# -- synthetic history ----------------------------------------------------------------------------------
def build_history(n_acc: int, n_prod: int, n_years: int, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.pareto(1.2, n_acc) * 20 + 1  # tonnes per quarter and product: a few big, a long tail
    trend = rng.normal(0.03, 0.15, n_acc)
    mix = rng.dirichlet(np.full(n_prod, 0.8), n_acc)
    list_price = 10000 + 2500 * (np.arange(n_prod) % 7)
    margin = 0.15 + 0.03 * (np.arange(n_prod) % 5)
    serve = rng.uniform(0.01, 0.12, (n_acc, 1))
    ids = np.array([f"A{i:06d}" for i in range(n_acc)], dtype=object)
    pids = np.array([f"P{p:02d}" for p in range(n_prod)], dtype=object)
    frames = []
    for yi, year in enumerate(range(PLAN_YEAR - n_years, PLAN_YEAR)):
        for q in range(1, 5):
            vol = (size[:, None] * mix * (1 + trend[:, None]) ** yi * rng.uniform(0.7, 1.3, (n_acc, n_prod))).round(1)
            vol[rng.random((n_acc, n_prod)) < 0.3] = 0.0
            price = np.round(list_price * (1 - rng.uniform(0, 0.15, (n_acc, n_prod))))
            rev = np.round(vol * price, 2)
            gm = np.round(rev * margin * rng.uniform(0.8, 1.2, (n_acc, n_prod)), 2)
            cts = np.round(rev * serve + 800 / n_prod, 2)
            frames.append(pd.DataFrame({
                "year": year, "quarter": q, "account_id": np.repeat(ids, n_prod), "product_id": np.tile(pids, n_acc),
                "volume": vol.ravel(), "price": price.ravel(), "revenue": rev.ravel(), "gross_margin": gm.ravel(),
                "cost_to_serve": cts.ravel(), "visits": rng.integers(0, 3, n_acc * n_prod)}))
    return pd.concat(frames, ignore_index=True)[HISTORY_COLUMNS]


def build_judgements(n_acc: int, rules: SegmentationRules, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1)
    judged = np.arange(0, n_acc, 5)
    inds = [i.id for i in rules.scoring.judged]
    lo, hi = rules.scoring.scale.min, rules.scoring.scale.max
    return pd.DataFrame({"account_id": np.repeat([f"A{i:06d}" for i in judged], len(inds)),
                         "indicator": np.tile(inds, len(judged)),
                         "score": rng.integers(lo, hi + 1, len(judged) * len(inds)).astype(float)})


# -- the two implementations of Pareto + profitability ---------------------------------------------------
def engine_pareto_profit(history: pd.DataFrame, period: Period, cutoff: float = 0.8):
    h = prepare(history)
    acc = add_ratios(account_sums(h, period))
    ranked = pareto(acc["volume"], cutoff)
    lines = product_lines(h, period, acc["cost_to_serve"], "revenue")
    whale, _ = whale_curve(acc["profit"])
    return acc, ranked, lines, whale


def baseline_pareto_profit(history: pd.DataFrame, year: int, cutoff: float = 0.8):
    """The same, the plain way: one Python function per account with groupby/apply."""
    cur = history[history["year"] == year]

    def per_account(g):
        return pd.Series({"volume": g["volume"].sum(), "revenue": g["revenue"].sum(),
                          "gross_margin": g["gross_margin"].sum(), "cost_to_serve": g["cost_to_serve"].sum()})
    acc = cur.groupby("account_id").apply(per_account)
    acc["profit"] = acc["gross_margin"] - acc["cost_to_serve"]
    acc = acc.sort_values("volume", ascending=False)
    acc["share"] = acc["volume"] / acc["volume"].sum()
    acc["cum_share"] = acc["share"].cumsum()
    # the documented rule: down to the account that reaches the cutoff, plus every account equal to it
    boundary = acc["volume"].iloc[int((acc["cum_share"] >= cutoff - 1e-12).to_numpy().argmax())]
    acc["core"] = (acc["volume"] >= boundary) & (acc["volume"] > 0)

    def per_line(g):
        lines = g.groupby("product_id")[["volume", "revenue", "gross_margin"]].sum()
        lines = lines[(lines != 0).any(axis=1) | (g["cost_to_serve"].sum() != 0)]
        cts = g["cost_to_serve"].sum()
        total = lines["revenue"].sum()
        lines["cost_to_serve"] = cts * lines["revenue"] / total if total > 0 else cts / len(lines)
        lines["profit"] = lines["gross_margin"] - lines["cost_to_serve"]
        return lines
    lines = cur.groupby("account_id").apply(per_line)
    whale = acc.sort_values("profit", ascending=False)
    whale["cum_profit_share"] = whale["profit"].cumsum() / whale["profit"].sum()
    return acc, lines, whale


def same_answer(engine, baseline) -> dict:
    acc, ranked, lines, _ = engine
    b_acc, b_lines, _ = baseline
    core_e = set(ranked.loc[ranked["core"], "account_id"])
    core_b = set(b_acc.index[b_acc["core"]])
    profit = np.allclose(acc["profit"].sort_index(), b_acc["profit"].sort_index(), rtol=1e-9, atol=1e-4)
    e = lines.set_index(["account_id", "product_id"])["profit"]
    b = b_lines["profit"].reindex(e.index)
    line_profit = bool(np.allclose(e, b, rtol=1e-9, atol=1e-3))
    return {"core_accounts_equal": core_e == core_b, "n_core": len(core_e), "account_profit_equal": bool(profit),
            "line_profit_equal": line_profit, "n_lines": len(lines)}


# -- helpers ------------------------------------------------------------------------------------------------
def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t0


def machine_info() -> dict:
    return common_machine_info(("kamplan", "pandas", "numpy", "SQLAlchemy", "XlsxWriter"))


def bench_config(n_prod: int) -> dict:
    """A small valid config for the store and workbook steps (accounts come from the history)."""
    name = lambda en, zh: {"en": en, "zh-CN": zh}  # noqa: E731
    return {"schema_version": 1, "company": {"name": name("Benchmark Rolls Co., Ltd.", "基准轧辊有限公司")},
            "plan_year": PLAN_YEAR, "language": "en",
            "products": [{"id": f"P{p:02d}", "name": name(f"Roll grade {p:02d}", f"轧辊{p:02d}"), "unit": "t",
                          "list_price": 10000.0 + 2500 * (p % 7), "standard_margin": 0.2} for p in range(n_prod)],
            "regions": [{"id": "all", "name": name("All", "全部")}],
            "staff": [{"id": "vp", "name": name("VP", "副总"), "region": "all", "email": "vp@bench.example"}],
            "classes": {c: {"name": name(c.title(), c), "visits_per_quarter": v}
                        for c, v in (("key", 3), ("develop", 2), ("watch", 1), ("drop", 0))}}


# -- the run ------------------------------------------------------------------------------------------------
def run(args) -> dict:
    results: dict = {"params": {"accounts": args.accounts, "products": args.products, "years": args.years,
                                "seed": SEED}, "machine": machine_info(), "setup": {}, "steps": []}
    rules = SegmentationRules()
    say(f"history: {args.accounts:,} accounts x {args.products} products x {args.years * 4} quarters ...")
    history, t = timed(build_history, args.accounts, args.products, args.years)
    judgements = build_judgements(args.accounts, rules)
    results["setup"]["history_s"] = t
    results["params"]["rows"] = len(history)
    results["params"]["judgements"] = len(judgements)
    say(f"  {len(history):,} rows, {history.memory_usage(deep=True).sum() / 2**30:.1f} GiB ({t:.1f} s)")
    period = Period.year(PLAN_YEAR - 1)

    say("kamplan segment() ...")
    seg, t_seg = timed(segment, history, rules, period, judgements=judgements, unit="t", currency="CNY")
    results["steps"].append({"step": "kamplan segment() (everything)", "seconds": t_seg})
    counts = seg.counts()
    say(f"  {t_seg:.2f} s; classes {counts}; {seg.headline.sentence()}")

    say("kamplan Pareto + profitability only ...")
    eng, t_eng = timed(engine_pareto_profit, history, period)
    results["steps"].append({"step": "kamplan Pareto + profitability only", "seconds": t_eng})
    say(f"  {t_eng:.2f} s")

    say("baseline pandas groupby/apply (Pareto + profitability) ...")
    base, t_base = timed(baseline_pareto_profit, history, PLAN_YEAR - 1)
    results["steps"].append({"step": "baseline pandas groupby/apply (Pareto + profitability)", "seconds": t_base})
    say(f"  {t_base:.2f} s")
    results["agreement"] = same_answer(eng, base)
    say(f"  results agree: {results['agreement']}")

    if not args.skip_store:
        from kamplan.store import Store
        from kamplan.workbooks.review.writer import build_review_content, write_review_workbook
        cfg = config_from_dict(bench_config(args.products))
        with tempfile.TemporaryDirectory(prefix="kamplan-bench-seg-") as tmp:
            with Store.open(Path(tmp) / "plan.db") as store:
                a = seg.accounts
                rows = pd.DataFrame({"account_id": a.index.to_numpy(dtype=object), "cls": a["computed_class"],
                                     "rule": a["rule"], "reason": a["reason"], "rule_values": a["rule_values"],
                                     "rank": a["rank"], "measure": a["measure"], "share": a["share"],
                                     "cum_share": a["cum_share"], "profit": a["profit"], "growth": a["growth"],
                                     "score_hard": a["score_hard"], "score_strength": a["score_strength"],
                                     "score_capability": a["score_capability"], "score": a["score"],
                                     "flags": a["flags"]}).reset_index(drop=True)
                say(f"store: {len(rows):,} classification rows into SQLite ...")
                run_id, t = timed(store.record_classification, PLAN_YEAR, "year", period.key(), "volume",
                                  rules.model_dump(mode="json"), {}, rows)
                results["steps"].append({"step": "information: store the classification (SQLite)", "seconds": t})
                say(f"  {t:.2f} s")
            say(f"review workbook: the {rules.review.max_rows:,} biggest accounts ...")
            t0 = time.perf_counter()
            content = build_review_content(cfg, seg, run_id)
            write_review_workbook(Path(tmp) / "review.xlsx", content)
            t = time.perf_counter() - t0
            size = (Path(tmp) / "review.xlsx").stat().st_size
            results["steps"].append({"step": "information: write the review workbook", "seconds": t})
            say(f"  {t:.2f} s, {size / 2**20:.1f} MiB")
    for s in results["steps"]:
        s["speedup_vs_baseline"] = t_base / s["seconds"] if "Pareto" in s["step"] or "segment" in s["step"] else None
    return results


def render(results: dict) -> str:
    p, m = results["params"], results["machine"]
    lines = [f"{p['accounts']:,} accounts x {p['products']} products x {p['years'] * 4} quarters = {p['rows']:,} "
             f"history rows; {p['judgements']:,} judgements", "",
             "| step | seconds | speed-up vs baseline |", "| --- | ---: | ---: |"]
    for s in results["steps"]:
        sp = f"{s['speedup_vs_baseline']:.0f}x" if s.get("speedup_vs_baseline") else ""
        lines.append(f"| {s['step']} | {s['seconds']:.2f} | {sp} |")
    a = results["agreement"]
    lines += ["", f"Same answer as the baseline: core accounts {'yes' if a['core_accounts_equal'] else 'NO'} "
                  f"({a['n_core']:,}), profit per account {'yes' if a['account_profit_equal'] else 'NO'}, "
                  f"profit per account x product {'yes' if a['line_profit_equal'] else 'NO'} ({a['n_lines']:,} lines)"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    lines += ["", f"Machine: {m['cpu_count']} CPUs ({m['cpus_usable']} usable), {m['cpu']}; {m['platform']}; "
                  f"Python {m['python']}", f"Packages: {pk}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100_000, help="accounts (default 100000)")
    ap.add_argument("--products", type=int, default=10, help="products (default 10)")
    ap.add_argument("--years", type=int, default=3, help="years of quarterly history (default 3)")
    ap.add_argument("--out", help="write OUT/results.json")
    ap.add_argument("--skip-store", action="store_true", help="skip the store and workbook steps")
    args = ap.parse_args(argv)
    if args.accounts < 10 or args.products < 1 or args.years < 2:
        ap.error("need --accounts >= 10, --products >= 1 and --years >= 2")
    t0 = time.perf_counter()
    results = run(args)
    results["total_s"] = time.perf_counter() - t0
    print()
    print(render(results))
    print(f"\n(whole run {results['total_s']:.0f} s)")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        print(f"results written to {out / 'results.json'}")
    a = results["agreement"]
    return 0 if a["core_accounts_equal"] and a["account_profit_equal"] and a["line_profit_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
