"""kamplan addin install / uninstall / status, on temporary folders standing in for Excel's."""
from __future__ import annotations

import sys
import zipfile

import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.xl import install as inst

pytest.importorskip("ms_ovba", reason="pip install '.[test]'")


@pytest.mark.parametrize("system", ["Windows", "Darwin"])
def test_install_status_uninstall_in_the_folders_excel_reads(tmp_path, system):
    env = {"APPDATA": str(tmp_path / "AppData" / "Roaming"), "USERPROFILE": str(tmp_path)}
    paths = inst.default_paths(system, home=tmp_path, env=env)
    assert str(paths.startup).startswith(str(tmp_path))
    if system == "Windows":
        assert paths.startup == tmp_path / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    else:
        assert "UBF8T346G9.Office" in str(paths.startup) and paths.startup.name == "Excel"
        assert paths.conf == tmp_path / "Library/Containers/com.microsoft.Excel/Data/kamplan.conf"
    before = inst.status(paths)
    assert not before.ok
    missing = {c.what: c for c in before.checks if not c.ok}
    assert "kamplan addin install" in missing["add-in"].advice
    done = inst.install(paths)
    assert paths.addin.exists() and zipfile.ZipFile(paths.addin).read("customUI/customUI14.xml")
    conf = paths.conf.read_text(encoding="utf-8")
    key = "INTERPRETER_WIN" if system == "Windows" else "INTERPRETER_MAC"
    assert f'"{key}","{sys.executable}"' in conf and '"UDF Modules","kamplan.xl.udfs"' in conf
    if system == "Darwin":
        assert any(p.suffix == ".applescript" for p in paths.applescript_dir.iterdir())
    st = inst.status(paths)
    failed = [c for c in st.checks if not c.ok and c.what != "pywin32"]  # no pywin32 off Windows
    assert failed == [], failed
    assert any(c.what == "add-in version" and c.ok for c in st.checks)
    again = inst.install(paths)  # a second install keeps the previous settings aside
    assert any("kept the previous settings" in line for line in again)
    assert any("removed" in line for line in inst.uninstall(paths))
    assert not paths.addin.exists() and not paths.conf.exists()
    assert "nothing to remove" in inst.uninstall(paths)[0]
    assert done


def test_an_old_add_in_is_reported_as_stale(tmp_path):
    paths = inst.Paths("Windows", tmp_path / "XLSTART", tmp_path / "kamplan.conf")
    inst.install(paths)
    with zipfile.ZipFile(paths.addin) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["docProps/custom.xml"] = parts["docProps/custom.xml"].replace(b"<vt:lpwstr>", b"<vt:lpwstr>0")
    with zipfile.ZipFile(paths.addin, "w") as z:
        for n, d in parts.items():
            z.writestr(n, d)
    [check] = [c for c in inst.status(paths).checks if c.what == "add-in version"]
    assert not check.ok and "kamplan addin install" in check.advice


def test_other_systems_get_a_clear_message():
    with pytest.raises(inst.InstallError, match="Windows and macOS"):
        inst.default_paths("Linux")


def test_cli_install_status_uninstall(tmp_path):
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
    r = run(cli, ["addin", "build", "--out", str(tmp_path / "dist" / "kamplan.xlam")])
    assert r.exit_code == 0 and (tmp_path / "dist" / "kamplan.xlam").exists()
