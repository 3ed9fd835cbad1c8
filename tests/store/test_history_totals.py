"""store.history_totals: one year's history summed per account x product, equal to a plain sum written here,
in the dtypes issue and collect expect, and an empty frame of the same columns for a year with no history."""
from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from kamplan.model import HISTORY_COLUMNS
from kamplan.store import Store

ROWS = [  # year, quarter, account, product, volume, price, revenue, gross_margin, cost_to_serve, visits
    (2024, 1, "A2", "P1", 10.5, 1200.0, 12600.0, 2520.0, 300.0, 3.0),
    (2024, 2, "A2", "P1", 4.25, 1210.0, 5142.5, 1028.5, 120.0, 1.0),
    (2024, 3, "A1", "P2", 7.0, 999.0, 6993.0, 1048.95, 80.0, 2.0),
    (2024, 4, "A1", "P1", 1.1, 1234.5, 1357.95, 271.59, 10.0, 0.0),
    (2024, 4, "A2", "P2", 0.0, 999.0, 0.0, 0.0, 0.0, 1.0),
    (2023, 4, "A1", "P1", 99.0, 1000.0, 99000.0, 0.0, 0.0, 0.0),  # another year: not summed
]


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "plan.db") as st:
        frame = pd.DataFrame(ROWS, columns=HISTORY_COLUMNS).astype(
            {"year": "int64", "quarter": "int64", "volume": "float64", "price": "float64", "revenue": "float64",
             "gross_margin": "float64", "cost_to_serve": "float64", "visits": "float64"})
        st.replace_history(frame, "h.csv")
        yield st


def test_totals_equal_a_plain_sum_to_the_cent(store):
    got = store.history_totals(2024)
    want: dict[tuple[str, str], list[Decimal]] = {}
    for year, _, acc, prod, volume, _, revenue, *_ in ROWS:
        if year == 2024:
            sums = want.setdefault((acc, prod), [Decimal(0), Decimal(0)])
            sums[0] += Decimal(str(volume))
            sums[1] += Decimal(str(revenue))
    assert list(got.columns) == ["year", "account_id", "product_id", "volume", "revenue"]
    assert [tuple(k) for k in got[["account_id", "product_id"]].itertuples(index=False)] == sorted(want)
    for row in got.itertuples(index=False):
        volume, revenue = want[(row.account_id, row.product_id)]
        assert row.year == 2024
        assert Decimal(f"{row.volume:.6f}") == volume.quantize(Decimal("0.000001"))
        assert Decimal(f"{row.revenue:.2f}") == revenue.quantize(Decimal("0.01"))
    assert (got.dtypes["year"], got.dtypes["volume"], got.dtypes["revenue"]) == ("int64", "float64", "float64")
    assert all(isinstance(v, str) for v in got["account_id"]) and all(isinstance(v, str) for v in got["product_id"])


def test_a_year_without_history_gives_the_same_columns_empty(store):
    got = store.history_totals(2019)
    assert len(got) == 0
    assert list(got.columns) == ["year", "account_id", "product_id", "volume", "revenue"]
    assert (got.dtypes["year"], got.dtypes["volume"], got.dtypes["revenue"]) == ("int64", "float64", "float64")
