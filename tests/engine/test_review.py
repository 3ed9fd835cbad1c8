"""Segmentation engine: Pareto, periods, scores, class rules and reasons on small hand-made cases."""
from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kamplan.config import ConfigError, config_from_dict, load_config
from kamplan.config import review as segcfg
from kamplan.config.review import Condition, SegmentationRules
from kamplan.demo.company import demo_company, demo_config_dict
from kamplan.engine.pareto import headline, pareto
from kamplan.periods import Period, choose_period
from kamplan.engine.review import (
    classify, develop_candidates, effective_classes, group_score, movement, normalise, reason_text, segment,
)
from kamplan.model import HISTORY_COLUMNS

REPO = Path(__file__).resolve().parents[2]


def hist(rows) -> pd.DataFrame:
    """History rows: (year, quarter, account, product, volume, revenue, gross_margin, cost_to_serve, visits)."""
    out = []
    for y, q, a, p, v, rev, gm, cts, vis in rows:
        out.append([y, q, a, p, float(v), rev / v if v else 0.0, float(rev), float(gm), float(cts), vis])
    return pd.DataFrame(out, columns=HISTORY_COLUMNS)


def rules(**changes) -> SegmentationRules:
    data = SegmentationRules().model_dump(by_alias=True)
    for path, value in changes.items():
        node = data
        *head, last = path.split("__")
        for k in head:
            node = node[k]
        node[last] = value
    return SegmentationRules.model_validate(data)


# -- periods -----------------------------------------------------------------------------------------
def test_period_labels_and_previous_is_one_year_earlier():
    y = Period.year(2026)
    assert y.label == "2026" and y.n_quarters == 4 and y.key() == ("2026Q1", "2026Q4")
    assert y.previous() == Period.year(2025)
    r = Period.rolling(2026, 3)
    assert r.label == "2025 Q4 – 2026 Q3" and r.quarters() == [(2025, 4), (2026, 1), (2026, 2), (2026, 3)]
    assert r.previous().label == "2024 Q4 – 2025 Q3"
    assert Period.from_key(*r.key(), "rolling") == r


def test_choose_period_default_rolling_incomplete_and_errors():
    h = hist([(y, q, "A", "P", 1, 10, 1, 0, 0) for y in (2025, 2026) for q in (1, 2, 3, 4)]
             + [(2027, 1, "A", "P", 1, 10, 1, 0, 0)])
    p, problems = choose_period(h, default_year=2026)
    assert p == Period.year(2026) and problems == []
    p, problems = choose_period(h, rolling=True)
    assert p == Period.rolling(2027, 1) and problems == []
    p, problems = choose_period(h, year=2027)
    assert p.label == "2027 Q1–Q1" and [x.code for x in problems] == ["year-incomplete"]
    assert "same quarters of 2026" in problems[0].message
    p, problems = choose_period(h, default_year=2030)
    assert p == Period(Period.year(2027).start, Period.year(2027, 1).end, "year")
    assert "plan-year-history-missing" in [x.code for x in problems]
    p, problems = choose_period(h, year=2019)
    assert p is None and problems[0].is_error and "2025, 2026, 2027" in problems[0].fix
    p, problems = choose_period(h.iloc[:0])
    assert p is None and problems[0].code == "no-history"


# -- Pareto --------------------------------------------------------------------------------------------
def test_pareto_shares_core_reaches_the_cutoff_exactly():
    r = pareto(pd.Series({"B": 30.0, "A": 50.0, "C": 20.0}), cutoff=0.8)
    assert list(r.account_id) == ["A", "B", "C"] and list(r["rank"]) == [1, 2, 3]
    assert np.allclose(r.share, [0.5, 0.3, 0.2]) and np.allclose(r.cum_share, [0.5, 0.8, 1.0])
    assert list(r.core) == [True, True, False]
    assert list(r.abc) == ["A", "A", "B"]  # C is the account at which the cumulative share reaches 95%


def test_pareto_ties_at_the_cutoff_are_all_in_and_order_by_id():
    r = pareto(pd.Series({"D": 20.0, "A": 40.0, "C": 20.0, "B": 20.0}), cutoff=0.6)
    assert list(r.account_id) == ["A", "B", "C", "D"]
    assert list(r.core) == [True, True, True, True]  # B reaches 60%; C and D are equal to B
    r = pareto(pd.Series({"A": 40.0, "B": 20.0, "C": 20.0, "D": 10.0, "E": 10.0}), cutoff=0.6)
    assert list(r.core) == [True, True, True, False, False]


def test_pareto_zero_and_negative_values():
    r = pareto(pd.Series({"A": 100.0, "B": 0.0, "C": -10.0, "D": 0.0}), cutoff=0.8, threshold=50)
    assert list(r.account_id) == ["A", "B", "D", "C"]
    assert math.isclose(r.share.sum(), 1.0) and math.isclose(r.cum_share.iloc[0], 100 / 90)
    assert list(r.core) == [True, False, False, False] and list(r.big) == [True, False, False, False]
    assert list(r.abc) == ["A", "C", "C", "C"]
    h = headline(r, "volume", "t", "2026", 0.8, 50)
    assert (h.n_customers, h.n_top, h.n_nothing, h.n_negative) == (1, 1, 2, 1)
    assert "not counted: 2 without any and 1 with a negative net volume" in h.sentence()


def test_pareto_total_not_positive_has_no_shares_and_no_core():
    r = pareto(pd.Series({"A": 5.0, "B": -10.0}), cutoff=0.8)
    assert r.share.isna().all() and not r.core.any() and list(r.abc) == ["C", "C"]
    h = headline(r, "gross_margin", "CNY", "2026", 0.8)
    assert not h.defined and "not positive" in h.sentence() and "不为正" in h.sentence("zh-CN")


def test_headline_sentence_as_in_seed_000():
    values = pd.Series({f"A{i:02d}": (400.0 if i < 30 else 40.0) for i in range(93)})
    h = headline(pareto(values, 0.8, threshold=100), "volume", "t", "2009", 0.8, 100)
    assert h.sentence() == ("30 of 93 customers (32%), each over 100 t, gave 12,000 t of 14,520 t (83%) of volume "
                            "in 2009.")
    assert h.sentence("zh-CN") == ("2009 年 93 家客户中,销量超过 100 t 的有 30 家,占客户总数的 32%,合计销量 12,000 t,"
                                   "占全部 14,520 t 的 83%。")


# -- normalisation and scores -------------------------------------------------------------------------
def test_normalise_methods():
    x = pd.Series([10.0, 20.0, 20.0, 40.0, np.nan])
    assert list(normalise(x, "percentile").round(6)[:4]) == [0.0, 50.0, 50.0, 100.0]
    assert math.isnan(normalise(x, "percentile")[4])
    assert list(normalise(x, "minmax")[:4]) == pytest.approx([0.0, 100 / 3, 100 / 3, 100.0])
    assert list(normalise(x, "percentile", higher_is_better=False)[:4].round(6)) == [100.0, 50.0, 50.0, 0.0]
    assert list(normalise(pd.Series([1.0, 3.0, 5.0]), "scale", scale=(1, 5))) == [0.0, 50.0, 100.0]
    assert list(normalise(pd.Series([7.0]), "percentile")) == [50.0]
    assert list(normalise(pd.Series([7.0, 7.0]), "minmax")) == [50.0, 50.0]


def test_group_score_weights_known_values_and_coverage():
    norm = pd.DataFrame({"a": [100.0, np.nan, np.nan], "b": [0.0, 50.0, np.nan], "c": [50.0, 50.0, 80.0]})
    score, cov = group_score(norm, {"a": 2.0, "b": 1.0, "c": 1.0}, min_coverage=0.5)
    assert math.isclose(score[0], (200 + 0 + 50) / 4)
    assert math.isclose(score[1], 50.0) and math.isclose(cov[1], 0.5)  # exactly the minimum coverage
    assert math.isnan(score[2]) and math.isclose(cov[2], 0.25)  # too little known: unknown, not zero


# -- rules --------------------------------------------------------------------------------------------
def _metrics(**cols) -> pd.DataFrame:
    return pd.DataFrame(cols, index=[f"A{i}" for i in range(len(next(iter(cols.values()))))])


def test_first_matching_rule_wins_unknown_values_skip_the_rule():
    r = SegmentationRules().rules
    m = _metrics(big=[1.0, 1.0, 0.0, 0.0, 0.0, 0.0], profit=[5.0, -1.0, 3.0, 3.0, -2.0, 3.0],
                 potential=[np.nan, np.nan, 80.0, np.nan, np.nan, np.nan],
                 is_new=[0.0, 0.0, 0.0, 1.0, 0.0, 0.0], growth=[0.0, 0.0, 0.0, np.nan, 0.1, -0.5],
                 abc=["A", "A", "B", "C", "B", "B"])
    c = classify(m, r, "develop")
    assert list(c.cls) == ["key", "watch", "develop", "develop", "drop", "watch"]
    assert list(c.rule) == ["big", "big-unprofitable", "high-potential", "new", "unprofitable", "declining"]
    assert c["rule_values"].iloc[1] == {"big": 1.0, "profit": -1.0}
    assert c.skipped.iloc[0] == []  # matched before the rule that needs potential
    assert c.skipped.iloc[3] == [("high-potential", ["potential"])]
    assert c.skipped.iloc[2] == []


def test_default_class_and_reason_text():
    r = SegmentationRules().rules
    m = _metrics(big=[0.0], profit=[1.0], potential=[np.nan], is_new=[0.0], growth=[0.05], abc=["B"])
    c = classify(m, r, "develop")
    assert (c.cls.iloc[0], c.rule.iloc[0]) == ("develop", "")
    text = reason_text(None, {}, c.skipped.iloc[0], "develop", "en", {"develop": "Develop"})
    assert text == "no rule applies; default class Develop; not checked: high-potential (potential unknown)"
    rule = SegmentationRules().rule("growing")
    text = reason_text(rule, {"growth": 0.234, "profit": 1200.0}, [], "develop")
    assert text == "Growing and profitable (growth +23% ≥ +15%; profit 1,200 ≥ 0)"
    zh = reason_text(rule, {"growth": 0.234, "profit": 1200.0}, [], "develop", "zh-CN")
    assert zh == "增长且盈利(增长 +23% ≥ +15%;利润 1,200 ≥ 0)"


def test_movement_up_down_new_gone():
    cur = pd.DataFrame({"class": ["key", "drop", "develop", "watch"], "reason": ["r1", "r2", "r3", "r4"]},
                       index=["A", "B", "C", "D"])
    prev = pd.DataFrame({"account_id": ["A", "B", "D", "E"], "class": ["develop", "watch", "watch", "key"],
                         "reason": ["p1", "p2", "p4", "p5"], "source": "computed"})
    m = movement(cur, prev).set_index("account_id")
    assert m.change.to_dict() == {"A": "up", "B": "down", "C": "new", "D": "same", "E": "gone"}
    assert m.loc["A", "previous_reason"] == "p1" and pd.isna(m.loc["E", "class"])


def test_effective_class_override_then_rules_then_config():
    got = effective_classes({"A": "develop", "B": "develop", "C": "watch"}, {"A": "key", "B": "drop"},
                            {"B": "watch", "C": None})
    assert got == {"A": ("key", "rules"), "B": ("watch", "override"), "C": ("watch", "config")}


def test_develop_candidates_years_to_big():
    m = _metrics(measure=[200.0, 50.0, 60.0, 10.0, 30.0], previous=[150.0, 40.0, 80.0, 0.0, 20.0],
                 growth=[0.33, 0.25, -0.25, np.nan, 0.5], is_new=[0.0, 0.0, 0.0, 1.0, 0.0],
                 profit=[10.0, 5.0, 5.0, 1.0, -1.0], profit_margin=[0.1] * 5, abc=["A", "B", "B", "C", "C"],
                 big=[1.0, 0.0, 0.0, 0.0, 0.0], core=[1.0, 0.0, 0.0, 0.0, 0.0])
    c = develop_candidates(m, 0.15, None).set_index("account_id")
    assert list(c.index) == ["A3", "A1"]  # new first; A4 loses money, A2 shrinks, A0 is big
    assert math.isclose(c.loc["A1", "years_to_big"], math.log(200 / 50) / math.log(1.25))
    assert math.isnan(c.loc["A3", "years_to_big"])


# -- the whole review on a small company ----------------------------------------------------------------
@pytest.fixture
def small():
    rows = []
    for y, scale in ((2025, 1.0), (2026, 1.0)):
        rows += [(y, q, "BIG", "P1", 100 * scale, 1000, 300, 50, 3) for q in (1, 2, 3, 4)]
        rows += [(y, q, "LOSS", "P1", 60, 600, 20, 80, 5) for q in (1, 2, 3, 4)]
        rows += [(y, q, "MID", "P2", 20, 300, 90, 10, 1) for q in (1, 2, 3, 4)]
    rows += [(2025, q, "GROW", "P1", 5, 50, 15, 1, 0) for q in (1, 2, 3, 4)]
    rows += [(2026, q, "GROW", "P1", 10, 100, 30, 2, 1) for q in (1, 2, 3, 4)]
    rows += [(2026, q, "NEW", "P2", 2, 30, 9, 1, 0) for q in (1, 2, 3, 4)]
    accounts = pd.DataFrame({"account_id": ["BIG", "LOSS", "MID", "GROW", "NEW", "IDLE"],
                             "name": ["Big", "Loss", "Mid", "Grow", "New", "Idle"], "rep": "r", "region": "x",
                             "config_class": "develop"})
    return hist(rows), accounts


def test_small_company_classes_reasons_flags(small):
    h, acc = small
    s = segment(h, rules(pareto__cutoff_share=0.6), Period.year(2026), accounts=acc, unit="t")
    a = s.accounts
    assert list(a.index) == ["BIG", "LOSS", "MID", "GROW", "NEW", "IDLE"]
    assert a.loc["BIG", "class"] == "key" and a.loc["LOSS", "class"] == "watch"
    assert "big-unprofitable" in a.loc["LOSS", "flags"]
    assert math.isclose(a.loc["LOSS", "profit"], 4 * (20 - 80))
    assert a.loc["GROW", "class"] == "develop" and a.loc["GROW", "rule"] == "growing"
    assert "develop-candidate" in a.loc["GROW", "flags"]
    assert a.loc["NEW", "rule"] == "new" and a.loc["NEW", "is_new"] == 1
    assert a.loc["IDLE", "measure"] == 0 and "no-sales" in a.loc["IDLE", "flags"]
    assert a.loc["IDLE", "class"] == "drop"  # class C
    # nothing judged: strength, capability and potential unknown (never zero), reported
    assert a["score_strength"].isna().all() and a["potential"].isna().all()
    assert a["score_hard"].notna().sum() >= 4
    codes = [p.code for p in s.problems]
    assert "judgements-missing" in codes and "rule-not-checked" in codes
    assert all("judgements-missing" in f for f in a["flags"])
    # shares add up to 100% in every column
    for col in ("share", "volume_share", "revenue_share", "gm_share"):
        assert math.isclose(a[col].sum(), 1.0)
    assert math.isclose(a["cum_share"].iloc[-1], 1.0)


def test_judgements_make_scores_and_can_change_the_class(small):
    h, acc = small
    judged = pd.DataFrame([{"account_id": "MID", "indicator": i.id, "score": 5.0}
                           for i in SegmentationRules().scoring.judged])
    s = segment(h, rules(pareto__cutoff_share=0.6), Period.year(2026), accounts=acc, judgements=judged)
    mid = s.accounts.loc["MID"]
    assert mid["score_strength"] == 100 and mid["score_capability"] == 100 and mid["potential"] == 100
    assert mid["class"] == "develop" and mid["rule"] == "high-potential" and mid["judged"] == 1
    assert "judgements-missing" not in mid["flags"]
    assert math.isclose(mid["score"], 0.5 * mid["score_hard"] + 0.25 * 100 + 0.25 * 100)


def test_judgements_outside_the_scale_or_for_unknown_indicators_are_reported_not_used(small):
    h, acc = small
    judged = pd.DataFrame([{"account_id": "MID", "indicator": "capital", "score": 9.0},
                           {"account_id": "MID", "indicator": "charm", "score": 3.0},
                           {"account_id": "GHOST", "indicator": "capital", "score": 3.0}])
    s = segment(h, SegmentationRules(), Period.year(2026), accounts=acc, judgements=judged)
    codes = {p.code for p in s.problems}
    assert {"judgement-outside-scale", "judgement-indicator-unknown", "judgement-account-unknown"} <= codes
    assert s.raw["capital"].isna().all()


def test_overrides_apply_and_say_who(small):
    h, acc = small
    ov = pd.DataFrame([{"account_id": "MID", "class": "key", "reason": "strategic", "by": "Li Ming",
                        "at": pd.Timestamp("2026-12-01")}])
    s = segment(h, SegmentationRules(), Period.year(2026), accounts=acc, overrides=ov)
    mid = s.accounts.loc["MID"]
    assert (mid["class"], mid["class_source"]) == ("key", "override")
    assert mid["computed_class"] != "key" and "override" in mid["flags"]
    assert mid["class_reason"] == "VP override (Li Ming): strategic"
    assert s.counts()["key"] == s.counts("computed_class")["key"] + 1


def test_previous_year_is_computed_when_not_given(small):
    h, acc = small
    s = segment(h, rules(pareto__cutoff_share=0.6), Period.year(2026), accounts=acc)
    a = s.accounts
    assert a.loc["NEW", "change"] == "new" and a.loc["BIG", "change"] == "same"
    assert a.loc["IDLE", "change"] == "none" and "IDLE" not in set(s.movement["account_id"])
    assert set(s.movement["account_id"]) == set(a.index[~a["change"].isin(["same", "none"])])


def test_accounts_in_history_not_in_config_are_kept_and_flagged(small):
    h, acc = small
    s = segment(h, SegmentationRules(), Period.year(2026), accounts=acc[acc.account_id != "MID"])
    assert "MID" in s.accounts.index and "not-in-config" in s.accounts.loc["MID", "flags"]
    assert s.accounts.loc["MID", "name"] == "MID"
    assert "accounts-not-in-config" in [p.code for p in s.problems]


# -- config ------------------------------------------------------------------------------------------
def test_conditions_parse_from_text():
    assert Condition.model_validate("growth >= 15%").value == 0.15
    assert str(Condition.model_validate("profit<0")) == "profit < 0"
    assert Condition.model_validate("abc = C").op == "=="
    assert Condition.model_validate({"metric": "score", "op": ">", "value": 50}).value == 50


@pytest.mark.parametrize("bad, cell, words", [
    ({"rules": [{"id": "a", "class": "key", "when": ["profti < 0"]}]}, "segmentation.rules[0].when[0]",
     "'profti' is not a metric"),
    ({"rules": [{"id": "a", "class": "key", "when": ["growth >= lots"]}]}, "segmentation.rules[0].when[0]",
     "give a number"),
    ({"rules": [{"id": "a", "class": "key", "when": ["abc > A"]}]}, "segmentation.rules[0].when[0]",
     "compare it with == or != only"),
    ({"rules": [{"id": "a", "class": "key", "when": []}]}, "segmentation.rules[0].when", "at least one"),
    ({"rules": [{"id": "a", "class": "key", "when": ["big == 1"]}, {"id": "a", "class": "drop", "when": ["big == 0"]}]},
     "segmentation.rules[1].id", "used twice"),
    ({"pareto": {"abc": [0.9, 0.8]}}, "segmentation.pareto.abc", "0 < A < B"),
    ({"pareto": {"measure": "tonnes"}}, "segmentation.pareto.measure", "tonnes"),
    ({"scoring": {"scale": {"min": 5, "max": 1}}}, "segmentation.scoring.scale.max", "must be above min"),
    ({"scoring": {"indicators": [{"id": "s", "name": {"en": "S", "zh-CN": "S"}, "group": "hard", "source": "data",
                                  "metric": "revenue"}]}},
     "segmentation.scoring.group_weights.strength", "no indicator"),
    ({"scoring": {"indicators": [{"id": "s", "name": {"en": "S", "zh-CN": "S"}, "group": "hard", "source": "data",
                                  "metric": "rank"}]}}, "segmentation.scoring.indicators[0].metric",
     "not an account figure"),
    ({"segmentaton": 1}, None, None),
])
def test_bad_segmentation_settings_name_their_key_path(bad, cell, words):
    data = copy.deepcopy(demo_config_dict())
    if "segmentaton" in bad:
        data.update(bad)
        cell, words = "segmentaton", "not a known setting"
    else:
        data["segmentation"] = bad
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    found = [p for p in info.value.problems if p.cell == cell]
    assert found, [(p.cell, p.message) for p in info.value.problems]
    assert words in found[0].message


def _fields(model) -> list[str]:
    return [(f.alias or name) for name, f in model.model_fields.items()]


@pytest.mark.parametrize("model", [
    segcfg.SegmentationRules, segcfg.ParetoRules, segcfg.ProfitabilityRules, segcfg.ScoringRules, segcfg.Indicator,
    segcfg.JudgementScale, segcfg.GroupWeights, segcfg.SegmentRule, segcfg.MovementRules, segcfg.ReviewRules,
], ids=lambda m: m.__name__)
def test_default_config_shows_every_segmentation_setting(model):
    text = (REPO / "config" / "default.yaml").read_text(encoding="utf-8")
    for key in _fields(model):
        if key == "zh":
            continue
        assert re.search(rf"(^[ \t#-]*|[{{,] *){re.escape(key)}:", text, re.M), f"default.yaml does not show {key!r}"


def test_default_yaml_states_the_defaults_and_the_packaged_copy_is_identical():
    cfg = load_config(REPO / "config" / "default.yaml")
    assert cfg.segmentation == SegmentationRules()
    assert (REPO / "config" / "default.yaml").read_bytes() == \
        (REPO / "addin" / "kamplan" / "data" / "default.yaml").read_bytes()


# -- the demo company ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo():
    return demo_company(language="en")


def _demo_segment(demo, **changes):
    cfg, h = demo
    acc = pd.DataFrame([{"account_id": a.id, "name": a.name.en, "rep": a.rep, "region": a.region,
                         "config_class": a.cls} for a in cfg.accounts])
    period, _ = choose_period(h, default_year=cfg.plan_year - 1)
    return segment(h, rules(**changes), period, accounts=acc, unit="t", currency="CNY")


def test_demo_reproduces_the_seed_headline(demo):
    """Seed 000: 30 of 93 customers (32%), each over 100 t a year, gave 9,416 t of 13,017 t (72%)."""
    s = _demo_segment(demo, pareto__size_threshold=100)
    h = s.headline
    assert h.n_customers == 93 and 28 <= h.n_top <= 32
    assert 0.30 <= h.customer_share <= 0.345 and 0.69 <= h.top_share <= 0.75
    assert re.fullmatch(r"3\d of 93 customers \(3\d%\), each over 100 t, gave [\d,]+ t of 1[23],\d{3} t "
                        r"\(7\d%\) of volume in 2026\.", h.sentence()), h.sentence()
    # the big accounts are the ones the demo company's config calls key
    cfg, _ = demo
    assert set(s.accounts.index[s.accounts.big > 0]) == {a.id for a in cfg.accounts if a.cls == "key"}


def test_demo_with_defaults_ranks_the_core_making_up_80_percent(demo):
    s = _demo_segment(demo)
    h = s.headline
    assert h.by == "cutoff" and h.top_share >= 0.8 and 35 <= h.n_top <= 45
    assert h.sentence().startswith(f"{h.n_top} of 93 customers (")


def test_demo_big_but_unprofitable_accounts_stand_out(demo):
    s = _demo_segment(demo, pareto__size_threshold=100)
    a = s.accounts
    losers = a[[("big-unprofitable" in f) for f in a["flags"]]]
    assert len(losers) >= 2 and (losers["class"] == "watch").all()
    assert (losers["profit"] < 0).all() and (losers["revenue"] > a["revenue"].median()).all()
    assert s.whale_summary.peak_share > 1.0 and s.whale_summary.n_losing >= 3
    assert math.isclose(s.whale["cum_profit_share"].iloc[-1], 1.0)


def test_demo_classes_use_all_four_and_growth_candidates_exist(demo):
    s = _demo_segment(demo, pareto__size_threshold=100)
    counts = s.counts()
    assert all(counts[c] > 0 for c in ("key", "develop", "watch", "drop")), counts
    assert len(s.candidates) >= 3 and (s.candidates["growth"].fillna(1) >= 0.15).all()
    assert len(s.movement) >= 1
