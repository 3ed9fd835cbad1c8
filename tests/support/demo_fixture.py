"""A fresh copy of the demo workspace (history loaded, round 1 issued) for each test, as a pytest fixture:
``ws = demo_workspace_fixture("en")`` in a test module makes ``ws`` one (the original is built once per
language and test session, ``support.workspaces.demo_workspace``)."""
from __future__ import annotations

import re
import shutil
import zipfile

import numpy as np
import pytest

from kamplan.demo.salesforce import fill_target_workbook

from support.workspaces import demo_workspace


def demo_workspace_fixture(language: str):
    """A function-scoped fixture yielding an open copy of the ``language`` demo workspace, closed after the test."""
    @pytest.fixture
    def copied_demo(tmp_path_factory, tmp_path):
        cache = tmp_path_factory.getbasetemp() / "demo-workspaces"
        cache.mkdir(exist_ok=True)
        w = demo_workspace(cache, language, tmp_path / "ws")
        yield w
        w.close()
    return copied_demo


def filled_return(ws, index: int = 0, seed: int = 5):
    """The ``index``-th issued round-1 workbook filled like a salesperson (``seed``), saved in the inbox."""
    src = sorted(ws.round_outbox(1).glob("*.xlsx"))[index]
    dst = ws.inbox / src.name
    fill_target_workbook(src, dst, np.random.default_rng(seed))
    return dst


def with_error_value(path, sheet_index, ref, tmp_path):
    """Put the error value #REF! into cell ``ref`` of the ``sheet_index``-th sheet part, as a spreadsheet
    program saves it."""
    tmp = tmp_path / "err.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == f"xl/worksheets/sheet{sheet_index}.xml":
                data, n = re.subn(rf'<c r="{ref}"([^>]*?)(/>|>.*?</c>)'.encode(),
                                  f'<c r="{ref}" t="e"><f>#REF!*2</f><v>#REF!</v></c>'.encode(), data, count=1,
                                  flags=re.S)
                assert n == 1
            zout.writestr(info, data)
    shutil.move(tmp, path)
