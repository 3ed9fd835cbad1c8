"""Issue 14: ``kamplan evaluate`` and ``kamplan warnings`` print Chinese in a zh-CN workspace (and with
--lang zh-CN) and English in en: no run of three English words outside ids, paths, commands and options,
and no Chinese in English."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from support.evaluation import evaluation_workspace
from kamplan.cli.main import cli

ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,;:]+[A-Za-z]{2,}){2,}")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
# paths and file names, command lines and options, flag codes (open-complaints) stay as they are
NEUTRAL = re.compile(r"\S*[/\\]\S*|\S+\.xlsx|kamplan [a-z -]+|--[a-z-]+|\b[a-z]+(?:-[a-z]+)+\b")


OTHERS = re.compile(r"(?!)")  # no line is left to another owner: every line is the catalogue's


def english_runs(text: str) -> list[str]:
    return ENGLISH_RUN.findall(NEUTRAL.sub(" ", text))


def english_lines(output: str) -> list[str]:
    """The lines of ``output`` with English in them, but for the ones ``OTHERS`` names (and their folds)."""
    out, skipping = [], False
    for line in output.splitlines():
        skipping = bool(OTHERS.match(line)) or (skipping and line.startswith(" ") and not line.lstrip()[:1].isdigit())
        if not skipping and english_runs(line):
            out.append(line)
    return out


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory):
    root = tmp_path_factory.mktemp("lang-console")
    with evaluation_workspace(root, root / "zh", language="zh-CN", quarters=(1, 2)) as zh, \
            evaluation_workspace(root, root / "en", language="en", quarters=(1, 2)) as en:
        yield {"zh-CN": zh.root, "en": en.root}


def _run(root, *args):
    res = CliRunner().invoke(cli, ["-w", str(root), *args], catch_exceptions=False)
    return res.exit_code, res.output


@pytest.mark.parametrize("args", [("warnings", "-q", "2"), ("warnings", "-q", "2", "--min-flags", "6"),
                                  ("evaluate", "-q", "2")])
def test_the_console_speaks_the_workspace_language(workspaces, args, monkeypatch):
    monkeypatch.delenv("KAMPLAN_LANG")  # the workspace's language: decides
    code, zh = _run(workspaces["zh-CN"], *args)
    assert code == 0, zh
    assert CJK.search(zh)
    lines = english_lines(zh)
    assert not lines, "English in the zh-CN console:\n" + "\n".join(lines)
    code, en = _run(workspaces["en"], *args)
    assert code == 0, en
    assert not CJK.search(en), en
    code, asked = _run(workspaces["en"], "--lang", "zh-CN", *args)
    assert code == 0 and CJK.search(asked) and not english_lines(asked)
