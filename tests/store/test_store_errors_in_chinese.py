"""Issue 14 (wave 2): the store's and the workspace's refusals are catalogue texts: English as before (str),
Chinese on a zh-CN console."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.messages import render
from kamplan.store import Store, StoreError
from kamplan.workspace import Workspace, WorkspaceError

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_a_missing_store_folder_is_said_in_both_languages(tmp_path):
    with pytest.raises(StoreError) as caught:
        Store.open(tmp_path / "nowhere" / "plan.db")
    [said] = caught.value.args
    assert str(caught.value) == (f"cannot open the plan database {tmp_path / 'nowhere' / 'plan.db'}: the folder "
                                 f"{tmp_path / 'nowhere'} does not exist; create the workspace first (kamplan init) "
                                 "or fix the path")
    assert CJK.search(render(said, "zh-CN")) and "does not exist" not in render(said, "zh-CN")


def test_a_folder_that_is_no_workspace_is_said_in_chinese_on_the_console(tmp_path):
    with pytest.raises(WorkspaceError) as caught:
        Workspace.open(tmp_path)
    assert "is not a kamplan workspace" in str(caught.value)
    res = CliRunner().invoke(cli, ["-w", str(tmp_path), "--lang", "zh-CN", "status"])
    assert res.exit_code == 2 and "工作区(没有 kamplan.yaml)" in res.output.replace("\n", ""), res.output
