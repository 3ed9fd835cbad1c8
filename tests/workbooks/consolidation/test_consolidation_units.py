"""The consolidation never adds volumes in different units (issue 12 item 5): those Summary cells stay empty."""
from __future__ import annotations

import dataclasses

import openpyxl

from kamplan.config import config_from_dict
from kamplan.workbooks.consolidation.layout import PERIODS, WHATS, block_key
from kamplan.workbooks.consolidation.writer import write_consolidation_workbook
from support.consolidation import layout_of, small_content


def _volume_cells(path):
    lay = layout_of(path)
    tb = lay.summary
    sheet = openpyxl.load_workbook(path)[tb.sheet]
    cols = [tb.col(block_key(p, "volume", w)) + 1 for p in PERIODS for w in WHATS]
    rev = tb.col(block_key("y", "revenue", "cur")) + 1
    level_of = {"Company": "company", "Region": "region", "Salesperson": "rep", "Class": "class", "Product": "product"}
    out = {}
    r = tb.first_row + 1
    while sheet.cell(r, tb.col("id") + 1).value is not None:
        key = (level_of.get(sheet.cell(r, tb.col("level") + 1).value), sheet.cell(r, tb.col("id") + 1).value)
        out[key] = ([sheet.cell(r, c).value for c in cols], sheet.cell(r, rev).value)
        r += 1
    assert None not in {k[0] for k in out}, list(out)
    return out, sheet


def test_rows_mixing_units_leave_volume_out_and_product_rows_keep_it(tmp_path):
    content = small_content()
    data = content.config.model_dump(by_alias=True)
    data["products"][2]["unit"] = "box"  # P3 in boxes, P1 and P2 in t
    content = dataclasses.replace(content, config=config_from_dict(data))
    path = write_consolidation_workbook(tmp_path / "cons.xlsx", content)
    cells, sheet = _volume_cells(path)
    lines = content.lines
    for (level, ident), (volume, revenue) in cells.items():
        assert isinstance(revenue, str) and revenue.startswith("=")  # revenue always adds up
        col = {"region": "region_id", "rep": "rep_id", "class": "cls", "product": "product_id"}.get(level)
        mine = lines if level == "company" else lines[lines[col] == ident]
        units = {"P3": "box"}
        if len({units.get(p, "t") for p in mine["product_id"]}) > 1:
            assert volume == [None] * len(volume), (level, ident)
        else:
            assert all(isinstance(v, str) and v.startswith("=") for v in volume), (level, ident)
    assert cells[("company", "*")][0][0] is None and cells[("product", "P3")][0][0].startswith("=")
    assert "Volume is left out where products in different units" in sheet.cell(3, 1).value
    versions = layout_of(path).versions  # a version's volume total adds every unit: left out too
    vs = openpyxl.load_workbook(path)[versions.sheet]
    vol = versions.col("volume") + 1
    assert [vs.cell(r, vol).value for r in (versions.first_row + 1, versions.first_row + 2)] == [None, None]
    assert vs.cell(versions.first_row + 1, versions.col("revenue") + 1).value > 0


def test_one_unit_keeps_every_volume_total(tmp_path):
    path = write_consolidation_workbook(tmp_path / "cons.xlsx", small_content())
    cells, sheet = _volume_cells(path)
    assert all(all(isinstance(v, str) and v.startswith("=") for v in vol) for vol, _ in cells.values())
    assert "different units" not in (sheet.cell(3, 1).value or "")


def test_a_salesperson_without_a_region_is_listed_under_no_region(tmp_path):
    content = small_content()
    data = content.config.model_dump(by_alias=True)
    for s in data["staff"]:
        if s["id"] == "zhao":
            s["region"] = None  # the regional manager also carries accounts
    content = dataclasses.replace(content, config=config_from_dict(data))
    path = write_consolidation_workbook(tmp_path / "cons.xlsx", content)
    tb = layout_of(path).status
    sheet = openpyxl.load_workbook(path)[tb.sheet]
    rows = {sheet.cell(r, tb.col("rep_id") + 1).value: sheet.cell(r, tb.col("region") + 1).value
            for r in range(tb.first_row + 1, tb.first_row + 5)}
    assert rows["zhao"] == "no region" and rows["wang"] == "East"
