"""A simulated sales force: fills target workbooks the way a person would.

It opens the issued file, types only into unlocked input cells (and refuses
to write a locked one), and saves it under a new name, as a salesperson
returns a copy.  Used by the demo and by round-trip tests.

``fill_target_workbook`` fills a round-1 draft; ``respond_to_proposal``
answers a top-down proposal workbook (round 2+): it accepts most lines and
counters a few with a figure of its own and a reason.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kamplan.demo.keyboard import LockedCellError, TypedWorkbook
from kamplan.model import QUARTERS
from kamplan.workbooks.kit.i18n import t
from kamplan.workbooks.kit.identity import IDENTITY_SHEET
from kamplan.workbooks.targets.layout import PROPOSAL_VARIANT, AccountRow, ProductRow, TargetLayout


@dataclass
class Filled:
    """What was typed, keyed like the reader's output, for round-trip checks."""
    volumes: dict[tuple[str, str, int], float] = field(default_factory=dict)
    prices: dict[tuple[str, str, int], float] = field(default_factory=dict)
    visits: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    trainings: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    cells: set[tuple[str, str]] = field(default_factory=set)  # (sheet, ref) typed into


class _Person:
    """Types into a ``TypedWorkbook`` and remembers where."""

    def __init__(self, book: TypedWorkbook):
        self.book = book
        self.typed: set[tuple[str, str]] = set()

    def type(self, sheet: str, ref: str, value):
        self.book.type(sheet, ref, value)  # LockedCellError for a locked cell
        self.typed.add((sheet, ref))


def layout_of(wb) -> TargetLayout:
    """The layout of a target workbook from its identity block; ``wb`` an openpyxl workbook or a
    ``TypedWorkbook``."""
    if isinstance(wb, TypedWorkbook):
        pairs = [(wb.value(IDENTITY_SHEET, f"A{r}"), wb.value(IDENTITY_SHEET, f"B{r}"))
                 for r in wb.used_rows(IDENTITY_SHEET)]
    else:
        pairs = [(r[0].value, r[1].value) for r in wb[IDENTITY_SHEET].iter_rows(max_col=2)]
    ident = {k: v for k, v in pairs if k}
    accounts = [AccountRow(a, "", "") for a in ident["accounts"].split(",") if a]
    products = [ProductRow(p, "", "") for p in ident["products"].split(",") if p]
    return TargetLayout(ident["language"], int(ident["year"]), accounts, products,
                        blank_rows=int(ident["blank_rows"]), first_month=int(ident.get("first_month", 1)),
                        proposal=ident.get("variant") == PROPOSAL_VARIANT)


PURPOSES = [
    ("technical", "Roll failure analysis", "Analyse spalling on stand F3 rolls and propose a grade change", 3),
    ("technical", "Commissioning support", "On-site support for the new finishing-mill rolls", 4),
    ("executive", "Annual strategic review", "Meet the customer's general manager on next year's supply", 1),
    ("advisor", "Metallurgy seminar", "Professor's talk on high-speed-steel roll wear for the mill's engineers", 1),
    ("executive", "Defend the account", "Visit the purchasing director after the competitor's offer", 1),
]


def fill_target_workbook(src: Path, dst: Path, rng: np.random.Generator, *, ambition: float = 0.05,
                         fill_lists: bool = True) -> Filled:
    """Fill ``src`` like a salesperson and save the copy as ``dst``.

    Volumes follow last year's per line with a random growth around ``ambition``;
    some prices move a little; visits are adjusted; a few trainings, service
    commitments and support requests are added for the biggest accounts.
    """
    wb = TypedWorkbook(src)
    lay = layout_of(wb)
    person = _Person(wb)
    out = Filled()
    tg = lay.targets
    year = lay.year
    big: list[tuple[float, str]] = []
    for i, (acc, prod) in enumerate(tg.row_keys):
        r = tg.first_row + i
        ly = wb.value(tg.sheet, tg.ref(r, "ly_volume")) or 0.0
        if isinstance(ly, str):
            ly = 0.0
        growth = rng.normal(ambition, 0.08)
        new_product = ly == 0 and rng.random() < 0.04
        if ly <= 0 and not new_product:
            continue
        base = ly if ly > 0 else float(rng.integers(5, 30))
        shares = rng.dirichlet(np.full(4, 8.0))
        # a line another member of the account team plans is locked: the salesperson leaves it (the
        # random draws still happen, so the other lines get the figures they always got)
        theirs = wb.locked(tg.sheet, tg.ref(r, "volume_q1"))
        for q in QUARTERS:
            vol = float(round(base * (1 + growth) * shares[q - 1], 1))
            if vol <= 0:
                continue
            if theirs:
                rng.random()
                continue
            person.type(tg.sheet, tg.ref(r, f"volume_q{q}"), vol)
            out.volumes[(acc, prod, q)] = vol
            price = wb.value(tg.sheet, tg.ref(r, f"price_q{q}"))
            if rng.random() < 0.15:
                price = float(round(price * (1 + rng.normal(0.0, 0.03))))
                person.type(tg.sheet, tg.ref(r, f"price_q{q}"), price)
            out.prices[(acc, prod, q)] = float(price)
        if theirs:
            continue
        big.append((ly, acc))
        if growth > 0.15 and rng.random() < 0.5:
            person.type(tg.sheet, tg.ref(r, "comment"), "New line at the customer's hot strip mill")
    vi = lay.visits
    for i, (acc,) in enumerate(vi.row_keys):
        r = vi.first_row + i
        for q in QUARTERS:
            rep = int(wb.value(vi.sheet, vi.ref(r, f"rep_visits_q{q}")) or 0)
            exe = int(wb.value(vi.sheet, vi.ref(r, f"exec_visits_q{q}")) or 0)
            if rng.random() < 0.2:
                rep = max(0, rep + int(rng.integers(-1, 3)))
                person.type(vi.sheet, vi.ref(r, f"rep_visits_q{q}"), rep)
            out.visits[(acc, q)] = (rep, exe)
    if fill_lists:
        top = [a for _, a in sorted(set(big), reverse=True)[:4]]
        label = {a.id: a.id for a in lay.accounts}
        _lists(person, lay, wb, top, label, rng, year, out)
    out.cells = set(person.typed)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return out


REASONS = {
    "en": ["The customer's new mill starts only in the second half",
           "Competitor offered 8 % below our price in the last tender",
           "The customer is cutting output after the steel price fall",
           "Part of the volume moves to the customer's sister plant, planned by another colleague"],
    "zh-CN": ["客户新轧线下半年才投产", "竞争对手在上次招标中报价比我们低 8%",
              "钢价下跌后客户减产", "部分用量转到客户的兄弟工厂,由其他同事负责"],
}


@dataclass
class Responded:
    """What was answered to a proposal, keyed like the reader's output, for round-trip checks."""
    lines: dict[tuple[str, str, int], tuple[float, float]] = field(default_factory=dict)  # every line: vol, price
    counters: dict[tuple[str, str], str] = field(default_factory=dict)  # (acct, prod) -> reason
    accepted: set[tuple[str, str]] = field(default_factory=set)
    cells: set[tuple[str, str]] = field(default_factory=set)  # (sheet, ref) typed into


def respond_to_proposal(src: Path, dst: Path, rng: np.random.Generator | int, *, counter_share: float = 0.1,
                        accept_label_share: float = 0.3) -> Responded:
    """Answer the proposal workbook ``src`` like a salesperson and save the copy as ``dst``.

    Lines with a proposed volume are countered with probability ``counter_share``: the volume moves
    most of the way back to the salesperson's own figure (or down 10 % if they had none), now and then
    the price instead; Response says Counter and the comment gives a reason.  Every other line keeps the
    proposal; on some of them (``accept_label_share``) the person picks Accept explicitly.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    wb = TypedWorkbook(src)
    lay = layout_of(wb)
    if not lay.proposal:
        raise ValueError(f"{src} is not a top-down proposal workbook")
    person = _Person(wb)
    out = Responded()
    tg = lay.targets
    lang = lay.language
    label = {r: t(f"response.{r}", lang) for r in ("accept", "counter")}

    def number(ref):
        v = wb.value(tg.sheet, ref)
        return float(v) if isinstance(v, (int, float)) else 0.0
    for i, (acc, prod) in enumerate(tg.row_keys):
        r = tg.first_row + i
        vols = [number(tg.ref(r, f"prop_volume_q{q}")) for q in QUARTERS]
        prices = [number(tg.ref(r, f"prop_price_q{q}")) for q in QUARTERS]
        own, proposed = number(tg.ref(r, "own_volume")), sum(vols)
        if proposed > 0 and rng.random() < counter_share:
            if rng.random() < 0.25:  # a price the customer will not pay
                for q in QUARTERS:
                    if vols[q - 1] > 0:
                        prices[q - 1] = float(round(prices[q - 1] * 0.97))
                        person.type(tg.sheet, tg.ref(r, f"price_q{q}"), prices[q - 1])
            else:
                factor = own / proposed if own > 0 else 0.9
                factor = 1 + (factor - 1) * 0.8
                if abs(factor - 1) < 0.01:
                    factor = 0.95
                new = [float(round(v * factor, 1)) for v in vols]
                if new == vols:  # small volumes: rounding ate the change
                    top = int(np.argmax(vols))
                    new[top] = float(round(max(vols[top] - 1.0, 0.0), 1))
                for q in QUARTERS:
                    if new[q - 1] != vols[q - 1]:
                        person.type(tg.sheet, tg.ref(r, f"volume_q{q}"), new[q - 1] or None)
                vols = new
            reason = REASONS[lang][int(rng.integers(0, len(REASONS[lang])))]
            person.type(tg.sheet, tg.ref(r, "response"), label["counter"])
            person.type(tg.sheet, tg.ref(r, "comment"), reason)
            out.counters[(acc, prod)] = reason
        else:
            if wb.locked(tg.sheet, tg.ref(r, "response")):  # planned by another member of the account team
                rng.random()
                continue
            if rng.random() < accept_label_share:
                person.type(tg.sheet, tg.ref(r, "response"), label["accept"])
            out.accepted.add((acc, prod))
        for q in QUARTERS:
            out.lines[(acc, prod, q)] = (vols[q - 1], prices[q - 1])
    out.cells = set(person.typed)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return out


def _lists(person, lay, wb, top, label, rng, year, out: Filled):
    trn, svc, req = lay.trainings, lay.services, lay.requests
    for n, acc in enumerate(top[:3]):
        r = trn.first_row + n
        q = int(rng.integers(1, 5))
        row = {"account_id": acc, "quarter": q, "topic": "Roll handling and grinding practice",
               "audience": "Roll shop engineers"}
        person.type(trn.sheet, trn.ref(r, "account"), label[acc])
        person.type(trn.sheet, trn.ref(r, "quarter"), f"Q{q}")
        person.type(trn.sheet, trn.ref(r, "topic"), row["topic"])
        person.type(trn.sheet, trn.ref(r, "audience"), row["audience"])
        out.trainings.append(row)
    for n, acc in enumerate(top[:2]):
        r = svc.first_row + n
        due = _date_in(lay, rng, 28)
        row = {"account_id": acc, "commitment": "Roll consumption report every month",
               "measure": "Report delivered by the 5th working day", "due": due}
        person.type(svc.sheet, svc.ref(r, "account"), label[acc])
        person.type(svc.sheet, svc.ref(r, "commitment"), row["commitment"])
        person.type(svc.sheet, svc.ref(r, "measure"), row["measure"])
        person.type(svc.sheet, svc.ref(r, "due"), dt.datetime.combine(due, dt.time()))
        out.services.append(row)
    kinds = {"executive": "Executive", "technical": "Technical staff", "advisor": "Outside advisor"}
    if lay.language == "zh-CN":
        kinds = {"executive": "公司高层", "technical": "技术部", "advisor": "外聘教授"}
    for n, acc in enumerate(top[:3]):
        kind, purpose, task, amount = PURPOSES[int(rng.integers(0, len(PURPOSES)))]
        r = req.first_row + n
        deadline = _date_in(lay, rng, 15)
        prio = ["high", "medium", "low"][int(rng.integers(0, 3))]
        prio_label = {"high": "High", "medium": "Medium", "low": "Low"}[prio]
        if lay.language == "zh-CN":
            prio_label = {"high": "高", "medium": "中", "low": "低"}[prio]
        person.type(req.sheet, req.ref(r, "account"), label[acc])
        person.type(req.sheet, req.ref(r, "kind"), kinds[kind])
        person.type(req.sheet, req.ref(r, "purpose"), purpose)
        person.type(req.sheet, req.ref(r, "task"), task)
        person.type(req.sheet, req.ref(r, "amount"), float(amount))
        person.type(req.sheet, req.ref(r, "deadline"), dt.datetime.combine(deadline, dt.time()))
        person.type(req.sheet, req.ref(r, "priority"), prio_label)
        out.requests.append({"account_id": acc, "kind": kind, "purpose": purpose, "task": task,
                             "amount": float(amount), "deadline": deadline, "priority": prio,
                             "divisible": kind == "executive"})


def _date_in(lay: TargetLayout, rng: np.random.Generator, day: int) -> dt.date:
    """A day of a random month of the plan's fiscal year (not its first month)."""
    start = lay.span[0]
    month0 = start.month - 1 + int(rng.integers(1, 12))
    return dt.date(start.year + month0 // 12, month0 % 12 + 1, day)


def make_mistake(path: Path, sheet_key: str, ref_key: str, value, row_index: int = 0) -> str:
    """Type a wrong value into one input cell (for the demo's 'bad workbook'); returns the A1 ref."""
    wb = TypedWorkbook(path)
    lay = layout_of(wb)
    tb = getattr(lay, sheet_key)
    ref = tb.ref(tb.first_row + row_index, ref_key)
    _Person(wb).type(tb.sheet, ref, value)
    wb.save(path)
    return ref


def _isnan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)
