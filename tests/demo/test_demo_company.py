"""The demo company: shaped like seed 000 (93 customers, ~30 above 100 t giving ~72 %), deterministic."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter

import pandas as pd
import pytest

from kamplan.config import PlanConfig, config_from_dict
from kamplan.demo.company import DEMO_SEED, demo_company, demo_config_dict, demo_history
from kamplan.model import HISTORY_COLUMNS

PLAN_YEAR = 2027
LAST = PLAN_YEAR - 1


@pytest.fixture(scope="module")
def company() -> tuple[PlanConfig, pd.DataFrame]:
    return demo_company()


@pytest.fixture(scope="module")
def config(company) -> PlanConfig:
    return company[0]


@pytest.fixture(scope="module")
def history(company) -> pd.DataFrame:
    return company[1]


@pytest.fixture(scope="module")
def last_year(history) -> pd.DataFrame:
    """Per-account totals of the last history year."""
    rows = history[history["year"] == LAST]
    acc = rows.groupby("account_id")[["volume", "revenue", "gross_margin", "cost_to_serve", "visits"]].sum()
    acc["profit"] = acc["gross_margin"] - acc["cost_to_serve"]
    return acc


def _sha(df: pd.DataFrame) -> str:
    return hashlib.sha256(df.to_csv(index=False, lineterminator="\n").encode("utf-8")).hexdigest()


# --- the config -----------------------------------------------------------------------------

def test_config_validates_and_has_93_customers(config):
    assert config.plan_year == PLAN_YEAR and config.language == "zh-CN"
    assert len(config.accounts) == 93
    assert len({a.id for a in config.accounts}) == 93
    assert len(config.products) == 4 and {p.unit for p in config.products} == {"t"}
    assert 4 <= len(config.regions) <= 5


def test_products_prices_and_margins(config):
    for p in config.products:
        assert 12000 <= p.list_price <= 30000, p
        assert 0.18 <= p.standard_margin <= 0.35, p


def test_every_staff_member_has_accounts(config):
    assert len(config.staff) == 8
    counts = Counter(a.rep for a in config.accounts)
    for s in config.staff:
        assert 6 <= counts[s.id] <= 20, (s.id, counts[s.id])
    by_id = {s.id: s for s in config.staff}
    for a in config.accounts:
        assert by_id[a.rep].region == a.region, f"{a.id} is served from another region"


def test_names_are_bilingual_unique_and_invented(config):
    things = [config.company, *config.products, *config.regions, *config.staff, *config.accounts]
    things += [person for pool in config.support_pools for person in pool.people]
    for t in things:
        assert t.name.en.isascii() and t.name.en.strip(), t
        assert any("\u4e00" <= ch <= "\u9fff" for ch in t.name.zh), t
    assert len({a.name.zh for a in config.accounts}) == 93
    assert len({a.name.en for a in config.accounts}) == 93
    real = ("联强", "河钢", "河北钢铁", "山东钢铁", "南钢", "南京钢铁", "沙钢", "东北特钢", "宝钢", "鞍钢", "首钢",
            "武钢", "马钢", "本钢", "包钢", "太钢", "唐钢", "邯钢")
    for a in [config.company, *config.accounts]:
        assert not any(r in a.name.zh for r in real), a.name.zh
        assert "Lianqiang" not in a.name.en


def test_classes(config, last_year):
    counts = Counter(a.cls for a in config.accounts)
    assert set(counts) == {"key", "develop", "watch", "drop"}
    key = {a.id for a in config.accounts if a.cls == "key"}
    assert key == set(last_year.index[last_year["volume"] > 100])


def test_support_pools(config):
    execs, tech, advisors = config.pool("executive"), config.pool("technical"), config.pool("advisor")
    assert execs.unit == "visits" and len(execs.people) == 3
    assert all(6 <= v <= 10 for p in execs.people for v in p.capacity.values())
    assert tech.unit == "days" and len(tech.people) == 5
    assert all(20 <= v <= 40 for p in tech.people for v in p.capacity.values())
    skills = {s for p in tech.people for s in p.skills}
    assert {"commissioning", "metallurgy", "failure analysis"} <= skills
    assert any(p.regions for p in tech.people)
    assert advisors.unit == "days" and len(advisors.people) == 3 and advisors.budget
    assert all(2 <= v <= 6 for p in advisors.people for v in p.capacity.values())
    assert all(p.cost_per_day > 0 for p in advisors.people)
    # scarce: a full year of every advisor costs more than the budget
    assert sum(p.cost_per_day * sum(p.capacity.values()) for p in advisors.people) > advisors.budget


def test_language_and_plan_year_options():
    en = demo_config_dict(plan_year=2030, language="en")
    config = config_from_dict(en)
    assert config.language == "en" and config.plan_year == 2030
    assert all(a.city.isascii() for a in config.accounts)
    zh = demo_config_dict()
    assert [a["id"] for a in en["accounts"]] == [a["id"] for a in zh["accounts"]]


# --- the history ----------------------------------------------------------------------------

def test_history_columns_and_types(history):
    assert list(history.columns) == HISTORY_COLUMNS
    assert not history.isna().any().any()
    for col in ("year", "quarter", "visits"):
        assert pd.api.types.is_integer_dtype(history[col]), col
    for col in ("volume", "price", "revenue", "gross_margin", "cost_to_serve"):
        assert pd.api.types.is_float_dtype(history[col]), col
    assert (history["volume"] >= 0).all() and (history["price"] > 0).all()
    assert (history["cost_to_serve"] >= 0).all() and (history["visits"] >= 0).all()
    assert not history.duplicated(["year", "quarter", "account_id", "product_id"]).any()


def test_three_years_by_four_quarters(history):
    assert sorted(history["year"].unique()) == [PLAN_YEAR - 3, PLAN_YEAR - 2, PLAN_YEAR - 1]
    quarters = history.groupby(["year", "account_id", "product_id"])["quarter"].apply(tuple)
    assert (quarters == (1, 2, 3, 4)).all(), "each account x product present in a year has all four quarters"


def test_rounded_sensibly(history):
    def is_multiple(series, step):
        return ((series / step).round() * step - series).abs().max() < 1e-6
    assert is_multiple(history["volume"], 0.1)
    assert is_multiple(history["price"], 1)
    for col in ("revenue", "gross_margin", "cost_to_serve"):
        assert is_multiple(history[col], 0.01), col


def test_revenue_is_volume_times_price(history):
    assert ((history["volume"] * history["price"] - history["revenue"]).abs() <= 0.0051).all()


def test_history_refers_to_the_config(config, history):
    assert set(history["account_id"]) == {a.id for a in config.accounts}
    assert set(history["product_id"]) <= {p.id for p in config.products}


def test_last_year_shape_follows_the_seed(last_year):
    assert len(last_year) == 93 and (last_year["volume"] > 0).all()
    total = last_year["volume"].sum()
    big = last_year[last_year["volume"] > 100]
    share = big["volume"].sum() / total
    assert 12350 <= total <= 13650, total
    assert 28 <= len(big) <= 32, len(big)
    assert 0.69 <= share <= 0.75, share
    top5 = last_year["volume"].nlargest(5)
    assert (top5 > 500).all(), top5
    assert last_year["volume"].min() < 15, "a long tail of small buyers"
    assert (last_year["volume"] < 50).sum() >= 15


def test_not_every_account_buys_every_product(config, history):
    products = history[history["year"] == LAST].groupby("account_id")["product_id"].nunique()
    assert (products < len(config.products)).sum() >= 30
    assert (products == len(config.products)).sum() >= 5
    assert (products == 1).sum() >= 5


def test_some_zeros_and_seasonality(history):
    assert (history["volume"] == 0).mean() > 0.05
    by_quarter = history.groupby(["year", "quarter"])["volume"].sum().unstack()
    assert (by_quarter[4] > by_quarter[1] * 1.3).all(), by_quarter


def test_growing_shrinking_and_new_accounts(history):
    totals = history.groupby(["account_id", "year"])["volume"].sum().unstack(fill_value=0.0)
    first, last = totals[PLAN_YEAR - 3], totals[LAST]
    old = first > 0
    ratio = last[old] / first[old]
    assert (ratio >= 1.3).sum() >= 3, "some growing accounts"
    assert (ratio <= 0.7).sum() >= 3, "some shrinking accounts"
    assert (~old).sum() >= 1, "some accounts won during the history"
    # a shrinking big account: a defection candidate among the key accounts
    assert ((ratio <= 0.7) & (last[old] > 100)).any()


def test_some_accounts_lose_money(last_year):
    losers = last_year[last_year["profit"] < 0]
    assert len(losers) >= 3, losers
    assert (losers["revenue"] > last_year["revenue"].median()).any(), "a big account that is unprofitable"
    assert (last_year["profit"] > 0).mean() > 0.8


def test_visits_follow_size(config, last_year):
    cls = pd.Series({a.id: a.cls for a in config.accounts})
    visits = last_year["visits"].groupby(cls).mean()
    assert visits["key"] > visits["develop"] > 0


# --- determinism ----------------------------------------------------------------------------

def test_same_seed_same_output(config, history):
    config2, history2 = demo_company()
    assert config2 == config
    pd.testing.assert_frame_equal(history2, history)
    assert _sha(history2) == _sha(history)
    assert demo_config_dict() == demo_config_dict()


def test_other_seed_other_output_same_shape(history):
    _, other = demo_company(seed=DEMO_SEED + 1)
    assert _sha(other) != _sha(history)
    acc = other[other["year"] == LAST].groupby("account_id")["volume"].sum()
    assert 28 <= (acc > 100).sum() <= 32
    assert 0.69 <= acc[acc > 100].sum() / acc.sum() <= 0.75


def test_output_does_not_depend_on_hash_seed(history):
    code = ("import hashlib; from kamplan.demo.company import demo_company; "
            "h = demo_company()[1]; "
            "print(hashlib.sha256(h.to_csv(index=False, lineterminator='\\n').encode('utf-8')).hexdigest())")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _sha(history)


def test_plan_year_shifts_the_years_only(history):
    config = config_from_dict(demo_config_dict(plan_year=2030))
    shifted = demo_history(config)
    assert sorted(shifted["year"].unique()) == [2027, 2028, 2029]
    back = shifted.assign(year=shifted["year"] - 3)
    pd.testing.assert_frame_equal(back, history)


def test_history_for_part_of_the_accounts(config, history):
    data = demo_config_dict()
    keep = [a["id"] for a in data["accounts"][:10]]
    data["accounts"] = data["accounts"][:10]
    part = demo_history(config_from_dict(data))
    expected = history[history["account_id"].isin(keep)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)


def test_history_refuses_a_foreign_config():
    data = demo_config_dict()
    data["accounts"][0]["id"] = "X999"
    with pytest.raises(ValueError, match="X999"):
        demo_history(config_from_dict(data))
