"""Issue 18 item 3 (imports) and item 8 (NaN/inf): absurd numbers in history and actuals CSVs are errors
with the allowed range, the file stores nothing, the good file next to it is stored."""
from __future__ import annotations

from pathlib import Path

from kamplan.stages.actuals import import_actuals
from kamplan.stages.history import import_history
from kamplan.workspace import Workspace, default_config_text

HEADER = "date,customer,product,quantity,amount\n"


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _errors(problems):
    return [p for p in problems if p.is_error]


def test_history_price_of_1e308_is_an_error_with_the_range(tmp_path):
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        f = _csv(tmp_path / "h.csv", "year,quarter,account_id,product_id,volume,price,gross_margin\n"
                 "2026,1,C001,CCR,10,1000,3000\n2026,2,C001,CCR,10,1e308,3000\n2026,3,C001,CCR,1e12,1000,0\n"
                 "2026,4,C001,CCR,10,1000,20000\n")
        n, problems = import_history(ws, f)
        assert n == 0 and ws.store.history().empty
        got = {(p.sheet, p.cell): p for p in _errors(problems)}
        assert set(got) == {("row 3", "price"), ("row 4", "volume"), ("row 5", "gross_margin")}
        assert "0 to 100,000,000" in got[("row 3", "price")].fix
        assert "above the revenue" in got[("row 5", "gross_margin")].message


def test_actuals_nan_inf_and_absurd_amounts_are_precise_problems(tmp_path):
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        bad = _csv(tmp_path / "bad.csv", HEADER + "2027-01-05,C001,CCR,NaN,1000\n2027-01-06,C001,CCR,1,inf\n"
                   "2027-01-07,C002,CCR,1,1e300\n")
        good = _csv(tmp_path / "good.csv", HEADER + "2027-02-05,C003,SGR,2,2000\n")
        res = import_actuals(ws, [bad, good])
        assert [f.outcome for f in res.files] == ["rejected", "read"] and res.stored
        got = {p.sheet: p for p in _errors(res.files[0].problems)}
        assert set(got) == {"row 2", "row 3", "row 4"}
        assert got["row 2"].cell == "quantity" and "NaN" in got["row 2"].message
        assert got["row 3"].cell == "amount" and "infinite" in got["row 3"].message
        assert "outside the range" in got["row 4"].message
        assert ws.store.history()["account_id"].tolist() == ["C003"]


def test_actuals_quarter_price_far_beyond_any_real_one_is_refused(tmp_path):
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        f = _csv(tmp_path / "q.csv", HEADER + "2027-01-05,C001,CCR,0.000001,900000000\n")
        res = import_actuals(ws, [f])
        assert not res.stored
        [p] = _errors(res.files[0].problems)
        assert p.code == "actuals-limit" and "price" in p.message and p.sheet == "row 2"
