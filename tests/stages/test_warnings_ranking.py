"""The demo's two drifting accounts head the early warnings (issue 14 item 4), and --min-flags filters."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from support.evaluation import evaluation_workspace
from kamplan.cli.main import cli
from kamplan.demo.actuals import DRIFT
from kamplan.stages.evaluation import warning_list


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("warn-cache")
    with evaluation_workspace(root, root / "ws", quarters=(1, 2, 3)) as w:
        yield w



def test_the_two_drifting_accounts_rank_first(ws):
    assert DRIFT[3] < 0.5  # they lose more than half their plan by Q3
    for quarter in (2, 3):
        w, problems, q = warning_list(ws, quarter)
        assert q == quarter
        drifting = {a for a, f in zip(w["account_id"], w["flags"]) if "open-complaints" in f}
        assert len(drifting) == 2
        assert set(w["account_id"].head(2)) == drifting, w[["account_id", "flags"]].head(6).to_string()
        # below them: severity never rises, and equal severity is ordered by revenue at risk
        rows = list(zip(w["severity"], w["revenue_at_risk"]))
        assert all(a[0] > b[0] or (a[0] == b[0] and a[1] >= b[1]) for a, b in zip(rows, rows[1:]))


def test_min_flags_on_the_command_line(ws):
    runner = CliRunner()
    out = runner.invoke(cli, ["-w", str(ws.root), "warnings", "--quarter", "3", "--json", "--min-flags", "3"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["warnings"] and all(len(x["flags"]) >= 3 for x in data["warnings"])
    assert [x["rank"] for x in data["warnings"]] == [1, 2]
    every = json.loads(runner.invoke(cli, ["-w", str(ws.root), "warnings", "-q", "3", "--json"]).output)["warnings"]
    assert len(every) > len(data["warnings"])
    text = runner.invoke(cli, ["-w", str(ws.root), "warnings", "-q", "3", "--min-flags", "6"])
    assert text.exit_code == 0 and "No early warnings with 6 or more flags" in text.output
    text = " ".join(runner.invoke(cli, ["-w", str(ws.root), "warnings", "-q", "3"]).output.split())
    # C159: yoy-decline, below-plan, falling-trend (2 each), few-visits (1), open-complaints (1.5)
    assert "ranked by severity" in text and "5 flags, severity 8.5" in text
