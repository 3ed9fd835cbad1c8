"""ERP lines with a salesperson column: credited to that person, unknown codes reported, the rest by the
account team; names shared by two accounts are reported as ambiguous with the candidates."""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pandas as pd
import yaml

from kamplan.engine.credit import credit_actuals
from kamplan.stages.actuals import import_actuals
from kamplan.workspace import Workspace

from support.teams import team_config_dict

# A1 (owner r1, r2 30%, r4 overlay), A2 (owner r2, r3 40% of P2), A3 (owner r3)
ERP = ("\ufeff开票日期,客户编码,产品编码,数量,金额,业务员\n"
       "2026-01-05,A1,P1,10,1000.01,S-02\n"     # alias S-02 -> r2
       "2026-01-06,A1,P1,3,333.33,\n"           # no salesperson: r1 70%, r2 30%, r4 overlay
       "2026-02-10,A2,P2,5,500.05,r3\n"
       "2026-02-11,A2,P2,1,100.00,\n"           # r2 60%, r3 40%
       "2026-03-01,A3,P1,2,200.02,Rep 3\n"      # by name
       "2026-03-02,A3,P1,7,700.07,ghost\n")     # unknown code: unmatched, with the reason


def workspace(tmp_path, **extra) -> Workspace:
    data = team_config_dict()
    data["actuals"] = {"aliases": {"salespeople": {"S-02": "r2"}}}
    data.update(extra)
    return Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True))


def test_lines_with_a_salesperson_count_for_that_person_and_unknown_codes_are_unmatched(tmp_path):
    f = tmp_path / "erp.csv"
    f.write_text(ERP, encoding="utf-8")
    with workspace(tmp_path) as ws:
        res = import_actuals(ws, [f], now=dt.datetime(2026, 4, 1))
        assert not res.errors and res.stored
        [file] = res.files
        assert (file.lines, file.matched, file.unmatched) == (6, 5, 1)
        [ghost] = file.unmatched_values
        assert (ghost.what, ghost.value, ghost.first_row, ghost.reason()) == ("salesperson", "ghost", 7,
                                                                               "salesperson not known")
        assert "actuals.aliases.salespeople" in ghost.fix()
        listed = pd.read_csv(res.unmatched_path, encoding="utf-8-sig")
        assert listed[["row", "salesperson", "reason"]].values.tolist() == [[7, "ghost", "salesperson not known"]]

        split = ws.store.actuals_by_salesperson([2026])
        got = {(a, p, s): r for a, p, s, r in zip(split["account_id"], split["product_id"], split["salesperson_id"],
                                                  split["revenue"])}
        assert got == {("A1", "P1", "r2"): 1000.01, ("A1", "P1", None): 333.33, ("A2", "P2", "r3"): 500.05,
                       ("A2", "P2", None): 100.0, ("A3", "P1", "r3"): 200.02}
        history = ws.store.history([2026])
        assert math.fsum(split["revenue"]) == math.fsum(history["revenue"])

        credit = credit_actuals(split, ws.store.account_team(), {a.id: a.rep for a in ws.config.accounts},
                                ws.config.teams.full_credit_roles)
        per_person = credit[~credit["full_credit"]].groupby("salesperson_id")["revenue"].sum()
        # independent: the ERP lines by hand, shares applied in Decimal
        d = Decimal
        want = {"r1": d("333.33") * d("0.7"), "r2": d("1000.01") + d("333.33") * d("0.3") + d("100.00") * d("0.6"),
                "r3": d("500.05") + d("100.00") * d("0.4") + d("200.02")}
        for person, amount in want.items():
            assert abs(d(repr(float(per_person[person]))) - amount) < d("0.000001"), person
        company = d("1000.01") + d("333.33") + d("500.05") + d("100.00") + d("200.02")
        assert round(d(repr(math.fsum(per_person))), 2) == company == round(d(repr(math.fsum(history["revenue"]))), 2)
        overlay = credit[credit["full_credit"]]
        assert set(overlay["salesperson_id"]) == {"r4"}
        assert math.fsum(overlay["revenue"]) == 1000.01 + 333.33


def test_a_file_without_a_salesperson_column_is_credited_by_the_team(tmp_path):
    f = tmp_path / "erp.csv"
    f.write_text("date,customer,product,quantity,amount\n2026-01-05,A1,P1,1,10.00\n", encoding="utf-8")
    with workspace(tmp_path) as ws:
        res = import_actuals(ws, [f], now=dt.datetime(2026, 4, 1))
        assert res.stored
        split = ws.store.actuals_by_salesperson([2026])
        assert split["salesperson_id"].tolist() == [None] and split["revenue"].tolist() == [10.0]


def test_a_customer_name_shared_by_two_accounts_is_ambiguous_with_the_candidates(tmp_path):
    data = team_config_dict()
    data["accounts"][1]["name"] = {"en": "Acme", "zh-CN": "Acme 二厂"}  # A2 shares A1's English name
    f = tmp_path / "erp.csv"
    f.write_text("date,customer,product,quantity,amount\n2026-01-05,Acme,P1,1,10.00\n"
                 "2026-01-06,Nobody Ltd,P1,1,5.00\n", encoding="utf-8")
    with Workspace.init(tmp_path / "ws", yaml.safe_dump(data, allow_unicode=True)) as ws:
        res = import_actuals(ws, [f], now=dt.datetime(2026, 4, 1))
        [file] = res.files
        values = {u.value: u for u in file.unmatched_values}
        assert values["Acme"].candidates == ["A1", "A2"]
        assert values["Acme"].reason() == "customer ambiguous: A1, A2"
        assert "A1, A2" in values["Acme"].fix()
        assert values["Nobody Ltd"].reason() == "customer not in the plan"
        listed = pd.read_csv(res.unmatched_path, encoding="utf-8-sig")
        assert listed["reason"].tolist() == ["customer ambiguous: A1, A2", "customer not in the plan"]
