"""A company built like the real one kamplan was tried on (issue 12), small enough for a test.

Velo Trading sells bicycles, helmets, socks and chain oil to shops through five salespeople:
- quota periods end on 28 Feb, 30 May, 30 Aug and 30 Nov (the days its order batches arrive), so its
  fiscal 2013 runs from 1 Dec 2012 to 30 Nov 2013;
- products in different units (bikes and helmets in pieces, socks in pairs, oil in litres) at prices
  from ~8 to ~877;
- several salespeople per account: members with a share, a per-product share, a technical overlay
  with full credit; a manager without a region; ids and names with accents and in Chinese;
- an ERP export with its own column names and a salesperson column in ERP codes: most lines carry a
  code, some none (the account team's shares decide), one a code that matches nobody.

Everything is generated from a fixed seed; ``write_company`` writes the config and the ERP files and
returns the lines as text, so a test can recompute every figure independently (``Decimal``).
"""
from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from kamplan.demo.company import demo_config_dict

PLAN_YEAR = 2013
PERIOD_ENDS = ["2013-02-28", "2013-05-30", "2013-08-30", "2013-11-30"]

PRODUCTS = [  # id, en, zh, unit, list price, margin
    ("BIKE", "Road bike", "公路自行车", "pcs", 877.0, 0.22),
    ("HELM", "Helmet", "头盔", "pcs", 35.0, 0.35),
    ("SOCK", "Cycling socks", "骑行袜", "pair", 29.0, 0.45),
    ("OIL", "Chain oil", "链条油", "L", 8.0, 0.50),
]
REGIONS = [("north", "North", "北区"), ("south", "South", "南区"), ("west", "West", "西区")]
STAFF = [  # id, name (plain string: the workspace language only), region, ERP code
    ("josé1", "José Álvarez", "north", "S-01"),
    ("张伟", "张伟", "north", "S-02"),
    ("linda", "Linda Ørsted", "south", "S-03"),
    ("wu.fang", "Wu Fang", "west", "S-04"),
    ("mgr", "Maria Manager", None, "S-09"),  # the sales manager: no region
    ("tech.li", "Li Technik", "west", "S-05"),  # the technical overlay on two accounts
]
TECH = "tech.li"  # full credit on the accounts they cover, outside the 100%

# account id -> team rows (salesperson, role, share); share may be {product: share}
TEAMS = {
    "A01": [("linda", "member", 0.3)],
    "A02": [("josé1", "member", 0.25), (TECH, "overlay", 1.0)],
    "A05": [("josé1", "member", {"BIKE": 0.5})],
    "A07": [("mgr", "member", 0.4)],
    "A11": [(TECH, "overlay", 1.0)],
}


@dataclass
class Line:
    """One ERP line as written to the file (text, as the ERP exported it)."""
    date: str
    customer: str
    product: str
    quantity: str
    amount: str
    rep_code: str = ""


@dataclass
class Company:
    config: dict
    accounts: list[dict]
    history_lines: list[Line] = field(default_factory=list)
    plan_lines: list[Line] = field(default_factory=list)
    unknown_code_lines: list[Line] = field(default_factory=list)

    @property
    def code_to_staff(self) -> dict[str, str]:
        return {code: sid for sid, _, _, code in STAFF}


def _accounts(rng: random.Random) -> list[dict]:
    accounts = []
    owners = ["josé1", "张伟", "linda", "wu.fang"]
    for i in range(1, 19):
        aid = f"A{i:02d}"
        owner = owners[i % len(owners)]
        region = next(r for s, _, r, _ in STAFF if s == owner)
        account = {"id": aid, "name": f"Vélo Shop {i}" if i % 3 else f"骑行店{i}号", "region": region,
                   "rep": owner, "class": "develop"}
        if aid in TEAMS:
            account["team"] = [{"salesperson": s, "role": role, "share": share} for s, role, share in TEAMS[aid]]
        accounts.append(account)
    return accounts


def config_dict(accounts: list[dict]) -> dict:
    base = demo_config_dict(language="en")
    base.update({
        "company": {"name": "Velo Trading GmbH", "industry": "Bicycles and parts"},
        "plan_year": PLAN_YEAR,
        "currency": "EUR",
        "calendar": {"period_ends": PERIOD_ENDS},
        "products": [{"id": p, "name": {"en": en, "zh-CN": zh}, "unit": unit, "list_price": price,
                      "standard_margin": margin} for p, en, zh, unit, price, margin in PRODUCTS],
        "regions": [{"id": r, "name": {"en": en, "zh-CN": zh}} for r, en, zh in REGIONS],
        "staff": [{"id": s, "name": name, **({"region": region} if region else {}),
                   "email": f"{i}@velo.example"} for i, (s, name, region, _) in enumerate(STAFF)],
        "accounts": accounts,
        "support_pools": [],
        "workbook": {"deadline": "2012-12-20"},
        "actuals": {
            "columns": {"date": ["Belegdatum"], "customer": ["Kunde"], "product": ["Artikel"],
                        "quantity": ["Menge"], "amount": ["Nettobetrag"], "salesperson": ["Verkäufer"]},
            "date_formats": ["%d.%m.%Y"],
            "aliases": {"salespeople": {code: sid for sid, _, _, code in STAFF}},
        },
    })
    base.pop("segmentation", None)
    return base


def _period_days(year: int) -> list[tuple[dt.date, dt.date]]:
    """The four periods of fiscal ``year`` (ends 28 Feb, 30 May, 30 Aug, 30 Nov), computed here from the
    month-days, independently of kamplan's calendar."""
    ends = [dt.date(year, 2, 28), dt.date(year, 5, 30), dt.date(year, 8, 30), dt.date(year, 11, 30)]
    starts = [dt.date(year - 1, 12, 1)] + [e + dt.timedelta(days=1) for e in ends[:3]]
    return list(zip(starts, ends))


def fiscal_period(date: dt.date) -> tuple[int, int]:
    """(fiscal year, quarter) of a date under Velo's calendar — the test's own mapping."""
    year = date.year + (1 if date > dt.date(date.year, 11, 30) else 0)
    for q, (start, end) in enumerate(_period_days(year), start=1):
        if start <= date <= end:
            return year, q
    raise AssertionError(date)


def _lines(rng: random.Random, accounts: list[dict], year: int, quarters: list[int], with_codes: bool) -> list[Line]:
    lines = []
    prices = {p: price for p, _, _, _, price, _ in PRODUCTS}
    codes = {s: code for s, _, _, code in STAFF}
    for q in quarters:
        start, end = _period_days(year)[q - 1]
        # The boundaries themselves: the first and last day of every period carry a line.
        days = [start, end] + [start + dt.timedelta(days=rng.randrange((end - start).days + 1)) for _ in range(40)]
        for n, day in enumerate(days):
            account = accounts[n % len(accounts)]
            product = rng.choice(list(prices))
            qty = rng.randint(1, 40) if product == "BIKE" else rng.randint(5, 400)
            price = prices[product] * rng.uniform(0.85, 1.05)
            amount = f"{qty * price:.2f}"
            rep = ""
            if with_codes and n % 4:  # a quarter of the lines carry no salesperson: the team decides
                members = [account["rep"]] + [m["salesperson"] for m in account.get("team", [])
                                             if m["role"] != "overlay"]
                rep = codes[members[n % len(members)]]
            lines.append(Line(day.strftime("%d.%m.%Y"), account["id"], product, str(qty), amount, rep))
    return lines


def write_erp(path: Path, lines: list[Line]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Belegdatum", "Kunde", "Artikel", "Menge", "Nettobetrag", "Verkäufer"])
        for x in lines:
            w.writerow([x.date, x.customer, x.product, x.quantity, x.amount, x.rep_code])
    return path


def build_company(seed: int = 2013) -> Company:
    rng = random.Random(seed)
    accounts = _accounts(rng)
    company = Company(config_dict(accounts), accounts)
    company.history_lines = _lines(rng, accounts, PLAN_YEAR - 1, [1, 2, 3, 4], with_codes=False)
    company.plan_lines = _lines(rng, accounts, PLAN_YEAR, [1, 2], with_codes=True)
    company.unknown_code_lines = [Line("15.01.2013", "A03", "HELM", "10", "350.00", "S-77")]
    return company


def quotas(company: Company) -> list[tuple[str, str, str]]:
    """One quota per salesperson x period (text, as a sales manager's file has it): the owner's last-year
    revenue in that period grown by 8%, rounded to the euro; the manager carries none."""
    from decimal import Decimal
    owner = {a["id"]: a["rep"] for a in company.accounts}
    base: dict[tuple[str, int], Decimal] = {}
    for x in company.history_lines:
        _, q = fiscal_period(dt.datetime.strptime(x.date, "%d.%m.%Y").date())
        key = (owner[x.customer], q)
        base[key] = base.get(key, Decimal(0)) + Decimal(x.amount)
    return [(s, f"{PLAN_YEAR}-Q{q}", str((v * Decimal("1.08")).quantize(Decimal("1"))))
            for (s, q), v in sorted(base.items())]
