"""The shape of a company's planning configuration.

One YAML file describes a company's planning year.  It is validated with
pydantic so that every error names the key path (``staff[3].region``), the bad
value and what is allowed.  Cross-references (a salesperson's region, an
account's salesperson) are checked here too, so later stages can trust them.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from kamplan import periods
from kamplan.config.base import ConfigRule, Names, Strict, refuse, rule
from kamplan.messages import Message

from kamplan.config.resources import ResourceRules
from kamplan.config.review import SegmentationRules
from kamplan.config.actuals import ActualsRules
from kamplan.config.evaluation import EvaluationRules
from kamplan.config.units import UnitRules

Language = Literal["en", "zh-CN"]
ClassId = Literal["key", "develop", "watch", "drop"]
SupportKind = Literal["executive", "technical", "advisor"]
CLASS_IDS: tuple[str, ...] = ("key", "develop", "watch", "drop")
SUPPORT_KINDS: tuple[str, ...] = ("executive", "technical", "advisor")

# Ids become parts of file names (``<rep>_<year>_r1.xlsx``), sheet cells and key paths: any printable
# Unicode (``josé1``, ``张伟``) without whitespace, control or format characters, the characters Windows
# refuses in file names, a comma (workbooks list ids with commas in their identity sheet), or a leading
# dot; at most 32 characters.  (Rust-regex syntax: pydantic checks it.)
_ID = r'^[^\s\p{C}/\\:*?"<>|,.][^\s\p{C}/\\:*?"<>|,]{0,31}$'
_ID_CHARS_FORBIDDEN = set('/\\:*?"<>|,')


def _nfc(value):
    # one spelling of "josé1" whether typed on Windows (NFC) or unpacked from a Mac zip (NFD)
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _valid_id(value: str) -> str:
    bad = sorted({c for c in value if c in _ID_CHARS_FORBIDDEN or c.isspace()
                  or unicodedata.category(c).startswith("C")})
    if bad or not value or value.startswith(".") or len(value) > 32:
        shown = ", ".join(repr(c) for c in bad) or Message("config.rule.id-leading-dot" if value.startswith(".")
                                                           else "config.rule.id-length")
        refuse("", "config.rule.not-an-id", value=repr(value), shown=shown)
    return value


Id = Annotated[str, BeforeValidator(_nfc), AfterValidator(_valid_id)]


class Company(Strict):
    name: Names
    industry: str = ""


class Calendar(Strict):
    """Fiscal calendar: four quarters a year, by exactly one of

    * ``first_month`` (1-12, the default 1): quarters of whole months; the fiscal year is named after the
      calendar year it starts in (first_month 4: 2026-04-01 .. 2027-03-31 is fiscal 2026);
    * ``period_ends``: the last days of one fiscal year's four quarters, e.g. [2013-02-28, 2013-05-30,
      2013-08-30, 2013-11-30]; each quarter starts the day after the one before ends, and every other year
      repeats the same month-days.  The fiscal year is named after the year its first quarter ends in
      (the example is fiscal 2013: 2012-12-01 .. 2013-11-30).  29 Feb: an end on 28 Feb stays 28 Feb in
      every year (so in a leap year 29 Feb opens the next quarter); an end on 29 Feb (a leap plan year)
      is 28 Feb in the years that have no 29 Feb;
    * ``weeks`` + ``start``: a 4-4-5, 4-5-4 or 5-4-4 pattern (three numbers adding to 13, the same every
      quarter, or twelve, each quarter's three adding to 13) from the first day ``start`` of a fiscal year
      named after the year its first quarter ends in; years have 52 weeks, ``years: {2027: 53}`` gives a
      year 53 (the extra week in the last part of Q4).

    ``years_explicit: {2012: [4 end dates]}`` overrides single years (a year's first quarter starts the
    day after the year before ends); with ``years_explicit`` alone only those years exist, and a date in
    no year is a problem wherever it is read (``kamplan.periods.period_map``).
    """
    first_month: int | None = Field(None, ge=1, le=12)
    period_ends: list[dt.date] | None = None
    weeks: list[int] | None = None
    start: dt.date | None = None
    years: dict[int, Literal[52, 53]] = {}
    years_explicit: dict[int, list[dt.date]] = {}

    @model_validator(mode="before")
    @classmethod
    def _month_calendar_by_default(cls, data):
        modes = ("first_month", "period_ends", "weeks", "start", "years_explicit")
        if isinstance(data, dict) and not any(data.get(k) is not None for k in modes):
            return {**data, "first_month": 1}
        return data

    @model_validator(mode="after")
    def _one_calendar(self):
        given = [name for name, on in (("first_month", self.first_month is not None),
                                       ("period_ends", self.period_ends is not None),
                                       ("weeks + start", self.weeks is not None or self.start is not None)) if on]
        if len(given) > 1:
            refuse("", "config.rule.calendar-one-of", given=" + ".join(given))
        problems = _calendar_problems(self)
        if problems:
            raise ConfigRule(problems)
        return self

    def year_span(self, plan_year: int) -> tuple[dt.date, dt.date]:
        """First and last day of the fiscal year named ``plan_year``."""
        return periods.year_span(self, plan_year)

    def quarter_span(self, year: int, quarter: int) -> tuple[dt.date, dt.date]:
        """First and last day of quarter 1-4 of fiscal ``year``."""
        return periods.quarter_span(self, year, quarter)

    def quarter_label(self, year: int, quarter: int, language: str = "en") -> str:
        """"Q1 (1 Dec–28 Feb)" / "第1季度(12月1日–2月28日)"."""
        return periods.quarter_label(self, year, quarter, language)


def _calendar_problems(cal: Calendar) -> list[tuple[str, Message]]:
    """Each problem as (key path, what is wrong and what to do)."""
    if cal.weeks is not None or cal.start is not None:
        problems = _week_problems(cal)
    else:
        problems = _ends_problems("period_ends", cal.period_ends) if cal.period_ends is not None else []
        if cal.period_ends and not problems and cal.period_ends[3] >= periods._shift_year(cal.period_ends[0], 1):
            problems.append(rule("period_ends", "config.calendar.ends-over-a-year", last=str(cal.period_ends[3]),
                                 first=str(cal.period_ends[0])))
    if cal.years and cal.weeks is None:
        problems.append(rule("years", "config.calendar.years-without-weeks"))
    for year, ends in sorted(cal.years_explicit.items()):
        problems += _ends_problems(f"years_explicit.{year}", ends)
    if not problems:
        problems += _explicit_year_problems(cal)
    return problems


def _ends_problems(key: str, ends: list[dt.date]) -> list[tuple[str, Message]]:
    if len(ends) != 4:
        return [rule(key, "config.calendar.four-ends", n=len(ends))]
    return [rule(f"{key}[{i}]", "config.calendar.ends-in-order", end=str(ends[i]), list=key, i=i - 1,
                 before=str(ends[i - 1]))
            for i in range(1, 4) if ends[i] <= ends[i - 1]]


def _week_problems(cal: Calendar) -> list[tuple[str, Message]]:
    if cal.weeks is None or cal.start is None:
        missing = "weeks" if cal.weeks is None else "start"
        return [rule(missing, "config.calendar.weeks-and-start")]
    if len(cal.weeks) not in (3, 12) or any(w < 1 for w in cal.weeks):
        return [rule("weeks", "config.calendar.not-a-pattern", weeks=str(cal.weeks))]
    return [rule("weeks", "config.calendar.quarter-weeks", quarter=q + 1, n=sum(cal.weeks[3 * q:3 * q + 3]),
                 pattern=str(cal.weeks[3 * q:3 * q + 3]))
            for q in range(len(cal.weeks) // 3) if sum(cal.weeks[3 * q:3 * q + 3]) != 13]


def _explicit_year_problems(cal: Calendar) -> list[tuple[str, Message]]:
    """An explicit year must join its neighbours without gap or overlap and last about a year."""
    problems = []
    for year, ends in sorted(cal.years_explicit.items()):
        key = f"years_explicit.{year}"
        before = periods.quarter_ends(cal, year - 1)
        if before is not None and ends[0] <= before[3]:
            problems.append(rule(f"{key}[0]", "config.calendar.overlaps-before", end=str(ends[0]), year=year - 1,
                                 last=str(before[3])))
            continue
        after = periods.quarter_ends(cal, year + 1)
        if after is not None and after[0] <= ends[3]:
            problems.append(rule(f"{key}[3]", "config.calendar.overlaps-after", end=str(ends[3]), year=year + 1,
                                 first=str(after[0])))
            continue
        first, last = periods.year_span(cal, year)
        if not 350 <= (last - first).days + 1 <= 380:
            problems.append(rule(key, "config.calendar.year-length", year=year, first=str(first), last=str(last),
                                 days=(last - first).days + 1))
    return problems


class Product(Strict):
    id: Id
    name: Names
    unit: str = Field("t", pattern=r"^\S{1,12}$")
    list_price: float = Field(gt=0, description="list price per unit, in the plan currency")
    standard_margin: float = Field(ge=-1, le=1, description="standard gross margin as a fraction of revenue")
    unit_factor: dict[str, float] = Field(
        {}, description="this product's own conversions: {to-unit: how many of it one of this product's unit is}, "
                        "e.g. a case of 24: {pcs: 24}; wins over units.conversions")


class Region(Strict):
    id: str = Field(pattern=r'^[^\p{C}/\\:*?"<>|,.][^\p{C}/\\:*?"<>|,]{0,31}$',
                    description="like other ids, but may contain spaces (files name regions as people say them)")
    name: Names

    @model_validator(mode="before")
    @classmethod
    def _tidy(cls, value):
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            value = {**value, "id": " ".join(_nfc(value["id"]).split())}  # "North  East " = "North East"
        return value


class Staff(Strict):
    id: Id
    name: Names
    region: str | None = Field(None, description="empty for a manager without a region (shown under no region)")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


TeamRole = Literal["member", "technical", "service", "overlay"]
TEAM_ROLES: tuple[str, ...] = ("member", "technical", "service", "overlay")


def _fraction(value):
    """A share as a fraction: 0.3, "0.3" or "30%" (a mapping: each of its values)."""
    if isinstance(value, dict):
        return {k: _fraction(v) for k, v in value.items()}
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                return float(text[:-1].strip()) / 100.0
            except ValueError:
                refuse("", "config.rule.not-a-share", value=repr(value))
        return text
    return value


Share = Annotated[float, Field(ge=0, le=1)]


class TeamMember(Strict):
    """A salesperson who carries an account with its owner (``rep``), and their credit share."""
    salesperson: str = Field(description="id of the salesperson (staff)")
    role: TeamRole = "member"
    share: Annotated[Share | dict[str, Share] | None, BeforeValidator(_fraction)] = Field(
        None, description="fraction of the account's lines credited to them (0.3 or 30%), or per product "
                          "{PRODUCT_ID: fraction} ('' = all other products); full-credit roles need none")
    src: str = Field("", description="where the entry came from (account_team_file › row); set by kamplan")

    def product_shares(self) -> dict[str, float | None]:
        """product id ('' = all products) -> share (None: not given)."""
        if isinstance(self.share, dict):
            return dict(self.share)
        return {"": self.share}


class TeamRules(Strict):
    full_credit_roles: list[TeamRole] = Field(["overlay"], description="roles credited in full, outside the 100%")


class Account(Strict):
    id: str = Field(pattern=_ID)
    name: Names
    region: str
    rep: str = Field(description="id of the responsible salesperson")
    cls: ClassId = Field("develop", alias="class")
    city: str = ""
    # default_factory: pydantic deep-copies a plain [] default for every account (40,000 copies: ~1 s)
    team: list[TeamMember] = Field(default_factory=list,
                                   description="other salespeople who carry the account, with their shares")


class SupportPerson(Strict):
    id: str = Field(pattern=_ID)
    name: Names
    capacity: dict[Literal["Q1", "Q2", "Q3", "Q4"], float] = Field(
        description="capacity per quarter, in the pool's unit")
    skills: list[str] = []
    regions: list[str] = Field([], description="regions served; empty = all")
    cost_per_day: float = Field(0, ge=0)

    @model_validator(mode="after")
    def _capacity_non_negative(self):
        for q, v in self.capacity.items():
            if v < 0:
                refuse(f"capacity.{q}", "config.rule.capacity-negative", value=v)
        return self


class SupportPool(Strict):
    kind: SupportKind
    name: Names
    unit: Literal["days", "visits"]
    budget: float | None = Field(None, ge=0, description="money budget for the year (advisors)")
    people: list[SupportPerson] = Field(min_length=1)


class ClassRule(Strict):
    name: Names
    visits_per_quarter: int = Field(ge=0, le=90, description="default salesperson visit cycle")
    executive_visits_per_year: int = Field(0, ge=0, le=52)
    support_eligible: bool = True


class TargetRules(Strict):
    """Thresholds the collect step warns about (warnings are stored, not rejected)."""
    price_below_list_warning: float = Field(0.40, ge=0, le=1,
                                            description="warn when a price is this fraction or more under list")
    price_above_list_warning: float = Field(0.50, ge=0, description="warn when a price is this fraction over list")
    growth_warning: float = Field(0.50, ge=0, description="warn when an account grows more than this vs last year")
    decline_warning: float = Field(0.30, ge=0, le=1,
                                   description="warn when an account falls more than this vs last year")
    max_volume_per_line: float = Field(1e6, gt=0, description="a quarter volume above this is refused as a typo")
    money_unit: float = Field(0.01, gt=0, description="top-down spreading rounds revenue to this unit")
    volume_unit: float = Field(1.0, gt=0, description="top-down spreading rounds volume to this unit")
    far_below: float = Field(0.2, gt=0, le=1, description="a top-down figure under this share of the current "
                             "version is refused as a typo (unless --allow-far)")
    far_above: float = Field(5.0, ge=1, description="a top-down figure over this many times the current version "
                             "is refused as a typo (unless --allow-far)")


class WorkbookRules(Strict):
    sheet_password: str = Field("kamplan", max_length=64,
                                description="guards the layout against accidents; not security")
    deadline: dt.date | None = Field(None, description="when the December workbooks are due back")
    blank_rows: int = Field(40, ge=5, le=500, description="empty input rows in list sheets (trainings, requests)")


class AccountPlanRules(Strict):
    """The account plan workbooks (issue 15)."""
    blank_rows: int = Field(20, ge=1, le=500, description="empty rows for new entries in each list sheet of an "
                            "account plan")
    stale_days: int = Field(60, ge=1, le=3650, description="a plan not collected for more than this many days is "
                            "a stale-plan warning")


class PlanConfig(Strict):
    """A company's planning configuration for one plan year."""
    schema_version: Literal[1] = 1
    company: Company
    plan_year: int = Field(ge=2000, le=2100)
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    language: Language = "zh-CN"
    calendar: Calendar = Calendar()
    products: list[Product] = Field(min_length=1)
    regions: list[Region] = Field(min_length=1)
    staff: list[Staff] = Field(min_length=1)
    accounts: list[Account] = Field([], description="key accounts; or give accounts_file")
    accounts_file: str | None = Field(None, description="CSV/XLSX with columns id,name_en,name_zh,region,rep,class")
    account_team_file: str | None = Field(None, description="CSV/XLSX with columns account,salesperson,role,share,"
                                                            "product: the account teams (blank product = all)")
    teams: TeamRules = TeamRules()
    support_pools: list[SupportPool] = []
    classes: dict[ClassId, ClassRule]
    targets: TargetRules = TargetRules()
    workbook: WorkbookRules = WorkbookRules()
    segmentation: SegmentationRules = SegmentationRules()
    resources: ResourceRules = ResourceRules()
    actuals: ActualsRules = ActualsRules()
    evaluation: EvaluationRules = EvaluationRules()
    units: UnitRules = UnitRules()
    account_plan: AccountPlanRules = AccountPlanRules()

    @model_validator(mode="before")
    @classmethod
    def _regions_by_name(cls, data):
        """A region may be named by its id or by its name in either language, with any spacing or case
        ("north east", "North  East", "华东"): files written by people name regions the way they say them."""
        if not isinstance(data, dict) or not isinstance(data.get("regions"), list):
            return data
        by_name: dict[str, str] = {}
        for r in data["regions"]:
            if isinstance(r, dict) and isinstance(r.get("id"), str):
                rid = " ".join(_nfc(r["id"]).split())
                names = r.get("name")
                spellings = [rid, *(names.values() if isinstance(names, dict) else [names])]
                for n in spellings:
                    if isinstance(n, str) and n.strip():
                        by_name.setdefault(" ".join(_nfc(n).split()).casefold(), rid)

        def resolved(items, key):
            out, seen = [], {}  # seen: spelling -> region id (a big company spells its ten regions 40,000 times)
            for item in items:
                if isinstance(item, dict) and isinstance(item.get(key), str):
                    given = item[key]
                    if given not in seen:
                        text = " ".join(_nfc(given).split())
                        seen[given] = by_name.get(text.casefold(), text) if text else None
                    if seen[given] != given:
                        item = {**item, key: seen[given]}
                out.append(item)
            return out

        data = dict(data)
        for field in ("staff", "accounts"):
            if isinstance(data.get(field), list):
                data[field] = resolved(data[field], "region")
        if isinstance(data.get("support_pools"), list):
            data["support_pools"] = [
                {**pool, "people": [{**p, "regions": [by_name.get(" ".join(_nfc(r).split()).casefold(), r)
                                                      if isinstance(r, str) else r for r in p["regions"]]}
                                    if isinstance(p, dict) and isinstance(p.get("regions"), list) else p
                                    for p in pool["people"]]}
                if isinstance(pool, dict) and isinstance(pool.get("people"), list) else pool
                for pool in data["support_pools"]]
        return data

    @model_validator(mode="after")
    def _cross_references(self):
        problems: list[str] = []
        for field, items in (("products", self.products), ("regions", self.regions),
                             ("staff", self.staff), ("accounts", self.accounts)):
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.id in seen:
                    problems.append(rule(f"{field}[{i}].id", "config.rule.id-twice", id=repr(item.id)))
                seen.add(item.id)
        regions = {r.id for r in self.regions}
        staff = {s.id for s in self.staff}
        for i, s in enumerate(self.staff):
            if s.region is not None and s.region not in regions:
                problems.append(rule(f"staff[{i}].region", "config.rule.staff-region", region=repr(s.region),
                                     allowed=str(sorted(regions))))
        problems += self._unit_problems()
        for i, a in enumerate(self.accounts):
            if a.region not in regions:
                problems.append(rule(f"accounts[{i}].region", "config.rule.not-a-region", region=repr(a.region),
                                     allowed=str(sorted(regions))))
            if a.rep not in staff:
                problems.append(rule(f"accounts[{i}].rep", "config.rule.not-a-salesperson", rep=repr(a.rep),
                                     allowed=str(sorted(staff))))
        missing = [c for c in CLASS_IDS if c not in self.classes]
        if missing:
            problems.append(rule("classes", "config.rule.classes-missing", missing=str(missing),
                                 allowed=str(list(CLASS_IDS))))
        for p, pool in enumerate(self.support_pools):
            for q, person in enumerate(pool.people):
                for r in person.regions:
                    if r not in regions:
                        problems.append(rule(f"support_pools[{p}].people[{q}].regions", "config.rule.not-a-region",
                                             region=repr(r), allowed=str(sorted(regions))))
        kinds = [p.kind for p in self.support_pools]
        if len(kinds) != len(set(kinds)):
            problems.append(rule("support_pools", "config.rule.pool-kind-twice"))
        if problems:
            raise ConfigRule(problems)
        return self

    def _unit_problems(self) -> list[str]:
        problems = []
        units = {p.unit for p in self.products}
        known = units | set(self.units.conversions) | {u for m in self.units.conversions.values() for u in m}
        for i, p in enumerate(self.products):
            for b, f in p.unit_factor.items():
                if b == p.unit:
                    problems.append(rule(f"products[{i}].unit_factor.{b}", "config.rule.unit-factor-own", product=p.id,
                                         unit=b))
                elif not f > 0:
                    problems.append(rule(f"products[{i}].unit_factor.{b}", "config.rule.unit-factor", factor=f, unit=b,
                                         own=p.unit, product=p.id))
            known |= set(p.unit_factor)
        if self.units.total_unit is not None and self.units.total_unit not in known:
            problems.append(rule("units.total_unit", "config.rule.total-unit", unit=repr(self.units.total_unit),
                                 known=str(sorted(known))))
        return problems

    @model_validator(mode="after")
    def _team_references(self):
        staff, products = {s.id for s in self.staff}, {p.id for p in self.products}
        full = set(self.teams.full_credit_roles)
        problems: list[tuple[str, Message]] = []
        for i, a in enumerate(self.accounts):
            if a.team:  # an account without a team has nothing to check (most of a big company's accounts)
                problems += _team_problems(f"accounts[{i}]", a, staff, products, full)
        if problems:
            raise ConfigRule(problems)
        return self

    # -- convenience lookups used by every layer -------------------------------------------
    def product(self, product_id: str) -> Product:
        return next(p for p in self.products if p.id == product_id)

    def staff_member(self, rep_id: str) -> Staff:
        return next(s for s in self.staff if s.id == rep_id)

    def accounts_of(self, rep_id: str) -> list[Account]:
        return [a for a in self.accounts if a.rep == rep_id]

    def pool(self, kind: str) -> SupportPool | None:
        return next((p for p in self.support_pools if p.kind == kind), None)

    def unit_of_kind(self, kind: str) -> str:
        pool = self.pool(kind)
        if pool is not None:
            return pool.unit
        return "visits" if kind == "executive" else "days"


def _team_problems(path: str, account: Account, staff: set[str], products: set[str],
                   full: set[str]) -> list[tuple[str, Message]]:
    """What is wrong with one account's team: unknown people or products, the owner or a member listed
    twice, a missing share, members' shares above 100% of a product.  Each fault is (key path, Message);
    a member read from account_team_file is said with its file › row instead of a key path."""
    out: list[tuple[str, Message]] = []
    seen: dict[str, str] = {}
    taken: dict[str, list[tuple[str, float]]] = {}  # product ('' = all) -> (member, share)
    for j, m in enumerate(account.team):
        where = m.src or f"{path}.team[{j}]"

        def fault(key: str, **fields) -> None:
            said = Message(f"config.team.{key}", **fields)
            out.append(("", Message("config.team.at", where=m.src, account=account.id, what=said)) if m.src
                       else (where, said))
        who = repr(m.salesperson)
        if m.salesperson not in staff:
            fault("not-a-salesperson", who=who, allowed=str(sorted(staff)))
        elif m.salesperson == account.rep:
            fault("owner-listed", who=who)
        if m.salesperson in seen:
            fault("twice", who=who, first=seen[m.salesperson])
        seen.setdefault(m.salesperson, where)
        for product, share in m.product_shares().items():
            if product and product not in products:
                fault("not-a-product", product=repr(product), allowed=str(sorted(products)))
            if m.role in full:
                continue
            if share is None:
                fault("no-share", role=m.role, who=who)
                continue
            taken.setdefault(product, []).append((m.salesperson, share))
    out += _over_hundred(path, account, taken, products)
    return out


def _over_hundred(path: str, account: Account, taken: dict[str, list[tuple[str, float]]],
                  products: set[str]) -> list[tuple[str, Message]]:
    """A fault per product whose members' shares (all-products shares included) add up to more than 100%."""
    out = []
    if not taken:  # no member with a share: nothing can be above 100%
        return out
    general = taken.get("", [])
    specific = {p: v for p, v in taken.items() if p}
    for product in sorted(products):
        own = specific.get(product, [])
        members = {m for m, _ in own}
        shares = own + [(m, s) for m, s in general if m not in members]
        total = sum(Fraction(s) for _, s in shares)
        if total > 1:
            parts = ", ".join(f"{m} {s:.0%}" for m, s in shares)
            out.append((f"{path}.team", Message("config.team.over-hundred", account=account.id, product=product,
                                                 total=f"{float(total):.0%}", parts=parts, rep=account.rep)))
    return out
