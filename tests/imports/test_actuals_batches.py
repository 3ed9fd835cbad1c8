"""An ERP export read in batches (``imports.actuals.BATCH_LINES``) gives what reading it at once gives: the
same sums, the same problems naming the same rows, the same unmatched lines; and the per-unit volumes."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import yaml

from kamplan.config import config_from_dict
from kamplan.imports import actuals as erp
from kamplan.workspace import default_config_text

HEADER = "开票日期,客户编码,产品编码,数量,金额,成本\n"
GOOD = [("2027-01-05", "C001", "CCR", "10", "100000.10", "70000"), ("2027-02-10", "C001", "CCR", "5", "52000.05", ""),
        ("2027-03-31", "C002", "SGR", "2.5", "20000.33", "15000"), ("2027-01-07", "X999", "CCR", "3", "30000", "21000"),
        ("2027-05-08", "C003", "ZZZ", "4", "4000", "3000"), ("2027/06/09", " C002 ", "SGR", "1.5", "9000", "")]


def _config():
    return config_from_dict(yaml.safe_load(default_config_text()))


def _write(path: Path, rows) -> Path:
    path.write_text(HEADER + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _read(path: Path, batch: int, monkeypatch, date_cache: int = 200_000, config=None):
    monkeypatch.setattr(erp, "BATCH_LINES", batch)
    monkeypatch.setattr(erp, "_MERGE_EVERY", 2)
    monkeypatch.setattr(erp, "_DATE_CACHE", date_cache)
    return erp.read_erp_file(path, config or _config())


def test_sums_and_unmatched_lines_do_not_depend_on_the_batch_size(tmp_path, monkeypatch):
    rows = [GOOD[i % len(GOOD)] for i in range(61)]
    f = _write(tmp_path / "lines.csv", rows)
    whole, p1 = _read(f, 1_000_000, monkeypatch)
    small, p2 = _read(f, 4, monkeypatch)
    assert [str(p) for p in p1] == [str(p) for p in p2]
    key = ["year", "quarter", "account_id", "product_id", "no_cost"]
    # several rows per key (one per month and raw spelling): compare the key's totals
    a, b = (s.group_by(key).agg(pl.col("volume", "revenue", "cost").sum()).sort(key) for s in (whole.sums, small.sums))
    assert a.select(key).equals(b.select(key))
    for c in ("volume", "revenue", "cost"):
        assert all(abs(x - y) < 1e-6 for x, y in zip(a[c], b[c]))
    # independent: the matched revenue of C001/CCR in Q1, to the cent, from the rows themselves
    expect = sum(Decimal(r[4]) for r in rows if r[1] == "C001" and r[2] == "CCR")
    got = Decimal(str(round(b.filter((pl.col("account_id") == "C001")).get_column("revenue").sum(), 2)))
    assert got == expect
    assert whole.unmatched_lines.sort("row").equals(small.unmatched_lines.sort("row"))
    assert small.unmatched_lines["row"].to_list() == [i + 2 for i, r in enumerate(rows) if r[1] == "X999" or r[2] == "ZZZ"]
    assert (whole.lines, whole.matched, whole.first_rows) == (small.lines, small.matched, small.first_rows)


def test_a_damaged_line_far_down_is_a_clear_problem(tmp_path, monkeypatch):
    rows = [GOOD[0]] * 20 + [GOOD[0] + ("extra",)]
    _, found = _read(_write(tmp_path / "ragged.csv", rows), 4, monkeypatch)
    assert [p.id for p in found] == ["import.csv-unreadable"] and found[0].is_error


def test_bad_values_in_later_batches_are_reported_with_their_rows(tmp_path, monkeypatch):
    rows = [GOOD[0]] * 9 + [("2027-13-45", "C001", "CCR", "1", "1", "1")] + [GOOD[2]] * 5 \
        + [("2027-01-05", "C001", "CCR", "abc", "1", "1")] + [("2027-01-05", "", "CCR", "1", "1", "1")]
    f = _write(tmp_path / "bad.csv", rows)
    whole, p1 = _read(f, 1_000_000, monkeypatch)
    small, p2 = _read(f, 3, monkeypatch)
    assert [str(p) for p in p1] == [str(p) for p in p2]
    text = " | ".join(str(p) for p in p2)
    for row in (11, 17, 18):  # the header is row 1
        assert str(row) in text, text
    assert any(p.is_error for p in p2) and small.lines == len(rows)


def test_the_stored_volume_is_reported_per_unit(tmp_path):
    from kamplan.stages.actuals import import_actuals
    from kamplan.workspace import Workspace
    data = yaml.safe_load(default_config_text())
    data["products"][1]["unit"] = "pcs"
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True)) as ws:
        [ccr, sgr] = [p.id for p in ws.config.products]
        f = _write(tmp_path / "units.csv", [("2027-01-05", "C001", ccr, "10", "1000", "700"),
                                             ("2027-01-06", "C002", sgr, "40", "400", "300"),
                                             ("2027-01-07", "C001", ccr, "2.5", "250", "")])
        res = import_actuals(ws, [f])
        assert res.stored, res.all_problems()
        assert res.volume_stored_by_unit == {"pcs": 40.0, "t": 12.5}


def test_a_bad_date_seen_in_an_earlier_batch_is_reported_again_and_a_full_date_cache_changes_nothing(
        tmp_path, monkeypatch):
    # the date texts are parsed once per file: a text found unreadable in the first batch must still
    # fail its later lines, and a cache emptied when full (timestamps) must give the same result
    bad = ("2027-13-45", "C001", "CCR", "1", "1", "1")
    rows = [bad] + [GOOD[i % len(GOOD)] for i in range(12)] + [bad]
    f = _write(tmp_path / "dates.csv", rows)
    whole, p1 = _read(f, 1_000_000, monkeypatch)
    small, p2 = _read(f, 3, monkeypatch, date_cache=2)
    assert [str(p) for p in p1] == [str(p) for p in p2]
    bad_rows = [p for p in p2 if p.id == "import.bad-value"]
    assert len(bad_rows) == 2 and all("2027-13-45" in str(p) for p in bad_rows)
    assert "row 2" in str(bad_rows[0]) and f"row {len(rows) + 1}" in str(bad_rows[1])
    good = [GOOD[i % len(GOOD)] for i in range(40)]
    g = _write(tmp_path / "good.csv", good)
    whole, _ = _read(g, 1_000_000, monkeypatch)
    small, _ = _read(g, 3, monkeypatch, date_cache=2)
    key = ["year", "quarter", "account_id", "product_id", "no_cost"]
    assert whole.sums.sort(key).equals(small.sums.sort(key)) or (
        whole.sums.group_by(key).agg(pl.col("revenue").sum().round(2)).sort(key).equals(
            small.sums.group_by(key).agg(pl.col("revenue").sum().round(2)).sort(key)))
    assert whole.first_rows == small.first_rows and whole.months.sort(whole.months.columns).equals(
        small.months.sort(small.months.columns))


def test_unmatched_lines_name_every_line_of_a_value_not_in_the_plan_spaces_and_salespeople_included(
        tmp_path, monkeypatch):
    # the unmatched lines come from the one read: each distinct value is looked up once, so the same
    # value written with spaces, and a salesperson not in the plan, must still name all their lines
    data = yaml.safe_load(default_config_text())
    config = config_from_dict(data)
    staff = config.staff[0].id
    header = "开票日期,客户编码,产品编码,数量,金额,成本,业务员\n"
    rows = [("2027-01-05", "C001", "CCR", "1", "10", "7", staff), ("2027-01-06", " X999 ", "CCR", "2", "20", "14", staff),
            ("2027-01-07", "X999", "SGR", "3", "30", "21", staff), ("2027-01-08", "C002", "SGR", "4", "40", "28", "NOBODY"),
            ("2027-01-09", "C002", "ZZZ", "5", "50", "35", ""), ("2027-01-10", "C003", "CCR", "6", "60", "42", staff)] * 3
    f = tmp_path / "sp.csv"
    f.write_text(header + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    out, problems = _read(f, 4, monkeypatch, config=config)
    assert not any(p.is_error for p in problems), problems
    expect = [i + 2 for i, r in enumerate(rows) if r[1].strip() == "X999" or r[2] == "ZZZ" or r[6] == "NOBODY"]
    assert out.unmatched_lines["row"].to_list() == expect
    reasons = dict(zip(out.unmatched_lines["row"].to_list(), out.unmatched_lines["reason"].to_list()))
    assert reasons[3] == "customer not in the plan" and reasons[5] == "salesperson not known"
    assert reasons[6] == "product not in the plan"
    assert out.unmatched_lines["amount"].sum() == sum(float(rows[r - 2][4]) for r in expect)
