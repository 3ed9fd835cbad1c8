"""Customer profitability: cost to serve per account and per account x product, the whale curve."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamplan.periods import Period
from kamplan.engine.profitability import account_sums, add_ratios, product_lines, whale_curve
from kamplan.model import HISTORY_COLUMNS

Y = Period.year(2026)


def hist(rows) -> pd.DataFrame:
    """(account, product, volume, revenue, gross_margin, cost_to_serve, visits) in 2026 Q1."""
    return pd.DataFrame([[2026, 1, a, p, float(v), (r / v if v else 0.0), float(r), float(g), float(c), k]
                         for a, p, v, r, g, c, k in rows], columns=HISTORY_COLUMNS)


def test_account_figures_profit_and_ratios():
    h = hist([("A", "P1", 10, 1000, 300, 60, 2), ("A", "P2", 30, 1000, 100, 40, 1), ("B", "P1", 0, 0, 0, 500, 3)])
    acc = add_ratios(account_sums(h, Y))
    a, b = acc.loc["A"], acc.loc["B"]
    assert (a.volume, a.revenue, a.gross_margin, a.cost_to_serve, a.visits) == (40, 2000, 400, 100, 3)
    assert a.profit == 300 and a.profit_margin == 0.15 and a.gross_margin_rate == 0.2
    assert a.cost_to_serve_rate == 0.05 and a.visits_per_revenue == 3 / 2000 * 1e6
    assert b.profit == -500 and math.isnan(b.profit_margin) and math.isnan(b.gross_margin_rate)


def test_cost_per_visit_is_added_when_the_history_leaves_visits_out():
    h = hist([("A", "P1", 10, 1000, 300, 60, 4)])
    acc = add_ratios(account_sums(h, Y), cost_per_visit=25.0)
    assert acc.loc["A", "cost_to_serve"] == 160 and acc.loc["A", "profit"] == 140


def test_rows_outside_the_period_do_not_count():
    h = hist([("A", "P1", 10, 1000, 300, 60, 2)])
    h2 = h.assign(year=2025)
    acc = account_sums(pd.concat([h, h2]), Y)
    assert acc.loc["A", "revenue"] == 1000


@pytest.mark.parametrize("allocation, shares", [("revenue", [0.25, 0.75]), ("volume", [0.5, 0.5])])
def test_account_cost_is_split_over_products_by_the_stated_key(allocation, shares):
    h = hist([("A", "P1", 10, 1000, 300, 0, 0), ("A", "P2", 10, 3000, 600, 400, 0)])
    acc = add_ratios(account_sums(h, Y))
    lines = product_lines(h, Y, acc["cost_to_serve"], allocation).set_index("product_id")
    assert list(lines.key_share) == shares
    assert list(lines.cost_to_serve) == [400 * s for s in shares]
    assert list(lines.profit) == [300 - 400 * shares[0], 600 - 400 * shares[1]]
    assert math.isclose(lines.cost_to_serve.sum(), acc.loc["A", "cost_to_serve"])


def test_cost_is_split_evenly_when_the_account_has_no_positive_key_or_a_negative_line():
    h = hist([("A", "P1", 0, 0, 0, 90, 0), ("A", "P2", 0, 0, 0, 0, 1), ("A", "P3", 0, 0, 0, 0, 1),
              ("B", "P1", 5, -100, -10, 30, 0), ("B", "P2", 5, 400, 80, 30, 0)])
    acc = add_ratios(account_sums(h, Y))
    lines = product_lines(h, Y, acc["cost_to_serve"], "revenue")
    a = lines[lines.account_id == "A"]
    assert list(a.key_share) == [1 / 3] * 3 and math.isclose(a.cost_to_serve.sum(), 90)
    b = lines[lines.account_id == "B"]
    assert list(b.key_share) == [0.5, 0.5]  # a negative revenue line: split evenly, stated in the workbook


def test_lines_without_any_activity_are_left_out():
    h = hist([("A", "P1", 10, 1000, 300, 60, 2), ("A", "P2", 0, 0, 0, 0, 0)])
    lines = product_lines(h, Y, add_ratios(account_sums(h, Y))["cost_to_serve"])
    assert list(lines.product_id) == ["P1"]


def test_whale_curve_passes_100_percent_when_the_tail_loses_money():
    w, s = whale_curve(pd.Series({"C": -30.0, "A": 100.0, "B": 50.0, "D": 0.0}))
    assert list(w.account_id) == ["A", "B", "D", "C"] and list(w.profit_rank) == [1, 2, 3, 4]
    assert list(w.cum_profit) == [100, 150, 150, 120]
    assert w.cum_profit_share.tolist() == pytest.approx([100 / 120, 1.25, 1.25, 1.0])
    assert w.cum_account_share.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert (s.peak_share, s.peak_accounts, s.n_losing, s.loss, s.total_profit) == (1.25, 2, 1, -30, 120)
    assert s.sentence() == ("The top 2 accounts earn 125% of total profit (120 from 4 accounts); the 1 loss-making "
                            "accounts lose 30.")
    assert "前 2 家客户贡献了全部利润的 125%" in s.sentence("zh-CN")


def test_whale_curve_without_a_positive_total_has_no_percentages():
    w, s = whale_curve(pd.Series({"A": 10.0, "B": -20.0}))
    assert w.cum_profit_share.isna().all() and not s.defined and math.isnan(s.peak_share)
    assert "not positive" in s.sentence()


money = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABCDE"), st.sampled_from(["P1", "P2", "P3"]),
                          st.floats(0, 1000).map(lambda x: round(x, 1)), money, money,
                          st.floats(0, 1e5).map(lambda x: round(x, 2)), st.integers(0, 5)),
                min_size=1, max_size=30),
       st.sampled_from(["revenue", "volume"]))
def test_allocated_cost_always_adds_up_to_the_account_cost(rows, allocation):
    h = hist(rows)
    acc = add_ratios(account_sums(h, Y), cost_per_visit=10.0)
    lines = product_lines(h, Y, acc["cost_to_serve"], allocation)
    per = lines.groupby("account_id")["cost_to_serve"].sum()
    for a, cost in per.items():
        assert math.isclose(cost, acc.loc[a, "cost_to_serve"], rel_tol=1e-9, abs_tol=1e-6)
    assert (lines.key_share >= 0).all()
    assert np.allclose(lines.groupby("account_id")["key_share"].sum(), 1.0)
