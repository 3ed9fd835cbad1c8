"""A fresh copy of the demo workspace (history loaded, round 1 issued) for each test, as a pytest fixture:
``ws = demo_workspace_fixture("en")`` in a test module makes ``ws`` one (the original is built once per
language and test session, ``support.workspaces.demo_workspace``)."""
from __future__ import annotations

import pytest

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
