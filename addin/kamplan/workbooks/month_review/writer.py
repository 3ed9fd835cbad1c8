"""The monthly account-plan review (每月客户计划分析) for the VP: read-only, every sheet protected.

Sheets: **Summary** (per salesperson: accounts, changes this month, overdue actions, stale plans, decision
maps without a decision maker covered, pipeline value; a native chart of the pipeline by month and
stage), **Changes** (contacts, competitors, projects and the customer's business: what the plans collected
this month changed), **Overdue actions**, **Plans and decision maps**, **Pipeline**, **Share of wallet**
(per account and product: the customer's usage, ours, share, bought elsewhere, whitespace; a chart of the
share by account), then one page per salesperson with their own rows.  Personal notes are never written:
the content comes from the store's VP-side reads, and a change of a personal field is dropped again here.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell as cell_ref

from kamplan.workbooks.account_plan.layout import AT as PLAN_LABELS, at as plan_at
from kamplan.workbooks.kit.i18n import book_labels
from kamplan.workbooks.kit.styles import Styles, new_workbook, page_setup, protect_sheet
from kamplan.workbooks.month_review.content import MonthReviewContent

LABELS, _t = book_labels(__file__)
FIRST = 4  # 0-based row of the first table's header: title, subtitle, note, blank


class _Writer:
    def __init__(self, wb, c: MonthReviewContent):
        self.wb, self.c, self.s, self.lang = wb, c, Styles(wb), c.language
        self.fmt = {"text": self.s.cell(None), "int": self.s.cell("#,##0"), "num": self.s.cell("#,##0.0"),
                    "money": self.s.cell("#,##0"), "pct": self.s.cell("0.0%"), "date": self.s.cell("yyyy-mm-dd"),
                    "wrap": self.s.cell(None, wrap=True)}
        self.bold = self.s.label
        self._by_rep: dict | None = None  # see of_rep

    def t(self, key: str, **fmt) -> str:
        return _t(key, self.lang, **fmt)

    def name(self, kind: str, ident) -> str:
        return self.c.names.get(kind, {}).get(ident, str(ident))

    def sheet(self, key_or_name: str, title: str, literal: bool = False):
        ws = self.wb.add_worksheet(key_or_name if literal else self.t(key_or_name))
        c = self.c
        ws.write(0, 0, title, self.s.title)
        ws.write(1, 0, self.t("sub", company=c.company, year=c.year, start=f"{c.start:%Y-%m-%d}",
                              end=f"{c.end:%Y-%m-%d}"), self.s.subtitle)
        if c.note:
            ws.write(2, 0, self.t("note", note=c.note), self.s.subtitle)
        return ws

    def finish(self, ws, key_columns: int = 1) -> None:
        protect_sheet(ws, self.c.sheet_password)
        page_setup(ws, 3, language=self.lang, header=" · ".join(
            p for p in (self.wb.doc_properties.get("title", ""), self.c.company) if p), key_columns=key_columns)

    def shown(self, col: str, v):
        """A cell's value as the reader should see it: names for ids, words for codes."""
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return None
        if col == "account_id":
            return f"{v} {self.name('account', v)}"
        if col in ("rep_id", "owner"):
            return self.name("rep", v) if col == "rep_id" else self.name("person", v)
        if col == "product_id":
            return self.name("product", v)
        if col in ("stage", "status", "change"):
            key = f"{col}.{v}"
            return self.t(key) if key in LABELS else str(v)
        if col == "sheet":
            return self.t(f"subject.{v}") if f"subject.{v}" in LABELS else str(v)
        if col == "field":
            return _field_label(str(v), self.lang, self.c.names.get("product", {}))
        if col == "month":
            return v or self.t("no_date")
        if isinstance(v, bool) or col in ("stale", "covered", "whitespace"):
            return self.t("yes" if v else "no")
        return v

    def table(self, ws, row: int, frame: pd.DataFrame, columns: list[tuple[str, str, str]]) -> int:
        """Write ``frame`` at ``row`` with ``columns`` (frame column, label key, format); returns the row
        after it.  An empty frame gets one "(none)" row."""
        for j, (_, key, _) in enumerate(columns):
            ws.write(row, j, self.t(key), self.s.header)
        if frame is None or not len(frame):
            ws.write_string(row + 1, 0, self.t("none"), self.fmt["text"])
            return row + 2
        # column by column as Python values (what to_dict("records") gives, at a fraction of its cost)
        values = [frame[col].tolist() if col in frame else [None] * len(frame) for col, _, _ in columns]
        cols = [(j, col, self.fmt[fmt]) for j, (col, _, fmt) in enumerate(columns)]
        for i, rec in enumerate(zip(*values)):  # row by row: the shared strings keep their order
            for j, col, f in cols:
                self.value(ws, row + 1 + i, j, self.shown(col, rec[j]), f)
        return row + 1 + len(frame)

    @staticmethod
    def value(ws, r: int, j: int, v, fmt) -> None:
        if v is None:
            ws.write_blank(r, j, None, fmt)
        elif isinstance(v, dt.datetime):
            ws.write_datetime(r, j, v.replace(tzinfo=None), fmt)
        elif isinstance(v, dt.date):
            ws.write_datetime(r, j, dt.datetime(v.year, v.month, v.day), fmt)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            ws.write_number(r, j, float(v), fmt)
        else:
            ws.write_string(r, j, str(v), fmt)

    @staticmethod
    def widths(ws, widths: list[int]) -> None:
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)

    def of_rep(self, section: str, rep: str) -> pd.DataFrame:
        """The rows of ``rep`` in a section's table, the tables split by salesperson once per workbook (a
        filter per salesperson and section was most of the time of their pages)."""
        if self._by_rep is None:
            c = self.c
            frames = {"section.changes": c.changes, "section.overdue": c.overdue, "section.plans": _plans(c),
                      "section.pipeline": c.pipeline, "section.wallet": c.wallet}
            self._by_rep = {k: (f, dict(tuple(f.groupby("rep_id", sort=False))) if len(f) else {})
                            for k, f in frames.items()}
        frame, parts = self._by_rep[section]
        if not len(frame):
            return frame
        return parts.get(rep, frame.iloc[0:0])

    # -- sheets ------------------------------------------------------------------------------------------
    def summary(self, title: str) -> None:
        ws = self.sheet("sheet.summary", title)
        c = self.c
        rows = []
        for rep in c.reps:
            f = c.freshness[c.freshness["rep_id"] == rep]
            rows.append({"rep_id": rep, "accounts": len(f), "changes": int((c.changes["rep_id"] == rep).sum()),
                         "overdue": int((c.overdue["rep_id"] == rep).sum()), "stale_plans": int(f["stale"].sum()),
                         "uncovered": int((~c.coverage[c.coverage["rep_id"] == rep]["covered"].astype(bool)).sum()),
                         "pipeline": float(c.pipeline[c.pipeline["rep_id"] == rep]["value"].sum())})
        end = self.table(ws, FIRST, pd.DataFrame(rows), SUMMARY_COLUMNS)
        self.widths(ws, [22, 10, 10, 12, 12, 16, 16])
        if rows:
            total = self.s.cell("#,##0", total=True)
            ws.write_string(end, 0, self.t("total"), self.s.cell(None, total=True))
            for j in range(1, len(SUMMARY_COLUMNS)):
                ws.write_formula(end, j, f"=SUM({cell_ref(FIRST + 1, j)}:{cell_ref(end - 1, j)})", total,
                                 float(sum(r[SUMMARY_COLUMNS[j][0]] for r in rows)))
        self.finish(ws)

    def pipeline_sheet(self, title: str) -> None:
        """Value per month of the next step (rows) and stage (columns), with a stacked column chart."""
        name = self.t("sheet.pipeline")
        ws = self.sheet("sheet.pipeline", title)
        p = self.c.pipeline
        stages = [s for s in ("idea", "qualified", "proposal", "negotiation", "won", "lost", "")
                  if s in set(p["stage"])]
        months = sorted(set(p["month"]), key=lambda m: (m == "", m))
        ws.write(FIRST, 0, self.t("col.month"), self.s.header)
        for j, s in enumerate(stages, start=1):
            ws.write(FIRST, j, self.shown("stage", s), self.s.header)
        grid = p.groupby(["month", "stage"])["value"].sum()
        for i, m in enumerate(months, start=1):
            ws.write_string(FIRST + i, 0, self.shown("month", m), self.fmt["text"])
            for j, s in enumerate(stages, start=1):
                ws.write_number(FIRST + i, j, float(grid.get((m, s), 0.0)), self.fmt["money"])
        if not months:
            ws.write_string(FIRST + 1, 0, self.t("none"), self.fmt["text"])
        self.widths(ws, [18] + [14] * len(stages))
        if months and stages:
            chart = self.wb.add_chart({"type": "column", "subtype": "stacked"})
            for j in range(1, len(stages) + 1):
                chart.add_series({"name": [name, FIRST, j], "categories": [name, FIRST + 1, 0, FIRST + len(months), 0],
                                  "values": [name, FIRST + 1, j, FIRST + len(months), j]})
            chart.set_title({"name": self.t("chart.pipeline")})
            chart.set_legend({"position": "bottom"})
            chart.set_y_axis({"num_format": "#,##0", "name": self.c.currency})
            ws.insert_chart(FIRST + len(months) + 3, 0, chart, {"x_scale": 1.5, "y_scale": 1.2})
        self.finish(ws)

    def wallet_sheet(self, title: str) -> None:
        name = self.t("sheet.wallet")
        ws = self.sheet("sheet.wallet", title)
        # an account carried by its owner and team members is shown once here (each page shows it too)
        w = self.c.wallet.drop_duplicates(["account_id", "product_id"]) if len(self.c.wallet) else self.c.wallet
        end = self.table(ws, FIRST, w, WALLET_COLUMNS[1:])
        self.widths(ws, [28, 20, 14, 14, 14, 12, 14, 11])
        if len(w):
            by = w.groupby("account_id", sort=True)[["ours", "usage"]].sum()
            start = end + 2
            ws.write(start, 0, self.t("col.account"), self.s.header)
            ws.write(start, 1, self.t("col.share"), self.s.header)
            for i, (acc, r) in enumerate(by.iterrows(), start=1):
                ws.write_string(start + i, 0, self.shown("account_id", acc), self.fmt["text"])
                share = float(r["ours"] / r["usage"]) if r["usage"] > 0 else 0.0
                ws.write_number(start + i, 1, share, self.fmt["pct"])
            chart = self.wb.add_chart({"type": "bar"})
            chart.add_series({"name": self.t("col.share"), "categories": [name, start + 1, 0, start + len(by), 0],
                              "values": [name, start + 1, 1, start + len(by), 1]})
            chart.set_title({"name": self.t("chart.wallet")})
            chart.set_legend({"none": True})
            chart.set_x_axis({"num_format": "0%"})
            ws.insert_chart(start, 2, chart, {"x_scale": 1.3, "y_scale": max(1.0, len(by) / 12)})
        self.finish(ws, key_columns=2)

    def rep_page(self, rep: str) -> None:
        """One salesperson's page: the sections of the review with their rows only."""
        c = self.c
        rep_name = self.name("rep", rep)
        ws = self.sheet(_sheet_name(rep_name, rep, self.wb), self.t("title.rep", month=c.month, rep=rep_name),
                        literal=True)
        row = FIRST
        for key, cols in (("section.changes", CHANGES_COLUMNS[1:]), ("section.overdue", OVERDUE_COLUMNS[1:]),
                          ("section.plans", PLANS_COLUMNS[1:]), ("section.pipeline", PIPELINE_COLUMNS[1:]),
                          ("section.wallet", WALLET_COLUMNS[1:])):
            ws.write(row, 0, self.t(key), self.bold)
            row = self.table(ws, row + 1, self.of_rep(key, rep), cols) + 1
        self.widths(ws, [28, 18, 18, 16, 16, 16, 14, 14])
        self.finish(ws)


def _plans(c: MonthReviewContent) -> pd.DataFrame:
    if not len(c.freshness):
        return c.freshness
    return c.freshness.merge(c.coverage, on=["rep_id", "account_id"], how="left")


def _field_label(field: str, language: str, products: dict) -> str:
    if field.startswith("usage_"):
        product = field[len("usage_"):]
        return plan_at("col.usage", language, product=products.get(product, product))
    key = f"col.{field}"
    return plan_at(key, language) if key in PLAN_LABELS else field


def _sheet_name(rep_name: str, rep: str, wb) -> str:
    """A salesperson's sheet name: their name (31 characters at most, no characters Excel refuses)."""
    bad = set('[]:*?/\\')
    base = "".join(ch for ch in f"{rep_name}" if ch not in bad).strip()[:31] or rep[:31]
    taken = {ws.get_name() for ws in wb.worksheets()}
    if base not in taken:
        return base
    return f"{base[:24]} ({rep})"[:31]


SUMMARY_COLUMNS = [("rep_id", "col.rep", "text"), ("accounts", "col.accounts", "int"), ("changes", "col.changes", "int"),
                   ("overdue", "col.overdue", "int"), ("stale_plans", "col.stale", "int"),
                   ("uncovered", "col.uncovered", "int"), ("pipeline", "col.pipeline", "money")]
CHANGES_COLUMNS = [("rep_id", "col.rep", "text"), ("account_id", "col.account", "text"),
                   ("sheet", "col.subject", "text"), ("change", "col.change", "text"), ("field", "col.field", "text"),
                   ("old", "col.old", "wrap"), ("new", "col.new", "wrap"), ("collected_at", "col.collected", "date")]
OVERDUE_COLUMNS = [("rep_id", "col.rep", "text"), ("account_id", "col.account", "text"),
                   ("action", "col.action", "wrap"), ("owner", "col.owner", "text"), ("due", "col.due", "date"),
                   ("status", "col.status", "text"), ("days_overdue", "col.days_overdue", "int")]
PLANS_COLUMNS = [("rep_id", "col.rep", "text"), ("account_id", "col.account", "text"),
                 ("updated", "col.updated", "date"), ("days", "col.days", "int"), ("stale", "col.is_stale", "text"),
                 ("decision_makers", "col.decision_makers", "int"), ("covered", "col.covered", "text")]
PIPELINE_COLUMNS = [("rep_id", "col.rep", "text"), ("month", "col.month", "text"), ("stage", "col.stage", "text"),
                    ("projects", "col.projects", "int"), ("value", "col.value", "money")]
WALLET_COLUMNS = [("rep_id", "col.rep", "text"), ("account_id", "col.account", "text"),
                  ("product_id", "col.product", "text"), ("usage_year", "col.usage", "num"),
                  ("usage", "col.usage_ytd", "num"), ("ours", "col.ours", "num"), ("share", "col.share", "pct"),
                  ("elsewhere", "col.elsewhere", "num"), ("whitespace", "col.whitespace", "text")]


def write_month_review_workbook(path: Path, c: MonthReviewContent) -> Path:
    """The VP's monthly review of the account plans (read-only)."""
    title = _t("title", c.language, month=c.month)
    with new_workbook(path, title=title, company=c.company, created=c.generated_at.replace(tzinfo=None),
                      sheet_password=c.sheet_password) as wb:
        w = _Writer(wb, c)
        w.summary(title)
        for key, frame, cols, keys in (("sheet.changes", c.changes, CHANGES_COLUMNS, 2),
                                       ("sheet.overdue", c.overdue, OVERDUE_COLUMNS, 2),
                                       ("sheet.plans", _plans(c), PLANS_COLUMNS, 2)):
            ws = w.sheet(key, title)
            w.table(ws, FIRST, frame, cols)
            w.widths(ws, [18, 28, 16, 14, 18, 22, 22, 12])
            w.finish(ws, key_columns=keys)
        w.pipeline_sheet(title)
        w.wallet_sheet(title)
        for rep in c.reps:
            w.rep_page(rep)
    return path
