"""The shape of a company's planning configuration.

One YAML file describes a company's planning year.  It is validated with
pydantic so that every error names the key path (``staff[3].region``), the bad
value and what is allowed.  Cross-references (a salesperson's region, an
account's salesperson) are checked here too, so later stages can trust them.
"""
from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from kamplan.config.base import Names, Strict

from kamplan.config.resources import ResourceRules
from kamplan.config.review import SegmentationRules
from kamplan.config.actuals import ActualsRules
from kamplan.config.evaluation import EvaluationRules

Language = Literal["en", "zh-CN"]
ClassId = Literal["key", "develop", "watch", "drop"]
SupportKind = Literal["executive", "technical", "advisor"]
CLASS_IDS: tuple[str, ...] = ("key", "develop", "watch", "drop")
SUPPORT_KINDS: tuple[str, ...] = ("executive", "technical", "advisor")

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"


class Company(Strict):
    name: Names
    industry: str = ""


class Calendar(Strict):
    """Fiscal calendar: four quarters starting at ``first_month``."""
    first_month: int = Field(1, ge=1, le=12)

    def year_span(self, plan_year: int) -> tuple[dt.date, dt.date]:
        """First and last day of the fiscal year named ``plan_year`` (the calendar year it starts in)."""
        start = dt.date(plan_year, self.first_month, 1)
        end = dt.date(plan_year + 1, self.first_month, 1) - dt.timedelta(days=1)
        return start, end


class Product(Strict):
    id: str = Field(pattern=_ID)
    name: Names
    unit: str = Field("t", min_length=1, max_length=12)
    list_price: float = Field(gt=0, description="list price per unit, in the plan currency")
    standard_margin: float = Field(ge=-1, le=1, description="standard gross margin as a fraction of revenue")


class Region(Strict):
    id: str = Field(pattern=_ID)
    name: Names


class Staff(Strict):
    id: str = Field(pattern=_ID)
    name: Names
    region: str
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
                raise ValueError(f"{value!r} is not a share; write 0.3 or 30%") from None
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
    team: list[TeamMember] = Field([], description="other salespeople who carry the account, with their shares")


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
                raise ValueError(f"capacity.{q}: {v} is negative; capacities are days or visits >= 0")
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


class WorkbookRules(Strict):
    sheet_password: str = Field("kamplan", max_length=64,
                                description="guards the layout against accidents; not security")
    deadline: dt.date | None = Field(None, description="when the December workbooks are due back")
    blank_rows: int = Field(40, ge=5, le=500, description="empty input rows in list sheets (trainings, requests)")


class AccountPlanRules(Strict):
    """The account plan workbooks (issue 15)."""
    blank_rows: int = Field(20, ge=1, le=500, description="empty rows for new entries in each list sheet of an "
                            "account plan")


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
    account_plan: AccountPlanRules = AccountPlanRules()

    @model_validator(mode="after")
    def _cross_references(self):
        problems: list[str] = []
        for field, items in (("products", self.products), ("regions", self.regions),
                             ("staff", self.staff), ("accounts", self.accounts)):
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.id in seen:
                    problems.append(f"{field}[{i}].id: {item.id!r} is used twice; ids must be unique")
                seen.add(item.id)
        regions = {r.id for r in self.regions}
        staff = {s.id for s in self.staff}
        for i, s in enumerate(self.staff):
            if s.region not in regions:
                problems.append(f"staff[{i}].region: {s.region!r} is not a region; allowed: {sorted(regions)}")
        for i, a in enumerate(self.accounts):
            if a.region not in regions:
                problems.append(f"accounts[{i}].region: {a.region!r} is not a region; allowed: {sorted(regions)}")
            if a.rep not in staff:
                problems.append(f"accounts[{i}].rep: {a.rep!r} is not a salesperson; allowed: {sorted(staff)}")
        missing = [c for c in CLASS_IDS if c not in self.classes]
        if missing:
            problems.append(f"classes: missing {missing}; all of {list(CLASS_IDS)} must be described")
        for p, pool in enumerate(self.support_pools):
            for q, person in enumerate(pool.people):
                for r in person.regions:
                    if r not in regions:
                        problems.append(f"support_pools[{p}].people[{q}].regions: {r!r} is not a region; "
                                        f"allowed: {sorted(regions)}")
        kinds = [p.kind for p in self.support_pools]
        if len(kinds) != len(set(kinds)):
            problems.append("support_pools: each kind (executive, technical, advisor) may appear once")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _team_references(self):
        staff, products = {s.id for s in self.staff}, {p.id for p in self.products}
        full = set(self.teams.full_credit_roles)
        problems: list[str] = []
        for i, a in enumerate(self.accounts):
            problems += _team_problems(f"accounts[{i}]", a, staff, products, full)
        if problems:
            raise ValueError("\n".join(problems))
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


def _team_problems(path: str, account: Account, staff: set[str], products: set[str], full: set[str]) -> list[str]:
    """What is wrong with one account's team: unknown people or products, the owner or a member listed
    twice, a missing share, members' shares above 100% of a product.  Each line starts with the key path
    (or, for a member read from account_team_file, the file › row)."""
    out: list[str] = []
    seen: dict[str, str] = {}
    taken: dict[str, list[tuple[str, float]]] = {}  # product ('' = all) -> (member, share)
    for j, m in enumerate(account.team):
        where = m.src or f"{path}.team[{j}]"
        sep = ": " if not m.src else ": account " + account.id + ": "
        if m.salesperson not in staff:
            out.append(f"{where}{sep}salesperson {m.salesperson!r} is not a salesperson; allowed: {sorted(staff)}")
        elif m.salesperson == account.rep:
            out.append(f"{where}{sep}{m.salesperson!r} is the account's owner (rep); the owner gets the "
                       "remainder of the shares and is not listed as a member")
        if m.salesperson in seen:
            out.append(f"{where}{sep}{m.salesperson!r} is listed twice (also {seen[m.salesperson]}); give one "
                       "entry per member, with a share per product for per-product credit")
        seen.setdefault(m.salesperson, where)
        for product, share in m.product_shares().items():
            if product and product not in products:
                out.append(f"{where}{sep}share for {product!r}: not a product; allowed: {sorted(products)}")
            if m.role in full:
                continue
            if share is None:
                out.append(f"{where}{sep}the {m.role} {m.salesperson!r} has no share; give share: 0.3 (or 30%), "
                           f"or make the role a full-credit role (teams.full_credit_roles)")
                continue
            taken.setdefault(product, []).append((m.salesperson, share))
    out += _over_hundred(path, account, taken, products)
    return out


def _over_hundred(path: str, account: Account, taken: dict[str, list[tuple[str, float]]],
                  products: set[str]) -> list[str]:
    """A line per product whose members' shares (all-products shares included) add up to more than 100%."""
    out = []
    general = taken.get("", [])
    specific = {p: v for p, v in taken.items() if p}
    for product in sorted(products):
        own = specific.get(product, [])
        members = {m for m, _ in own}
        shares = own + [(m, s) for m, s in general if m not in members]
        total = sum(Fraction(s) for _, s in shares)
        if total > 1:
            parts = ", ".join(f"{m} {s:.0%}" for m, s in shares)
            out.append(f"{path}.team: account {account.id}: the members' shares of product {product} add up to "
                       f"{float(total):.0%} ({parts}); at most 100% (the owner {account.rep} gets the remainder)")
    return out
