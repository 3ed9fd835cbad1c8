"""A demo workspace whose target workbooks were filled and collected (with support requests), for the
resource allocation tests; and typing into a resource plan's input sheets like the VP."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl

from kamplan.demo.salesforce import fill_target_workbook
from kamplan.stages.targets import collect_targets
from kamplan.workbooks.resources.layout import ResourceLayout
from kamplan.workbooks.resources.reader import read_resource_identity
from kamplan.workbooks.kit.layout import SheetValues
from kamplan.workspace import Workspace
from support.workspaces import demo_workspace

_CACHE: dict[str, Path] = {}


def collected_workspace(root: Path, dest: Path, language: str = "en") -> Workspace:
    if language not in _CACHE:
        src = root / f"collected-{language}"
        with demo_workspace(root, language, src) as ws:
            rng = np.random.default_rng(7)
            for p in sorted(ws.round_outbox(1).glob("*.xlsx")):
                fill_target_workbook(p, ws.inbox / p.name, rng)
            res = collect_targets(ws, [ws.inbox])
            assert all(f.outcome == "stored" for f in res.files), [str(p) for f in res.files for p in f.problems]
        _CACHE[language] = src
    shutil.copytree(_CACHE[language], dest)
    return Workspace.open(dest)


def layout_of(path: Path) -> ResourceLayout:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in wb["_kamplan"].iter_rows(values_only=True)]
    wb.close()
    ident = read_resource_identity(SheetValues("_kamplan", [[("" if v is None else v) for v in r] for r in rows]))
    return ResourceLayout(ident["language"], int(ident["plan_year"]), currency=ident["currency"],
                          choices=[(r,) for r, *_ in ident["choices"]], capacity=[(p,) for p, _ in ident["capacity"]])


def fill_resource_plan(src: Path, dst: Path, choices: dict | None = None, capacity: dict | None = None) -> dict:
    """Type ``choices`` (request id -> text) and ``capacity`` ((person, quarter) -> value) into unlocked cells.
    Returns {(sheet, cell): value typed}."""
    lay = layout_of(src)
    wb = openpyxl.load_workbook(src)
    typed = {}
    for (tb, items) in ((lay.choices, [((k,), "choice", v) for k, v in (choices or {}).items()]),
                        (lay.capacity, [((p,), f"new_q{q}", v) for (p, q), v in (capacity or {}).items()])):
        ws = wb[tb.sheet]
        for key, col, value in items:
            r = tb.first_row + tb.row_keys.index(key)
            cell = ws[tb.ref(r, col)]
            assert cell.protection.locked is False, f"{tb.sheet}!{cell.coordinate} is locked"
            cell.value = value
            typed[(tb.sheet, cell.coordinate)] = value
    wb.save(dst)
    return typed
