"""``kamplan targets versions --json``: each version keeps its stored description (the language-neutral record,
the English words of the command that made it) and says it in the workspace's language beside it
(``description_text``): the same words in an English workspace, the version's record in words in a Chinese one."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from support.quotas import consolidated  # noqa: F401


def _versions(root, *extra) -> list[dict]:
    r = CliRunner().invoke(cli, ["-w", str(root), *extra, "targets", "versions", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)["versions"]


def _in_chinese(root):
    """The same workspace with ``language: zh-CN`` in its kamplan.yaml (the words only: the store is as it was)."""
    path = root / "kamplan.yaml"
    text = path.read_text(encoding="utf-8")
    changed, n = re.subn(r"(?m)^language:.*$", "language: zh-CN", text)
    assert n == 1, "the demo's kamplan.yaml names its language once"
    path.write_text(changed, encoding="utf-8")


@pytest.fixture
def two_versions(consolidated):  # noqa: F811
    """Version 1 bottom-up (round 1), version 2 top-down: the company's revenue +6 %, proportional."""
    root = consolidated.root
    submitted = len(consolidated.store.plan_version(1)[0]["summary"]["submissions"])
    consolidated.close()
    r = CliRunner().invoke(cli, ["-w", str(root), "targets", "spread", "+6%", "--json"])
    assert r.exit_code == 0, r.output
    return root, submitted


def test_an_english_workspace_says_the_stored_words(two_versions, monkeypatch):
    monkeypatch.delenv("KAMPLAN_LANG")
    root, _ = two_versions
    versions = _versions(root)
    assert [v["kind"] for v in versions] == ["bottom-up", "top-down"]
    for v in versions:
        assert v["description"] and v["description_text"] == v["description"]
    assert "instruction" not in versions[0] and "summary" not in versions[0]


def test_a_chinese_workspace_says_each_version_from_its_record_and_keeps_the_stored_words(two_versions, monkeypatch):
    monkeypatch.delenv("KAMPLAN_LANG")  # the workspace's language decides (tests/conftest.py sets English)
    root, submitted = two_versions
    english = _versions(root)
    _in_chinese(root)
    chinese = _versions(root)
    # the stored record is language-neutral: the same words whatever the workspace's language
    assert [v["description"] for v in chinese] == [v["description"] for v in english]
    assert chinese[0]["description_text"] == f"自下而上,第 1 轮:{submitted} 名销售人员已提交,1 名未提交(按上年实际续算)"
    assert chinese[1]["description_text"] == "销售额:公司 较当前版本 +6.00%,按自下而上目标比例分配"
    # --lang says it in the language asked for, also in a Chinese workspace
    assert [v["description_text"] for v in _versions(root, "--lang", "en")] == [v["description"] for v in english]
