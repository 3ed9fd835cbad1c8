"""The foreign-file readers on their own: each returns (what it read, problems), they find columns and
parse values the same way, and imports/ stays below the stages and the command line."""
from __future__ import annotations

import ast
from pathlib import Path

import polars as pl
import yaml

import kamplan
from kamplan.config.actuals import ActualsRules
from kamplan.imports.activities import read_activity_log
from kamplan.imports.actuals import read_erp_file
from kamplan.imports.columns import find_columns, lookup, matcher
from kamplan.imports.history import read_history_file
from kamplan.imports.values import number_series, parse_dates
from kamplan.workspace import Workspace, default_config_text

IMPORTS = Path(kamplan.__file__).parent / "imports"


def _config(tmp_path: Path):
    with Workspace.init(tmp_path / "ws", default_config_text()) as ws:
        return ws.config


def _rules(**changes) -> ActualsRules:
    return ActualsRules(**{**(yaml.safe_load(default_config_text()).get("actuals") or {}), **changes})


def test_imports_do_not_import_stages_or_the_command_line():
    for f in sorted(IMPORTS.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                assert not name.startswith(("kamplan.stages", "kamplan.cli", "kamplan.xl")), f"{f.name} imports {name}"


def test_headers_match_without_case_or_spaces_in_the_configs_order():
    wanted = {"date": ["开票日期", "date"], "customer": ["客户编码", "customer"], "amount": ["Amount"]}
    assert find_columns(["Customer", "开票 日期", " AMOUNT ", "date"], wanted) == {
        "date": "开票 日期", "customer": "Customer", "amount": " AMOUNT "}
    assert find_columns(["x"], wanted) == {}


def test_values_match_plan_ids_by_id_alias_and_unambiguous_name():
    known = lookup(["C001", "C002"], {"C001": ["恒川钢铁"], "C002": ["Same"], "C003": ["Same"]}, {"K-17": "C002"},
                   match_names=True)
    assert matcher(pl.Series(["c001", "恒川 钢铁", "K-17", "Same", None, "X"]), known) == {
        "c001": "C001", "恒川 钢铁": "C001", "K-17": "C002"}


def test_numbers_with_decimal_commas_and_dates_in_several_formats():
    got = number_series(pl.Series(["1.234,5", " 7 ", "x", None]), _rules(decimal=",", thousands="."))
    assert got.to_list() == [1234.5, 7.0, None, None]
    dates = parse_dates(pl.Series(["2027-03-05", "2027/03/06", "nope"]), ["%Y-%m-%d", "%Y/%m/%d"])
    assert [str(d) if d else None for d in (dates["2027-03-05"], dates["2027/03/06"], dates["nope"])] == [
        "2027-03-05", "2027-03-06", None]


def test_each_reader_returns_what_it_read_and_its_problems(tmp_path):
    config = _config(tmp_path)
    erp = tmp_path / "erp.csv"
    erp.write_text("开票日期,客户编码,产品编码,数量,金额\n2027-01-05,C001,CCR,10,100000\n2027-01-06,X9,CCR,1,oops\n",
                   encoding="utf-8")
    lines, problems = read_erp_file(erp, config)
    assert lines.lines == 2 and [p.code for p in problems] == ["actuals-value"] and problems[0].is_error

    log = tmp_path / "log.csv"
    log.write_text("date,account,kind\n2027-01-05,C001,rep_visit\n2027-01-06,X9,rep_visit\n", encoding="utf-8")
    read, problems = read_activity_log(log, config)
    assert (read.lines, read.matched, read.unmatched) == (2, 1, 1) and len(read.frame) == 1
    assert [p.code for p in problems] == ["activities-unknown-account"]

    history = tmp_path / "h.csv"
    history.write_text("Year,QUARTER,account_id,product_id,volume,price\n2026,1,C001,CCR,2,10\n", encoding="utf-8")
    frame, problems = read_history_file(history, {"C001"}, {"CCR"})
    assert problems == [] and frame[["volume", "revenue"]].values.tolist() == [[2.0, 20.0]]
