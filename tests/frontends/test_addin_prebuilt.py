"""The add-in ships prebuilt: committed in the package with its fingerprint, carried by the wheel."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kamplan.xl import build

ROOT = Path(__file__).resolve().parents[2]


def test_the_prebuilt_add_in_was_built_from_the_current_sources():
    """Fails when a VBA source, the ribbon, the registry, xlwings' module or the builder changed and
    nobody ran `kamplan addin build` (then commit addin/kamplan/xl/prebuilt/)."""
    info = build.prebuilt_info()
    assert info["fingerprint"] == build.fingerprint(), (
        "the prebuilt add-in is stale: pip install '.[addin-build]' && kamplan addin build, then commit "
        "addin/kamplan/xl/prebuilt/")
    assert build.built_digest(build.PREBUILT) == info["fingerprint"]
    assert info["builder"] == build.BUILDER_VERSION and info["ms_ovba"] == build.MS_OVBA_VERSION


def test_the_fingerprint_changes_with_any_source(monkeypatch, tmp_path):
    before = build.fingerprint()
    src = tmp_path / "excel"
    shutil.copytree(build.sources_dir(), src)
    monkeypatch.setattr(build, "sources_dir", lambda: src)
    assert build.fingerprint() == before
    main = src / "KamplanMain.bas"
    main.write_text(main.read_text(encoding="utf-8") + "' changed\n", encoding="utf-8")
    assert build.fingerprint() != before
    main.write_text(main.read_text(encoding="utf-8").replace("' changed\n", ""), encoding="utf-8")
    monkeypatch.setattr(build, "BUILDER_VERSION", build.BUILDER_VERSION + "x")
    assert build.fingerprint() != before


def test_the_prebuilt_add_in_matches_the_xlwings_pin():
    """The VBA declares xlwings' DLL by versioned name: the dependency pin must be that version."""
    info = build.prebuilt_info()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"xlwings=={info["xlwings"]}"' in pyproject
    assert f'"ms-ovba=={build.MS_OVBA_VERSION}"' in pyproject


def test_build_refuses_another_ms_ovba(monkeypatch):
    pytest.importorskip("ms_ovba")
    from importlib import metadata
    monkeypatch.setattr(metadata, "version", lambda name: "0.0.2")
    with pytest.raises(build.BuildError, match="ms-ovba==0.0.1"):
        build._check_ms_ovba()


@pytest.mark.slow
def test_a_wheel_built_from_a_clean_copy_carries_the_prebuilt_add_in(tmp_path):
    """`pip wheel` from a copy of the source tree (never inside the checkout): the .xlam and its
    fingerprint are package data, so `pip install kamplan` then `kamplan addin install` needs no build."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "addin", src / "addin",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.pyc"))
    out = tmp_path / "wheels"
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                          "--wheel-dir", str(out), str(src)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    [wheel] = out.glob("kamplan-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert "kamplan/xl/prebuilt/kamplan.xlam" in names and "kamplan/xl/prebuilt/kamplan.xlam.json" in names
        assert z.read("kamplan/xl/prebuilt/kamplan.xlam") == build.PREBUILT.read_bytes()
        assert "kamplan/xl/excel/KamplanMain.bas" in names
