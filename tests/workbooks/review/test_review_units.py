"""The account review never adds volumes in different units (issue 12 item 5)."""
from __future__ import annotations

import json
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
import yaml

from kamplan.demo.company import demo_config_dict
from kamplan.model import HISTORY_COLUMNS
from kamplan.stages.review import segment_accounts
from kamplan.workspace import Workspace

# (account, product, volume per quarter, price)
LINES = [("A1", "ROLL", 10.0, 15000.0), ("A1", "BOLT", 40.0, 90.0), ("A2", "ROLL", 4.0, 16000.0),
         ("A3", "BOLT", 300.0, 80.0)]


def _config(products: list[dict], units: dict | None = None, segmentation: dict | None = None) -> dict:
    data = demo_config_dict(language="en")
    data["products"] = products
    data["regions"] = [{"id": "North East", "name": "North East"}]
    data["staff"] = [{"id": "josé1", "name": "José", "region": "North East", "email": "j@example.com"},
                     {"id": "boss", "name": "王总", "email": "b@example.com"}]
    data["accounts"] = [{"id": a, "name": f"Customer {a}", "region": "North East", "rep": "josé1"}
                        for a in ("A1", "A2", "A3")]
    data["support_pools"] = []
    data["segmentation"] = segmentation or {"pareto": {"measure": "volume", "size_threshold": 50},
                                            "profitability": {"allocation": "volume"}}
    if units:
        data["units"] = units
    return data


def _history(lines) -> pd.DataFrame:
    rows = [{"year": y, "quarter": q, "account_id": a, "product_id": p, "volume": v, "price": pr, "revenue": v * pr,
             "gross_margin": v * pr * 0.25, "cost_to_serve": 100.0, "visits": 1}
            for y in (2025, 2026) for q in (1, 2, 3, 4) for a, p, v, pr in lines]
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


ROLL = {"id": "ROLL", "name": "Rolls", "unit": "t", "list_price": 16000, "standard_margin": 0.25}
BOLT = {"id": "BOLT", "name": "Bolts", "unit": "box", "list_price": 90, "standard_margin": 0.25}


def _review(tmp_path, data, lines=LINES):
    ws = Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    ws.store.replace_history(_history(lines), source="test")
    return ws, segment_accounts(ws, year=2026)


def _accounts_sheet(path):
    from kamplan.workbooks.review.layout import rt
    return openpyxl.load_workbook(path)[rt("sheet.ranking", "en")]


def test_units_that_do_not_add_rank_by_revenue_and_leave_volume_out(tmp_path):
    ws, res = _review(tmp_path, _config([ROLL, BOLT]))
    with ws:
        seg = res.segmentation
        assert seg.measure == "revenue" and seg.unit == "" and seg.mixed_units == ("t", "box")
        cells = {p.cell: p for p in res.problems if p.code == "mixed-units"}
        assert set(cells) == {"segmentation.pareto.measure", "segmentation.profitability.allocation"}
        assert "size_threshold" in cells["segmentation.pareto.measure"].message
        assert cells["segmentation.pareto.measure"].file == ws.config_path.name
        # ranked by revenue: A1 (4 x (150,000 + 3,600)) before A2 (4 x 64,000) before A3 (4 x 24,000)
        assert list(seg.accounts.index) == ["A1", "A2", "A3"]
        data = res.to_dict("en")
        data.pop("problems")  # Problems are the front end's to encode
        data = json.loads(json.dumps(data, allow_nan=False))  # no NaN for the left-out volume
        by_id = {a["account_id"]: a for a in data["accounts"]}
        assert by_id["A1"]["volume"] is None
        assert by_id["A1"]["volume_by_unit"] == {"box": 160.0, "t": 40.0}
        assert by_id["A3"]["volume_by_unit"] == {"box": 1200.0}
        assert data["volume_units"] == ["t", "box"] and data["measure"] == "revenue"
        sheet = _accounts_sheet(res.path)
        heads = [c.value for c in sheet[6]]
        col = heads.index("Volume") + 1
        assert [sheet.cell(r, col).value for r in range(7, 10)] == [None, None, None]
        notes = [sheet.cell(r, 1).value for r in (3, 4)]
        assert any(n and "different units (t, box)" in n for n in notes), notes


def test_a_conversion_puts_the_volume_in_one_unit(tmp_path):
    # 1 box = 0.05 t (a product-specific factor)
    bolt = {**BOLT, "unit_factor": {"t": 0.05}}
    ws, res = _review(tmp_path, _config([ROLL, bolt]))
    with ws:
        seg = res.segmentation
        assert seg.measure == "volume" and seg.unit == "t" and seg.mixed_units == ()
        assert not [p for p in res.problems if p.code == "mixed-units"]
        data = res.to_dict("en")
        by_id = {a["account_id"]: a for a in data["accounts"]}
        expected = {a: sum(Decimal(str(v)) * (Decimal("0.05") if p == "BOLT" else 1) * 4 for x, p, v, _ in LINES
                           if x == a) for a in ("A1", "A2", "A3")}
        assert {a: Decimal(str(round(r["volume"], 9))) for a, r in by_id.items()} == expected
        assert by_id["A1"]["volume_by_unit"] == {"t": pytest.approx(48.0)}
        assert list(seg.accounts.index) == ["A3", "A1", "A2"]  # 60 t, 48 t, 16 t


def test_bikes_and_socks_in_one_unit_are_ranked_by_revenue_with_volume_in_pcs(tmp_path):
    bike = {"id": "BIKE", "name": "Bikes", "unit": "pcs", "list_price": 877, "standard_margin": 0.3}
    sock = {"id": "SOCK", "name": "Socks", "unit": "pcs", "list_price": 29, "standard_margin": 0.5}
    lines = [("A1", "BIKE", 20.0, 850.0), ("A2", "SOCK", 400.0, 29.0), ("A3", "BIKE", 2.0, 900.0),
             ("A3", "SOCK", 20.0, 30.0)]
    ws, res = _review(tmp_path, _config([bike, sock], segmentation={"pareto": {"measure": "volume"}}), lines)
    with ws:
        seg = res.segmentation
        assert seg.measure == "revenue" and seg.unit == "pcs" and seg.mixed_units == ()
        [p] = [p for p in res.problems if p.code == "mixed-units"]
        assert "far apart" in p.message
        # by pieces A2 (1,600 pcs of socks) would lead; by revenue A1 (68,000 against 46,400) does
        assert list(seg.accounts.index) == ["A1", "A2", "A3"]
        assert {a["account_id"]: a["volume"] for a in res.to_dict()["accounts"]} == {"A1": 80.0, "A2": 1600.0,
                                                                                     "A3": 88.0}
