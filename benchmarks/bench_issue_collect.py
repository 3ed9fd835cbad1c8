#!/usr/bin/env python
"""Benchmark: issue and collect N salesperson target workbooks, against a naive pandas baseline.

    python benchmarks/bench_issue_collect.py [--reps 500] [--accounts 40] [--products 5]
                                             [--out DIR] [--keep] [--no-serial]

Builds a synthetic company (``--reps`` salespeople in ~10 regions, ``--accounts``
accounts each, ``--products`` products, history for plan_year - 1 where every
account buys 2-5 products), then measures with wall-clock time
(``time.perf_counter``) in one run on one machine:

* ``issue``: ``issue_targets(ws, round_no=1)``, one workbook per salesperson (both cores);
* the issue limit: raw XlsxWriter (``constant_memory``) writing the same cells (values and formula
  texts, read back from a sample of the issued workbooks with openpyxl, which is setup), once as
  XlsxWriter comes and once without its per-formula future-function pass (the least XlsxWriter does);
* ``collect (all new)``: ``collect_targets(ws, [ws.inbox])`` on a store that holds
  no submission yet (every file is checked, read and stored);
* ``collect again (all unchanged)``: the same folder a second time;
* ``collect (all new), 1 worker`` (information; skip with ``--no-serial``): the
  first collect again, on a copy of the workspace taken before it, with
  ``workers=1``, so the parallel speed-up can be told apart from the per-file cost;
* ``collect, CLI end to end``: ``kamplan targets collect`` in a new process, on another copy of the
  workspace taken before the first collect (start-up, config, last year's totals, read, check, store);
* the baseline: ``pandas.read_excel(path, sheet_name=None, engine="openpyxl")`` on
  every returned file, one after the other (reads every sheet, checks nothing);
  and, for information, the same with ``engine="calamine"``;
* the collect limit: python-calamine itself reading every sheet of every file, one after the other.

Every step reports wall seconds, CPU seconds (this process and its finished child processes: the
worker pools, the CLI) and peak memory (the resident high-water mark of this process so far, and of
the largest child process so far: ``getrusage`` keeps no per-step peak).

Filling the workbooks like salespeople (``kamplan.demo.salesforce.fill_target_workbook``,
openpyxl) is setup, not measured: it runs in a ``multiprocessing.Pool(2)`` and
only its duration is printed.  Everything else that is setup (config, workspace,
history import) is printed too, so a slow setup is visible but never counted.

Prints a markdown table and the machine facts; with ``--out DIR`` also writes
``DIR/results.json`` and builds the workspace in ``DIR/workspace`` (removed at the
end unless ``--keep``).  ``--reps 20`` is a smoke run of well under a minute.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from kamplan.config import config_from_dict
from kamplan.model import HISTORY_COLUMNS
from kamplan.stages.targets import collect_targets, issue_targets
from kamplan.workspace import Workspace
from _common import machine_info as common_machine_info

AIM_COLLECT_SECONDS_PER_500 = 10.0  # issue 1's aim: 500 files in under 10 s on a 2-core machine
AIM_SPEEDUP = 5.0  # ... and at least 5x the naive baseline
# issue 16's aims
AIM_ISSUE_VS_RAW = 1.5  # CPU per target workbook at most 1.5x raw XlsxWriter writing the same cells
AIM_ISSUE_500_SECONDS = 15.0  # 500 workbooks in at most 15 s on both cores
AIM_CLI_COLLECT_SPEEDUP = 8.0  # CLI collect end to end at least 8x the openpyxl baseline ...
AIM_CLI_COLLECT_VS_CALAMINE = 2.0  # ... and at most 2x python-calamine reading every sheet
RAW_SAMPLE = 40  # issued workbooks the raw XlsxWriter limit writes
SEED = 20270
CLASSES = ("key", "develop", "watch", "drop")
CLASS_SHARE = (0.25, 0.40, 0.25, 0.10)
PLAN_YEAR = 2027


# -- synthetic company -------------------------------------------------------------------------------
def build_config(n_reps: int, n_accounts: int, n_products: int, n_regions: int = 10, seed: int = SEED) -> dict:
    """A config dict for ``config_from_dict``: n_reps staff over ~n_regions regions, n_accounts each."""
    rng = np.random.default_rng(seed)
    n_regions = max(1, min(n_regions, n_reps))
    regions = [{"id": f"region{r:02d}", "name": {"en": f"Region {r:02d}", "zh-CN": f"第{r:02d}大区"}}
               for r in range(1, n_regions + 1)]
    staff = []
    for i in range(1, n_reps + 1):
        region = regions[(i - 1) % n_regions]["id"]
        staff.append({"id": f"rep{i:04d}", "name": {"en": f"Sales Rep {i:04d}", "zh-CN": f"销售{i:04d}"},
                      "region": region, "email": f"rep{i:04d}@bench.example"})
    products = []
    for p in range(1, n_products + 1):
        products.append({"id": f"P{p:02d}", "name": {"en": f"Roll grade {p:02d}", "zh-CN": f"轧辊{p:02d}"},
                         "unit": "t", "list_price": float(10000 + 2500 * (p % 7)),
                         "standard_margin": round(0.15 + 0.03 * (p % 5), 2)})
    classes = rng.choice(len(CLASSES), size=n_reps * n_accounts, p=CLASS_SHARE)
    accounts = []
    n = 0
    for s in staff:
        for _ in range(n_accounts):
            n += 1
            accounts.append({"id": f"A{n:06d}", "name": {"en": f"Steel Mill {n:06d}", "zh-CN": f"钢厂{n:06d}"},
                             "region": s["region"], "rep": s["id"], "class": CLASSES[classes[n - 1]],
                             "city": f"City {n % 97:02d}"})

    def pool(kind, en, zh, unit, people, budget=None):
        out = {"kind": kind, "name": {"en": en, "zh-CN": zh}, "unit": unit,
               "people": [{"id": f"{kind}{k}", "name": {"en": f"{en} {k}", "zh-CN": f"{zh}{k}"},
                           "capacity": {"Q1": 20, "Q2": 20, "Q3": 20, "Q4": 20}} for k in range(1, people + 1)]}
        if budget is not None:
            out["budget"] = budget
        return out

    return {
        "schema_version": 1,
        "company": {"name": {"en": "Benchmark Rolls Co., Ltd.", "zh-CN": "基准轧辊有限公司"}},
        "plan_year": PLAN_YEAR, "currency": "CNY", "language": "zh-CN",
        "products": products, "regions": regions, "staff": staff, "accounts": accounts,
        "support_pools": [pool("executive", "Executive", "高层", "visits", 3),
                          pool("technical", "Engineer", "工程师", "days", 6),
                          pool("advisor", "Professor", "教授", "days", 2, budget=200000.0)],
        "classes": {
            "key": {"name": {"en": "Key", "zh-CN": "重点客户"}, "visits_per_quarter": 3,
                    "executive_visits_per_year": 4},
            "develop": {"name": {"en": "Develop", "zh-CN": "培养客户"}, "visits_per_quarter": 2,
                        "executive_visits_per_year": 1},
            "watch": {"name": {"en": "Watch", "zh-CN": "警惕客户"}, "visits_per_quarter": 1},
            "drop": {"name": {"en": "Drop", "zh-CN": "淘汰客户"}, "visits_per_quarter": 0,
                     "support_eligible": False},
        },
        "workbook": {"deadline": dt.date(PLAN_YEAR - 1, 12, 20)},
    }


def build_history(cfg_dict: dict, seed: int = SEED) -> pd.DataFrame:
    """History of plan_year - 1 (HISTORY_COLUMNS): every account buys 2-5 products, one row per quarter."""
    rng = np.random.default_rng(seed + 1)
    accounts = [a["id"] for a in cfg_dict["accounts"]]
    cls = np.array([CLASSES.index(a["class"]) for a in cfg_dict["accounts"]])
    products = cfg_dict["products"]
    n_acc, n_prod = len(accounts), len(products)
    k = rng.integers(min(2, n_prod), min(5, n_prod) + 1, size=n_acc)  # products bought per account
    ranks = np.argsort(np.argsort(rng.random((n_acc, n_prod)), axis=1), axis=1)
    acc_idx, prod_idx = np.nonzero(ranks < k[:, None])
    n_lines = len(acc_idx)
    size = np.array([400.0, 150.0, 60.0, 20.0])[cls[acc_idx]]  # tonnes a year per line, by class
    annual = size * rng.lognormal(0.0, 0.5, n_lines)
    shares = rng.dirichlet(np.full(4, 6.0), n_lines)
    list_price = np.array([p["list_price"] for p in products])[prod_idx]
    margin = np.array([p["standard_margin"] for p in products])[prod_idx]
    price = np.round(list_price * (1 - rng.uniform(0.0, 0.15, n_lines)))
    rows = []
    for q in range(4):
        vol = np.round(annual * shares[:, q], 1)
        rev = vol * price
        rows.append(pd.DataFrame({
            "year": PLAN_YEAR - 1, "quarter": q + 1,
            "account_id": np.array(accounts, dtype=object)[acc_idx],
            "product_id": np.array([p["id"] for p in products], dtype=object)[prod_idx],
            "volume": vol, "price": price, "revenue": rev,
            "gross_margin": np.round(rev * margin), "cost_to_serve": np.round(rev * rng.uniform(0.01, 0.06, n_lines)),
            "visits": rng.integers(0, 4, n_lines).astype(float)}))
    out = pd.concat(rows, ignore_index=True)[HISTORY_COLUMNS]
    return out.sort_values(["year", "quarter", "account_id", "product_id"], ignore_index=True)


# -- filling (setup, in worker processes) --------------------------------------------------------------
def _fill_one(args: tuple[str, str, int]) -> str:
    from kamplan.demo.salesforce import fill_target_workbook
    src, dst, seed = args
    fill_target_workbook(Path(src), Path(dst), np.random.default_rng(seed))
    return dst


# -- helpers -----------------------------------------------------------------------------------------------
def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t0


def _cpu_seconds() -> float:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _peak_mib() -> tuple[float, float]:
    """(this process, the largest finished child) resident high-water marks in MiB (Linux: KiB units)."""
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 2**20
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale)


def measured(fn, *args, **kwargs):
    """(value, {"seconds": wall, "cpu_s": CPU of this process and finished children, peak MiB})."""
    c0, t0 = _cpu_seconds(), time.perf_counter()
    value = fn(*args, **kwargs)
    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    me, child = _peak_mib()
    return value, {"seconds": wall, "cpu_s": cpu, "peak_mib": me, "peak_child_mib": child}


def load_average() -> float | None:
    """The 1-minute load average, or None where the OS does not tell."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def machine_info() -> dict:
    return common_machine_info(("kamplan", "pandas", "openpyxl", "python-calamine", "XlsxWriter", "SQLAlchemy",
                                "numpy"))


def baseline(files: list[Path], engine: str) -> int:
    """The naive reader: every sheet of every file into frames, no checks. Returns the number of frames."""
    n = 0
    for f in files:
        n += len(pd.read_excel(f, sheet_name=None, engine=engine))
    return n


def calamine_read(files: list[Path]) -> int:
    """The collect limit: python-calamine itself reading every sheet of every file (no pandas, no checks)."""
    from python_calamine import CalamineWorkbook
    n = 0
    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            n += len(wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
    return n


def cells_of(path: Path) -> list[tuple[str, list[tuple[int, int, object]]]]:
    """Every sheet's non-empty cells (row, column, value or formula text) in row order (setup)."""
    import openpyxl
    wb = openpyxl.load_workbook(path)
    return [(ws.title, [(c.row - 1, c.column - 1, c.value) for row in ws.iter_rows() for c in row
                        if c.value is not None]) for ws in wb.worksheets]


def raw_xlsxwriter(books: list, folder: Path, future_pass: bool = True) -> int:
    """The issue limit: XlsxWriter in constant_memory mode writing ``books`` (``cells_of``) with no formats,
    validations or protection; without ``future_pass`` its formulas skip the future-function expansion."""
    import xlsxwriter
    from xlsxwriter.worksheet import Worksheet

    class Plain(Worksheet):  # the least XlsxWriter does with a formula: take off the "="
        def _prepare_formula(self, formula, expand_future_functions=False):
            return formula.lstrip("{=").rstrip("}")

    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for i, sheets in enumerate(books):
        wb = xlsxwriter.Workbook(str(folder / f"raw{i}.xlsx"), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        for title, cells in sheets:
            ws = wb.add_worksheet(title, worksheet_class=None if future_pass else Plain)
            for r, c, v in cells:
                if isinstance(v, str) and v.startswith("="):
                    ws.write_formula(r, c, v)
                elif isinstance(v, bool):
                    ws.write_boolean(r, c, v)
                elif isinstance(v, (int, float)):
                    ws.write_number(r, c, v)
                elif isinstance(v, dt.datetime):
                    ws.write_datetime(r, c, v)
                else:
                    ws.write_string(r, c, str(v))
                n += 1
        wb.close()
    return n


def cli_collect(ws_dir: Path) -> subprocess.CompletedProcess:
    """``kamplan targets collect`` in a new process (the kamplan this script imports), on ``ws_dir``."""
    import kamplan
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(kamplan.__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "kamplan.cli.main", "--workspace", str(ws_dir), "targets",
                           "collect"], env=env, capture_output=True, text=True)


def snapshot(ws: Workspace, dest: Path) -> None:
    """Copy the workspace as it is now (store closed first so SQLite's WAL is folded into the file)."""
    ws.close()
    shutil.copytree(ws.root, dest, ignore=shutil.ignore_patterns("inbox"))


# -- the run ---------------------------------------------------------------------------------------------
def run(args) -> dict:
    n_reps = args.reps
    results: dict = {"params": {"reps": n_reps, "accounts_per_rep": args.accounts, "products": args.products,
                                "seed": SEED}, "machine": machine_info(), "setup": {}, "steps": []}
    if args.out:
        root = Path(args.out).resolve()
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = Path(tempfile.mkdtemp(prefix="kamplan-bench-"))
    base = root / "workspace"
    serial_ws_dir = root / "workspace-serial"  # copy of the store before the first collect
    cli_ws_dir = root / "workspace-cli"  # another copy, for the CLI collect
    raw_dir = root / "raw-xlsxwriter"
    for d in (base, serial_ws_dir, cli_ws_dir, raw_dir):
        if d.exists():
            sys.exit(f"{d} already exists; remove it or choose another --out")
    cleanup = [] if args.keep else ([base, serial_ws_dir, cli_ws_dir, raw_dir] if args.out else [root])
    setup = results["setup"]
    results["machine"]["load_average_at_start"] = load_average()
    if (results["machine"]["load_average_at_start"] or 0) > 0.5:
        say(f"warning: the 1-minute load average is {results['machine']['load_average_at_start']}: other work "
            "may be using the CPU (or has just stopped); if it goes on, the figures will be too slow")
    ws = None
    try:
        ws, _ = _setup(args, base, setup)
        issued = _issue_steps(ws, n_reps, results, raw_dir)
        files = _fill(ws, issued, setup)
        results["params"]["mean_file_kib"] = sum(f.stat().st_size for f in files) / len(files) / 1024
        # Copies of the workspace before any collect: the 1-worker run and the CLI run.
        snapshot(ws, cli_ws_dir)
        if not args.no_serial:
            shutil.copytree(cli_ws_dir, serial_ws_dir)
        ws = Workspace.open(base)
        _collect_steps(ws, n_reps, results)
        ws.close()
        ws = None
        _cli_and_serial_steps(args, base, cli_ws_dir, serial_ws_dir, files, results)
        _baseline_steps(files, results)
    finally:
        if ws is not None:
            ws.close()
        for d in cleanup:
            shutil.rmtree(d, ignore_errors=True)
        if args.keep:
            say(f"kept the workspace in {base} (and its copies beside it)")
    results["machine"]["load_average_at_end"] = load_average()
    _judge(results, n_reps)
    return results


def _setup(args, base: Path, setup: dict):
    say(f"config: {args.reps} salespeople x {args.accounts} accounts x {args.products} products")
    (cfg_dict, t) = timed(build_config, args.reps, args.accounts, args.products)
    config_from_dict(cfg_dict)  # fail here, with key paths, if the synthetic config is invalid
    history = build_history(cfg_dict)
    setup["config_and_history_s"] = t
    say(f"  history: {len(history):,} lines for {PLAN_YEAR - 1}")
    text = "# synthetic company for benchmarks/bench_issue_collect.py\n" + \
        yaml.safe_dump(cfg_dict, allow_unicode=True, sort_keys=False)
    ws, t = timed(Workspace.init, base, text)
    setup["workspace_init_s"] = t
    say(f"  workspace {base} ({t:.1f} s)")
    _, t = timed(ws.store.replace_history, history, source="benchmark")
    setup["history_import_s"] = t
    say(f"  history imported ({t:.1f} s)")
    return ws, history


def _issue_steps(ws: Workspace, n_reps: int, results: dict, raw_dir: Path):
    say(f"issue: {n_reps} workbooks ...")
    issued, m = measured(issue_targets, ws, round_no=1)
    if len(issued.written) != n_reps:
        raise SystemExit(f"issue wrote {len(issued.written)} workbooks, expected {n_reps}")
    results["steps"].append(_step("issue", m, n_reps))
    say(f"  {m['seconds']:.2f} s, {m['cpu_s'] / n_reps * 1000:.1f} ms CPU per workbook")
    sample = issued.written[:RAW_SAMPLE]
    say(f"raw XlsxWriter limit: the cells of {len(sample)} issued workbooks (read back with openpyxl: setup) ...")
    books, t = timed(lambda: [cells_of(p) for p in sample])
    results["setup"]["raw_cells_read_s"] = t
    for future_pass, name in ((True, "limit raw XlsxWriter, same cells"),
                              (False, "limit raw XlsxWriter, same cells, no future-function pass")):
        _, m = measured(raw_xlsxwriter, books, raw_dir, future_pass)
        results["steps"].append(_step(name, m, len(sample)))
        say(f"  {name}: {m['cpu_s'] / len(sample) * 1000:.1f} ms CPU per workbook")
    return issued


def _fill(ws: Workspace, issued, setup: dict) -> list[Path]:
    n = len(issued.written)
    say(f"fill: {n} workbooks with openpyxl in a Pool(2) (setup, not measured) ...")
    jobs = [(str(p), str(ws.inbox / p.name), SEED + i) for i, p in enumerate(issued.written)]
    t0 = time.perf_counter()
    with multiprocessing.Pool(2) as pool:
        filled = [Path(p) for p in pool.imap_unordered(_fill_one, jobs, chunksize=4)]
    setup["fill_s"] = time.perf_counter() - t0
    say(f"  filled {len(filled)} files in {setup['fill_s']:.1f} s")
    return sorted(filled)


def _collect_steps(ws: Workspace, n_reps: int, results: dict) -> None:
    say(f"collect: {n_reps} files, store holds no submission ...")
    first, m = measured(collect_targets, ws, [ws.inbox])
    stored = sum(o.outcome == "stored" for o in first.files)
    results["steps"].append(_step("collect (all new)", m, len(first.files), outcomes=_outcomes(first)))
    say(f"  {m['seconds']:.2f} s, {len(first.files) / m['seconds']:.1f} files/s; outcomes {_outcomes(first)}")
    _report_problems(first)
    if stored != n_reps:
        results["error"] = f"collect stored {stored} of {n_reps} files"
        say(f"  !! {results['error']}")
    say("collect again: same folder, nothing changed ...")
    second, m = measured(collect_targets, ws, [ws.inbox])
    results["steps"].append(_step("collect again (all unchanged)", m, len(second.files),
                                  outcomes=_outcomes(second)))
    say(f"  {m['seconds']:.2f} s; outcomes {_outcomes(second)}")
    if sum(o.outcome == "unchanged" for o in second.files) != n_reps:
        _report_problems(second)


def _cli_and_serial_steps(args, base: Path, cli_ws_dir: Path, serial_ws_dir: Path, files: list[Path],
                          results: dict) -> None:
    inbox = base / "inbox"
    shutil.copytree(inbox, cli_ws_dir / "inbox", dirs_exist_ok=True, copy_function=shutil.copy2)
    say("collect, CLI end to end: kamplan targets collect in a new process, fresh copy of the store ...")
    done, m = measured(cli_collect, cli_ws_dir)
    if done.returncode != 0:
        results["error"] = f"CLI collect exited {done.returncode}: {done.stderr[-2000:]}"
        say(f"  !! {results['error']}")
    results["steps"].append(_step("collect (all new), CLI end to end", m, len(files)))
    say(f"  {m['seconds']:.2f} s wall, {m['cpu_s']:.2f} s CPU")
    if not args.no_serial:
        say("collect, 1 worker (information): same files, fresh copy of the store ...")
        with Workspace.open(serial_ws_dir) as ws1:
            serial, m = measured(collect_targets, ws1, [inbox], workers=1)
        results["steps"].append(_step("collect (all new), 1 worker", m, len(serial.files),
                                      outcomes=_outcomes(serial)))
        say(f"  {m['seconds']:.2f} s")


def _baseline_steps(files: list[Path], results: dict) -> None:
    for engine in ("openpyxl", "calamine"):
        say(f"baseline: pandas.read_excel(sheet_name=None, engine={engine!r}) x {len(files)} ...")
        _, m = measured(baseline, files, engine)
        results["steps"].append(_step(f"baseline pandas.read_excel, {engine}", m, len(files)))
        say(f"  {m['seconds']:.2f} s")
    say(f"limit: python-calamine reading every sheet x {len(files)} ...")
    _, m = measured(calamine_read, files)
    results["steps"].append(_step("limit python-calamine, every sheet", m, len(files)))
    say(f"  {m['seconds']:.2f} s")


def _judge(results: dict, n_reps: int) -> None:
    steps = {s["step"]: s for s in results["steps"]}
    ref = steps["baseline pandas.read_excel, openpyxl"]
    for s in results["steps"]:
        s["speedup_vs_baseline"] = ref["seconds"] / s["seconds"] * s["files"] / ref["files"] if s["files"] else None
    issue, raw = steps["issue"], steps["limit raw XlsxWriter, same cells"]
    cli, cal = steps["collect (all new), CLI end to end"], steps["limit python-calamine, every sheet"]
    ratios = {"issue_cpu_per_workbook_vs_raw": (issue["cpu_s"] / issue["files"]) / (raw["cpu_s"] / raw["files"]),
              "issue_cpu_per_workbook_vs_raw_without_future_pass": (issue["cpu_s"] / issue["files"]) / (
                  steps["limit raw XlsxWriter, same cells, no future-function pass"]["cpu_s"] / raw["files"]),
              "cli_collect_speedup_vs_openpyxl": ref["seconds"] / cli["seconds"],
              "cli_collect_wall_vs_calamine": cli["seconds"] / cal["seconds"],
              "cli_collect_cpu_vs_calamine": cli["cpu_s"] / cal["cpu_s"]}
    results["ratios"] = ratios
    first = steps["collect (all new)"]
    if n_reps == 500:  # the aims are stated for 500 files; a smaller company is not comparable
        results["aims"] = {
            "collect_500_under_10s": first["seconds"] < AIM_COLLECT_SECONDS_PER_500,
            "speedup_at_least_5x": first["speedup_vs_baseline"] >= AIM_SPEEDUP,
            "issue_cpu_at_most_1.5x_raw": ratios["issue_cpu_per_workbook_vs_raw"] <= AIM_ISSUE_VS_RAW,
            "issue_500_at_most_15s": issue["seconds"] <= AIM_ISSUE_500_SECONDS,
            "cli_collect_at_least_8x_openpyxl": ratios["cli_collect_speedup_vs_openpyxl"] >= AIM_CLI_COLLECT_SPEEDUP,
            "cli_collect_at_most_2x_calamine": ratios["cli_collect_wall_vs_calamine"] <= AIM_CLI_COLLECT_VS_CALAMINE}


def _step(name: str, m: dict, files: int, **extra) -> dict:
    return {"step": name, **m, "files": files, "files_per_s": files / m["seconds"] if m["seconds"] else None,
            **extra}


def _outcomes(res) -> dict:
    out: dict[str, int] = {}
    for o in res.files:
        out[o.outcome] = out.get(o.outcome, 0) + 1
    return out


def _report_problems(res, limit: int = 10) -> None:
    shown = 0
    for o in res.rejected:
        for p in o.errors:
            if shown < limit:
                print(f"    rejected {o.path.name}: {p}", flush=True)
            shown += 1
    if shown > limit:
        print(f"    ... {shown - limit} more errors", flush=True)


def render(results: dict) -> str:
    m = results["machine"]
    p = results["params"]
    lines = [f"{p['reps']} workbooks, {p['accounts_per_rep']} accounts x {p['products']} products each "
             f"(mean returned file {p.get('mean_file_kib', 0):.0f} KiB)", "",
             "| step | files | wall s | CPU s | CPU ms per file | peak MiB (process / largest child) "
             "| speed-up vs openpyxl baseline |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in results["steps"]:
        lines.append(f"| {s['step']} | {s['files']} | {s['seconds']:.2f} | {s['cpu_s']:.2f} | "
                     f"{s['cpu_s'] / s['files'] * 1000:.1f} | {s['peak_mib']:.0f} / {s['peak_child_mib']:.0f} | "
                     f"{s['speedup_vs_baseline']:.1f}x |")
    setup = results["setup"]
    lines += ["", "Setup (not measured): " + ", ".join(f"{k.removesuffix('_s').replace('_', ' ')} {v:.1f} s"
                                                     for k, v in setup.items())]
    r = results.get("ratios", {})
    lines += ["", "Ratios: " + "; ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in r.items())]
    a = results.get("aims")
    if a:
        lines += ["Aims: " + "; ".join(f"{k.replace('_', ' ')}: {'met' if v else 'MISSED'}" for k, v in a.items())]
    else:
        lines += ["Aims are only judged with --reps 500."]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    lines += ["", f"Machine: {m['cpu_count']} CPUs ({m['cpus_usable']} usable), {m['cpu']}; {m['platform']}; "
                  f"Python {m['python']} (start method {m['multiprocessing_start_method']}); "
                  f"1-minute load average before the run {m['load_average_at_start']}, after it "
                  f"{m.get('load_average_at_end')} (above 0 means other work shared the CPU)",
              f"Packages: {pk}"]
    if results.get("error"):
        lines += ["", f"ERROR: {results['error']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=500, help="salespeople, i.e. workbooks (default 500)")
    ap.add_argument("--accounts", type=int, default=40, help="accounts per salesperson (default 40)")
    ap.add_argument("--products", type=int, default=5, help="products (default 5)")
    ap.add_argument("--out", help="build the workspace in OUT/workspace and write OUT/results.json")
    ap.add_argument("--keep", action="store_true", help="keep the workspace (and its files) afterwards")
    ap.add_argument("--no-serial", action="store_true", help="skip the informational 1-worker collect")
    args = ap.parse_args(argv)
    if args.reps < 1 or args.accounts < 1 or args.products < 2:
        ap.error("need --reps >= 1, --accounts >= 1 and --products >= 2")
    t0 = time.perf_counter()
    results = run(args)
    results["total_s"] = time.perf_counter() - t0
    print()
    print(render(results))
    print(f"\n(whole run {results['total_s']:.0f} s)")
    if args.out:
        path = Path(args.out) / "results.json"
        path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        print(f"results written to {path}")
    return 1 if results.get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
