"""The README's two commands stay true, and its picture can be rendered."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _code_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```\n(.*?)```", text, re.S)]


def test_readme_commands_match_ci_and_the_cli():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = _code_blocks(readme)
    assert "pip install . && kamplan demo" in blocks
    test_cmd = "pip install '.[test]' && pytest"
    assert test_cmd in blocks
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines(), ".ci/run must run the README's test command"
    assert "BENCHMARK_TABLE" not in readme, "fill in the benchmark figures"
    assert (ROOT / "docs" / "targets-sheet-en.png").exists()


@pytest.mark.libreoffice
def test_a_filled_sheet_renders_to_png(libreoffice, tmp_path):
    from kamplan.demo.run import run_demo
    run_demo(tmp_path / "demo", "zh-CN")
    filled = sorted((tmp_path / "demo" / "inbox").glob("*.xlsx"))[0]
    png = libreoffice.render_png(filled, "销售目标", tmp_path / "targets.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
