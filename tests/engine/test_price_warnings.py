"""Price warnings (issue 12 item 5): each line against its own product's list price, never on a pre-filled price."""
from __future__ import annotations

import pandas as pd

from kamplan.config.schema import TargetRules
from kamplan.engine.targets import default_price, last_year_lines, prefilled_prices, target_warnings

LIST = {"BIKE": 877.0, "SOCK": 29.0}  # both sold in "pcs"


def _history():
    # last year: bikes sold at about half the list price, socks well over it (a premium range)
    rows = []
    for acc, bike, sock in (("A1", 450.4, 50.2), ("A2", 880.0, 28.7), ("A3", 300.0, 12.0)):
        for q in (1, 2, 3, 4):
            rows.append({"account_id": acc, "product_id": "BIKE", "year": 2026, "quarter": q,
                         "volume": 10.0, "revenue": 10.0 * bike})
            rows.append({"account_id": acc, "product_id": "SOCK", "year": 2026, "quarter": q,
                         "volume": 200.0, "revenue": 200.0 * sock})
    return pd.DataFrame(rows)


def _targets(prices: dict) -> pd.DataFrame:
    rows = []
    for (acc, prod), price in prices.items():
        for q in (1, 2, 3, 4):
            rows.append({"account_id": acc, "product_id": prod, "quarter": q, "volume": 5.0, "price": price,
                         "src": f"Targets!K{10 + q}"})
    return pd.DataFrame(rows)


def test_untouched_prefilled_prices_never_warn_but_a_typed_price_far_under_its_own_list_does():
    ly = last_year_lines(_history(), 2026)
    pre = prefilled_prices(ly, LIST)
    assert pre[("A1", "BIKE")] == 450 and pre[("A1", "SOCK")] == 50 and pre[("A3", "SOCK")] == 12
    rules = TargetRules()  # warn 40 % under or 50 % over list
    untouched = target_warnings(_targets(pre), ly, LIST, rules, prefilled=pre)
    assert [w.code for w in untouched if w.code.startswith("price")] == []
    # without knowing what was pre-filled the same numbers would warn (the 861 warnings of issue 12)
    assert len([w for w in target_warnings(_targets(pre), ly, LIST, rules) if w.code.startswith("price")]) == 16

    typed = dict(pre)
    typed[("A2", "BIKE")] = round(877 * 0.55)  # 45 % under the bike's own list price
    typed[("A2", "SOCK")] = 29.0 * 0.65  # 35 % under the sock's: no warning
    warns = [w for w in target_warnings(_targets(typed), ly, LIST, rules, prefilled=pre) if w.code.startswith("price")]
    assert {(w.code, w.cell) for w in warns} == {("price-far-below-list", f"K{10 + q}") for q in (1, 2, 3, 4)}
    assert all("BIKE at A2" in w.message and "45% under the list price 877" in w.message for w in warns)


def test_a_line_without_last_year_starts_at_list_and_a_retyped_equal_price_is_still_prefilled():
    ly = last_year_lines(_history(), 2026)
    pre = prefilled_prices(ly, LIST)
    assert ("NEW", "BIKE") not in pre and default_price(float("nan"), 877.0) == 877.0
    warns = target_warnings(_targets({("NEW", "BIKE"): 877.0, ("A1", "BIKE"): 450.0}), ly, LIST, TargetRules(),
                            prefilled=pre)
    assert not [w for w in warns if w.code.startswith("price")]


def test_a_per_quarter_prefill_is_used_where_given():
    ly = last_year_lines(_history(), 2026)
    pre = {("A1", "BIKE", 1): 400.0, ("A1", "BIKE"): 450.0}
    warns = target_warnings(_targets({("A1", "BIKE"): 400.0}), ly, LIST, TargetRules(), prefilled=pre)
    assert sorted(w.cell for w in warns if w.code == "price-far-below-list") == ["K12", "K13", "K14"]
