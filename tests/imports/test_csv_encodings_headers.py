"""Issue 18 item 11: GBK/GB18030 CSVs are read (and named), repeated headers are refused, in the history and
actuals imports."""
from __future__ import annotations

from kamplan.stages.actuals import import_actuals
from kamplan.stages.history import import_history
from kamplan.workspace import Workspace, default_config_text


def test_a_gbk_history_csv_is_read_and_named(tmp_path):
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        f = tmp_path / "历史.csv"
        f.write_bytes("year,quarter,account_id,product_id,volume,price,备注\n2026,1,C001,CCR,10,1000,恒川钢铁\n"
                      .encode("gbk"))
        n, problems = import_history(ws, f)
        assert n == 1 and [p.code for p in problems] == ["history-gbk"]


def test_a_gbk_actuals_csv_is_read(tmp_path):
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        f = tmp_path / "发票.csv"
        f.write_bytes("开票日期,客户编码,产品编码,数量,金额\n2027-01-05,C001,CCR,10,100000\n".encode("gbk"))
        res = import_actuals(ws, [f])
        assert res.stored and not res.errors


def test_repeated_headers_are_refused(tmp_path):
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        h = tmp_path / "h.csv"
        h.write_text("year,quarter,account_id,product_id,volume,price,volume\n2026,1,C001,CCR,10,1000,99\n")
        n, problems = import_history(ws, h)
        assert n == 0 and [(p.code, p.cell) for p in problems] == [("history-columns", "header row, column 7")]
        a = tmp_path / "a.csv"
        a.write_text("date,customer,product,quantity,amount,Quantity\n2027-01-05,C001,CCR,10,100,12\n")
        res = import_actuals(ws, [a])
        assert not res.stored
        [p] = res.files[0].problems
        assert p.code == "actuals-columns" and "'Quantity' appears twice" in p.message and "column 6" in p.cell
        assert ws.store.history().empty
