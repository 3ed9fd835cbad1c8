"""Issue 18: a hostile inbox made from genuinely issued target workbooks (filled like a salesperson, then
damaged the way people and programs damage them), collected in one batch.  Per case: the exit status, the
problem's file, sheet, cell and fix; the good file of the batch stored; nothing stored for the bad file."""
from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.demo.salesforce import fill_target_workbook, layout_of
from support.workspaces import demo_workspace


def _typed(path, key, value):
    """Type ``value`` into the first row's ``key`` cell with openpyxl (which saves no formula results)."""
    wb = openpyxl.load_workbook(path)
    tg = layout_of(wb).targets
    ref = tg.ref(tg.first_row, key)
    wb[tg.sheet][ref] = value
    wb.save(path)
    return tg.sheet, ref


def _with_macros(path):
    macro = path.with_suffix(".xlsm")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(macro, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0")
    path.unlink()
    return macro, None, None


def _renamed_csv(path):
    path.write_text("account,product,volume\nC001,P1,10\n")
    return path, None, None


def _zero_bytes(path):
    path.write_bytes(b"")
    return path, None, None


def _blank(path, issued):
    shutil.copy(issued, path)
    tg = layout_of(openpyxl.load_workbook(path)).targets
    return path, tg.sheet, tg.ref(tg.first_row, "volume_q1")


CASES = {  # code -> how the filled (or issued) workbook is damaged: (path, sheet, cell) of the problem
    "too-large": lambda p, i: (p, *_typed(p, "price_q1", 1e308)),
    "formula-no-value": lambda p, i: (p, *_typed(p, "volume_q1", "=12*10")),
    "bad-value": lambda p, i: (p, *_typed(p, "volume_q2", "lots")),
    "empty-submission": lambda p, i: _blank(p, i),
    "empty-file": lambda p, i: _zero_bytes(p),
    "not-xlsx-text": lambda p, i: _renamed_csv(p),
    "macros": lambda p, i: _with_macros(p),
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    ws = demo_workspace(root, "en", root / "ws")
    issued = sorted((ws.outbox / "round-1").glob("*.xlsx"))
    assert len(issued) > len(CASES)
    expected = {}
    good = ws.inbox / issued[0].name
    fill_target_workbook(issued[0], good, np.random.default_rng(0))
    for n, (code, damage) in enumerate(CASES.items(), start=1):
        path = ws.inbox / issued[n].name
        if code != "empty-submission":
            fill_target_workbook(issued[n], path, np.random.default_rng(n))
        path, sheet, cell = damage(path, issued[n])
        expected[code] = (path.name, sheet, cell, issued[n].name.split("_")[0])
    ws.close()
    res = CliRunner().invoke(cli, ["-w", str(root / "ws"), "targets", "collect", "--json"])
    return root / "ws", res, expected, good.name


def test_the_batch_exits_1_and_stores_the_good_file(batch):
    root, res, expected, good = batch
    assert res.exit_code == 1 and "Traceback" not in res.output
    files = {f["file"].split("/")[-1]: f for f in json.loads(res.output)["files"]}
    assert files[good]["outcome"] == "stored"
    assert sum(f["outcome"] == "rejected" for f in files.values()) == len(CASES)


@pytest.mark.parametrize("code", list(CASES))
def test_each_bad_file_names_file_sheet_cell_and_fix_and_stores_nothing(batch, code):
    root, res, expected, _ = batch
    name, sheet, cell, rep = expected[code]
    files = {f["file"].split("/")[-1]: f for f in json.loads(res.output)["files"]}
    got = files[name]
    assert got["outcome"] == "rejected"
    [p] = [p for p in got["problems"] if p["severity"] == "error"][:1]
    assert p["code"] == code and p["file"] == name and p["fix"], got["problems"]
    if sheet:
        assert (p["sheet"], p["cell"]) == (sheet, cell)
    status = {r["rep_id"]: r for r in json.loads(res.output)["status"]}
    assert status[rep]["state"] != "submitted"  # the store holds no submission from the bad file
