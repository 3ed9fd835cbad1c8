"""A believable demo company, generated deterministically from a seed.

The company is modelled on seed 000 (a maker of centrifugal mill rolls in
Tangshan): a fictional roll maker, 联丰轧辊 / Lianfeng Rolls, with exactly 93
domestic customers (steel mills and rolling plants; all names are invented),
8 salespeople in 5 regions, 4 product lines and three years of history before
the plan year.  In the last history year about 30 customers buy more than
100 t each and together give about 72 % of about 13,000 t; the top five buy
more than 500 t each; the other 63 form a tail of small buyers.

The history has one row per account x product x quarter for every product the
account buys (``kamplan.model.HISTORY_COLUMNS``).  A product an account does not
buy has no rows; a quarter without an order is a row with volume 0.  Accounts
won during the history have no rows before their first year.

* ``volume`` in the product unit (t), ``price`` the contract price per unit,
  ``revenue = volume x price``, ``gross_margin`` money (revenue less product cost);
* ``cost_to_serve`` money: freight, payment-term financing, sales visits,
  technical support days, order handling and quality claims;
* ``visits``: sales visits (salesperson and executives) in that quarter.

``cost_to_serve`` and ``visits`` are account-level quantities spread over the
account's product rows of the quarter (by volume; evenly when nothing was
bought), so *sum* them per account to get the account's figure.

The same seed gives byte-identical output on every machine: only the numpy
``Generator`` (PCG64) and plain arithmetic are used (no transcendental
functions, no hashing, no set ordering), and every number is rounded.

Regenerate the committed demo config with::

    python -m kamplan.demo.company config/demo.yaml
"""
from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from kamplan.config.load import config_from_dict
from kamplan.config.schema import PlanConfig
from kamplan.model import HISTORY_COLUMNS

DEMO_SEED = 2027
N_ACCOUNTS = 93
REGENERATE_COMMAND = "python -m kamplan.demo.company config/demo.yaml"

# --- fixed facts about the demo company -------------------------------------------------------

COMPANY = {"en": "Lianfeng Rolls Co., Ltd. (demo)", "zh-CN": "联丰轧辊有限公司（演示）"}
INDUSTRY = {"en": "Metallurgical mill rolls", "zh-CN": "冶金轧辊"}
EMAIL_DOMAIN = "lianfeng-rolls.example"

# id, zh, en, list price CNY/t (plan year), standard margin, share of a typical customer's tonnage
PRODUCTS = (
    ("CCR", "离心复合轧辊", "Centrifugal composite rolls", 16800, 0.26, 0.42),
    ("HCR", "高铬铸铁轧辊", "High-chrome iron rolls", 19800, 0.28, 0.26),
    ("HSS", "高速钢轧辊", "High-speed steel rolls", 29500, 0.35, 0.12),
    ("SGR", "球墨铸铁轧辊", "Ductile (SG) iron rolls", 12600, 0.18, 0.20),
)
PRODUCT_IDS = tuple(p[0] for p in PRODUCTS)


def _load_regions() -> list[dict]:
    """The regions' facts, kept as data in regions.toml beside this module."""
    with open(Path(__file__).with_name("regions.toml"), "rb") as f:
        return tomllib.load(f)["region"]


@dataclass(frozen=True)
class _RegionFacts:
    id: str
    zh: str
    en: str
    n_accounts: int
    freight_per_t: float  # CNY per tonne from the works in Tangshan
    visit_cost: float  # CNY per sales visit (travel, days away)
    cities: tuple[tuple[str, str], ...]


REGIONS = tuple(_RegionFacts(**{**r, "cities": tuple(tuple(c) for c in r["cities"])}) for r in _load_regions())
_REGION = {r.id: r for r in REGIONS}

# salespeople: id, zh, en, region
STAFF = (
    ("zhangwei", "张伟", "Zhang Wei", "north"),
    ("liuyang", "刘洋", "Liu Yang", "north"),
    ("wanglei", "王磊", "Wang Lei", "east"),
    ("chenjing", "陈静", "Chen Jing", "east"),
    ("yangfan", "杨帆", "Yang Fan", "northeast"),
    ("zhaomin", "赵敏", "Zhao Min", "central-south"),
    ("huangtao", "黄涛", "Huang Tao", "central-south"),
    ("zhouting", "周婷", "Zhou Ting", "west"),
)

# Invented trade names (zh, pinyin).  Chosen to avoid the names of real steel makers.
NAME_STEMS = (
    ("恒川", "Hengchuan"), ("瑞丰", "Ruifeng"), ("泰宏", "Taihong"), ("远航", "Yuanhang"),
    ("嘉润", "Jiarun"), ("华岳", "Huayue"), ("永晟", "Yongsheng"), ("鼎盛", "Dingsheng"),
    ("昌茂", "Changmao"), ("凯源", "Kaiyuan"), ("旭峰", "Xufeng"), ("裕成", "Yucheng"),
    ("铭诚", "Mingcheng"), ("通衡", "Tongheng"), ("润阳", "Runyang"), ("隆信", "Longxin"),
    ("宏锐", "Hongrui"), ("金耀", "Jinyao"), ("盛德", "Shengde"), ("丰安", "Feng'an"),
    ("鑫辰", "Xinchen"), ("达远", "Dayuan"), ("北岭", "Beiling"), ("青岚", "Qinglan"),
    ("海川", "Haichuan"), ("天衡", "Tianheng"), ("立垣", "Liyuan"), ("广润", "Guangrun"),
    ("云岭", "Yunling"), ("江澜", "Jianglan"), ("松涛", "Songtao"), ("长河", "Changhe"),
    ("启明", "Qiming"), ("新桐", "Xintong"), ("振岳", "Zhenyue"), ("博远", "Boyuan"),
    ("安澜", "Anlan"), ("晟岳", "Shengyue"), ("祥和", "Xianghe"), ("卓峰", "Zhuofeng"),
    ("恒嘉", "Hengjia"), ("华澄", "Huacheng"), ("金澜", "Jinlan"), ("兴茂", "Xingmao"),
    ("荣泰", "Rongtai"), ("合达", "Heda"), ("鸿晟", "Hongsheng"), ("益丰", "Yifeng"),
    ("翔川", "Xiangchuan"), ("泓源", "Hongyuan"), ("明辉", "Minghui"), ("正阳", "Zhengyang"),
    ("和鼎", "Heding"), ("森茂", "Senmao"), ("峻岭", "Junling"), ("沐阳", "Muyang"),
    ("东辰", "Dongchen"), ("西岭", "Xiling"), ("南澜", "Nanlan"), ("北屹", "Beiyi"),
    ("汇嘉", "Huijia"), ("万晟", "Wansheng"), ("千禧", "Qianxi"), ("高晟", "Gaosheng"),
    ("辰峰", "Chenfeng"), ("崇岳", "Chongyue"), ("宇衡", "Yuheng"), ("开泰", "Kaitai"),
    ("乾丰", "Qianfeng"), ("坤泰", "Kuntai"), ("景川", "Jingchuan"), ("德昀", "Deyun"),
    ("蓝岭", "Lanling"), ("青峰", "Qingfeng"), ("赤岭", "Chiling"), ("岚川", "Lanchuan"),
    ("鹏程", "Pengcheng"), ("长信", "Changxin"), ("利恒", "Liheng"), ("福瑞", "Furui"),
    ("国晟", "Guosheng"), ("丰誉", "Fengyu"), ("巨峰", "Jufeng"), ("弘泰", "Hongtai"),
    ("铂川", "Bochuan"), ("锦程", "Jincheng"), ("恒翔", "Hengxiang"), ("茂源", "Maoyuan"),
    ("灿阳", "Canyang"), ("涌泉", "Yongquan"), ("思源", "Siyuan"), ("颂嘉", "Songjia"),
    ("璟泰", "Jingtai"), ("朗峰", "Langfeng"), ("骏达", "Junda"), ("汉澄", "Hancheng"),
    ("智远", "Zhiyuan"), ("曜川", "Yaochuan"), ("晨岭", "Chenling"), ("屹嵘", "Yirong"),
)
_TOP_SUFFIXES = (("钢铁集团", "Iron & Steel Group"), ("钢铁集团", "Iron & Steel Group"),
                 ("钢铁", "Steel"), ("钢铁", "Steel"), ("特殊钢", "Special Steel"))
_KEY_SUFFIXES = (("钢铁", "Steel"), ("特钢", "Special Steel"), ("钢铁", "Steel"), ("板材", "Plate"),
                 ("型钢", "Sections"), ("钢管", "Steel Pipe"))
_SMALL_SUFFIXES = (("轧钢厂", "Rolling Mill"), ("钢铁", "Steel"), ("带钢", "Strip Steel"), ("线材", "Wire Rod"),
                   ("型钢", "Sections"), ("金属制品", "Metal Products"), ("钢管", "Steel Pipe"))

# Shape of the customer base in the last history year (seed 000, 2009 figures).
TOTAL_T = 13017.0
KEY_T = 9416.0
N_KEY = 30
TOP5_T = (1180.0, 960.0, 820.0, 690.0, 585.0)
TOP5_REGIONS = ("north", "east", "east", "east", "northeast")
# Two big accounts that cost more to serve than they earn: far away, deep discount, many claims.
DEMANDING = {7: "west", 13: "central-south"}

SEASON = (0.19, 0.26, 0.24, 0.31)  # Q1 Spring Festival lull, Q4 year-end stocking
SEASON_P = [s / sum(SEASON) for s in SEASON]
PRICE_INDEX = (1.00, 0.97, 0.955)  # history years 1..3, relative to the plan-year list price
COST_INDEX = (1.02, 0.99, 0.97)
TECH_DAY_COST = 1800.0
ORDER_HANDLING = {"top": 2000.0, "key": 2000.0, "mid": 2500.0, "small": 3500.0}  # per quarter with orders


# --- the hidden simulation plan -------------------------------------------------------------

@dataclass
class _Customer:
    rank: int  # 0 = biggest in the last history year
    id: str = ""
    region: str = ""
    rep: str = ""
    city: tuple[str, str] = ("", "")
    name: tuple[str, str] = ("", "")
    tier: str = ""  # top | key | mid | small
    trend: str = "stable"  # stable | growing | new | shrinking
    demanding: bool = False
    volumes: tuple[float, float, float] = (0.0, 0.0, 0.0)  # tonnes in history years 1..3
    mix: list[dict[str, float]] = field(default_factory=list)  # per year: product -> share
    products: tuple[str, ...] = ()
    discount: float = 0.0
    cost_factor: dict[str, float] = field(default_factory=dict)
    freight_factor: float = 1.0
    financing_rate: float = 0.0
    cls: str = "develop"


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(rng.random())


def _last_year_volumes(rng: np.random.Generator) -> list[float]:
    """Tonnes per customer in the last history year, biggest first, shaped like seed 000."""
    top = [t * _u(rng, 0.96, 1.04) for t in TOP5_T]
    key_total = KEY_T * _u(rng, 0.995, 1.005)
    # ranks 6..30: convex from ~400 t down to just over 100 t
    n_mid = N_KEY - 5
    w = []
    for j in range(n_mid):
        t = (n_mid - 1 - j) / (n_mid - 1)
        w.append(t * t * _u(rng, 0.85, 1.15) + 0.02)
    w.sort(reverse=True)
    floor = 106.0
    spread = key_total - sum(top) - n_mid * floor
    w_total = sum(w)
    mid = [floor + spread * x / w_total for x in w]
    # ranks 31..93: a long tail between ~5 t and ~93 t
    n_tail = N_ACCOUNTS - N_KEY
    tail_total = TOTAL_T * _u(rng, 0.995, 1.005) - key_total
    lo, hi = 5.0, 88.0
    ts = [(k + 0.5) / n_tail for k in range(n_tail)]
    noise = [_u(rng, 0.94, 1.06) for _ in range(n_tail)]
    # v_k = lo + (hi-lo) * n_k * (1 - a t_k - (1-a) t_k^2); solve a so the tail sums to tail_total
    s_n = sum(noise)
    s_t2 = sum(n * t * t for n, t in zip(noise, ts))
    s_lin = sum(n * (t - t * t) for n, t in zip(noise, ts))
    need = (tail_total - n_tail * lo) / (hi - lo)
    a = min(1.0, max(0.0, (s_n - s_t2 - need) / s_lin))
    tail = [lo + (hi - lo) * n * (1 - a * t - (1 - a) * t * t) for n, t in zip(noise, ts)]
    tail.sort(reverse=True)
    return top + mid + tail


def _plan(seed: int) -> tuple[np.random.Generator, list[_Customer]]:
    """Draw the customers; returns the generator, positioned for the history draws."""
    rng = np.random.default_rng(seed)
    last = _last_year_volumes(rng)
    custs = [_Customer(rank=i) for i in range(N_ACCOUNTS)]

    # tiers
    for c, v in zip(custs, last):
        c.tier = "top" if c.rank < 5 else "key" if c.rank < N_KEY else "mid" if v >= 40 else "small"

    # trends: a few growing and shrinking accounts, some newly won
    key_band = [r for r in range(5, N_KEY) if r not in DEMANDING]
    picked = [int(x) for x in rng.choice(key_band, size=4, replace=False)]
    for r in picked[:2]:
        custs[r].trend = "shrinking"
    for r in picked[2:]:
        custs[r].trend = "growing"
    tail_band = list(range(N_KEY, N_ACCOUNTS))
    picked = [int(x) for x in rng.choice(tail_band, size=9, replace=False)]
    for r in picked[:5]:
        custs[r].trend = "shrinking"
    for r in picked[5:]:
        custs[r].trend = "growing"
    small_band = [r for r in range(50, N_ACCOUNTS) if custs[r].trend == "stable"]
    for r in rng.choice(small_band, size=3, replace=False):
        custs[int(r)].trend = "new"
    for r in DEMANDING:
        custs[r].demanding = True

    # volumes in the three history years, working back from the last one
    for c, v3 in zip(custs, last):
        if c.trend == "growing":
            g2, g1 = _u(rng, 1.18, 1.45), _u(rng, 1.15, 1.40)
        elif c.trend == "shrinking":
            g2, g1 = _u(rng, 0.62, 0.80), _u(rng, 0.78, 0.95)
        elif c.trend == "new":
            g2, g1 = _u(rng, 1.3, 1.8), 0.0
        else:
            g2, g1 = _u(rng, 0.92, 1.09), _u(rng, 0.92, 1.09)
        v2 = v3 / g2
        v1 = v2 / g1 if g1 > 0 else 0.0
        c.volumes = (v1, v2, v3)

    # regions: the top five and the two demanding accounts are placed, the rest shuffled
    counts = {r.id: r.n_accounts for r in REGIONS}
    fixed = dict(enumerate(TOP5_REGIONS)) | DEMANDING
    for reg in fixed.values():
        counts[reg] -= 1
    pool = [r.id for r in REGIONS for _ in range(counts[r.id])]
    order = rng.permutation(len(pool))
    free = iter(pool[int(i)] for i in order)
    for c in custs:
        c.region = fixed[c.rank] if c.rank in fixed else next(free)
        cities = _REGION[c.region].cities
        c.city = cities[int(rng.integers(len(cities)))]

    # reps: within a region, alternate (snake order) down the size ranking
    for reg in REGIONS:
        reps = [s[0] for s in STAFF if s[3] == reg.id]
        members = [c for c in custs if c.region == reg.id]
        for k, c in enumerate(members):
            lap, pos = divmod(k, len(reps))
            c.rep = reps[pos if lap % 2 == 0 else len(reps) - 1 - pos]

    # ids and names
    numbers = rng.permutation(N_ACCOUNTS)
    stems = rng.permutation(len(NAME_STEMS))
    for c in custs:
        c.id = f"C{101 + int(numbers[c.rank]):03d}"
        zh, en = NAME_STEMS[int(stems[c.rank])]
        if c.tier == "top":
            sfx = _TOP_SUFFIXES[c.rank]
        elif c.tier == "key":
            sfx = _KEY_SUFFIXES[int(rng.integers(len(_KEY_SUFFIXES)))]
        else:
            sfx = _SMALL_SUFFIXES[int(rng.integers(len(_SMALL_SUFFIXES)))]
        c.name = (zh + sfx[0], f"{en} {sfx[1]}")

    # product portfolio and mix
    base = {p[0]: p[5] for p in PRODUCTS}
    for c in custs:
        if c.demanding:
            chosen = ["CCR", "SGR", "HCR"]
            weights = {"CCR": 0.45, "SGR": 0.45, "HCR": 0.10}
        else:
            if c.tier == "top":
                k = 4
            elif c.tier == "key":
                k = 3 + int(rng.random() < 0.5)
            elif c.tier == "mid":
                k = 2 + int(rng.random() < 0.4)
            else:
                k = 1 + int(rng.random() < 0.4)
            eligible = [p for p in PRODUCT_IDS if p != "HSS" or c.tier != "small"]
            total = sum(base[e] for e in eligible)
            idx = rng.choice(len(eligible), size=min(k, len(eligible)), replace=False,
                             p=[base[e] / total for e in eligible])
            chosen = [eligible[int(i)] for i in sorted(idx)]
            weights = {e: base[e] * _u(rng, 0.6, 1.4) for e in chosen}
        c.products = tuple(e for e in PRODUCT_IDS if e in chosen)
        lost = None
        if c.trend == "shrinking" and len(c.products) >= 2:
            # a competitor takes one line over: half of it in year 2, all of it in year 3
            lost = c.products[1 + int(rng.integers(len(c.products) - 1))]
        for y in range(3):
            w = dict(weights)
            if lost is not None:
                w[lost] *= (1.0, 0.5, 0.0)[y]
            tot = sum(w.values())
            c.mix.append({e: w[e] / tot for e in c.products})

        # commercial terms
        if c.demanding:
            c.discount = 0.13
            c.financing_rate = 0.035
        elif c.tier == "top":
            c.discount, c.financing_rate = _u(rng, 0.08, 0.12), _u(rng, 0.02, 0.035)
        elif c.tier == "key":
            c.discount, c.financing_rate = _u(rng, 0.05, 0.10), _u(rng, 0.015, 0.03)
        elif c.tier == "mid":
            c.discount, c.financing_rate = _u(rng, 0.02, 0.06), _u(rng, 0.008, 0.015)
        else:
            c.discount, c.financing_rate = _u(rng, -0.03, 0.03), _u(rng, 0.003, 0.01)
        c.cost_factor = {e: _u(rng, 0.98, 1.03) for e in c.products}
        c.freight_factor = _u(rng, 0.85, 1.15)

        c.cls = _classify(c.volumes)
    return rng, custs


def _classify(volumes: tuple[float, float, float]) -> str:
    """Class from size and trend (first vs last history year); the rules in the demo config."""
    v1, _, v3 = volumes
    if v3 >= 100:
        return "key"  # big enough to plan one by one; decliners stay key and are defended
    if v1 <= 0 or v3 >= 1.2 * v1:
        return "develop"  # newly won or growing fast
    if v3 <= 0.75 * v1:
        return "watch" if v3 >= 20 else "drop"  # drifting away
    if v3 < 20:
        return "drop"  # small and going nowhere
    return "develop"


# --- config -----------------------------------------------------------------------------------

def _names(zh: str, en: str) -> dict:
    return {"en": en, "zh-CN": zh}


TEAM_ACCOUNTS = 3  # accounts with an account team in the demo


def _add_teams(accounts: list[dict], rank: dict[str, int]) -> None:
    """Account teams on a few accounts: zhangwei's three biggest get liuyang (same region) as a member with
    30% of the credit, and the biggest of them wanglei as overlay (full credit, outside the 100%)."""
    owned = sorted((a for a in accounts if a["rep"] == "zhangwei"), key=lambda a: rank[a["id"]])[:TEAM_ACCOUNTS]
    for i, a in enumerate(owned):
        a["team"] = [{"salesperson": "liuyang", "role": "member", "share": 0.3}]
        if i == 0:
            a["team"].append({"salesperson": "wanglei", "role": "overlay"})


def demo_config_dict(plan_year: int = 2027, language: str = "zh-CN", seed: int = DEMO_SEED) -> dict:
    """The demo company's config as plain data (validates with ``config_from_dict``)."""
    _, custs = _plan(seed)
    zh = language == "zh-CN"
    accounts = []
    for c in sorted(custs, key=lambda c: c.id):
        accounts.append({"id": c.id, "name": _names(*c.name), "region": c.region, "rep": c.rep,
                         "class": c.cls, "city": c.city[0] if zh else c.city[1]})
    _add_teams(accounts, {c.id: c.rank for c in custs})
    return {
        "schema_version": 1,
        "company": {"name": _names(COMPANY["zh-CN"], COMPANY["en"]),
                    "industry": INDUSTRY["zh-CN" if zh else "en"]},
        "plan_year": plan_year,
        "currency": "CNY",
        "language": language,
        "calendar": {"first_month": 1},
        "products": [{"id": pid, "name": _names(pzh, pen), "unit": "t", "list_price": price,
                      "standard_margin": margin} for pid, pzh, pen, price, margin, _ in PRODUCTS],
        "regions": [{"id": r.id, "name": _names(r.zh, r.en)} for r in REGIONS],
        "staff": [{"id": sid, "name": _names(szh, sen), "region": reg,
                   "email": f"{sen.lower().replace(' ', '.')}@{EMAIL_DOMAIN}"}
                  for sid, szh, sen, reg in STAFF],
        "accounts": accounts,
        "support_pools": [
            {"kind": "executive", "name": _names("公司高层", "Company executives"), "unit": "visits",
             "people": [
                 _person("sunjianguo", "孙建国（总经理）", "Sun Jianguo (General Manager)", (6, 8, 8, 7),
                         ["strategy", "contracts"]),
                 _person("liming", "李明（销售副总）", "Li Ming (Sales VP)", (8, 10, 10, 9),
                         ["pricing", "contracts"]),
                 _person("majun", "马骏（技术副总）", "Ma Jun (Technical VP)", (6, 7, 7, 6),
                         ["metallurgy", "quality"]),
             ]},
            {"kind": "technical", "name": _names("技术部", "Technical department"), "unit": "days",
             "people": [
                 _person("guoqiang", "郭强", "Guo Qiang", (30, 36, 36, 32), ["commissioning", "roll pass design"],
                         ["north", "northeast"], 1200),
                 _person("heli", "何丽", "He Li", (24, 30, 30, 26), ["metallurgy", "failure analysis"], [], 1200),
                 _person("wuhao", "吴昊", "Wu Hao", (28, 34, 34, 30), ["commissioning"], ["east"], 1200),
                 _person("zhengkai", "郑凯", "Zheng Kai", (22, 28, 28, 24), ["failure analysis", "commissioning"],
                         ["central-south", "west"], 1200),
                 _person("linfang", "林芳", "Lin Fang", (20, 26, 26, 22), ["metallurgy", "heat treatment"],
                         ["east", "north"], 1200),
             ]},
            {"kind": "advisor", "name": _names("外聘教授", "Outside advisors"), "unit": "days",
             "budget": 180000,
             "people": [
                 _person("qianlixin", "钱立新教授", "Prof. Qian Lixin", (4, 4, 4, 4),
                         ["roll materials", "failure analysis"], [], 6000),
                 _person("kongdehua", "孔德华教授", "Prof. Kong Dehua", (3, 3, 3, 3),
                         ["metallurgy", "heat treatment"], [], 5000),
                 _person("fanwenbo", "范文博教授", "Prof. Fan Wenbo", (2, 4, 4, 2),
                         ["rolling process", "tribology"], [], 8000),
             ]},
        ],
        "classes": {
            "key": {"name": _names("重点客户", "Key"), "visits_per_quarter": 3, "executive_visits_per_year": 4,
                    "support_eligible": True},
            "develop": {"name": _names("培养客户", "Develop"), "visits_per_quarter": 2,
                        "executive_visits_per_year": 1, "support_eligible": True},
            "watch": {"name": _names("警惕客户", "Watch"), "visits_per_quarter": 1, "executive_visits_per_year": 0,
                      "support_eligible": True},
            "drop": {"name": _names("淘汰客户", "Drop"), "visits_per_quarter": 0, "executive_visits_per_year": 0,
                     "support_eligible": False},
        },
        "workbook": {"deadline": f"{plan_year - 1}-12-20"},
        # The seed measures key accounts by size: "over 100 t a year" (000).
        "segmentation": {"pareto": {"size_threshold": 100}},
        # two contacts per account a salesperson carries, and room for a year of visit reports
        "account_plan": {"blank_rows": 40},
        # Satisfaction and complaint rate (the account plans' visit reports) count in the scorecard (002).
        "evaluation": {"scorecard": {"goals": [
            {"id": "revenue", "kind": "number", "weight": 0.30},
            {"id": "volume", "kind": "number", "weight": 0.15},
            {"id": "gross_margin", "kind": "number", "weight": 0.15},
            {"id": "visits", "kind": "number", "weight": 0.10},
            {"id": "trainings", "kind": "number", "weight": 0.05},
            {"id": "satisfaction", "kind": "number", "weight": 0.05, "target": 4.2,
             "name": _names("客户满意度", "Customer satisfaction")},
            {"id": "complaint_rate", "kind": "number", "weight": 0.05, "target": 0.1,
             "name": _names("投诉率", "Complaint rate")},
            {"id": "relationship", "kind": "judgement", "weight": 0.10, "name": _names("客户关系", "Customer relationship")},
            {"id": "account_plan", "kind": "judgement", "weight": 0.05,
             "name": _names("客户计划及时更新", "Account plan kept up to date")}]}},
    }


def _person(pid: str, zh: str, en: str, cap: tuple[int, int, int, int], skills: list[str],
            regions: list[str] | None = None, cost_per_day: int = 0) -> dict:
    return {"id": pid, "name": _names(zh, en), "capacity": {f"Q{i + 1}": cap[i] for i in range(4)},
            "skills": skills, "regions": list(regions or []), "cost_per_day": cost_per_day}


def write_demo_config(path: str | Path, plan_year: int = 2027, language: str = "zh-CN",
                      seed: int = DEMO_SEED) -> Path:
    """Write the demo config as YAML (the committed ``config/demo.yaml``)."""
    path = Path(path)
    path.write_text(demo_config_text(plan_year, language, seed), encoding="utf-8", newline="\n")
    return path


def demo_config_text(plan_year: int = 2027, language: str = "zh-CN", seed: int = DEMO_SEED) -> str:
    header = ("# Demo company for kamplan: a fictional maker of mill rolls (names are invented).\n"
              "# Generated by kamplan.demo.company (write_demo_config) -- do not edit by hand.\n"
              f"# Regenerate with:  {REGENERATE_COMMAND}\n"
              f"# plan_year={plan_year} language={language} seed={seed}\n")
    body = yaml.safe_dump(demo_config_dict(plan_year, language, seed), allow_unicode=True, sort_keys=False,
                          width=120)
    return header + body


# --- history ----------------------------------------------------------------------------------

def _spread_int(total: int, weights: list[float]) -> list[int]:
    """Split an integer over rows by weight (largest remainder, ties to the first row)."""
    if total <= 0 or not weights:
        return [0] * len(weights)
    s = sum(weights)
    w = weights if s > 0 else [1.0] * len(weights)
    s = sum(w)
    exact = [total * x / s for x in w]
    out = [int(e) for e in exact]
    rest = total - sum(out)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[:rest]:
        out[i] += 1
    return out


def demo_history(config: PlanConfig, seed: int = DEMO_SEED) -> pd.DataFrame:
    """Three years (plan_year-3 .. plan_year-1) of quarterly history for the demo company.

    Uses the config's plan year and product list prices / standard margins; accounts and
    products not in the config are left out.  The config must come from ``demo_config_dict``
    (same seed) -- its account ids are the simulation's.
    """
    rng, custs = _plan(seed)
    known = {c.id for c in custs}
    unknown = [a.id for a in config.accounts if a.id not in known]
    if unknown:
        raise ValueError(f"demo_history needs the demo company's config; unknown account ids: {unknown[:5]}")
    wanted_accounts = {a.id for a in config.accounts}
    products = {p.id: p for p in config.products}
    years = [config.plan_year - 3 + k for k in range(3)]
    rows: list[list] = []

    for c in custs:  # biggest first; all draws happen whatever the config holds
        reg = _REGION[c.region]
        for y, year in enumerate(years):
            vol_y = c.volumes[y]
            if vol_y <= 0:
                continue
            # intra-year drift: shrinking accounts fade through the year, growing ones pick up
            drift = {"shrinking": (1.2, 1.08, 0.92, 0.8), "growing": (0.85, 0.95, 1.05, 1.15),
                     "new": (0.85, 0.95, 1.05, 1.15)}.get(c.trend, (1.0, 1.0, 1.0, 1.0))
            qvol: dict[str, list[float]] = {}
            for pid in c.products:
                amount = vol_y * c.mix[y][pid]
                q = [0.0, 0.0, 0.0, 0.0]
                if amount > 0:
                    if amount < 10:
                        k = 1 + int(rng.random() < 0.4)
                    elif amount < 30:
                        k = 2 + int(rng.random() < 0.5)
                    elif amount < 80:
                        k = 3 + int(rng.random() < 0.6)
                    else:
                        k = 4
                    active = sorted(int(i) for i in rng.choice(4, size=k, replace=False, p=SEASON_P))
                    w = {i: SEASON[i] * drift[i] * _u(rng, 0.75, 1.25) for i in active}
                    tot = sum(w.values())
                    for i in active:
                        q[i] = round(amount * w[i] / tot, 1)
                qvol[pid] = q
            # account-level service per quarter
            for qi in range(4):
                tier_visits = {"top": (5, 8), "key": (3, 5), "mid": (1, 3), "small": (0, 2)}[c.tier]
                visits = int(rng.integers(tier_visits[0], tier_visits[1] + 1))
                if c.demanding:
                    visits += 2
                if c.trend in ("growing", "new") or (c.trend == "shrinking" and y == 2):
                    visits += 1
                tech_range = {"top": (2, 6), "key": (1, 4), "mid": (0, 3), "small": (0, 2)}[c.tier]
                tech_days = float(rng.integers(tech_range[0], tech_range[1] + 1))
                if c.demanding:
                    tech_days += float(rng.integers(8, 15))
                claim = 0.0
                if c.demanding and y == 2 and qi == 2:
                    claim = _u(rng, 120000, 180000)
                elif c.tier in ("top", "key") and rng.random() < 0.04:
                    claim = _u(rng, 30000, 120000)
                q_volume = sum(qvol[p][qi] for p in c.products)
                handling = ORDER_HANDLING[c.tier] if q_volume > 0 else 0.0
                fixed = (visits * reg.visit_cost + tech_days * (TECH_DAY_COST + 0.4 * reg.visit_cost)
                         + handling + claim)
                vols = [qvol[p][qi] for p in c.products]
                visit_rows = _spread_int(visits, vols)
                vsum = sum(vols)
                for j, pid in enumerate(c.products):
                    prod = products.get(pid)
                    # draws happen even for rows left out, so the output never depends on the config subset
                    price_noise = _u(rng, 0.985, 1.015)
                    cost_noise = _u(rng, 0.99, 1.01)
                    if prod is None or c.id not in wanted_accounts:
                        continue
                    extra = 0.03 if (c.trend == "shrinking" and y == 2) else 0.0
                    price = round(prod.list_price * PRICE_INDEX[y] * (1 - c.discount - extra) * price_noise)
                    unit_cost = (prod.list_price * (1 - prod.standard_margin) * COST_INDEX[y]
                                 * c.cost_factor[pid] * cost_noise)
                    volume = vols[j]
                    revenue = round(volume * price, 2)
                    share = volume / vsum if vsum > 0 else 1.0 / len(vols)
                    cts = (volume * reg.freight_per_t * c.freight_factor + revenue * c.financing_rate
                           + fixed * share)
                    rows.append([year, qi + 1, c.id, pid, volume, float(price), revenue,
                                 round(volume * (price - unit_cost), 2), round(cts, 2), visit_rows[j]])

    df = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    order = {p.id: i for i, p in enumerate(config.products)}
    df["_p"] = df["product_id"].map(order)
    df = df.sort_values(["year", "quarter", "account_id", "_p"], kind="mergesort").drop(columns="_p")
    df = df.reset_index(drop=True)
    for col in ("year", "quarter", "visits"):
        df[col] = df[col].astype("int64")
    for col in ("volume", "price", "revenue", "gross_margin", "cost_to_serve"):
        df[col] = df[col].astype("float64")
    df.loc[df["gross_margin"] == 0, "gross_margin"] = 0.0  # no negative zeros
    return df


def demo_company(plan_year: int = 2027, language: str = "zh-CN",
                 seed: int = DEMO_SEED) -> tuple[PlanConfig, pd.DataFrame]:
    """The demo config (validated) and its history."""
    config = config_from_dict(demo_config_dict(plan_year, language, seed))
    return config, demo_history(config, seed)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path("config/demo.yaml")
    write_demo_config(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
