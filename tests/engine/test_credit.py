"""Credit shares of account teams: the owner's remainder, per-product shares, full-credit roles, and
money that adds up to the cent."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamplan.engine.credit import credit_shares, credited, empty_team, largest_remainder_cents

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def team(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["account_id", "salesperson_id", "role", "product_id", "share"])


LINES = pd.DataFrame({"account_id": ["A1", "A1", "A2"], "product_id": ["P1", "P2", "P1"]})


def share_of(credit, account, product, person):
    row = credit[(credit["account_id"] == account) & (credit["product_id"] == product)
                 & (credit["salesperson_id"] == person)]
    return list(row["share"])


def test_without_a_team_the_owner_gets_everything():
    c = credit_shares(LINES, empty_team(), {"A1": "R1", "A2": "R2"})
    assert list(zip(c["account_id"], c["product_id"], c["salesperson_id"], c["share"])) == [
        ("A1", "P1", "R1", 1.0), ("A1", "P2", "R1", 1.0), ("A2", "P1", "R2", 1.0)]
    assert list(c.columns[:4]) == ["account_id", "product_id", "salesperson_id", "share"]


def test_member_share_for_all_products_and_the_owner_gets_the_remainder():
    c = credit_shares(LINES, team(("A1", "R2", "member", "", 0.3)), {"A1": "R1", "A2": "R2"})
    assert share_of(c, "A1", "P1", "R1") == [0.7] and share_of(c, "A1", "P1", "R2") == [0.3]
    assert share_of(c, "A1", "P2", "R1") == [0.7] and share_of(c, "A1", "P2", "R2") == [0.3]
    assert share_of(c, "A2", "P1", "R2") == [1.0]  # R2 owns A2; A1's team does not reach it


def test_a_product_share_overrides_the_all_products_share_of_the_same_member():
    t = team(("A1", "R2", "member", "", 0.3), ("A1", "R2", "member", "P2", 0.5))
    c = credit_shares(LINES, t, {"A1": "R1", "A2": "R2"})
    assert share_of(c, "A1", "P1", "R2") == [0.3] and share_of(c, "A1", "P1", "R1") == [0.7]
    assert share_of(c, "A1", "P2", "R2") == [0.5] and share_of(c, "A1", "P2", "R1") == [0.5]


def test_per_product_credit_leaves_other_products_to_the_owner():
    c = credit_shares(LINES, team(("A1", "R3", "technical", "P2", 0.4)), {"A1": "R1", "A2": "R2"})
    assert share_of(c, "A1", "P1", "R3") == [] and share_of(c, "A1", "P1", "R1") == [1.0]
    assert share_of(c, "A1", "P2", "R3") == [0.4] and share_of(c, "A1", "P2", "R1") == [0.6]


def test_full_credit_roles_get_everything_outside_the_hundred_percent():
    t = team(("A1", "R2", "member", "", 0.3), ("A1", "R9", "overlay", "", 0.0))
    c = credit_shares(LINES, t, {"A1": "R1", "A2": "R2"})
    assert share_of(c, "A1", "P1", "R9") == [1.0]
    over = c[c["salesperson_id"] == "R9"]
    assert over["full_credit"].all() and not c[c["salesperson_id"] != "R9"]["full_credit"].any()
    counted = c[~c["full_credit"]].groupby(["account_id", "product_id"])["share"].agg(math.fsum)
    assert (counted == 1.0).all()
    # another full-credit role set: the overlay is then an ordinary member with share 0
    c2 = credit_shares(LINES, t, {"A1": "R1"}, full_credit_roles=["service"])
    assert share_of(c2, "A1", "P1", "R9") == [0.0] and share_of(c2, "A1", "P1", "R1") == [0.7]


def test_members_above_one_hundred_percent_are_refused_with_the_line():
    t = team(("A1", "R2", "member", "", 0.6), ("A1", "R3", "member", "P1", 0.5))
    with pytest.raises(ValueError, match="account A1 product P1.*110.00%"):
        credit_shares(LINES, t, {"A1": "R1"})


def test_an_account_without_owner_is_credited_to_nobody_but_kept():
    c = credit_shares(LINES, empty_team(), {"A1": "R1"})
    assert share_of(c, "A2", "P1", "") == [1.0]


def test_credited_money_adds_up_to_the_line_to_the_cent():
    frame = pd.DataFrame({"account_id": ["A1", "A1"], "product_id": ["P1", "P2"], "revenue": [1000.01, 333.33]})
    t = team(("A1", "R2", "member", "", 1 / 3), ("A1", "R9", "overlay", "", 1.0))
    c = credited(frame, credit_shares(frame, t, {"A1": "R1"}), ["revenue"])
    counted = c[~c["full_credit"]]
    for product, want in (("P1", "1000.01"), ("P2", "333.33")):
        parts = counted[counted["product_id"] == product]["revenue"]
        assert largest_remainder_cents(parts).sum() == int(Decimal(want) * 100)
    assert c[c["salesperson_id"] == "R9"]["revenue"].tolist() == [1000.01, 333.33]


def test_largest_remainder_gives_the_left_over_cents_to_the_largest_remainders():
    parts = [0.333, 0.333, 0.334]  # 1.00 in all; floors 33, 33, 33 -> the last cent to the biggest remainder
    assert largest_remainder_cents(parts).tolist() == [33, 33, 34]
    assert largest_remainder_cents([10.005, 10.005], total=20.01).tolist() == [1001, 1000]
    with pytest.raises(ValueError):
        largest_remainder_cents([1.0, 2.0], total=100.0)


# -- properties ---------------------------------------------------------------------------------------
@st.composite
def teams(draw):
    accounts = [f"A{i}" for i in range(draw(st.integers(1, 5)))]
    products = [f"P{i}" for i in range(draw(st.integers(1, 4)))]
    people = [f"R{i}" for i in range(6)]
    lines = pd.DataFrame([(a, p) for a in accounts for p in products if draw(st.booleans())] or
                         [(accounts[0], products[0])], columns=["account_id", "product_id"])
    owners = {a: draw(st.sampled_from(people)) for a in accounts}
    rows = []
    for a in accounts:
        others = [p for p in people if p != owners[a]]
        members = draw(st.lists(st.sampled_from(others), unique=True, max_size=4))
        for m in members:
            role = draw(st.sampled_from(["member", "technical", "service", "overlay"]))
            product = draw(st.sampled_from(["", *products]))
            # whole permille shares: any four of them stay within 100% when each is at most 25%
            rows.append((a, m, role, product, draw(st.integers(0, 250)) / 1000))
    return lines, team(*rows) if rows else empty_team(), owners


@SETTINGS
@given(teams())
def test_shares_of_counted_roles_add_to_exactly_one_per_line(case):
    lines, t, owners = case
    c = credit_shares(lines, t, owners)
    keys = set(zip(lines["account_id"], lines["product_id"]))
    assert set(zip(c["account_id"], c["product_id"])) == keys
    counted = c[~c["full_credit"]]
    sums = counted.groupby(["account_id", "product_id"])["share"].agg(math.fsum)
    assert len(sums) == len(keys) and (sums == 1.0).all()
    assert (c["share"] >= 0).all()
    assert (c[c["full_credit"]]["share"] == 1.0).all()
    # exactly one owner row per line, and it is the account's owner
    owner_rows = c[c["role"] == "owner"]
    assert len(owner_rows) == len(keys)
    assert all(owners[a] == s for a, s in zip(owner_rows["account_id"], owner_rows["salesperson_id"]))


@SETTINGS
@given(teams(), st.lists(st.integers(-10**9, 10**9), min_size=1, max_size=40))
def test_credited_cents_reconcile_with_the_company_total_by_decimal(case, amounts_in_cents):
    lines, t, owners = case
    frame = lines.copy()
    frame["revenue"] = [amounts_in_cents[i % len(amounts_in_cents)] / 100 for i in range(len(frame))]
    c = credited(frame, credit_shares(frame, t, owners), ["revenue"])
    counted = c[~c["full_credit"]]
    per_person = counted.groupby("salesperson_id")["revenue"].sum()
    company = sum(Decimal(str(r)) for r in frame["revenue"])
    rounded = largest_remainder_cents(per_person.to_numpy(), total=float(company))
    assert int(rounded.sum()) == int((company * 100).quantize(Decimal(1), ROUND_HALF_UP))
    # at full precision every person's part is within a cent of its rounded value
    assert np.all(np.abs(per_person.to_numpy() * 100 - rounded) < 1.0 + 1e-6)


def test_erp_salesperson_lines_count_for_that_person_and_others_by_the_team():
    from kamplan.engine.credit import credit_actuals
    lines = pd.DataFrame({"quarter": [1, 1, 2], "account_id": ["A1", "A1", "A1"], "product_id": ["P1", "P1", "P1"],
                          "salesperson_id": ["R5", None, None], "revenue": [100.0, 200.0, 10.0]})
    t = team(("A1", "R2", "member", "", 0.25), ("A1", "R9", "overlay", "", 0.0))
    c = credit_actuals(lines, t, {"A1": "R1"}, amounts=["revenue"])
    got = c.groupby(["quarter", "salesperson_id"])["revenue"].sum().to_dict()
    assert got == {(1, "R5"): 100.0, (1, "R1"): 150.0, (1, "R2"): 50.0, (1, "R9"): 300.0,
                   (2, "R1"): 7.5, (2, "R2"): 2.5, (2, "R9"): 10.0}
    counted = c[~c["full_credit"]]
    assert math.fsum(counted["revenue"]) == math.fsum(lines["revenue"])
    assert set(c[c["salesperson_id"] == "R5"]["role"]) == {"erp"}
