"""kamplan addin install / uninstall / status, on temporary folders standing in for Excel's.

Every test runs with HOME, USERPROFILE and APPDATA in a temporary folder, so no install reaches the
real ``~/Library/Application Scripts`` or XLSTART, whatever a test forgets to pass."""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.xl import build, ribbon
from kamplan.xl import install as inst

XLWINGS = build.prebuilt_info()["xlwings"]


@pytest.fixture(autouse=True)
def fake_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    for var in ("HOME", "USERPROFILE"):
        monkeypatch.setenv(var, str(home))
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    return home


@pytest.fixture
def python(tmp_path):
    """A Windows Python folder with xlwings' DLLs beside python.exe, as xlwings' wheel installs them."""
    folder = tmp_path / "Python311"
    folder.mkdir()
    (folder / f"xlwings64-{XLWINGS}.dll").write_bytes(b"MZ")
    return folder / "python.exe"


@pytest.fixture
def no_ms_ovba(monkeypatch):
    """An install as `pip install kamplan` leaves it: no ms-ovba (importing it fails)."""
    for name in ("ms_ovba", "ms_ovba_compression", "ms_cfb"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize("system", ["Windows", "Darwin"])
def test_install_status_uninstall_in_the_folders_excel_reads(tmp_path, system, python, no_ms_ovba):
    env = {"APPDATA": str(tmp_path / "AppData" / "Roaming"), "USERPROFILE": str(tmp_path)}
    paths = inst.default_paths(system, home=tmp_path, env=env)
    assert str(paths.startup).startswith(str(tmp_path))
    if system == "Windows":
        assert paths.startup == tmp_path / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    else:
        assert "UBF8T346G9.Office" in str(paths.startup) and paths.startup.name == "Excel"
        assert paths.conf == tmp_path / "Library/Containers/com.microsoft.Excel/Data/kamplan.conf"
    before = inst.status(paths, interpreter=python, prefix=python.parent)
    assert not before.ok
    missing = {c.what: c for c in before.checks if not c.ok}
    assert "kamplan addin install" in missing["add-in"].advice
    done = inst.install(paths, interpreter=python, prefix=python.parent)
    assert paths.addin.read_bytes() == build.PREBUILT.read_bytes() or zipfile.ZipFile(paths.addin).read(
        "xl/vbaProject.bin") == zipfile.ZipFile(build.PREBUILT).read("xl/vbaProject.bin")
    conf = paths.conf.read_bytes().decode(inst.settings_encoding(system))
    key = "INTERPRETER_WIN" if system == "Windows" else "INTERPRETER_MAC"
    assert f'"{key}","{python}"' in conf and '"UDF Modules","kamplan.xl.udfs"' in conf
    if system == "Darwin":
        assert any(p.suffix == ".applescript" for p in paths.applescript_dir.iterdir())
    st = inst.status(paths, interpreter=python, prefix=python.parent)
    failed = [c for c in st.checks if not c.ok and c.what != "pywin32"]  # no pywin32 off Windows
    assert failed == [], failed
    assert any(c.what == "add-in version" and c.ok for c in st.checks)
    assert (system == "Windows") == any(c.what == "xlwings DLL" and c.ok for c in st.checks)
    again = inst.install(paths, interpreter=python, prefix=python.parent)
    assert any("kept the previous settings" in line for line in again)
    assert any("removed" in line for line in inst.uninstall(paths))
    assert not paths.addin.exists() and not paths.conf.exists()
    assert "nothing to remove" in inst.uninstall(paths)[0]
    assert done


def test_install_copies_the_prebuilt_add_in_with_the_ribbon_in_the_language(tmp_path, python, no_ms_ovba):
    paths = inst.Paths("Windows", tmp_path / "XLSTART", tmp_path / "kamplan.conf")
    inst.install(paths, "zh-CN", interpreter=python, prefix=python.parent)
    with zipfile.ZipFile(paths.addin) as z, zipfile.ZipFile(build.PREBUILT) as pre:
        assert z.read("customUI/customUI14.xml").decode() == ribbon.render_ribbon("zh-CN")
        assert z.read("xl/vbaProject.bin") == pre.read("xl/vbaProject.bin")
    assert build.built_digest(paths.addin) == build.prebuilt_info()["fingerprint"]


def test_a_missing_xlwings_dll_is_reported_with_the_fix(tmp_path, python):
    (python.parent / f"xlwings64-{XLWINGS}.dll").unlink()
    paths = inst.Paths("Windows", tmp_path / "XLSTART", tmp_path / "kamplan.conf")
    inst.install(paths, interpreter=python, prefix=python.parent)
    [dll] = [c for c in inst.status(paths, interpreter=python, prefix=python.parent).checks
             if c.what == "xlwings DLL"]
    assert not dll.ok and f"xlwings64-{XLWINGS}.dll" in dll.detail and "force-reinstall" in dll.advice


def test_another_xlwings_than_the_add_in_was_built_for_stops_the_install(tmp_path, python, monkeypatch):
    monkeypatch.setattr(inst, "_installed_xlwings", lambda: "0.30.0")
    paths = inst.Paths("Windows", tmp_path / "XLSTART", tmp_path / "kamplan.conf")
    with pytest.raises(inst.InstallError, match=f"xlwings=={XLWINGS}"):
        inst.install(paths, interpreter=python, prefix=python.parent)
    assert not paths.addin.exists()
    [check] = [c for c in inst.status(paths, interpreter=python, prefix=python.parent).checks if c.what == "xlwings"]
    assert not check.ok and XLWINGS in check.advice


def test_a_conda_python_is_activated_through_xlwings_settings(tmp_path):
    conda = tmp_path / "Miniconda3"
    env = conda / "envs" / "kam"
    (conda / "condabin").mkdir(parents=True)
    (env / "conda-meta").mkdir(parents=True)
    paths = inst.Paths("Windows", tmp_path / "XLSTART", tmp_path / "kamplan.conf")
    lines = dict(inst.settings_text(paths, env / "python.exe", env))
    assert lines == {"INTERPRETER_WIN": "python", "CONDA PATH": str(conda), "CONDA ENV": "kam",
                     "UDF Modules": "kamplan.xl.udfs"}
    (conda / "conda-meta").mkdir()
    assert dict(inst.settings_text(paths, conda / "python.exe", conda))["CONDA ENV"] == "base"
    plain = tmp_path / "venv"
    assert dict(inst.settings_text(paths, plain / "Scripts" / "python.exe", plain))["INTERPRETER_WIN"] == str(
        plain / "Scripts" / "python.exe")


def test_the_settings_file_is_in_the_code_page_vba_reads():
    """VBA's ``Input #`` and xlwings' ``open(conf)`` read the ANSI code page on Windows: a Chinese user
    name arrives intact in cp936, and where the code page cannot hold it the 8.3 short name is used."""
    lines = [("INTERPRETER_WIN", r"C:\Users\张伟\AppData\Local\Programs\Python\Python311\python.exe")]
    data = inst.settings_bytes(lines, "cp936")
    assert data.decode("cp936") == f'"INTERPRETER_WIN","{lines[0][1]}"\r\n'
    assert data != f'"INTERPRETER_WIN","{lines[0][1]}"\r\n'.encode("utf-8")  # what was written before
    short = inst.settings_bytes(lines, "cp1252", short_path=lambda p: r"C:\Users\5F20~1\AppData\Local\PYTHON~1.EXE")
    assert short.decode("cp1252") == '"INTERPRETER_WIN","C:\\Users\\5F20~1\\AppData\\Local\\PYTHON~1.EXE"\r\n'
    with pytest.raises(inst.InstallError, match="code page"):
        inst.settings_bytes(lines, "cp1252", short_path=lambda p: None)


def test_an_old_add_in_is_reported_as_stale(tmp_path, python):
    paths = inst.Paths("Windows", tmp_path / "XLSTART", tmp_path / "kamplan.conf")
    inst.install(paths, interpreter=python, prefix=python.parent)
    with zipfile.ZipFile(paths.addin) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["docProps/custom.xml"] = parts["docProps/custom.xml"].replace(b"<vt:lpwstr>", b"<vt:lpwstr>0")
    with zipfile.ZipFile(paths.addin, "w") as z:
        for n, d in parts.items():
            z.writestr(n, d)
    [check] = [c for c in inst.status(paths, interpreter=python, prefix=python.parent).checks
               if c.what == "add-in version"]
    assert not check.ok and "kamplan addin install" in check.advice


def test_other_systems_get_a_clear_message():
    with pytest.raises(inst.InstallError, match="Windows and macOS"):
        inst.default_paths("Linux")


def test_cli_install_status_uninstall(tmp_path, no_ms_ovba):
    run = CliRunner().invoke
    args = ["--startup-dir", str(tmp_path / "XLSTART"), "--conf", str(tmp_path / "kamplan.conf"),
            "--system", "Windows"]
    r = run(cli, ["addin", "status", *args])
    assert r.exit_code == 1 and "MISSING" in r.output and "kamplan addin install" in r.output
    r = run(cli, ["addin", "install", *args])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "XLSTART" / "kamplan.xlam").exists() and "Key Accounts" in r.output
    r = run(cli, ["addin", "uninstall", *args])
    assert r.exit_code == 0 and "removed" in r.output
    r = run(cli, ["addin", "actions"])
    assert r.exit_code == 0 and "kam_check" in r.output and "kamplan.xl.tasks:check_sheet" in r.output


def test_cli_mac_install_stays_in_the_temporary_home(tmp_path, fake_home, no_ms_ovba):
    real = Path(__import__("os").path.expanduser("~")).resolve()
    assert real == fake_home.resolve()
    r = CliRunner().invoke(cli, ["addin", "install", "--startup-dir", str(tmp_path / "Startup"),
                                 "--conf", str(tmp_path / "kamplan.conf"), "--system", "Darwin"])
    assert r.exit_code == 0, r.output
    scripts = fake_home / "Library" / "Application Scripts" / "com.microsoft.Excel"
    assert any(p.suffix == ".applescript" for p in scripts.iterdir())


def test_cli_build_needs_ms_ovba_and_says_so(tmp_path, no_ms_ovba):
    r = CliRunner().invoke(cli, ["addin", "build", "--out", str(tmp_path / "dist" / "kamplan.xlam")])
    assert r.exit_code == 2 and "addin-build" in r.output and not (tmp_path / "dist" / "kamplan.xlam").exists()


def test_cli_build_of_the_prebuilt_is_english_only(tmp_path):
    before = build.PREBUILT.read_bytes()
    r = CliRunner().invoke(cli, ["addin", "build", "--lang", "zh-CN"])
    assert r.exit_code == 2 and "--out" in r.output and build.PREBUILT.read_bytes() == before
