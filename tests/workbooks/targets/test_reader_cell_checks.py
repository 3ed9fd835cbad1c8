"""The targets reader's cell checks, many at once: every failing input cell of the fixed tables (Targets,
Visits) is named (sheet, cell, what is wrong, what to do), in sheet order, and nothing else is; unusual but
valid entries are read as typed; a sheet of many errors stops at the reader's budget.  (The reader checks a
whole column at once and words a problem only for the cells that fail: these tests hold it to the
cell-by-cell behaviour.)"""
from __future__ import annotations

import datetime as dt
import re

import openpyxl

from kamplan.demo.salesforce import layout_of
from kamplan.stages.plan import latest_submission
from kamplan.stages.targets import collect_targets
from kamplan.workbooks.targets.reader import MAX_PROBLEMS_PER_TABLE
from support.demo_fixture import demo_workspace_fixture, filled_return, with_error_value

ws = demo_workspace_fixture("en")


def _filled(ws, index=0, seed=11):
    return filled_return(ws, index, seed)


def _type(path, entries):
    """Type ``entries`` [(table key, column key, row index, value)] into the workbook at ``path``; returns
    {(sheet, ref): value} of what was typed."""
    wb = openpyxl.load_workbook(path)
    lay = layout_of(wb)
    typed = {}
    for table, key, i, value in entries:
        tb = getattr(lay, table)
        ref = tb.ref(tb.first_row + i, key)
        wb[tb.sheet][ref].value = value
        typed[(tb.sheet, ref)] = value
    wb.save(path)
    return typed, lay


def _position(ref):
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def test_every_failing_cell_of_the_fixed_tables_is_named_with_what_and_what_to_do(ws, tmp_path):
    path = _filled(ws)
    cap = ws.config.targets.max_volume_per_line
    bad = [  # (table, column, row index, value, code, words the message must hold, words the fix must hold)
        ("targets", "volume_q1", 0, "abc", "bad-value", '"abc" is not a number', "Q1 volume"),
        ("targets", "volume_q2", 0, -5.0, "negative", "-5 is below 0", "Q2 volume"),
        ("targets", "volume_q3", 1, True, "bad-value", "not a number", "Q3 volume"),
        ("targets", "price_q1", 1, 5e8, "too-large", "500000000 is above the limit", "Q1 price"),
        ("targets", "volume_q4", 2, cap * 10, "too-large", f"{int(cap * 10)}", "Q4 volume"),
        ("targets", "price_q2", 2, "1,5", "bad-value", "ambiguous", "Q2 price"),
        ("targets", "volume_q1", 3, dt.datetime(2027, 3, 1), "bad-value", "date", "Q1 volume"),
        ("targets", "volume_q2", 5, "=1+1", "formula-no-value", "formula", "'Volume Q2"),
        ("visits", "rep_visits_q1", 0, 1.5, "bad-value", "not a whole number", "'Your visits Q1"),
        ("visits", "exec_visits_q2", 1, -1, "negative", "-1 is below 0", "'Executive visits Q2"),
        ("visits", "rep_visits_q3", 2, "x", "bad-value", '"x" is not a number', "'Your visits Q3"),
    ]
    good = [  # unusual but valid: read as the number typed
        ("targets", "volume_q2", 4, "1,200.5", 1200.5),
        ("targets", "volume_q3", 4, "\uff11\uff12", 12.0),  # full-width digits
        ("targets", "volume_q4", 4, 7, 7.0),
        ("targets", "price_q4", 4, " 3000 ", 3000.0),
    ]
    typed, lay = _type(path, [b[:4] for b in bad] + [g[:4] for g in good])
    tg = lay.targets
    error_ref = tg.ref(tg.first_row + 6, "price_q3")
    with_error_value(path, 2, error_ref, tmp_path)  # Targets is the second sheet
    [f] = collect_targets(ws, [path]).files
    assert f.outcome == "rejected"
    expected = {(getattr(lay, b[0]).sheet, getattr(lay, b[0]).ref(getattr(lay, b[0]).first_row + b[2], b[1])): b
                for b in bad}
    expected[(tg.sheet, error_ref)] = ("targets", "price_q3", 6, None, "error-value", "#REF!", "plain value")
    found = {(p.sheet, p.cell): p for p in f.errors}
    assert set(found) == set(expected), [str(p) for p in f.errors]
    for where, (_, _, _, _, code, what, fix) in expected.items():
        p = found[where]
        assert p.file == path.name and p.code == code, str(p)
        assert what in p.message, str(p)
        assert fix.lower() in p.fix.lower(), str(p)
        assert str(p).startswith(f"{path.name} › {where[0]} › {where[1]}: ")
    # in sheet order, as a person reads them: sheet by sheet, row by row, left to right
    for sheet in {w[0] for w in expected}:
        cells_said = [p.cell for p in f.errors if p.sheet == sheet]
        assert cells_said == sorted(cells_said, key=_position)


def test_unusual_but_valid_entries_are_stored_as_typed(ws):
    path = _filled(ws)
    entries = [("targets", "volume_q2", 4, "1,200.5"), ("targets", "volume_q3", 4, "\uff11\uff12"),
               ("targets", "volume_q4", 4, 7), ("targets", "price_q2", 4, 8000), ("targets", "price_q3", 4, "9,000"),
               ("targets", "price_q4", 4, " 3000 "), ("visits", "rep_visits_q1", 0, "2"),
               ("visits", "exec_visits_q1", 0, 1.0), ("targets", "volume_q1", 6, ""),
               ("targets", "volume_q2", 6, None)]
    typed, lay = _type(path, entries)
    [f] = collect_targets(ws, [path]).files
    assert f.outcome == "stored", [str(p) for p in f.errors]
    sub = latest_submission(ws, f.rep_id)
    tg, vi = lay.targets, lay.visits
    acc, prod = tg.row_keys[4][0], tg.row_keys[4][1]
    line = sub.targets[(sub.targets.account_id == acc) & (sub.targets.product_id == prod)].set_index("quarter")
    assert line.loc[2, "volume"] == 1200.5 and line.loc[3, "volume"] == 12.0 and line.loc[4, "volume"] == 7.0
    assert line.loc[2, "price"] == 8000.0 and line.loc[3, "price"] == 9000.0 and line.loc[4, "price"] == 3000.0
    acc6, prod6 = tg.row_keys[6][0], tg.row_keys[6][1]
    blank = sub.targets[(sub.targets.account_id == acc6) & (sub.targets.product_id == prod6)].set_index("quarter")
    assert blank.loc[1, "volume"] == 0.0 and blank.loc[2, "volume"] == 0.0  # empty cells plan nothing
    visits = sub.visits[sub.visits.account_id == vi.row_keys[0][0]].set_index("quarter")
    assert visits.loc[1, "rep_visits"] == 2 and visits.loc[1, "exec_visits"] == 1


def test_a_sheet_of_many_errors_stops_at_the_budget_and_says_so(ws):
    path = _filled(ws)
    wb = openpyxl.load_workbook(path)
    tg = layout_of(wb).targets
    wb.close()
    keys = [f"volume_q{q}" for q in range(1, 5)]
    n_rows = min(tg.n_rows, (MAX_PROBLEMS_PER_TABLE + 40) // 4 + 1)
    entries = [("targets", k, i, "x") for i in range(n_rows) for k in keys]
    assert len(entries) > MAX_PROBLEMS_PER_TABLE
    _type(path, entries)
    [f] = collect_targets(ws, [path]).files
    said = [p for p in f.errors if p.sheet == tg.sheet]
    assert len(said) == MAX_PROBLEMS_PER_TABLE
    listed, last = said[:-1], said[-1]
    assert last.code == "too-many-problems" and last.cell is None
    # the first cells in sheet order are the ones listed, each named
    want = [tg.ref(tg.first_row + i, k) for i in range(n_rows) for k in keys][:MAX_PROBLEMS_PER_TABLE - 1]
    assert [p.cell for p in listed] == want
    assert all(p.code == "bad-value" and '"x" is not a number' in p.message for p in listed)
