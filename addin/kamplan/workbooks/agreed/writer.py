"""The agreed plan as workbooks: each salesperson's annual targets, and one for management.

Read-only documents (every sheet protected, no inputs): the figures are the locked plan version;
totals are live formulas so anyone can follow the arithmetic.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell as cell_ref

from kamplan.workbooks.kit.i18n import book_labels, t
from kamplan.workbooks.kit.layout import quote_sheet
from kamplan.workbooks.kit.styles import Styles, new_workbook, page_setup, protect_sheet

LABELS, _t = book_labels(__file__)  # key -> (English, Chinese), and key, language -> text
QUARTER_FORMAT = '"Q"0'
CLASS_KEYS = {"class.key", "class.develop", "class.watch", "class.drop"}
KIND_KEYS = {"kind.executive", "kind.technical", "kind.advisor"}


@dataclass
class AgreedContent:
    year: int
    language: str
    company: str
    currency: str
    version: int
    agreed_at: dt.datetime
    agreed_by: str
    sheet_password: str
    names: dict[str, dict[str, str]]  # "account" / "product" / "rep" / "region" -> id -> display name
    units: dict[str, str]  # product -> unit
    lines: pd.DataFrame  # rep_id, region_id, cls, account_id, product_id, quarter, volume, revenue, ly_revenue
    visits: pd.DataFrame = field(default_factory=pd.DataFrame)  # account_id, quarter, rep_visits, exec_visits
    trainings: pd.DataFrame = field(default_factory=pd.DataFrame)  # account_id, quarter, topic, audience
    services: pd.DataFrame = field(default_factory=pd.DataFrame)  # account_id, commitment, measure, due
    support: pd.DataFrame | None = None  # account_id, kind, person, quarter, amount, purpose, task, deadline


class _Writer:
    def __init__(self, wb, c: AgreedContent):
        self.wb, self.c, self.s, self.lang = wb, c, Styles(wb), c.language
        # volumes to a tenth of a unit, money to whole currency units: what a plan is agreed in
        self.num = self.s.cell("#,##0.0")
        self.money = self.s.cell("#,##0")
        self.num_total = self.s.cell("#,##0.0", total=True)
        self.money_total = self.s.cell("#,##0", total=True)
        self.quarter = self.s.cell(QUARTER_FORMAT)  # the quarter number shown as "Q1" (still a number)
        self.pct = self.s.cell("0.0%")
        self.text = self.s.cell(None)
        self.long_text = self.s.cell(None, wrap=True)  # commitments, tasks: wrapped, the row grows to fit
        self.date = self.s.cell("yyyy-mm-dd")

    def name(self, kind: str, ident) -> str:
        return self.c.names.get(kind, {}).get(ident, str(ident))

    def class_label(self, cls) -> str:
        """An account class in the workbook's language ("Key", "重点"), not its code ("key")."""
        key = f"class.{cls}"
        return t(key, self.lang) if cls and key in CLASS_KEYS else str(cls or "")

    def head(self, ws, title: str, row: int, headers: list[str], widths: list[int]) -> None:
        ws.write(0, 0, title, self.s.title)
        ws.write(1, 0, _t("sub", self.lang, version=self.c.version, at=f"{self.c.agreed_at:%Y-%m-%d}",
                          by=self.c.agreed_by, company=self.c.company), self.s.subtitle)
        for j, (h, w) in enumerate(zip(headers, widths)):
            ws.write(row, j, h, self.s.header)
            ws.set_column(j, j, w)
        ws.freeze_panes(row + 1, 0)

    def finish(self, ws, key_columns: int = 0) -> None:
        protect_sheet(ws, self.c.sheet_password)
        header = " · ".join(p for p in (self.wb.doc_properties.get("title", ""), self.c.company) if p)
        page_setup(ws, 3, language=self.lang, header=header, key_columns=key_columns)

    # -- salesperson -----------------------------------------------------------------------------------
    def targets_sheet(self, title: str) -> None:
        lang, c = self.lang, self.c
        ws = self.wb.add_worksheet(_t("sheet.targets", lang))
        headers = ([_t("col.account_id", lang), _t("col.account", lang), _t("col.class", lang),
                    _t("col.product", lang), _t("col.unit", lang)]
                   + [_t("col.vol_q", lang, q=q) for q in range(1, 5)] + [_t("col.vol_y", lang)]
                   + [_t("col.rev_q", lang, q=q) for q in range(1, 5)] + [_t("col.rev_y", lang)])
        self.head(ws, title, 3, headers, [10, 26, 9, 26, 6] + [10] * 5 + [13] * 5)
        wide = (c.lines.pivot_table(index=["account_id", "cls", "product_id"], columns="quarter",
                                    values=["volume", "revenue"], aggfunc="sum", fill_value=0.0)
                if len(c.lines) else None)
        row = 4
        if wide is not None:
            for (acc, cls, prod), vals in wide.iterrows():
                ws.write_string(row, 0, acc, self.text)
                ws.write_string(row, 1, self.name("account", acc), self.text)
                ws.write_string(row, 2, self.class_label(cls), self.text)
                ws.write_string(row, 3, self.name("product", prod), self.text)
                ws.write_string(row, 4, c.units.get(prod, ""), self.text)
                for q in range(1, 5):
                    ws.write_number(row, 4 + q, float(vals.get(("volume", q), 0.0)), self.num)
                    ws.write_number(row, 9 + q, float(vals.get(("revenue", q), 0.0)), self.money)
                ws.write_formula(row, 9, f"=SUM({cell_ref(row, 5)}:{cell_ref(row, 8)})", self.num,
                                 float(sum(vals.get(("volume", q), 0.0) for q in range(1, 5))))
                ws.write_formula(row, 14, f"=SUM({cell_ref(row, 10)}:{cell_ref(row, 13)})", self.money,
                                 float(sum(vals.get(("revenue", q), 0.0) for q in range(1, 5))))
                row += 1
        ws.write_string(row, 0, _t("total", lang), self.s.cell(None, total=True))
        for j in range(1, 5):
            ws.write_blank(row, j, None, self.s.cell(None, total=True))
        for j in range(5, 15):
            fmt = self.num_total if j < 10 else self.money_total
            ws.write_formula(row, j, f"=SUM({cell_ref(4, j)}:{cell_ref(max(row - 1, 4), j)})" if row > 4 else "=0",
                             fmt)
        self.finish(ws, key_columns=2)

    def list_sheet(self, key: str, title: str, frame: pd.DataFrame, columns: list[tuple[str, str, object]]) -> None:
        """``columns``: (frame column, header text, format)."""
        lang = self.lang
        ws = self.wb.add_worksheet(_t(key, lang))
        self.head(ws, title, 3, [h for _, h, _ in columns],
                  [36 if fmt is self.long_text else 28 if col == "account_id" else max(12, min(40, len(h) + 2))
                   for col, h, fmt in columns])
        if frame is None or not len(frame):
            ws.write_string(4, 0, _t("none", lang), self.text)
        else:
            for i, rec in enumerate(frame.to_dict("records")):
                for j, (col, _, fmt) in enumerate(columns):
                    v = rec.get(col)
                    if col == "account_id":
                        v = f"{v} {self.name('account', v)}"
                    elif col == "kind" and f"kind.{v}" in KIND_KEYS:
                        v = t(f"kind.{v}", self.lang)
                    if v is None or (isinstance(v, float) and pd.isna(v)):
                        ws.write_blank(4 + i, j, None, fmt)
                    elif isinstance(v, dt.date):
                        ws.write_datetime(4 + i, j, dt.datetime(v.year, v.month, v.day), fmt)
                    elif isinstance(v, (int, float)) and not isinstance(v, bool):
                        ws.write_number(4 + i, j, float(v), fmt)
                    else:
                        ws.write_string(4 + i, j, str(v), fmt)
        self.finish(ws)

    # -- management ------------------------------------------------------------------------------------
    def lines_sheet(self) -> tuple[str, int]:
        lang, c = self.lang, self.c
        name = _t("sheet.lines", lang)
        ws = self.wb.add_worksheet(name)
        cols = ["rep_id", "region_id", "cls", "account_id", "product_id", "quarter", "volume", "revenue", "ly_revenue"]
        heads = ["col.rep_id", "col.region_id", "col.class", "col.account_id", "col.product_id", "col.quarter",
                 "col.volume", "col.revenue", "col.ly_revenue"]
        self.head(ws, _t("title.mgmt", lang, year=c.year), 3, [_t(h, lang) for h in heads],
                  [10, 10, 9, 26, 24, 8, 12, 14, 14])
        data = c.lines[cols].to_dict("records")
        shown = {"cls": self.class_label, "account_id": lambda v: f"{v} {self.name('account', v)}",
                 "product_id": lambda v: self.name("product", v)}
        for i, rec in enumerate(data):
            r = 4 + i
            for j, col in enumerate(cols):
                v = rec[col]
                if j == 5:
                    ws.write_number(r, j, float(v), self.quarter)
                elif j > 5:
                    ws.write_number(r, j, 0.0 if pd.isna(v) else float(v), self.num if j < 7 else self.money)
                else:
                    # the salesperson and region ids stay codes: the summaries' formulas match on them
                    ws.write_string(r, j, shown[col](v) if col in shown else str(v), self.text)
        self.finish(ws, key_columns=2)
        return name, 4 + len(data) - 1

    def summary_sheet(self, key: str, column: int, kind: str, ids: list[str], lines_sheet: str, last: int) -> None:
        """Per rep (column 0 of Lines) or region (column 1): revenue per quarter, year, last year, growth."""
        lang = self.lang
        ws = self.wb.add_worksheet(_t(key, lang))
        first_head = _t("col.rep" if kind == "rep" else "col.region", lang)
        headers = ([first_head] + [_t("col.rev_q", lang, q=q) for q in range(1, 5)]
                   + [_t("col.rev_y", lang), _t("col.ly_revenue", lang), _t("col.growth", lang)])
        self.head(ws, _t("title.mgmt", lang, year=self.c.year), 3, headers, [26] + [15] * 6 + [9])
        ls = quote_sheet(lines_sheet)
        last = max(last, 4)
        rng = lambda j: f"{ls}!${chr(65 + j)}$5:${chr(65 + j)}${last + 1}"  # noqa: E731
        key_rng, q_rng, rev_rng, ly_rng = rng(column), rng(5), rng(7), rng(8)
        frame = self.c.lines
        id_col = "rep_id" if kind == "rep" else "region_id"
        for i, ident in enumerate(ids):
            r = 4 + i
            ws.write_string(r, 0, f"{self.name(kind, ident)} ({ident})", self.text)
            # the hidden id next to the label is what the formulas match on
            sub = frame[frame[id_col] == ident]
            for q in range(1, 5):
                ws.write_formula(r, q, f'=SUMIFS({rev_rng},{key_rng},"{ident}",{q_rng},{q})', self.money,
                                 float(sub.loc[sub["quarter"] == q, "revenue"].sum()))
            ws.write_formula(r, 5, f"=SUM({cell_ref(r, 1)}:{cell_ref(r, 4)})", self.money,
                             float(sub["revenue"].sum()))
            ws.write_formula(r, 6, f'=SUMIFS({ly_rng},{key_rng},"{ident}")', self.money,
                             float(sub["ly_revenue"].fillna(0).sum()))
            ws.write_formula(r, 7, f'=IFERROR({cell_ref(r, 5)}/{cell_ref(r, 6)}-1,"")', self.pct)
        r = 4 + len(ids)
        ws.write_string(r, 0, _t("total", lang), self.s.cell(None, total=True))
        for j in range(1, 7):
            ws.write_formula(r, j, f"=SUM({cell_ref(4, j)}:{cell_ref(r - 1, j)})", self.money_total)
        ws.write_formula(r, 7, f'=IFERROR({cell_ref(r, 5)}/{cell_ref(r, 6)}-1,"")', self.s.cell("0.0%", total=True))
        chart = self.wb.add_chart({"type": "column"})
        sheet = quote_sheet(_t(key, lang))
        chart.add_series({"name": _t("col.rev_y", lang), "categories": f"={sheet}!$A$5:$A${r}",
                          "values": f"={sheet}!$F$5:$F${r}"})
        chart.add_series({"name": _t("col.ly_revenue", lang), "categories": f"={sheet}!$A$5:$A${r}",
                          "values": f"={sheet}!$G$5:$G${r}"})
        chart.set_title({"name": _t(key, lang)})
        chart.set_legend({"position": "bottom"})
        chart.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                          "name": self.c.currency})
        ws.insert_chart(r + 2, 0, chart, {"x_scale": 1.6, "y_scale": 1.2})
        self.finish(ws)


def _columns(w: _Writer, spec: list[tuple[str, str, str]]) -> list[tuple[str, str, object]]:
    """(column, label key, format name) -> (column, header text, format)."""
    return [(col, _t(key, w.lang), getattr(w, fmt)) for col, key, fmt in spec]


SUPPORT_COLUMNS = [("account_id", "col.account", "text"), ("kind", "col.kind", "text"),
                   ("person", "col.person", "text"), ("quarter", "col.quarter", "quarter"),
                   ("amount", "col.amount", "num"), ("purpose", "col.purpose", "long_text"),
                   ("task", "col.task", "long_text"), ("deadline", "col.deadline", "date")]


def write_rep_targets(path: Path, c: AgreedContent, rep_id: str) -> Path:
    """One salesperson's annual targets; ``c.lines`` etc. hold only that salesperson's rows."""
    rep = c.names.get("rep", {}).get(rep_id, rep_id)
    title = _t("title.rep", c.language, year=c.year, rep=rep)
    with new_workbook(path, title=title, company=c.company, created=c.agreed_at.replace(tzinfo=None),
                      sheet_password=c.sheet_password) as wb:
        w = _Writer(wb, c)
        w.targets_sheet(title)
        visits = c.visits
        if len(visits):
            visits = visits.pivot_table(index="account_id", columns="quarter", values=["rep_visits", "exec_visits"],
                                        aggfunc="sum", fill_value=0.0)
            visits.columns = [f"{a}_q{q}" for a, q in visits.columns]
            visits = visits.reset_index()
        vcols = [("account_id", _t("col.account", c.language), w.text)]
        vcols += [(f"rep_visits_q{q}", _t("col.rep_visits_q", c.language, q=q), w.num) for q in range(1, 5)]
        vcols += [(f"exec_visits_q{q}", _t("col.exec_visits_q", c.language, q=q), w.num) for q in range(1, 5)]
        w.list_sheet("sheet.activities", title, visits, vcols)
        w.list_sheet("sheet.trainings", title, c.trainings, _columns(w, [
            ("account_id", "col.account", "text"), ("quarter", "col.quarter", "quarter"),
            ("topic", "col.topic", "long_text"), ("audience", "col.audience", "long_text")]))
        w.list_sheet("sheet.services", title, c.services, _columns(w, [
            ("account_id", "col.account", "text"), ("commitment", "col.commitment", "long_text"),
            ("measure", "col.measure", "long_text"), ("due", "col.due", "date")]))
        if c.support is not None:
            w.list_sheet("sheet.support", title, c.support, _columns(w, SUPPORT_COLUMNS))
    return path


def write_management(path: Path, c: AgreedContent) -> Path:
    """The whole agreed plan: per salesperson and per region, with the lines behind the formulas."""
    with new_workbook(path, title=_t("title.mgmt", c.language, year=c.year), company=c.company,
                      created=c.agreed_at.replace(tzinfo=None), sheet_password=c.sheet_password) as wb:
        w = _Writer(wb, c)
        reps = sorted(c.lines["rep_id"].unique())
        regions = sorted(c.lines["region_id"].unique())
        # Summary sheets first (what management reads); Lines last, referenced by name.
        lines_name = _t("sheet.lines", c.language)
        last = 4 + len(c.lines) - 1
        w.summary_sheet("sheet.by_rep", 0, "rep", reps, lines_name, last)
        w.summary_sheet("sheet.by_region", 1, "region", regions, lines_name, last)
        w.lines_sheet()
    return path
