"""``kamplan demo``: the annual cycle on the embedded demo company, end to end.

Stages so far: set up the workspace, load three years of history, find and
classify the key accounts (Pareto, profitability, scores, classes) into the
account review workbook, issue the December target workbooks (classes and
visit cycles from the review), let a simulated sales force fill them (one
makes a mistake and resends, one never answers), and collect them.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from rich.console import Group
from rich.table import Table
from rich.text import Text

from kamplan.demo.company import DEMO_SEED, demo_config_dict, demo_history
from kamplan.demo.salesforce import fill_target_workbook, make_mistake
from kamplan.config import config_from_dict
from kamplan.stages.accounts import segment_accounts
from kamplan.stages.targets import CollectResult, collect_targets, issue_targets
from kamplan.workspace import Workspace

MARKER = ".kamplan-demo"


class DemoError(Exception):
    pass


@dataclass
class DemoSummary:
    root: Path
    lines: list[tuple[str, str]] = field(default_factory=list)  # (what, where)
    collects: list[CollectResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self):
        table = Table(title=f"kamplan demo → {self.root}", show_header=True, header_style="bold")
        table.add_column("What")
        table.add_column("Where")
        for what, where in self.lines:
            table.add_row(what, where)
        parts = [table]
        if self.collects:
            last = self.collects[-1]
            st = Table(title=f"Submission status · round {last.round} · {last.year}", header_style="bold")
            for c in ("rep_id", "state", "file_name", "reasons"):
                st.add_column(c)
            for row in last.status.itertuples(index=False):
                st.add_row(str(row.rep_id), str(row.state), str(row.file_name or ""), str(row.reasons or ""))
            parts.append(st)
        for n in self.notes:
            parts.append(Text(n))
        return Group(*parts)


def prepare_folder(out: Path) -> None:
    """Use ``out`` only if it is new, empty, or an earlier demo (which is replaced); never a user's folder."""
    if out.exists():
        if not out.is_dir():
            raise DemoError(f"{out} exists and is not a folder; choose another --out")
        if any(out.iterdir()):
            if not (out / MARKER).exists():
                raise DemoError(f"{out} is not empty and was not made by `kamplan demo`; nothing was touched. "
                                "Choose another --out or empty it.")
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by `kamplan demo`; the next demo run may replace this folder\n")


def run_demo(out: Path, language: str = "zh-CN", progress=lambda _: None, seed: int = DEMO_SEED) -> DemoSummary:
    out = Path(out)
    prepare_folder(out)
    data = demo_config_dict(language=language, seed=seed)
    config = config_from_dict(data)
    text = ("# The demo company's planning config, written by `kamplan demo`.\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    summary = DemoSummary(out.resolve())
    progress("workspace")
    with Workspace.init(out, text) as ws:
        summary.lines.append(("Planning config", str(ws.config_path)))
        summary.lines.append(("Store (system of record)", str(ws.store_target())))
        history = demo_history(config, seed=seed)
        ws.store.replace_history(history, source="demo generator")
        progress("history")
        years = sorted(history["year"].unique())
        summary.lines.append(("History loaded", f"{len(history):,} lines, {years[0]}–{years[-1]}, "
                                                f"{history['account_id'].nunique()} customers"))
        seg = segment_accounts(ws, progress=progress)
        summary.lines.append(("Account review (Pareto, profit, classes)", str(seg.path)))
        summary.notes.append(seg.segmentation.headline.sentence(language))
        summary.notes.append(seg.segmentation.whale_summary.sentence(language, config.currency))
        issued = issue_targets(ws, round_no=1, progress=progress)
        summary.lines.append((f"Target workbooks issued ({len(issued.written)})", str(issued.folder)))
        rng = np.random.default_rng(seed)
        reps = [p for p in issued.written]
        silent = reps[-1]  # this salesperson never answers
        careless = reps[-2]  # this one makes mistakes, then resends
        for path in reps:
            if path == silent:
                continue
            filled_path = ws.inbox / path.name
            fill_target_workbook(path, filled_path, rng)
            progress(path.name)
        bad = ws.inbox / careless.name
        cell = make_mistake(bad, "targets", "volume_q2", "abc", row_index=0)
        make_mistake(bad, "visits", "rep_visits_q3", -2, row_index=1)
        summary.lines.append(("Returned workbooks (simulated sales force)", str(ws.inbox)))
        first = collect_targets(ws, [ws.inbox], progress=progress)
        summary.collects.append(first)
        for f in first.rejected:
            summary.notes.append(f"Rejected {f.path.name} (as a salesperson would see it):")
            summary.notes.extend(f"  {p}" for p in f.errors)
        # The careless salesperson corrects the cells and sends the file again.
        make_mistake(bad, "targets", "volume_q2", 42.0, row_index=0)
        make_mistake(bad, "visits", "rep_visits_q3", 2, row_index=1)
        second = collect_targets(ws, [bad], progress=progress)
        summary.collects.append(CollectResult(second.year, second.round, first.files + second.files,
                                              second.status))
        summary.notes.append(f"{careless.name} was corrected ({cell} and one visit cell) and collected again; "
                             f"{silent.name.split('_')[0]} has not returned a workbook.")
        summary.notes.append(f"Try: kamplan -w {out} targets status")
    return summary
