"""Issue 18 item 1: one mistyped invoice date must not replace a quarter of history.  An import states
the quarters it replaces (--periods) or is refused when a line falls outside its years or would replace a
stored quarter by far less, unless forced; the same for the history CSV."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kamplan.cli.main import cli
from kamplan.imports.replacing import PeriodsError, parse_periods
from kamplan.stages.actuals import import_actuals
from kamplan.stages.history import import_history
from kamplan.workspace import Workspace, default_config_text

HEADER = "date,customer,product,quantity,amount\n"


def _workspace(tmp_path: Path) -> Workspace:
    return Workspace.init(tmp_path / "ws", default_config_text())  # plan year 2027, calendar quarters


def _last_year_q1(ws: Workspace, tmp_path: Path) -> None:
    """2026 Q1 as stored history: 6 rows, 60 t, 600,000."""
    lines = "".join(f"2026-0{m}-10,{a},CCR,10,100000\n" for m in (1, 2, 3) for a in ("C001", "C002"))
    res = import_actuals(ws, [_csv(tmp_path / "q1-2026.csv", HEADER + lines)])
    assert res.stored and not res.errors


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _q1_2027_with_one_line_a_year_early(tmp_path: Path) -> Path:
    lines = "".join(f"2027-0{m}-12,C001,CCR,12,120000\n" for m in (1, 2, 3))
    return _csv(tmp_path / "q1-2027.csv", HEADER + lines + "2026-03-30,C003,SGR,1,9000\n")


def test_a_line_a_year_early_does_not_replace_last_years_quarter(tmp_path):
    with _workspace(tmp_path) as ws:
        _last_year_q1(ws, tmp_path)
        before = ws.store.history(years=[2026])
        res = import_actuals(ws, [_q1_2027_with_one_line_a_year_early(tmp_path)])
        assert not res.stored and [f.outcome for f in res.files] == ["rejected"]
        [p] = [p for p in res.files[0].problems if p.is_error]
        assert p.code == "import-period-shrinks" and p.file == "q1-2027.csv"
        assert "2026 Q1" in p.message and "row 5" in p.message and "--periods 2026Q1" in p.fix
        assert ws.store.history(years=[2026]).equals(before)
        assert len(ws.store.history(years=[2027])) == 0


def test_stated_periods_name_the_stray_line_and_the_good_file_is_stored(tmp_path):
    with _workspace(tmp_path) as ws:
        _last_year_q1(ws, tmp_path)
        good = _csv(tmp_path / "q2-2027.csv", HEADER + "2027-04-03,C002,SGR,3,30000\n")
        res = import_actuals(ws, [_q1_2027_with_one_line_a_year_early(tmp_path), good],
                             periods=parse_periods(["2027Q1,2027Q2"]))
        bad, ok = res.files
        assert (bad.outcome, ok.outcome) == ("rejected", "read") and res.stored
        [p] = [p for p in bad.problems if p.is_error]
        assert p.code == "import-period-not-stated" and (p.sheet, p.cell) == ("row 5", "date")
        assert "2026-03-30" in p.message and "2026Q1" in p.fix
        assert ws.store.history(years=[2026])["volume"].sum() == 60.0
        assert ws.store.history(years=[2027])["volume"].tolist() == [3.0]


def test_stating_the_quarter_replaces_it_by_less(tmp_path):
    with _workspace(tmp_path) as ws:
        _last_year_q1(ws, tmp_path)
        res = import_actuals(ws, [_q1_2027_with_one_line_a_year_early(tmp_path)],
                             periods=parse_periods(["2027Q1", "2026Q1"]))
        assert res.stored and not res.errors
        assert ws.store.history(years=[2026])["volume"].tolist() == [1.0]


def test_a_line_dated_1999_is_a_precise_problem_not_a_new_quarter(tmp_path):
    with _workspace(tmp_path) as ws:
        f = _csv(tmp_path / "q1.csv", HEADER + "2027-01-05,C001,CCR,1,1000\n1999-01-05,C001,CCR,1,1000\n")
        res = import_actuals(ws, [f])
        assert not res.stored
        [p] = [p for p in res.files[0].problems if p.is_error]
        assert p.code == "import-period-outside" and (p.file, p.sheet, p.cell) == ("q1.csv", "row 3", "date")
        assert "1999-01-05" in p.message and "2026–2027" in p.message
        assert ws.store.history(years=[1999]).empty
        assert import_actuals(ws, [f], force=True).stored  # forced: the operator says the line belongs there


def test_a_growing_quarter_needs_no_statement(tmp_path):
    with _workspace(tmp_path) as ws:
        _last_year_q1(ws, tmp_path)
        lines = "".join(f"2026-0{m}-11,{a},CCR,11,110000\n" for m in (1, 2, 3) for a in ("C001", "C002"))
        assert import_actuals(ws, [_csv(tmp_path / "again.csv", HEADER + lines)]).stored


HISTORY_HEADER = "year,quarter,account_id,product_id,volume,price\n"


def test_history_csv_follows_the_same_rules(tmp_path):
    with _workspace(tmp_path) as ws:
        full = "".join(f"2026,{q},{a},CCR,10,1000\n" for q in (1, 2, 3, 4) for a in ("C001", "C002", "C003"))
        n, problems = import_history(ws, _csv(tmp_path / "h.csv", HISTORY_HEADER + full))
        assert n == 12 and not [p for p in problems if p.is_error]
        n, problems = import_history(ws, _csv(tmp_path / "typo.csv", HISTORY_HEADER + "2026,1,C001,CCR,10,1000\n"
                                              "1999,2,C001,CCR,10,1000\n"))
        assert n == 0
        [p] = [p for p in problems if p.is_error]
        assert (p.code, p.sheet, p.cell) == ("import-period-outside", "row 3", "year")
        n, problems = import_history(ws, _csv(tmp_path / "one.csv", HISTORY_HEADER + "2026,1,C001,CCR,10,1000\n"))
        assert n == 0 and [p.code for p in problems if p.is_error] == ["import-period-shrinks"]
        assert len(ws.store.history(years=[2026])) == 12
        n, _ = import_history(ws, tmp_path / "one.csv", periods=parse_periods(["2026Q1"]))
        assert n == 1 and len(ws.store.history(years=[2026])) == 10


def test_cli_refuses_with_exit_1_and_reads_periods(tmp_path):
    with _workspace(tmp_path) as ws:
        _last_year_q1(ws, tmp_path)
    runner = CliRunner()
    bad = _q1_2027_with_one_line_a_year_early(tmp_path)
    res = runner.invoke(cli, ["-w", str(tmp_path / "ws"), "actuals", "import", str(bad)])
    assert res.exit_code == 1 and "import-period-shrinks" not in res.output and "2026 Q1" in res.output
    res = runner.invoke(cli, ["-w", str(tmp_path / "ws"), "actuals", "import", "--periods", "2027Q1,2026Q1",
                              str(bad)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["-w", str(tmp_path / "ws"), "history", "import", "--periods", "Q1", str(bad)])
    assert res.exit_code == 2 and "2027Q1" in res.output


def test_periods_are_read_strictly():
    assert parse_periods(["2027q1, 2027-Q2", "2026"]) == {(2027, 1), (2027, 2)} | {(2026, q) for q in (1, 2, 3, 4)}
    assert parse_periods([]) is None
    with pytest.raises(PeriodsError):
        parse_periods(["2027Q5"])


def _workspace_with_period_ends(tmp_path: Path) -> Workspace:
    data = yaml.safe_load(default_config_text())
    data["calendar"] = {"period_ends": ["2027-02-28", "2027-05-30", "2027-08-30", "2027-11-30"]}
    return Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True))


def test_the_rules_hold_for_quarters_by_period_end_dates(tmp_path):
    """Fiscal 2026 Q1 is 1 Dec 2025 – 28 Feb 2026: a line dated 2026-02-27 in a file of fiscal 2027 Q1
    (1 Dec 2026 – 28 Feb 2027) is a year early, and must not replace last year's Q1."""
    with _workspace_with_period_ends(tmp_path) as ws:
        last_year = "".join(f"{d},{a},CCR,10,100000\n" for d in ("2025-12-01", "2026-01-15", "2026-02-28")
                            for a in ("C001", "C002"))
        assert import_actuals(ws, [_csv(tmp_path / "q1-2026.csv", HEADER + last_year)]).stored
        before = ws.store.history(years=[2026])
        assert sorted(set(zip(before.year, before.quarter))) == [(2026, 1)]
        this_year = "".join(f"{d},C001,CCR,12,120000\n" for d in ("2026-12-01", "2027-01-20", "2027-02-28"))
        typo = _csv(tmp_path / "q1-2027.csv", HEADER + this_year + "2026-02-27,C003,SGR,1,9000\n")
        res = import_actuals(ws, [typo])
        assert not res.stored
        [p] = [p for p in res.files[0].problems if p.is_error]
        assert p.code == "import-period-shrinks" and "fiscal 2026 Q1" in p.message and "row 5" in p.message
        assert ws.store.history(years=[2026]).equals(before)
        res = import_actuals(ws, [typo], periods=parse_periods(["2027Q1"]))
        [p] = [p for p in res.files[0].problems if p.is_error]
        assert p.code == "import-period-not-stated" and "fiscal 2026 Q1 (1 Dec–28 Feb)" in p.message
        assert import_actuals(ws, [_csv(tmp_path / "ok.csv", HEADER + this_year)]).stored
        assert ws.store.history(years=[2027])["volume"].sum() == 36.0
