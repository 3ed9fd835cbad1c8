"""Issue 18 item 8: environment errors (permission, full disk, locked file, damaged store) get a message with
the path and what to do and a non-zero exit, never a traceback (--debug shows it); an .ods given to
evaluate collect is refused in the safety gate's words."""
from __future__ import annotations

import errno
import sqlite3
import zipfile

import pytest
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.errors import environment_problem
from kamplan.workspace import Workspace, default_config_text


@pytest.fixture
def workspace(tmp_path):
    Workspace.init(tmp_path / "ws", default_config_text()).close()
    return tmp_path / "ws"


def _failing_import(monkeypatch, exc):
    def boom(*args, **kwargs):
        raise exc
    monkeypatch.setattr("kamplan.stages.actuals.import_actuals", boom)


@pytest.mark.parametrize("exc, says", [
    (PermissionError(errno.EACCES, "Permission denied", "/ws/reports/actuals_unmatched.csv"),
     ["/ws/reports/actuals_unmatched.csv", "permission denied", "read-only"]),
    (OSError(errno.ENOSPC, "No space left on device", "/ws/kamplan.db-journal"),
     ["/ws/kamplan.db-journal", "full", "free some space"]),
    (sqlite3.OperationalError("database is locked"), ["locked", "wait until"]),
    (sqlite3.OperationalError("attempt to write a readonly database"), ["read-only", "writable"]),
    (sqlite3.DatabaseError("file is not a database"), ["damaged", "backup"]),
])
def test_environment_errors_are_messages_with_the_path_and_the_fix(workspace, tmp_path, monkeypatch, exc, says):
    f = tmp_path / "erp.csv"
    f.write_text("date,customer,product,quantity,amount\n2027-01-05,C001,CCR,1,100\n")
    _failing_import(monkeypatch, exc)
    res = CliRunner().invoke(cli, ["-w", str(workspace), "actuals", "import", str(f)])
    assert res.exit_code == 2 and "Traceback" not in res.output and res.exc_info[0] is SystemExit
    text = " ".join(res.output.split()).lower()
    for word in says:
        assert word.lower() in text, res.output


def test_a_bug_is_a_short_message_and_debug_shows_the_traceback(workspace, tmp_path, monkeypatch):
    f = tmp_path / "erp.csv"
    f.write_text("x")
    _failing_import(monkeypatch, KeyError("xl/workbook.xml"))
    res = CliRunner().invoke(cli, ["-w", str(workspace), "actuals", "import", str(f)])
    assert res.exit_code == 3 and "unexpected error" in res.output and "--debug" in res.output
    res = CliRunner().invoke(cli, ["-w", str(workspace), "--debug", "actuals", "import", str(f)])
    assert isinstance(res.exception, KeyError)


def test_environment_problem_knows_only_the_environment():
    assert environment_problem(KeyError("x")) is None
    assert environment_problem(sqlite3.IntegrityError("NOT NULL constraint failed")) is None
    locked = OSError(errno.EACCES, "Permission denied", "C:/ws/reports/plan.xlsx")
    locked.winerror = 32
    assert "open in another program" in environment_problem(locked).message


def test_evaluate_collect_of_an_ods_is_a_clear_refusal(workspace, tmp_path):
    ods = tmp_path / "evaluation_2027_Q1_VP.ods"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    res = CliRunner().invoke(cli, ["-w", str(workspace), "evaluate", "collect", str(ods)])
    assert res.exit_code == 1 and "Traceback" not in res.output and "KeyError" not in res.output
    assert "OpenDocument" in res.output or ".ods" in res.output, res.output
