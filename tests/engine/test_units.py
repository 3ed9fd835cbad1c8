"""Units never mix (issue 12 item 5): volume adds up only within one unit or through a configured conversion."""
from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from kamplan.engine.units import UnitSystem, format_totals, mixed_groups, single_volume, volume_totals

BIKES_SOCKS = UnitSystem({"BIKE": "pcs", "SOCK": "pcs"}, list_prices={"BIKE": 877.0, "SOCK": 29.0})


def _lines(rows):
    return pd.DataFrame(rows, columns=["account_id", "product_id", "volume"])


def test_same_unit_adds_up_and_different_units_stay_apart():
    units = UnitSystem({"ROLL": "t", "BOLT": "box", "NUT": "box"})
    lines = _lines([("A", "ROLL", 1.5), ("A", "BOLT", 3), ("B", "BOLT", 2), ("B", "NUT", 0.25), ("A", "ROLL", 0.1)])
    t = volume_totals(lines, units, ["account_id"])
    assert t.to_dict("records") == [
        {"account_id": "A", "unit": "box", "volume": 3.0, "mixed": True},
        {"account_id": "A", "unit": "t", "volume": pytest.approx(1.6), "mixed": True},
        {"account_id": "B", "unit": "box", "volume": 2.25, "mixed": False}]
    assert mixed_groups(lines, units, ["account_id"]) == {"A"}
    assert single_volume(lines, units) is None
    assert single_volume(lines[lines["account_id"] == "B"], units) == (2.25, "box")
    assert format_totals(t[t["account_id"] == "A"]) == "3 box + 2 t"


def test_a_conversion_joins_units_both_ways_and_through_chains():
    units = UnitSystem({"CASE12": "case", "LOOSE": "pcs", "DOZ": "dozen"},
                       conversions={"case": {"pcs": 12}, "dozen": {"pcs": 12}}, total_unit="pcs")
    lines = _lines([("A", "CASE12", 2), ("A", "LOOSE", 5), ("A", "DOZ", 1)])
    assert single_volume(lines, units) == (2 * 12 + 5 + 12, "pcs")
    assert units.factor(None, "case", "dozen") == 1.0
    assert units.factor(None, "pcs", "case") == pytest.approx(1 / 12)
    assert units.factor(None, "pcs", "t") is None


def test_a_products_own_factor_wins_over_the_general_conversion():
    units = UnitSystem({"C12": "case", "C24": "case", "P": "pcs"}, conversions={"case": {"pcs": 12}},
                       product_factors={"C24": {"pcs": 24}}, total_unit="pcs")
    lines = _lines([("A", "C12", 1), ("A", "C24", 1), ("A", "P", 1)])
    assert single_volume(lines, units) == (12 + 24 + 1, "pcs")
    # without a total unit: the first product's unit everything converts to (1 pc = 1/12 case)
    lines = _lines([("A", "C12", 1), ("A", "P", 6)])
    total, unit = single_volume(lines, UnitSystem(units.product_units, units.conversions))
    assert unit == "case" and total == pytest.approx(float(Decimal(1) + Decimal(6) / Decimal(12)))


def test_bikes_and_socks_share_a_unit_but_are_not_comparable_by_volume():
    assert BIKES_SOCKS.common_unit(["BIKE", "SOCK"]) == "pcs"
    assert not BIKES_SOCKS.comparable_by_volume(["BIKE", "SOCK"])
    assert BIKES_SOCKS.comparable_by_volume(["BIKE"])
    rolls = UnitSystem({"CCR": "t", "HSS": "t"}, list_prices={"CCR": 16800, "HSS": 29500})
    assert rolls.comparable_by_volume(["CCR", "HSS"])
    forced = UnitSystem({"BIKE": "pcs", "SOCK": "pcs"}, list_prices={"BIKE": 877.0, "SOCK": 29.0},
                        volume_comparable=True)
    assert forced.comparable_by_volume(["BIKE", "SOCK"])
    assert not UnitSystem({"A": "t", "B": "box"}, volume_comparable=True).comparable_by_volume(["A", "B"])


def test_empty_frame_gives_no_totals():
    assert volume_totals(_lines([]), BIKES_SOCKS, ["account_id"]).empty
    assert single_volume(_lines([]), BIKES_SOCKS) == (0.0, "")
