"""The README's quick start works as written on a fresh Debian 12 and reads right for Windows.

`scripts/fresh-debian-check.sh` (root, not run by CI) runs it verbatim in a fresh Debian 12 root; these
tests keep the wording that run found necessary: a fresh container has no apt package lists and no sudo,
Command Prompt keeps single quotes, PowerShell activates with Activate.ps1.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "fresh-debian-check.sh"


def quick_start(text: str) -> str:
    match = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, "the README has a '## Quick start' section"
    return match.group(1)


def blocks(section: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```\n(.*?)```", section, re.S)]


def assert_debian_lines(section: str) -> None:
    found = blocks(section)
    apt = [b for b in found if "apt-get" in b]
    assert apt, "the Debian/Ubuntu package line is a command block of its own, ready to paste"
    assert found.index(apt[0]) < found.index("python3 -m venv .venv && . .venv/bin/activate"), (
        "python3-venv comes before the venv line that needs it")
    # A fresh container has no package lists ("Unable to locate package"); without -y apt waits for Y.
    assert re.fullmatch(r"sudo apt-get update && sudo apt-get install -y python3-venv", apt[0]), apt[0]
    assert "leave it out" in section and "container" in section, "root in a container has no sudo"


def assert_windows_lines(section: str) -> None:
    flat = " ".join(section.split())
    for text in ("`py -m venv .venv`", r"`.venv\Scripts\activate`", r"`.venv\Scripts\Activate.ps1`",
                 "`Set-ExecutionPolicy -Scope CurrentUser RemoteSigned`", '`pip install ".[test]"`'):
        assert text in flat, f"the Windows hints name {text}"


def test_the_quick_start_installs_python_venv_first_on_a_fresh_debian():
    assert_debian_lines(quick_start((ROOT / "README.md").read_text(encoding="utf-8")))


def test_the_quick_start_gives_windows_commands_that_work_in_command_prompt_and_powershell():
    assert_windows_lines(quick_start((ROOT / "README.md").read_text(encoding="utf-8")))


@pytest.mark.skipif(shutil.which("bash") is None, reason="the check script is a bash script")
def test_the_fresh_debian_check_runs_exactly_the_readme_commands():
    out = subprocess.run(["bash", str(SCRIPT), "--dry-run", "--full", "--mode", "machine"],
                         capture_output=True, text=True, check=True).stdout
    commands = dict(line.split("=", 1) for line in out.splitlines())
    section = blocks(quick_start((ROOT / "README.md").read_text(encoding="utf-8")))
    assert commands["venv"] == "python3 -m venv .venv && . .venv/bin/activate" in section
    assert commands["demo"] == "pip install . && kamplan demo" in section
    assert commands["test"] == "pip install '.[test]' && pytest" in section
    assert "apt-get install" in commands["apt"] and "python3-venv" in commands["apt"]
