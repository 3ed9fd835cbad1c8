"""A fresh copy of the demo workspace (history loaded, round 1 issued) for each test, as a pytest fixture:
``ws = demo_workspace_fixture("en")`` in a test module makes ``ws`` one (the original is built once per
language and test session, ``support.workspaces.demo_workspace``)."""
from __future__ import annotations

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
