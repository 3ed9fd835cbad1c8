"""kamplan actuals import / activities: ERP exports with Chinese headers, decimal commas, unknown customers,
bad values, units and currency; what is stored, what is reported, and what is kept."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
import yaml

from kamplan.stages.actuals import import_activities, import_actuals
from kamplan.workspace import Workspace, default_config_text

# default config: products CCR (t, standard margin 0.26), SGR (t, 0.18); accounts C001 恒川钢铁, C002, C003


def _workspace(tmp_path: Path, **actuals) -> Workspace:
    data = yaml.safe_load(default_config_text())
    if actuals:
        data["actuals"] = {**data.get("actuals", {}), **actuals}
    return Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True))


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _xlsx(path: Path, rows: list[list], title: str | None = None) -> Path:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("销售明细")
    r0 = 0
    if title:
        ws.write(0, 0, title)
        r0 = 2
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(r0 + i, j, dt.datetime.combine(v, dt.time()), wb.add_format({"num_format": "yyyy-mm-dd"}))
            elif v is not None:
                ws.write(r0 + i, j, v)
    wb.close()
    return path


def test_chinese_csv_with_cost_is_summed_per_quarter_and_reported(tmp_path):
    with _workspace(tmp_path) as ws:
        f = _csv(tmp_path / "发票.csv", "\ufeff开票日期,客户编码,产品编码,数量,金额,成本\n"
                 "2027-01-05,C001,CCR,10,100000,70000\n"
                 "2027-02-10,C001,CCR,5,52000,36000\n"
                 "2027-03-31,C002,SGR,2.5,20000,\n"
                 "2027-04-01,C001,CCR,1,11000,8000\n"
                 "2027-01-07,X999,CCR,3,30000,21000\n"
                 "2027-01-08,C003,ZZZ,4,4000,3000\n")
        res = import_actuals(ws, [f], now=dt.datetime(2027, 4, 5, 9))
        assert not res.errors and res.stored
        [file] = res.files
        assert (file.lines, file.matched, file.unmatched) == (6, 4, 2)
        assert file.revenue_in == pytest.approx(217000.0)
        assert file.revenue_matched + file.revenue_unmatched == pytest.approx(file.revenue_in)
        h = ws.store.history(years=[2027]).set_index(["quarter", "account_id", "product_id"])
        q1 = h.loc[(1, "C001", "CCR")]
        assert (q1.volume, q1.revenue, q1.gross_margin) == (15.0, 152000.0, 46000.0)
        assert q1.price == pytest.approx(152000 / 15)
        assert h.loc[(1, "C002", "SGR")].gross_margin == pytest.approx(20000 * 0.18)  # no cost: standard margin
        assert h.loc[(2, "C001", "CCR")].volume == 1.0
        assert res.revenue_stored == pytest.approx(file.revenue_matched)
        values = {(u.what, u.value): u for u in file.unmatched_values}
        assert values[("customer", "X999")].first_row == 6 and values[("customer", "X999")].lines == 1
        assert values[("product", "ZZZ")].revenue == 4000.0
        listed = pd.read_csv(res.unmatched_path, encoding="utf-8-sig")
        assert sorted(listed["row"]) == [6, 7] and set(listed["file"]) == {"发票.csv"}
        rec = ws.store.actuals_imports().iloc[-1]
        assert (rec.lines_in, rec.lines_matched, rec.lines_unmatched) == (6, 4, 2)
        assert rec.revenue_stored == pytest.approx(183000.0) and rec.revenue_in == pytest.approx(217000.0)
        assert rec.periods == [(2027, 1), (2027, 2)]
        codes = {p.code for p in res.problems}
        assert "actuals-no-cost" in codes and "actuals-quarter-partial" in codes  # Q2 has April only


def test_decimal_commas_thousands_gb18030_and_semicolons(tmp_path):
    with _workspace(tmp_path, decimal=",", thousands=".", delimiter=";") as ws:
        f = _csv(tmp_path / "erp.csv", "日期;客户;产品;数量;金额\n"
                 "05.01.2027;恒川钢铁;CCR;1,5;12.345,50\n"
                 "2027/02/01;C001;离心复合轧辊;2;1.000,00\n", encoding="gb18030")
        res = import_actuals(ws, [f])
        assert not res.errors, res.all_problems()
        h = ws.store.history(years=[2027])
        assert h["volume"].tolist() == [3.5] and h["revenue"].tolist() == [pytest.approx(13345.5)]
        assert h["account_id"].tolist() == ["C001"] and h["product_id"].tolist() == ["CCR"]  # matched by name


def test_bad_dates_and_numbers_reject_that_file_only(tmp_path):
    with _workspace(tmp_path) as ws:
        bad = _csv(tmp_path / "bad.csv", "date,customer,product,quantity,amount\n"
                   "2027-13-01,C001,CCR,1,100\n"
                   "2027-01-02,C001,CCR,one,100\n"
                   "2027-01-03,,CCR,1,100\n")
        good = _csv(tmp_path / "good.csv", "date,customer,product,quantity,amount\n2027-01-02,C002,SGR,1,100\n")
        res = import_actuals(ws, [bad, good])
        assert [f.outcome for f in res.files] == ["rejected", "read"]
        where = {(p.sheet, p.cell) for p in res.files[0].problems if p.is_error}
        assert where == {("row 2", "date"), ("row 3", "quantity"), ("row 4", "customer")}
        assert all(p.file == "bad.csv" for p in res.files[0].problems)
        h = ws.store.history()
        assert h["account_id"].tolist() == ["C002"]  # nothing of bad.csv, all of good.csv


def test_every_file_bad_stores_nothing(tmp_path):
    with _workspace(tmp_path) as ws:
        bad = _csv(tmp_path / "bad.csv", "date,customer,product,quantity,amount\n2027-01-02,C001,CCR,1,x\n")
        nocol = _csv(tmp_path / "nocol.csv", "when,who,what\n2027-01-02,C001,CCR\n")
        res = import_actuals(ws, [bad, nocol])
        assert not res.stored and len(ws.store.history()) == 0 and len(ws.store.actuals_imports()) == 0
        assert any(p.code == "actuals-columns" and "quantity" in p.message for p in res.files[1].problems)
        assert any(p.code == "actuals-nothing" for p in res.problems)


def test_xlsx_with_title_row_units_and_currency(tmp_path):
    units = {"file_unit": None, "factors": {"kg": {"t": 0.001}}, "products": {"SGR": {"件": 0.5}}}
    with _workspace(tmp_path, units=units, currency={"rates": {"USD": 7.0}}) as ws:
        f = _xlsx(tmp_path / "export.xlsx", [
            ["单据日期", "客户编码", "存货编码", "数量", "单位", "金额", "币种", "成本金额"],
            [dt.date(2027, 1, 15), "C001", "CCR", 2000, "kg", 1000, "USD", 700],
            [dt.date(2027, 2, 15), "C001", "CCR", 1, "t", 5000, None, 4000],
            [None, None, None, None, None, None, None, None],
            [dt.date(2027, 3, 1), "C002", "SGR", 4, "件", 800, "CNY", 600],
        ], title="销售出库明细表 2027年第一季度")
        res = import_actuals(ws, [f])
        assert not res.errors, res.all_problems()
        h = ws.store.history(years=[2027]).set_index(["account_id", "product_id"])
        assert h.loc[("C001", "CCR")].volume == pytest.approx(3.0)
        assert h.loc[("C001", "CCR")].revenue == pytest.approx(7000 + 5000)
        assert h.loc[("C001", "CCR")].gross_margin == pytest.approx((7000 - 4900) + (5000 - 4000))
        assert h.loc[("C002", "SGR")].volume == pytest.approx(2.0)
        assert res.files[0].lines == 3  # the blank row is not a line


def test_unknown_unit_or_currency_is_an_error_naming_the_fix(tmp_path):
    with _workspace(tmp_path) as ws:
        f = _xlsx(tmp_path / "x.xlsx", [["date", "customer", "product", "quantity", "unit", "amount", "currency"],
                                        ["2027-01-15", "C001", "CCR", 2, "箱", 1000, "EUR"]])
        res = import_actuals(ws, [f])
        codes = {p.code: p for p in res.files[0].problems}
        assert "actuals-unit" in codes and "actuals.units" in codes["actuals-unit"].fix
        assert "actuals-currency" in codes and "EUR" in codes["actuals-currency"].fix
        assert len(ws.store.history()) == 0


def test_reimport_of_a_quarter_replaces_it_and_keeps_the_old(tmp_path):
    head = "date,customer,product,quantity,amount\n"
    with _workspace(tmp_path) as ws:
        jan = _csv(tmp_path / "jan.csv", head + "2027-01-05,C001,CCR,10,1000\n")
        feb = _csv(tmp_path / "feb.csv", head + "2027-02-05,C001,CCR,20,2000\n")
        apr = _csv(tmp_path / "apr.csv", head + "2027-04-05,C002,CCR,1,100\n")
        import_actuals(ws, [jan, feb, apr])
        assert ws.store.history()["volume"].tolist() == [30.0, 1.0]
        fixed = _csv(tmp_path / "q1-corrected.csv", head + "2027-01-05,C001,CCR,12,1200\n2027-03-05,C001,CCR,1,99\n")
        refused = import_actuals(ws, [fixed])  # 30 t -> 13 t: far less, so the quarter must be stated
        assert not refused.stored and refused.files[0].problems[-1].code == "import-period-shrinks"
        res = import_actuals(ws, [fixed], periods=frozenset({(2027, 1)}))
        h = ws.store.history()
        assert h[["quarter", "volume"]].values.tolist() == [[1, 13.0], [2, 1.0]]  # Q1 replaced, Q2 kept
        assert res.periods == [(2027, 1)]
        imports = ws.store.actuals_imports()
        assert imports["source"].tolist() == ["jan.csv; feb.csv; apr.csv", "q1-corrected.csv"]
        assert len(ws.store.history_imports()) == 2  # the first import's rows are still in the store


def test_same_file_twice_is_read_once_and_dry_run_stores_nothing(tmp_path):
    with _workspace(tmp_path) as ws:
        f = _csv(tmp_path / "a.csv", "date,customer,product,quantity,amount\n2027-01-05,C001,CCR,10,1000\n")
        g = tmp_path / "copy.csv"
        g.write_bytes(f.read_bytes())
        res = import_actuals(ws, [f, g], dry_run=True)
        assert res.files[1].problems[0].code == "actuals-same-file"
        assert res.history["volume"].tolist() == [10.0]
        assert len(ws.store.history()) == 0 and not res.stored


def test_files_of_the_same_size_but_other_content_are_both_read(tmp_path):
    # only files of equal size are hashed: equal size alone must not make two files "the same"
    with _workspace(tmp_path) as ws:
        f = _csv(tmp_path / "a.csv", "date,customer,product,quantity,amount\n2027-01-05,C001,CCR,10,1000\n")
        g = _csv(tmp_path / "b.csv", "date,customer,product,quantity,amount\n2027-01-05,C002,CCR,20,2000\n")
        assert f.stat().st_size == g.stat().st_size
        res = import_actuals(ws, [f, g], dry_run=True)
        assert [x.outcome for x in res.files] == ["read", "read"]
        assert sorted(res.history["volume"].tolist()) == [10.0, 20.0]


def test_aliases_map_erp_codes(tmp_path):
    with _workspace(tmp_path, aliases={"customers": {"K-0001": "C003"}, "products": {"10020": "SGR"}}) as ws:
        f = _csv(tmp_path / "a.csv", "date,customer,product,quantity,amount\n2027-01-05,k-0001,10020,1,10\n")
        import_actuals(ws, [f])
        h = ws.store.history()
        assert (h.account_id[0], h.product_id[0]) == ("C003", "SGR")


def test_fiscal_year_from_the_config_calendar(tmp_path):
    data = yaml.safe_load(default_config_text())
    data["calendar"] = {"first_month": 4}
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True)) as ws:
        f = _csv(tmp_path / "a.csv", "date,customer,product,quantity,amount\n"
                 "2027-03-31,C001,CCR,1,10\n2027-04-01,C001,CCR,2,20\n")
        import_actuals(ws, [f])
        h = ws.store.history()
        assert h[["year", "quarter", "volume"]].values.tolist() == [[2026, 4, 1.0], [2027, 1, 2.0]]


# -- activity log -------------------------------------------------------------------------------------
def test_activity_log_in_chinese_is_stored_by_fiscal_quarter(tmp_path):
    with _workspace(tmp_path) as ws:
        f = _xlsx(tmp_path / "活动.xlsx", [
            ["日期", "客户", "类型", "人员", "数量", "状态", "备注", "投诉编号"],
            [dt.date(2027, 1, 10), "C001", "拜访", "zhangwei", None, None, "季度回顾", None],
            [dt.date(2027, 1, 20), "恒川钢铁", "投诉", "zhangwei", None, "未解决", "交货延迟", "TS-1"],
            [dt.date(2027, 2, 3), "C002", "培训", "chenjing", 12, None, None, None],
            [dt.date(2027, 3, 3), "C001", "complaint", "zhangwei", None, "已解决", None, "TS-1"],
            [dt.date(2027, 3, 9), "NOPE", "拜访", "zhangwei", None, None, None, None],
        ])
        res = import_activities(ws, [f])
        assert not res.errors and res.rows_stored == 4
        assert any(p.code == "activities-unknown-account" and "row 6" in p.message for p in res.files[0].problems)
        log = ws.store.activities(years=[2027])
        assert log["kind"].tolist() == ["rep_visit", "complaint", "training", "complaint"]
        assert log["status"].tolist() == [None, "open", None, "resolved"]
        assert log["quantity"].tolist() == [1.0, 1.0, 12.0, 1.0]
        assert log["ref"].tolist() == [None, "TS-1", None, "TS-1"] and log["quarter"].tolist() == [1, 1, 1, 1]


def test_activity_log_bad_kind_and_date_reject_the_file(tmp_path):
    with _workspace(tmp_path) as ws:
        f = _csv(tmp_path / "log.csv", "date,account,kind,person\n2027-01-10,C001,lunch,zhangwei\n"
                 "someday,C001,visit,zhangwei\n")
        res = import_activities(ws, [f])
        assert res.files[0].outcome == "rejected"
        assert {(p.sheet, p.cell) for p in res.files[0].errors} == {("row 2", "kind"), ("row 3", "date")}
        assert len(ws.store.activities()) == 0


# -- command line ---------------------------------------------------------------------------------------
def test_cli_import_says_what_was_stored_where_and_exit_codes(tmp_path):
    import json

    from click.testing import CliRunner

    from kamplan.cli.main import cli
    root = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    good = _csv(tmp_path / "q1.csv", "日期,客户,产品,数量,金额\n2027-01-05,C001,CCR,10,1000\n2027-02-05,X1,CCR,1,5\n")
    bad = _csv(tmp_path / "bad.csv", "日期,客户,产品,数量,金额\n2027-01-05,C001,CCR,ten,1000\n")
    run = CliRunner().invoke(cli, ["-w", str(root), "actuals", "import", str(good), str(bad)],
                             catch_exceptions=False)
    assert run.exit_code == 1  # one file rejected
    out = " ".join(run.output.split())
    assert "Stored 1 quarter x account x product rows for 2027 Q1" in out and "kamplan.db" in out
    assert "rejected bad.csv" in out and "row 2" in out and "'X1'" in out
    assert "reports/actuals_unmatched_" in "".join(run.output.split())  # rich wraps long paths anywhere
    run = CliRunner().invoke(cli, ["-w", str(root), "actuals", "import", "--json", str(good)],
                             catch_exceptions=False)
    assert run.exit_code == 0
    data = json.loads(run.output)
    assert data["stored"] and data["periods"] == [[2027, 1]] and data["files"][0]["unmatched"] == 1
    log = _csv(tmp_path / "log.csv", "date,account,kind,person\n2027-01-10,C001,visit,zhangwei\n")
    run = CliRunner().invoke(cli, ["-w", str(root), "actuals", "activities", str(log)], catch_exceptions=False)
    assert run.exit_code == 0 and "Stored 1 activity rows for 2027 Q1" in " ".join(run.output.split())
