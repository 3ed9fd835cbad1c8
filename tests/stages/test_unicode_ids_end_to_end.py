"""Real ids and names end to end (issue 12 items 5, 6): issue → fill → collect for josé1 and 张伟, a manager
without a region, a region id with a space, bikes and socks both in "pcs" (price warnings on own list only)."""
from __future__ import annotations

import unicodedata

import openpyxl
import pandas as pd
import pytest
import yaml

from kamplan.demo.company import demo_config_dict
from kamplan.demo.salesforce import layout_of
from kamplan.model import HISTORY_COLUMNS
from kamplan.stages.targets import collect_targets, issue_targets
from kamplan.workspace import Workspace

PRICES = {"BIKE": 877.0, "SOCK": 29.0}


def _config() -> dict:
    data = demo_config_dict(language="en")
    data["products"] = [
        {"id": "BIKE", "name": {"en": "Bicycles"}, "unit": "pcs", "list_price": PRICES["BIKE"], "standard_margin": 0.3},
        {"id": "SOCK", "name": "袜子", "unit": "pcs", "list_price": PRICES["SOCK"], "standard_margin": 0.5}]
    data["regions"] = [{"id": "North East", "name": {"en": "North East", "zh-CN": "东北"}},
                       {"id": "south", "name": {"zh-CN": "华南"}}]
    data["staff"] = [
        {"id": "josé1", "name": "José Pérez", "region": "north east", "email": "jose@example.com"},
        {"id": "张伟", "name": {"zh-CN": "张伟"}, "region": "华南", "email": "zw@example.com"},
        {"id": "王总", "name": "王总", "email": "boss@example.com"}]  # the manager: no region
    data["accounts"] = [
        {"id": "Ç-01", "name": "Ciclos Çedro", "region": "North East", "rep": "josé1", "class": "key"},
        {"id": "客户2", "name": {"zh-CN": "华南单车"}, "region": "south", "rep": "张伟", "class": "develop"},
        {"id": "K3", "name": "Grand Tour Ltd", "region": "south", "rep": "王总", "class": "key"}]
    data["support_pools"] = []
    data.pop("accounts_file", None)
    data["segmentation"] = {}
    return data


def _history() -> pd.DataFrame:
    rows = []
    # last year's average prices far from list: bikes at ~51 % of list, socks at ~172 %
    for acc, bike, sock in (("Ç-01", 450.0, 50.0), ("客户2", 700.0, 20.0)):
        for q in (1, 2, 3, 4):
            for prod, vol, price in (("BIKE", 12.0, bike), ("SOCK", 300.0, sock)):
                rows.append({"year": 2026, "quarter": q, "account_id": acc, "product_id": prod, "volume": vol,
                             "price": price, "revenue": vol * price, "gross_margin": vol * price * 0.3,
                             "cost_to_serve": 0.0, "visits": 1})
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def _fill(src, dst, typed_price: dict | None = None) -> None:
    """Type a volume in every line; keep the pre-filled prices except ``typed_price`` {(acc, prod, q): price}."""
    wb = openpyxl.load_workbook(src)
    lay = layout_of(wb)
    tg = lay.targets
    sheet = wb[tg.sheet]
    for i, (acc, prod) in enumerate(tg.row_keys):
        r = tg.first_row + i
        for q in (1, 2, 3, 4):
            sheet[tg.ref(r, f"volume_q{q}")] = 10.0
            if typed_price and (acc, prod, q) in typed_price:
                sheet[tg.ref(r, f"price_q{q}")] = typed_price[(acc, prod, q)]
    wb.save(dst)


@pytest.fixture
def ws(tmp_path):
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(_config(), allow_unicode=True, sort_keys=False)) as w:
        w.store.replace_history(_history(), source="test")
        yield w


def test_unicode_ids_go_through_issue_and_collect(ws):
    res = issue_targets(ws, round_no=1)
    names = sorted(p.name for p in ws.round_outbox(1).glob("*.xlsx"))
    assert names == sorted(["josé1_2027_r1.xlsx", "张伟_2027_r1.xlsx", "王总_2027_r1.xlsx"]), (names, res)
    cover = openpyxl.load_workbook(ws.round_outbox(1) / "王总_2027_r1.xlsx").worksheets[0]
    assert "no region" in [c.value for row in cover.iter_rows() for c in row]
    # a file coming back through a Mac (decomposed é) is still josé1's
    jose = ws.round_outbox(1) / "josé1_2027_r1.xlsx"
    _fill(jose, ws.inbox / unicodedata.normalize("NFD", "josé1_2027_r1 final.xlsx"))
    _fill(ws.round_outbox(1) / "张伟_2027_r1.xlsx", ws.inbox / "张伟_2027_r1.xlsx",
          typed_price={("客户2", "BIKE", 2): round(PRICES["BIKE"] * 0.55)})
    out = collect_targets(ws, [ws.inbox])
    assert sorted((f.rep_id, f.outcome) for f in out.files) == [("josé1", "stored"), ("张伟", "stored")], \
        [str(p) for f in out.files for p in f.problems]
    sub = ws.store.current_submission("josé1", 2027, 1)
    t = sub.targets.set_index(["account_id", "product_id", "quarter"])
    assert t.loc[("Ç-01", "BIKE", 1), "price"] == 450 and t.loc[("Ç-01", "SOCK", 3), "price"] == 50
    # untouched pre-filled prices (51 % under / 72 % over list) are no warning; the typed one is
    by_rep = {f.rep_id: f for f in out.files}
    price_warnings = {r: [p for p in f.problems if p.code.startswith("price")] for r, f in by_rep.items()}
    assert price_warnings["josé1"] == []
    [w] = price_warnings["张伟"]
    assert w.code == "price-far-below-list" and "BIKE at 客户2 in Q2 is 45% under the list price 877" in w.message


def test_the_file_name_of_a_decomposed_id_names_the_salesperson():
    from kamplan.workbooks.targets.content import rep_from_file_name, target_file_name
    staff = {"josé1", "张伟"}
    assert target_file_name("josé1", 2027, 1) == "josé1_2027_r1.xlsx"
    assert rep_from_file_name(unicodedata.normalize("NFD", "josé1_2027_r1 final(2).xlsx"), staff) == "josé1"
    assert rep_from_file_name("张伟_2027_r2.xlsx", staff) == "张伟"
