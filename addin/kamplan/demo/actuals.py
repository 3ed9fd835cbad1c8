"""Simulated actuals for the demo: ERP invoice lines and an activity log for the quarters of a plan year.

``simulate_actuals(config, plan_targets, year, quarters, seed)`` makes what an ERP and a CRM would
export once the year runs: several invoice lines per account x product x month around the agreed
targets (prices vary a little, a few customers outside the plan buy too), and an activity log of
visits, executive visits, trainings, services and complaints.  Two accounts drift away (seed 001:
falling order volume, complaints left open) so the evaluation has something to warn about; their
ids are in ``invoice_lines.attrs["drifting"]``.

Each quarter draws from its own random stream (seed, year, quarter), so simulating the quarters one
by one or all at once gives the same lines.  ``write_actuals_files`` saves them the way an ERP
exports them (CSV with a BOM or xlsx, Chinese or English headers).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from kamplan.periods import fiscal_months
from kamplan.model import ACTIVITY_COLUMNS

INVOICE_COLUMNS = ["date", "customer", "product", "quantity", "amount", "cost", "salesperson"]
INVOICE_HEADERS = {"en": ["invoice_date", "customer", "product", "quantity", "amount", "cost", "salesperson"],
                   "zh-CN": ["开票日期", "客户编码", "产品编码", "数量", "金额", "成本", "业务员"]}
ACTIVITY_HEADERS = {"en": ["date", "account", "kind", "person", "quantity", "status", "note", "ref"],
                    "zh-CN": ["日期", "客户", "类型", "人员", "数量", "状态", "备注", "编号"]}
KIND_WORDS = {"rep_visit": "拜访", "exec_visit": "高层拜访", "training": "培训", "service": "服务", "complaint": "投诉"}
STATUS_WORDS = {"open": "未解决", "resolved": "已解决"}
OUTSIDERS = ["X-9001", "X-9002", "X-9003"]  # ERP customers that are not key accounts (show as unmatched)
DRIFT = {1: 0.85, 2: 0.62, 3: 0.45, 4: 0.32}  # volume of a drifting account against target, by quarter
_COMPLAINT_NOTES = ["交货延迟", "轧辊表面裂纹", "硬度不均", "报价高于竞争对手"]


def drifting_accounts(plan_targets: pd.DataFrame, seed: int, n: int = 2) -> list[str]:
    """The ``n`` accounts that drift away: picked by ``seed`` among the upper half by target volume."""
    totals = plan_targets.groupby("account_id")["volume"].sum().sort_values(ascending=False)
    upper = sorted(totals.index[: max(n, len(totals) // 2)])
    if not upper:
        return []
    rng = np.random.default_rng([seed, 6001])
    return sorted(rng.choice(upper, size=min(n, len(upper)), replace=False).tolist())


def simulate_actuals(config, plan_targets: pd.DataFrame, year: int, quarters, seed: int
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Invoice lines (INVOICE_COLUMNS) and activity rows (ACTIVITY_COLUMNS) for ``quarters`` of fiscal ``year``.

    ``plan_targets``: account_id, product_id, quarter, volume and (optional) price -- the agreed plan.
    """
    need = {"account_id", "product_id", "quarter", "volume"}
    if not need <= set(plan_targets.columns):
        raise ValueError(f"plan_targets needs the columns {sorted(need)}; it has {list(plan_targets.columns)}")
    products = {p.id: p for p in config.products}
    accounts = {a.id: a for a in config.accounts}
    targets = plan_targets[plan_targets["account_id"].isin(accounts) & plan_targets["product_id"].isin(products)]
    drifting = drifting_accounts(targets, seed)
    months = fiscal_months(config.calendar.first_month)
    lines, events = [], []
    for q in sorted(int(x) for x in quarters):
        rng = np.random.default_rng([seed, year, q])
        who = _seller(accounts, np.random.default_rng([seed, year, q, 7]))
        cal = [(year if m >= config.calendar.first_month else year + 1, m) for m in months[q]]
        tq = targets[targets["quarter"] == q].sort_values(["account_id", "product_id"])
        for row in tq.itertuples(index=False):
            prod = products[row.product_id]
            target_price = getattr(row, "price", None)
            price0 = float(target_price) if target_price is not None and target_price == target_price \
                and target_price > 0 else prod.list_price
            level = DRIFT[q] if row.account_id in drifting else rng.normal(1.0, 0.08)
            for (cy, m), share in zip(cal, rng.dirichlet([8, 8, 8])):
                volume = float(row.volume) * share * max(level, 0.0)
                if volume <= 0.05:
                    continue
                k = int(rng.integers(1, 5))
                for part in rng.dirichlet(np.ones(k)) * volume:
                    price = price0 * (rng.normal(1.0, 0.02) - (0.03 if row.account_id in drifting else 0.0))
                    qty = round(float(part), 3)
                    amount = round(qty * price, 2)
                    cost = round(amount * (1 - prod.standard_margin) * rng.normal(1.0, 0.03), 2)
                    lines.append((_day(rng, cy, m), row.account_id, row.product_id, qty, amount, cost,
                                  who(row.account_id)))
        for customer in OUTSIDERS:  # small buyers the plan does not cover
            for (cy, m) in cal:
                for _ in range(int(rng.integers(1, 4))):
                    prod = products[sorted(products)[int(rng.integers(0, len(products)))]]
                    qty = round(float(rng.uniform(0.5, 4.0)), 3)
                    amount = round(qty * prod.list_price * rng.normal(1.0, 0.03), 2)
                    lines.append((_day(rng, cy, m), customer, prod.id, qty, amount,
                                  round(amount * (1 - prod.standard_margin), 2), None))
        events += _activities(config, sorted(tq["account_id"].unique()), drifting, cal, q, year, rng)
    invoice = pd.DataFrame(lines, columns=INVOICE_COLUMNS).sort_values(["date", "customer", "product"],
                                                                       kind="stable").reset_index(drop=True)
    invoice.attrs["drifting"] = drifting
    activity = pd.DataFrame(events, columns=ACTIVITY_COLUMNS).sort_values(["date", "account_id"], kind="stable")
    activity = activity.reset_index(drop=True)
    activity.attrs["drifting"] = drifting
    return invoice, activity


def _seller(accounts: dict, rng: np.random.Generator):
    """The ERP's salesperson of a line: on an account with a team member, the member about as often as
    their share and the owner otherwise; on other accounts no one (the ERP leaves it blank, the team
    shares decide).  Its own random stream leaves the lines' figures as they were."""
    def who(account_id: str) -> str | None:
        members = [m for m in accounts[account_id].team if m.role == "member" and isinstance(m.share, float)]
        if not members:
            return None
        draw = rng.random()
        for m in members:
            if draw < m.share:
                return m.salesperson
            draw -= m.share
        return accounts[account_id].rep
    return who


def _day(rng: np.random.Generator, year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return first + dt.timedelta(days=int(rng.integers(0, last)))


def _activities(config, account_ids, drifting, cal, q, year, rng) -> list[tuple]:
    out = []
    executives = [p.id for pool in config.support_pools if pool.kind == "executive" for p in pool.people]
    technical = [p.id for pool in config.support_pools if pool.kind == "technical" for p in pool.people]
    for aid in account_ids:
        acc = next(a for a in config.accounts if a.id == aid)
        rule = config.classes[acc.cls]
        drifts = aid in drifting
        visits = rule.visits_per_quarter - (int(rng.integers(1, 3)) if drifts and q >= 2 else 0)
        visits = max(0, visits + int(rng.integers(-1, 2)))
        for _ in range(visits):
            cy, m = cal[int(rng.integers(0, 3))]
            out.append((_day(rng, cy, m), aid, "rep_visit", acc.rep, 1.0, None, None, None))
        if executives and rng.random() < rule.executive_visits_per_year / 4:
            cy, m = cal[int(rng.integers(0, 3))]
            out.append((_day(rng, cy, m), aid, "exec_visit", executives[int(rng.integers(0, len(executives)))],
                        1.0, None, None, None))
        if rng.random() < 0.25:
            cy, m = cal[int(rng.integers(0, 3))]
            out.append((_day(rng, cy, m), aid, "training", technical[0] if technical else acc.rep,
                        float(rng.integers(5, 30)), None, "技术培训", None))
        if technical and rng.random() < 0.3:
            cy, m = cal[int(rng.integers(0, 3))]
            out.append((_day(rng, cy, m), aid, "service", technical[int(rng.integers(0, len(technical)))],
                        1.0, None, "现场技术服务", None))
        complaints = 1 if drifts and q >= 2 else int(rng.random() < 0.06)
        for k in range(complaints):
            cy, m = cal[int(rng.integers(0, 2))]
            opened = _day(rng, cy, m)
            ref = f"TS-{year}{q}-{aid}-{k + 1}"
            note = _COMPLAINT_NOTES[int(rng.integers(0, len(_COMPLAINT_NOTES)))]
            out.append((opened, aid, "complaint", acc.rep, 1.0, "open", note, ref))
            if not drifts:  # others' complaints are settled within weeks; a drifting account's stay open
                out.append((opened + dt.timedelta(days=int(rng.integers(7, 30))), aid, "complaint", acc.rep, 1.0,
                            "resolved", note, ref))
    return out


def write_actuals_files(folder: Path, invoice_lines: pd.DataFrame, activity_rows: pd.DataFrame, stem: str,
                        language: str = "zh-CN", fmt: str = "csv") -> tuple[Path, Path]:
    """Save the lines as an ERP export and the activity log as a CRM export: ``folder/<stem>_invoices.<fmt>``
    and ``folder/<stem>_activities.<fmt>``, with Chinese (zh-CN) or English headers; CSV is UTF-8 with a
    BOM, as Excel's "CSV UTF-8" saves it.  Returns the two paths."""
    from kamplan.csvcells import safe_frame
    from kamplan.workbooks.kit.xlsxio import atomic_path
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt {fmt!r}: use csv or xlsx")
    lang = "zh-CN" if language == "zh-CN" else "en"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    inv = invoice_lines[INVOICE_COLUMNS].copy()
    inv.columns = INVOICE_HEADERS[lang]
    act = activity_rows[ACTIVITY_COLUMNS].copy()
    if lang == "zh-CN":
        act["kind"] = act["kind"].map(KIND_WORDS)
        act["status"] = act["status"].map(lambda s: STATUS_WORDS.get(s) if isinstance(s, str) else None)
    act.columns = ACTIVITY_HEADERS[lang]
    paths = []
    for frame, name in ((inv, f"{stem}_invoices.{fmt}"), (act, f"{stem}_activities.{fmt}")):
        path = folder / name
        with atomic_path(path) as tmp:
            if fmt == "csv":
                safe_frame(frame).to_csv(tmp, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
            else:
                _write_xlsx(tmp, frame)
        paths.append(path)
    return paths[0], paths[1]


def _write_xlsx(path: Path, frame: pd.DataFrame) -> None:
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sheet1")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, list(frame.columns))
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
            elif v is None or (isinstance(v, float) and v != v):
                continue
            else:
                ws.write(i, j, v)
    wb.close()
