"""Issue 18 item 11: the demo leaves no VP-rated evaluation workbook in inbox/, where a newcomer's first
``targets collect`` would reject it as the wrong kind.  The demo itself also runs the period guard, the
hard limits and the spread rules of issue 18 end to end (its spread is unreachable-tolerant only if asked)."""
from __future__ import annotations

from click.testing import CliRunner

from kamplan.cli.main import cli


def test_the_demo_inbox_holds_only_target_workbooks(tmp_path):
    out = tmp_path / "demo"
    res = CliRunner().invoke(cli, ["demo", "--out", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert not list((out / "inbox").rglob("evaluation_*"))
    assert list((out / "evaluations-rated").glob("evaluation_*_VP_rated.xlsx"))
    collect = CliRunner().invoke(cli, ["-w", str(out), "targets", "collect", "--json"])
    assert "wrong-kind" not in collect.output and "not-a-target" not in collect.output
