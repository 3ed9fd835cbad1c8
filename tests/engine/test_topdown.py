"""engine.topdown: a VP's instruction applied to plan lines (the arithmetic itself is tested in test_spreading*)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kamplan.engine.topdown import TopDownError, TopDownSpec, apply_topdown, parse_bound


def plan_lines(volumes=None) -> pd.DataFrame:
    """Two regions, one rep each, two accounts each (key / watch), two products, four quarters."""
    rows = []
    i = 0
    for rep, region in (("r1", "north"), ("r2", "south")):
        for acc, cls in (("A", "key"), ("B", "watch")):
            for prod, price in (("P1", 10.0), ("P2", 25.0)):
                for q in (1, 2, 3, 4):
                    v = volumes[i] if volumes is not None else 10.0 + q
                    i += 1
                    rows.append(dict(rep_id=rep, region_id=region, cls=cls, account_id=f"{rep}{acc}",
                                     product_id=prod, quarter=q, volume=v, price=price, revenue=v * price,
                                     ly_volume=12.0, ly_revenue=12.0 * price, own_volume=v, own_revenue=v * price,
                                     weight=2.0 if acc == "A" else 1.0))
    return pd.DataFrame(rows)


def test_parse_bound_reads_scope_basis_factor_and_says_the_syntax_when_wrong():
    b = parse_bound("cap", "all=own*1.3")
    assert (b.scope, b.scope_id, b.basis, b.factor, b.text) == ("all", None, "own", 1.3, "all=own*1.3")
    b = parse_bound("floor", "class:key=last_year")
    assert (b.scope, b.scope_id, b.basis, b.factor) == ("class", "key", "last_year", 1.0)
    with pytest.raises(TopDownError, match=r"SCOPE=BASIS\[\*FACTOR\]"):
        parse_bound("floor", "key accounts not below last year")
    with pytest.raises(TopDownError, match="floor or a cap"):
        parse_bound("ceiling", "all=own")


def test_company_revenue_figure_is_reached_to_the_cent_and_revenue_becomes_volume_at_the_line_price():
    lines = plan_lines()
    target = 9999.99
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {"*": target}))
    new = res.lines
    assert round(new["revenue"].sum(), 2) == target
    cents = np.round(new["revenue"].to_numpy() * 100)
    assert np.allclose(new["revenue"] * 100, cents, atol=1e-6)  # whole cents on every line
    assert np.allclose(new["volume"] * new["price"], new["revenue"])
    # proportional: every line moves by the same percentage (up to the cent)
    ratio = new["revenue"] / lines["revenue"]
    assert ratio.max() - ratio.min() < 0.01 / lines["revenue"].min() * 2
    # exact at every level of the hierarchy: region, rep, account totals are whole cents
    for level in ("region_id", "rep_id", "account_id"):
        sums = new.groupby(level)["revenue"].sum()
        assert np.allclose(sums * 100, np.round(sums * 100), atol=1e-6)


def test_held_salesperson_does_not_move_and_the_rest_absorbs_the_gap():
    lines = plan_lines()
    total = lines["revenue"].sum()
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {"*": total + 1000.0}, holds=(("rep", "r2"),)))
    r2 = lines["rep_id"] == "r2"
    assert (res.lines.loc[r2, "revenue"] == lines.loc[r2, "revenue"]).all()
    assert res.lines.loc[~r2, "revenue"].sum() == pytest.approx(lines.loc[~r2, "revenue"].sum() + 1000.0)
    assert res.effect.loc[r2, "held"].all() and not res.effect.loc[~r2, "held"].any()


def test_a_held_line_and_a_held_class():
    lines = plan_lines()
    total = lines["revenue"].sum()
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {"*": total * 1.1},
                                           holds=(("line", "r1A/P1/2"), ("class", "watch"))))
    fixed = ((lines["account_id"] == "r1A") & (lines["product_id"] == "P1") & (lines["quarter"] == 2)) | \
        (lines["cls"] == "watch")
    assert (res.lines.loc[fixed, "revenue"] == lines.loc[fixed, "revenue"]).all()
    assert res.lines["revenue"].sum() == pytest.approx(total * 1.1, abs=0.005)
    with pytest.raises(TopDownError, match="account/product/quarter"):
        apply_topdown(lines, TopDownSpec("revenue", "company", {"*": total}, holds=(("line", "r1A-P1"),)))


def test_cap_over_own_figure_makes_the_figure_unreachable_and_says_by_how_much():
    lines = plan_lines()
    total = lines["revenue"].sum()
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {"*": total * 2},
                                           bounds=(parse_bound("cap", "all=own*1.3"),)))
    assert res.lines["revenue"].sum() == pytest.approx(total * 1.3, abs=0.01)
    assert res.shortfall == pytest.approx(total * 2 - total * 1.3, abs=0.01)
    assert (res.lines["revenue"] <= lines["own_revenue"] * 1.3 + 1e-9).all()
    assert res.effect["binding"].all()
    assert any("above what can be reached" in n for n in res.notes)


def test_floor_for_key_accounts_at_last_year_holds_when_the_figure_is_cut():
    lines = plan_lines()
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {"*": lines["revenue"].sum() * 0.8},
                                           bounds=(parse_bound("floor", "class:key=last_year"),)))
    key = lines["cls"] == "key"
    assert (res.lines.loc[key, "revenue"] >= lines.loc[key, "ly_revenue"] - 1e-9).all()
    assert res.shortfall == 0
    assert res.lines["revenue"].sum() == pytest.approx(lines["revenue"].sum() * 0.8, abs=0.005)


def test_a_floor_above_a_cap_is_resolved_for_the_floor_and_said():
    lines = plan_lines()
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {"*": lines["revenue"].sum()}, bounds=(
        parse_bound("floor", "class:key=last_year*2"), parse_bound("cap", "all=own*1.1"))))
    key = lines["cls"] == "key"
    assert (res.lines.loc[key, "revenue"] >= 2 * lines.loc[key, "ly_revenue"] - 1e-9).all()
    assert any("floor above their cap" in n and "the floor wins" in n for n in res.notes)


def test_volume_per_product_keeps_prices_and_rounds_to_whole_units():
    lines = plan_lines()
    res = apply_topdown(lines, TopDownSpec("volume", "product", {"P1": 150, "P2": 90}), volume_unit=1.0)
    sums = res.lines.groupby("product_id")["volume"].sum()
    assert sums["P1"] == 150 and sums["P2"] == 90
    assert (res.lines["volume"] == np.round(res.lines["volume"])).all()
    assert (res.lines["price"] == lines["price"]).all()
    assert np.allclose(res.lines["revenue"], res.lines["volume"] * res.lines["price"])


def test_per_region_figure_leaves_regions_without_a_figure_alone():
    lines = plan_lines()
    south = lines["region_id"] == "south"
    res = apply_topdown(lines, TopDownSpec("revenue", "region", {"north": 5000.0}))
    assert (res.lines.loc[south, "revenue"] == lines.loc[south, "revenue"]).all()
    assert res.lines.loc[~south, "revenue"].sum() == pytest.approx(5000.0)
    with pytest.raises(TopDownError, match="no plan line has that region"):
        apply_topdown(lines, TopDownSpec("revenue", "region", {"west": 1.0}))


@pytest.mark.parametrize("method,key", [("last_year", "ly_revenue"), ("potential", "weight"), ("equal", None)])
def test_each_method_spreads_the_gap_by_its_key(method, key):
    lines = plan_lines()
    gap = 800.0
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {"*": lines["revenue"].sum() + gap},
                                           method=method), money_unit=0.0001)
    delta = res.lines["revenue"] - lines["revenue"]
    weights = np.ones(len(lines)) if key is None else lines[key].to_numpy()
    assert np.allclose(delta, gap * weights / weights.sum(), atol=1e-3)


def test_growth_method_grows_last_year_and_reference_method_follows_another_version():
    lines = plan_lines()
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {}, method="growth", growth=0.05),
                        money_unit=0.0001)
    assert np.allclose(res.lines["revenue"], lines["ly_revenue"] * 1.05, atol=1e-3)
    ref = lines.assign(ref_revenue=np.where(lines["product_id"] == "P1", 1.0, 0.0))
    res = apply_topdown(ref, TopDownSpec("revenue", "company", {"*": lines["revenue"].sum() + 100},
                                         method="reference", reference_version=7))
    p2 = lines["product_id"] == "P2"
    assert (res.lines.loc[p2, "revenue"] == lines.loc[p2, "revenue"]).all()
    with pytest.raises(TopDownError, match="needs ref_revenue"):
        apply_topdown(lines, TopDownSpec("revenue", "company", {"*": 1.0}, method="reference", reference_version=7))


def test_a_zero_gap_changes_nothing():
    lines = plan_lines()
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {"*": float(lines["revenue"].sum())}))
    assert (res.lines["revenue"] == lines["revenue"]).all() and (res.lines["volume"] == lines["volume"]).all()
    assert (res.effect["delta"] == 0).all()


def test_lines_without_a_price_are_held_for_a_revenue_figure():
    lines = plan_lines()
    lines.loc[0, ["price", "revenue", "volume"]] = [np.nan, 0.0, 0.0]
    res = apply_topdown(lines, TopDownSpec("revenue", "company", {"*": lines["revenue"].sum() + 500}))
    assert res.lines.loc[0, "revenue"] == 0.0 and res.effect.loc[0, "held"]
    assert any("without a price" in n for n in res.notes)


def test_instructions_round_trip_through_json_and_describe_themselves():
    spec = TopDownSpec("volume", "product", {"P1": 100.0}, method="growth", growth=0.05,
                       holds=(("rep", "r1"),), bounds=(parse_bound("floor", "class:key=last_year"),), note="board")
    assert TopDownSpec.from_json(spec.to_json()) == spec
    text = spec.describe()
    assert "P1 100.00" in text and "+5.0%" in text and "held: rep r1" in text and "floor class:key=last_year" in text


@pytest.mark.parametrize("spec,match", [
    (TopDownSpec("profit", "company", {"*": 1.0}), "measure"),
    (TopDownSpec("revenue", "customer", {"*": 1.0}), "figures by"),
    (TopDownSpec("revenue", "company", {"*": 1.0}, method="magic"), "method"),
    (TopDownSpec("revenue", "company", {"*": 1.0}, method="growth"), "growth percentage"),
    (TopDownSpec("revenue", "company", {}), "no figure"),
    (TopDownSpec("revenue", "company", {"P1": 1.0}), "one number"),
    (TopDownSpec("revenue", "company", {"*": float("nan")}), "not a number"),
    (TopDownSpec("revenue", "company", {"*": 1.0}, holds=(("planet", "x"),)), "cannot hold"),
])
def test_bad_instructions_are_refused_with_the_reason(spec, match):
    with pytest.raises(TopDownError, match=match):
        apply_topdown(plan_lines(), spec)


@settings(max_examples=60, deadline=None)
@given(volumes=st.lists(st.floats(0, 500, allow_nan=False).map(lambda v: round(v, 1)), min_size=32, max_size=32),
       factor=st.floats(0.5, 1.5), hold_r2=st.booleans())
def test_property_exact_sum_holds_untouched_floors_respected(volumes, factor, hold_r2):
    lines = plan_lines(volumes)
    total = float(lines["revenue"].sum())
    spec = TopDownSpec("revenue", "company", {"*": round(total * factor, 2)},
                       holds=(("rep", "r2"),) if hold_r2 else (),
                       bounds=(parse_bound("floor", "class:key=last_year*0.5"),))
    res = apply_topdown(lines, spec)
    held = lines["rep_id"] == "r2" if hold_r2 else pd.Series(False, index=lines.index)
    assert (res.lines.loc[held, "revenue"] == lines.loc[held, "revenue"]).all()
    free_key = ~held & (lines["cls"] == "key") & (lines["price"] > 0)
    assert (res.lines.loc[free_key, "revenue"] >= 0.5 * lines.loc[free_key, "ly_revenue"] - 0.005).all()
    assert (res.lines["revenue"] >= -1e-9).all()
    achieved = res.lines["revenue"].sum()
    assert achieved + res.shortfall == pytest.approx(round(total * factor, 2), abs=0.006)
