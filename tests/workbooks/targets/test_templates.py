"""The committed blank templates and packaged default config are what the code builds today."""
from __future__ import annotations

import zipfile
from pathlib import Path

from kamplan.stages.templates import build_templates
from kamplan.workspace import default_config_text

ROOT = Path(__file__).resolve().parents[3]
REBUILD = "kamplan templates build  (run at the repository root, then commit workbook_templates/)"


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_committed_templates_are_not_stale(tmp_path):
    fresh = build_templates(tmp_path)
    assert fresh
    for f in fresh:
        committed = ROOT / "workbook_templates" / f.name
        assert committed.exists(), f"{committed} is missing: {REBUILD}"
        a, b = _members(committed), _members(f)
        assert a.keys() == b.keys(), f"{f.name} is stale: {REBUILD}"
        stale = [n for n in a if a[n] != b[n]]
        assert not stale, f"{f.name} is stale ({', '.join(stale)}): {REBUILD}"


def test_template_build_is_deterministic(tmp_path):
    one = build_templates(tmp_path / "a")
    two = build_templates(tmp_path / "b")
    assert [p.read_bytes() for p in one] == [p.read_bytes() for p in two]


def test_packaged_default_config_equals_config_default_yaml():
    assert default_config_text() == (ROOT / "config" / "default.yaml").read_text(encoding="utf-8"), \
        "copy config/default.yaml to addin/kamplan/data/default.yaml"
