"""Top-down spreading: hand-made cases with answers worked out by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kamplan.engine import spreading
from kamplan.engine.spreading import _waterfill, hold_mask, round_to_unit_exact, spread

NAN = np.nan


def vals(r):
    return np.asarray(r.values, dtype=float).tolist()


# -- each method --------------------------------------------------------------------------------------
def test_proportional_moves_every_line_by_the_same_percentage():
    r = spread(110, np.array([10.0, 30.0, 60.0]), "proportional", unit=1)
    assert vals(r) == [11, 33, 66]
    assert r.shortfall == 0 and r.reachable
    assert r.groups["rate"].iloc[0] == pytest.approx(0.10)
    assert "+10.00% each" in r.method_note


def test_tm1_and_jedox_names_are_proportional():
    for code in ("P", "#"):
        assert vals(spread(110, [10.0, 30.0, 60.0], code, unit=1)) == [11, 33, 66]


def test_reference_spreads_the_gap_by_last_years_actual():
    # gap 8 split 1:3:0 -> +2, +6, +0
    r = spread(38, [10.0, 10.0, 10.0], "reference", reference=[1.0, 3.0, 0.0], unit=1)
    assert vals(r) == [12, 16, 10]


def test_weights_spread_the_gap_by_potential():
    r = spread(240, [100.0, 100.0], "weights", weights=[3.0, 1.0], unit=1)
    assert vals(r) == [130, 110]


def test_equal_adds_the_same_amount_to_every_free_line():
    r = spread(44, [5.0, 10.0, 20.0], "equal", unit=1)
    assert vals(r) == [8, 13, 23]


def test_equal_split_of_a_gap_that_does_not_divide_gives_the_extra_cent_to_the_first_line():
    r = spread(10, [0.0, 0.0, 0.0], "equal", unit=0.01)
    assert vals(r) == [3.34, 3.33, 3.33]
    assert r.units.tolist() == [334, 333, 333]


def test_growth_on_last_year_without_a_figure():
    r = spread(None, [90.0, 250.0], "growth", growth=0.10, reference=[100.0, 200.0], unit=1)
    assert vals(r) == [110, 220]
    assert r.target_total == 330


def test_growth_rate_per_line_on_the_bottom_up_target():
    r = spread(None, [100.0, 100.0], "growth", growth=[0.1, 0.2], unit=1)
    assert vals(r) == [110, 120]


def test_growth_then_the_figure_keeps_the_grown_proportions():
    # 110 : 220, scaled to 360 -> 120, 240
    r = spread(360, [90.0, 250.0], "growth", growth=0.10, reference=[100.0, 200.0], unit=1)
    assert vals(r) == [120, 240]


# -- holds ----------------------------------------------------------------------------------------------
def test_held_lines_do_not_move_and_the_rest_absorbs_the_gap():
    # free: 10 and 60 must make 100 -> x 100/70 = 14.2857.., 85.7142.. -> 14.29 + 85.71
    r = spread(130, [10.0, 30.0, 60.0], held=[False, True, False], unit=0.01)
    assert vals(r) == [14.29, 30.0, 85.71]
    assert r.units.sum() == 13000


def test_held_value_off_the_unit_grid_is_kept_and_reported():
    r = spread(100, [10.005, 30.0, 60.0], held=[True, False, False], unit=0.01)
    assert vals(r)[0] == 10.005
    assert any(p.code == "spread-held-not-whole-units" for p in r.problems)


def test_hold_mask_from_held_regions_and_salespeople():
    region = np.array(["N", "N", "S", "S", "W"])
    rep = np.array(["r1", "r2", "r3", "r4", "r5"])
    assert hold_mask([(region, {"N"}), (rep, ["r5"])]).tolist() == [True, True, False, False, True]


def test_everything_held_means_the_whole_gap_is_a_shortfall():
    r = spread(120, [10.0, 90.0], held=True, unit=1)
    assert vals(r) == [10, 90]
    assert r.shortfall == 20
    assert "2 lines held" in r.method_note


# -- bounds ---------------------------------------------------------------------------------------------
def test_a_cap_stops_a_line_and_the_others_take_the_rest():
    # line 1 stops at 33; 10 and 60 make 97 -> x 97/70 = 13.857.., 83.142..
    r = spread(130, [10.0, 30.0, 60.0], caps=[NAN, 33.0, NAN], unit=0.01)
    assert vals(r) == [13.86, 33.0, 83.14]
    assert r.at_cap.tolist() == [1]
    assert r.binding.size == 0  # reachable: nothing binds the figure


def test_unreachable_figure_reports_exact_shortfall_and_binding_caps():
    r = spread(1000, [10.0, 30.0, 60.0], held=[True, False, False], caps=[NAN, 33.0, 70.0], unit=0.01)
    assert vals(r) == [10.0, 33.0, 70.0]
    assert r.achieved_total == 113.0
    assert r.shortfall == 887.0
    assert r.binding.tolist() == [1, 2]
    assert not r.reachable
    [p] = [p for p in r.problems if p.code == "spread-figure-unreachable"]
    assert "887.00 above" in p.message and "1 lines held" in p.message and "2 free lines at their cap" in p.message


def test_unreachable_cut_reports_the_binding_floors():
    # floors 9 + 29 + 50 = 88 at least; figure 50 -> 38 below what can be reached
    r = spread(50, [10.0, 30.0, 60.0], floors=[9.0, 29.0, 50.0], unit=1)
    assert vals(r) == [9, 29, 50]
    assert r.shortfall == -38
    assert r.binding.tolist() == [0, 1, 2]
    assert "38 below" in r.method_note


def test_floor_last_year_for_key_accounts_and_cap_thirty_percent_over_own_figure():
    own = np.array([100.0, 100.0, 100.0, 100.0])
    last_year = np.array([120.0, 50.0, 50.0, 50.0])
    key_account = np.array([True, False, False, False])
    floors = np.where(key_account, last_year, NAN)
    caps = own * 1.3
    # cut to 360: key account may not fall below 120; the other three share the rest: 80 each
    r = spread(360, own, floors=floors, caps=caps, unit=1)
    assert vals(r) == [120, 80, 80, 80]
    assert r.notes and any("raised to their floor" in n for n in r.notes)
    # raise to 500: the key account starts on its floor (120), all four +20% of own -> 140 is over
    # its cap 130; the other three share the remaining 10 -> 123.33 each, the extra unit to the first
    assert vals(spread(500, own, floors=floors, caps=caps, unit=1)) == [130, 124, 123, 123]
    # caps 4 x 130 = 520 at most
    r = spread(600, own, floors=floors, caps=caps, unit=1)
    assert r.shortfall == 80 and r.binding.tolist() == [0, 1, 2, 3]


def test_bounds_off_the_grid_are_moved_inward_so_rounding_cannot_cross_them():
    r = spread(100, [10.0, 10.0], caps=[33.337, NAN], unit=0.01)
    assert vals(r) == [33.33, 66.67]


def test_floor_above_cap_is_an_error_that_names_the_line():
    with pytest.raises(ValueError, match="line 1"):
        spread(100, [10.0, 10.0], floors=[NAN, 50.0], caps=[NAN, 40.0])


def _one_cap_per_pass(n: int, gap: float) -> np.ndarray:
    """Rooms such that every water-filling pass (equal keys) stops exactly one more line."""
    rooms, moved, rem = [], 0.0, gap
    for k in range(n - 1):
        step = rem / (n - k)
        rooms.append(moved + 0.5 * step)
        moved += step
        rem = 0.5 * step
    return np.array(rooms + [1e9])


def test_exact_solve_matches_the_passes_when_caps_bind_one_after_another(monkeypatch):
    n = 40
    cur = np.ones(n)
    caps = cur + _one_cap_per_pass(n, 100.0)
    args = (np.full(n, -np.inf), caps, np.ones(n, bool), np.zeros(n, np.int64), 1, np.array([n + 100.0]), "equal")
    slow, *_, passes_slow = _waterfill(cur.copy(), np.ones(n), *args, max_passes=1000)
    fast, *_, passes_fast = _waterfill(cur.copy(), np.ones(n), *args, max_passes=2)
    assert passes_slow > 3 and passes_fast == 3
    np.testing.assert_allclose(fast, slow, rtol=1e-9)
    assert fast.sum() == pytest.approx(n + 100.0)
    assert (fast <= caps + 1e-9).all()
    # through spread(): the same answer, and the note says the exact solve was used
    monkeypatch.setattr(spreading, "MAX_PASSES", 2)
    r = spread(n + 100.0, cur, "equal", caps=caps, unit=None)
    np.testing.assert_allclose(np.asarray(r.values), slow, rtol=1e-9)
    assert "solved exactly" in r.method_note


# -- zero keys, zero and negative figures ------------------------------------------------------------------
def test_all_zero_weights_fall_back_to_equal_split_and_say_so():
    r = spread(10, [0.0, 0.0, 0.0], "proportional", unit=0.01)
    assert vals(r) == [3.34, 3.33, 3.33]
    assert "equal split among 3 free lines" in r.method_note
    assert bool(r.groups["fallback_equal"].iloc[0])


def test_zero_weights_none_rule_spreads_nothing_and_reports_the_shortfall():
    r = spread(10, [0.0, 0.0], "weights", weights=[0.0, 0.0], zero_weights="none", unit=0.01)
    assert vals(r) == [0.0, 0.0]
    assert r.shortfall == 10


def test_rest_goes_to_zero_lines_when_the_keyed_lines_are_capped():
    r = spread(20, [0.0, 10.0], caps=[NAN, 12.0], unit=1)
    assert vals(r) == [8, 12]
    assert "equal split" in r.method_note


def test_negative_and_missing_keys_count_as_zero():
    r = spread(20, [5.0, 5.0, 5.0], "reference", reference=[-3.0, NAN, 1.0], unit=1)
    assert vals(r) == [5, 5, 10]
    assert any("negative" in n for n in r.notes) and any("no reference" in n for n in r.notes)


def test_zero_figure_takes_every_free_line_to_zero():
    assert vals(spread(0, [10.0, 30.0], unit=0.01)) == [0.0, 0.0]


def test_negative_figure_goes_below_zero_unless_a_floor_says_no():
    assert vals(spread(-40, [10.0, 30.0], unit=1)) == [-10, -30]
    r = spread(-40, [10.0, 30.0], floors=0, unit=1)
    assert vals(r) == [0, 0]
    assert r.shortfall == -40 and r.binding.tolist() == [0, 1]


# -- idempotence, rounding, groups --------------------------------------------------------------------------
def test_zero_gap_changes_nothing():
    cur = np.array([10.01, 30.0, 59.99, 0.0])
    for method, kw in [("proportional", {}), ("equal", {}), ("weights", {"weights": [1, 2, 3, 4]}),
                       ("reference", {"reference": [0, 0, 0, 0]})]:
        r = spread(100.0, cur, method, **kw)
        assert vals(r) == cur.tolist(), method


def test_hierarchical_rounding_keeps_every_group_within_one_unit():
    # flat largest remainder would give both extra units to group a (2 vs exact 1.2)
    v = [0.4] * 5
    out = round_to_unit_exact(v, total=2, unit=1, groups=[["a", "a", "a", "b", "b"]])
    assert out.tolist() == [1, 0, 0, 1, 0]


def test_rounding_adds_up_exactly_at_company_region_and_rep():
    region = ["N", "N", "N", "S", "S", "S"]
    rep = ["n1", "n1", "n2", "s1", "s2", "s2"]
    r = spread(1000, np.full(6, 100.0), unit=0.01, hierarchy=[region, rep])
    u = r.units
    assert u.sum() == 100000
    # reps n1 = s2 = 333.333.., n2 = s1 = 166.666..: the rep with the larger remainder gets the cent
    assert vals(r) == [166.67, 166.66, 166.67, 166.67, 166.67, 166.66]
    assert u[:3].sum() == 50000 and u[3:].sum() == 50000  # each region exactly 500.00


def test_figure_per_region():
    by = ["N", "N", "S", "S"]
    r = spread({"N": 33, "S": 77}, [10.0, 20.0, 30.0, 40.0], by=by, unit=1)
    assert vals(r) == [11, 22, 33, 44]
    assert r.groups.set_index("group")["achieved"].to_dict() == {"N": 33, "S": 77}


def test_group_without_a_figure_is_held_and_a_figure_without_lines_is_a_shortfall():
    by = ["N", "N", "S", "S"]
    r = spread({"N": 33, "W": 5}, [10.0, 20.0, 30.0, 40.0], by=by, unit=1)
    assert vals(r) == [11, 22, 30, 40]
    g = r.groups.set_index("group")
    assert g.loc["W", "shortfall"] == 5 and g.loc["W", "n_lines"] == 0
    assert any("no figure for 1 groups (S)" in n for n in r.notes)


def test_series_in_series_out_and_misaligned_series_rejected():
    cur = pd.Series([10.0, 30.0, 60.0], index=["a", "b", "c"], name="revenue")
    r = spread(110, cur, unit=1)
    assert isinstance(r.values, pd.Series) and r.values.index.tolist() == ["a", "b", "c"]
    assert r.values.tolist() == [11, 33, 66]
    with pytest.raises(ValueError, match="align"):
        spread(110, cur, held=pd.Series([True, False, False], index=["c", "b", "a"]))


def test_unrounded_spread_with_unit_none():
    r = spread(100, [1.0, 2.0], unit=None)
    assert vals(r) == pytest.approx([100 / 3, 200 / 3])
    assert r.units is None


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "X"}, "unknown spreading method"),
    ({"method": "weights"}, "needs weights"),
    ({"method": "growth"}, "needs growth"),
    ({"unit": 0}, "positive unit"),
])
def test_input_errors_say_what_to_do(kwargs, match):
    with pytest.raises(ValueError, match=match):
        spread(100, [1.0, 2.0], **kwargs)


def test_missing_current_is_an_error():
    with pytest.raises(ValueError, match="use 0"):
        spread(100, [1.0, NAN])


def test_exact_solve_agrees_with_the_passes_up_and_down_in_several_groups():
    rng = np.random.default_rng(7)
    n = 300
    cur = rng.uniform(10, 100, n)
    lo = np.where(rng.random(n) < 0.4, cur * rng.uniform(0.5, 1.0, n), -np.inf)
    hi = np.where(rng.random(n) < 0.4, cur * rng.uniform(1.0, 1.5, n), np.inf)
    grp = rng.integers(0, 3, n)
    totals = np.bincount(grp, weights=cur)
    target = totals * np.array([0.8, 1.2, 1.0001])
    free = rng.random(n) < 0.9
    key = np.where(free, cur, 0.0)
    args = (lo, hi, free, grp, 3, target, "equal")
    slow, *_ = _waterfill(cur.copy(), key, *args, max_passes=10_000)
    fast, *_ = _waterfill(cur.copy(), key, *args, max_passes=0)
    np.testing.assert_allclose(fast, slow, rtol=1e-9)
    np.testing.assert_allclose(np.bincount(grp, weights=fast), target, rtol=1e-12)
    assert (fast >= lo - 1e-9).all() and (fast <= hi + 1e-9).all()
