"""Write a December target workbook from its layout (XlsxWriter, no macros).

Round 1 writes the bottom-up draft.  Later rounds write the top-down proposal
workbook: the same sheets, pre-filled with the VP's proposal and with what the
salesperson last submitted, plus the columns of ``TargetLayout._proposal_columns``.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from kamplan.model import QUARTERS, WorkbookIdentity, round_name
from kamplan.workbooks.kit.i18n import t
from kamplan.workbooks.kit.layout import Column, Table, quote_sheet
from kamplan.workbooks.kit.printing import runs
from kamplan.workbooks.targets.layout import (
    IDENTITY, LIST_COLUMNS, PROPOSAL_VARIANT, RESPONSES, AccountRow, ProductRow, TargetLayout,
    proposal_digest,
)
from kamplan.workbooks.kit.styles import Styles
from kamplan.workbooks.kit.writer import WorkbookWriter

CHANGED_FILL = "#FCE4D6"  # an input cell that no longer holds the proposal


@dataclass(frozen=True)
class ProposalLine:
    """The top-down proposal for one account × product, and the salesperson's own figure it started from."""
    volumes: tuple[float, float, float, float]  # per quarter; 0 = no target
    prices: tuple[float, float, float, float]  # per quarter, always set (the default price where none)
    revenue: float  # the proposal's revenue for the year
    own_volume: float = math.nan  # the salesperson's latest figure; NaN: they had none
    own_revenue: float = math.nan


@dataclass
class TargetWorkbookContent:
    """Everything one salesperson's workbook shows; built from config + history by the caller."""
    identity: WorkbookIdentity
    language: str
    currency: str
    company: str
    rep_name: str
    rep_region: str
    deadline: dt.date | None
    accounts: list[AccountRow]
    products: list[ProductRow]
    last_year: dict[tuple[str, str], tuple[float, float, float]]  # (acct, prod) -> ly volume, price, revenue
    default_price: dict[tuple[str, str], float]
    class_labels: dict[str, str]
    default_visits: dict[str, int]  # class -> salesperson visits per quarter
    exec_visits_per_year: dict[str, int]  # class -> executive visits per year
    kinds: list[tuple[str, str, str]]  # (kind id, label, unit label)
    max_volume: float = 1e6
    growth_warning: float = 0.5
    decline_warning: float = 0.3
    sheet_password: str = "kamplan"
    blank_rows: int = 40
    first_month: int = 1  # fiscal year start (config calendar.first_month; 1 for other calendars)
    calendar: object = None  # the config's Calendar: the fiscal year and the quarters' days (else first_month)
    # later rounds: rows of trainings/services/requests as the cells show them (labels, not ids)
    prefill: dict[str, list[dict]] = field(default_factory=dict)
    proposal: dict[tuple[str, str], ProposalLine] | None = None  # set: a top-down proposal workbook
    visit_prefill: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)  # acct -> q -> (rep, exec)
    comments: dict[tuple[str, str], str] = field(default_factory=dict)  # (acct, prod) -> last comment
    # account teams: lines this salesperson carries but another plans (acct, prod) -> the planner's name;
    # they are shown read-only (the company plan counts each line once)
    planned_by: dict[tuple[str, str], str] = field(default_factory=dict)

    def layout(self) -> TargetLayout:
        return TargetLayout(self.language, self.identity.year, self.accounts, self.products,
                            blank_rows=self.blank_rows, currency=self.currency, first_month=self.first_month,
                            proposal=self.proposal is not None, calendar=self.calendar)


def planned_by_text(name: str, language: str) -> str:
    """What a read-only line of an account team says after the product: who plans it."""
    return f" — 由{name}填写" if language == "zh-CN" else f" — planned by {name}"


def spread_evenly(total: int, parts: int = 4) -> list[int]:
    """Whole visits spread over quarters as evenly as possible (5 -> 2,1,1,1)."""
    return [(i + 1) * total // parts - i * total // parts for i in range(parts)][::-1]


class _Styles(Styles):
    def __init__(self, wb: xlsxwriter.Workbook):
        super().__init__(wb)
        self.legend_input = self.input
        self.changed = None  # made on first use: a round-1 workbook stays as it was, byte for byte

    def changed_fill(self):
        if self.changed is None:
            self.changed = self.wb.add_format({"bg_color": CHANGED_FILL})
        return self.changed


def write_target_workbook(path: Path, content: TargetWorkbookContent) -> Path:
    """Write the workbook atomically to ``path`` (the caller decides about existing files)."""
    return _Writer.save(path, content, title=t("cover.title", content.language, year=content.identity.year),
                        styles=_Styles)


class _Writer(WorkbookWriter):
    text_dtypes = ("text",)  # choice cells keep the general format in this workbook
    header_height = 42

    def __init__(self, wb, st: _Styles, layout: TargetLayout, c: TargetWorkbookContent):
        super().__init__(wb, st, layout, c)
        self.target_rows: list[dict] = []  # the Targets sheet's rows: the identity's proposal digest needs them

    def write_sheets(self, sheets):
        self._cover(sheets["cover"])
        lay = self.layout
        self.target_rows = self._targets_rows()
        self._fixed_table(sheets["targets"], lay.targets, self.target_rows)
        self._fixed_table(sheets["summary"], lay.summary, self._summary_rows())
        self._fixed_table(sheets["visits"], lay.visits, self._visits_rows())
        for key in ("trainings", "services", "requests"):
            self._free_table(sheets[key], getattr(lay, key), self.c.prefill.get(key, []))
        self._conditional_formats(sheets["targets"], lay.targets)
        if lay.proposal:
            self._proposal_formats(sheets["targets"], lay.targets)

    # -- sheets ------------------------------------------------------------------------------------
    def _cover(self, ws):
        c, L, st = self.c, self.L, self.st
        ident = c.identity
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 90)
        ws.hide_gridlines(2)
        proposal = self.layout.proposal
        ws.write_string(0, 0, t("cover.title_proposal" if proposal else "cover.title", L, year=ident.year),
                        st.title)
        facts = [
            ("cover.rep", f"{c.rep_name} ({ident.rep_id})"),
            ("cover.region", c.rep_region),
            ("cover.year", str(ident.year)),
            ("cover.round", f"{ident.round} · {round_name(ident.round, L)}"),
            ("cover.deadline", c.deadline.isoformat() if c.deadline else "—"),
            ("cover.accounts", str(len(c.accounts))),
            ("cover.currency", c.currency),
            ("cover.generated", ident.generated_at.strftime("%Y-%m-%d %H:%M")),
        ]
        row = 2
        for key, value in facts:
            ws.write_string(row, 0, t(key, L), st.label)
            ws.write_string(row, 1, value, st.wrap)
            row += 1
        row += 1
        ws.write_string(row, 0, t("cover.how", L), st.label)
        if proposal:
            ws.write_string(row, 1, t("cover.steps_proposal", L, round=ident.round), st.wrap)
            ws.set_row(row, 250)
        else:
            ws.write_string(row, 1, t("cover.steps", L), st.wrap)
            ws.set_row(row, 190)
        row += 2
        ws.write_blank(row, 0, None, st.legend_input)
        ws.write_string(row, 1, t("cover.legend_input", L), st.wrap)
        row += 1
        ws.write_string(row, 1, t("cover.no_macros", L), st.subtitle)
        self.protect(ws)
        self.page(ws, None, landscape=False)

    def subtitle(self) -> str:
        return f"{self.c.rep_name} · {self.c.identity.year} · {round_name(self.c.identity.round, self.L)}"

    def _fixed_table(self, ws, table: Table, rows: list[dict]):
        self.header(ws, table)
        self.rows(ws, table, rows)
        if table.total_row is not None:
            self._totals(ws, table)
        self.validate_inputs(ws, table)
        ws.freeze_panes(table.first_row, 3 if table.key != "targets" else 5)
        ws.autofilter(table.header_row, 0, table.last_row, len(table.columns) - 1)
        self.protect(ws, autofilter=True)
        # printed: each account's products on one page (the Targets sheet runs over several pages down)
        groups = runs(table.first_row, [key[0] for key in table.row_keys]) if table.key == "targets" else ()
        self.page(ws, table, row_groups=groups)

    def _totals(self, ws, table: Table):
        st = self.st
        r = table.total_row
        ws.write_string(r, 0, t("col.total", self.L), st.cell(None, total=True))
        sums = {"ly_volume", "ly_revenue", "volume_total", "revenue_total", "rep_visits_total",
                "exec_visits_total"} | {f"{k}_q{q}" for k in ("volume", "revenue", "rep_visits", "exec_visits")
                                        for q in QUARTERS}
        if self.layout.proposal:
            sums |= {"own_volume", "own_revenue", "proposal_volume", "proposal_revenue", "diff_revenue"} | {
                f"prop_volume_q{q}" for q in QUARTERS}
        if not self.layout.unit:  # volumes in different units do not add up
            sums -= {"ly_volume", "volume_total", "own_volume", "proposal_volume"} | {
                f"{k}_q{q}" for k in ("volume", "prop_volume") for q in QUARTERS}
        n = r + 1
        for i, col in enumerate(table.columns):
            fmt = st.cell(col.num_format, total=True)
            if col.key in sums:
                ws.write_formula(r, i, f"=SUM({table.span(col.key, absolute=False)})", fmt)
            elif col.key.startswith("growth_"):
                cur, base = (("volume_total", "ly_volume") if col.key == "growth_volume"
                             else ("revenue_total", "ly_revenue"))
                if cur in sums and base in sums:
                    cl, bl = table.letter(cur), table.letter(base)
                    ws.write_formula(r, i, f'=IF(N({bl}{n})>0,{cl}{n}/{bl}{n}-1,"")', fmt)
                else:
                    ws.write_blank(r, i, None, fmt)
            elif col.key == "diff_pct":
                cl, bl = table.letter("revenue_total"), table.letter("own_revenue")
                ws.write_formula(r, i, f'=IF(N({bl}{n})>0,{cl}{n}/{bl}{n}-1,"")', fmt)
            elif col.key.startswith("price_q") and self.layout.unit:
                q = col.key[-1]
                vl, rl = table.letter(f"volume_q{q}"), table.letter(f"revenue_q{q}")
                ws.write_formula(r, i, f'=IF(N({vl}{n})>0,{rl}{n}/{vl}{n},"")', fmt)
            elif i > 0:
                ws.write_blank(r, i, None, fmt)

    def _free_table(self, ws, table: Table, prefill: list[dict]):
        self.header(ws, table, subtitle=self._free_hint(table))
        for r_off in range(table.n_rows):
            self.row(ws, table, table.first_row + r_off, prefill[r_off] if r_off < len(prefill) else {})
        self.validate_inputs(ws, table)
        self.finish(ws, table, freeze=1)

    def _free_hint(self, table: Table) -> str:
        hints = {"trainings": ("One row per training. Leave unused rows empty.",
                               "每行一次培训,不用的行留空。"),
                 "services": ("One row per commitment: what, how it will be judged, by when.",
                              "每行一项服务承诺:内容、衡量标准、完成期限。"),
                 "requests": ("One row per request for executives, technical staff or outside advisors.",
                              "每行一项对公司高层、技术部或外聘教授的支援申请。")}
        en, zh = hints[table.key]
        return zh if self.L == "zh-CN" else en

    def validate(self, ws, table: Table, i: int, col: Column):
        first, last = table.first_row, table.last_row
        title = t("val.title", self.L)
        opts: dict = {"error_title": title, "error_message": col.help[:255] or None, "error_type": "stop",
                      "input_title": col.header[:32], "input_message": col.help[:255] or None,
                      "ignore_blank": True, "show_error": True, "show_input": bool(col.help)}
        if col.dtype == "number":
            top = self.c.max_volume if col.key.startswith("volume") else 1e12
            opts.update(validate="decimal", criteria="between", minimum=col.minimum or 0, maximum=top)
        elif col.dtype == "integer":
            opts.update(validate="integer", criteria="between", minimum=int(col.minimum or 0),
                        maximum=int(col.maximum or 10**6))
        elif col.dtype == "date":
            start, end = self.layout.span
            opts.update(validate="date", criteria="between", minimum=start, maximum=end)
        elif col.dtype == "choice":
            opts.update(validate="list", source="=" + self.layout.list_name(col.choices))
        else:
            opts.update(validate="length", criteria="<=", value=2000)
            opts["error_message"] = "≤ 2000"
        opts = {k: v for k, v in opts.items() if v is not None}
        ws.data_validation(first, i, last, i, opts)

    def _conditional_formats(self, ws, table: Table):
        for key in ("growth_volume", "growth_revenue"):
            i = table.col(key)
            ref = xl_rowcol_to_cell(table.first_row, i)
            ws.conditional_format(table.first_row, i, table.last_row, i, {
                "type": "formula", "format": self.st.warn,
                "criteria": f'=AND(ISNUMBER({ref}),OR({ref}>{self.c.growth_warning},'
                            f'{ref}<-{self.c.decline_warning}))'})

    def _proposal_formats(self, ws, table: Table):
        """Shade every input that no longer holds the proposal, and a Response that should say Counter."""
        first, last, fill = table.first_row, table.last_row, self.st.changed_fill()
        row = first + 1

        def rules(q: int, fixed: str) -> tuple[str, str]:  # fixed="$": columns absolute, for another column
            v, pv = fixed + table.letter(f"volume_q{q}"), table.letter(f"prop_volume_q{q}")
            p, pp = fixed + table.letter(f"price_q{q}"), table.letter(f"prop_price_q{q}")
            return (f"N({v}{row})<>N(${pv}{row})", f"AND(N({v}{row})>0,N({p}{row})<>N(${pp}{row}))")
        changed = []
        for q in QUARTERS:
            vol_rule, price_rule = rules(q, "")
            for key, rule in ((f"volume_q{q}", vol_rule), (f"price_q{q}", price_rule)):
                ws.conditional_format(first, table.col(key), last, table.col(key),
                                      {"type": "formula", "criteria": "=" + rule, "format": fill})
            changed += rules(q, "$")
        resp = table.letter("response")
        counter = t("response.counter", self.L).replace('"', '""')
        i = table.col("response")
        ws.conditional_format(first, i, last, i, {
            "type": "formula", "format": self.st.warn,
            "criteria": f'=AND(OR({",".join(changed)}),{resp}{row}<>"{counter}")'})

    def write_lists(self, ws):
        lay, c = self.layout, self.c
        columns = {
            "accounts": [lay.account_label(a) for a in c.accounts],
            "kinds": [label for _, label, _ in c.kinds],
            "kind_units": [unit for _, _, unit in c.kinds],
            "priorities": [t(f"priority.{p}", self.L) for p in ("high", "medium", "low")],
            "yesno": [t("yes", self.L), t("no", self.L)],
            "quarters": [f"Q{q}" for q in QUARTERS],
            "responses": [t(f"response.{r}", self.L) for r in RESPONSES],
        }
        for name in lay.list_names:
            values = columns[name]
            col = LIST_COLUMNS[name]
            ws.write_string(0, col, name)
            for r, v in enumerate(values, start=1):
                ws.write_string(r, col, v)
            ws.set_column(col, col, 30)
            letter = xl_col_to_name(col)
            end = max(len(values), 1) + 1
            self.wb.define_name(lay.list_name(name), f"={quote_sheet(ws.name)}!${letter}$2:${letter}${end}")
        ws.hide()
        self.protect(ws)

    def identity(self):
        ident, c = self.c.identity, self.c
        values = [("year", str(ident.year)), ("round", str(ident.round)), ("rep_id", ident.rep_id),
                  ("generated_at", ident.generated_at.isoformat(timespec="seconds")),
                  ("workbook_id", ident.workbook_id), ("layout_hash", ident.layout_hash), ("language", c.language),
                  ("blank_rows", str(c.blank_rows)), ("first_month", str(c.first_month)),
                  ("accounts", ",".join(a.id for a in c.accounts)), ("products", ",".join(p.id for p in c.products))]
        lay = self.layout
        if lay.proposal:
            figures = [((row["account_id"], row["product_id"]), [row.get(k) for k in lay.locked_figures])
                       for row in self.target_rows]
            values += [("variant", PROPOSAL_VARIANT), ("proposal_digest", proposal_digest(figures))]
        return IDENTITY, values, {}

    # -- row values ----------------------------------------------------------------------------------
    def _targets_rows(self) -> list[dict]:
        c = self.c
        out = []
        for a in c.accounts:
            for p in c.products:
                lyv, lyp, lyr = c.last_year.get((a.id, p.id), (0.0, math.nan, 0.0))
                row = {"account_id": a.id, "account": a.name, "class": c.class_labels.get(a.cls, a.cls),
                       "product_id": p.id, "product": p.name, "unit": p.unit, "ly_volume": lyv,
                       "ly_price": lyp, "ly_revenue": lyr}
                if (a.id, p.id) in c.comments:
                    row["comment"] = c.comments[(a.id, p.id)]
                if (a.id, p.id) in c.planned_by:
                    row["product"] = f"{p.name}{planned_by_text(c.planned_by[(a.id, p.id)], self.L)}"
                    row["_read_only"] = True
                elif c.proposal is not None:
                    self._proposal_values(row, c.proposal.get((a.id, p.id)), c.default_price[(a.id, p.id)])
                else:
                    price = c.default_price[(a.id, p.id)]
                    for q in QUARTERS:
                        row[f"price_q{q}"] = price
                out.append(row)
        return out

    def row(self, ws, table: Table, r: int, values: dict) -> None:
        """A row planned by another member of the account team: its input cells stay locked and empty."""
        if not values.get("_read_only"):
            super().row(ws, table, r, values)
            return
        for i, col in enumerate(table.columns):
            fmt = self.st.cell(col.num_format, input=False, text=col.dtype in self.text_dtypes)
            if col.role == "formula":
                ws.write_formula(r, i, col.formula(r), fmt)
            else:
                self.put(ws, r, i, None if col.role == "input" else values.get(col.key), fmt)

    @staticmethod
    def _proposal_values(row: dict, line: ProposalLine | None, default_price: float):
        """Inputs pre-filled with the proposal, and the same figures in the locked columns.

        A line without a proposal is "no target" at the default price.  Zero volumes stay blank, as
        in round 1, where an empty volume means no target."""
        if line is None:
            line = ProposalLine((0.0,) * 4, (default_price,) * 4, 0.0)
        for q in QUARTERS:
            vol, price = line.volumes[q - 1], line.prices[q - 1]
            row[f"volume_q{q}"] = row[f"prop_volume_q{q}"] = vol if vol else None
            row[f"price_q{q}"] = row[f"prop_price_q{q}"] = price
        row["own_volume"], row["own_revenue"] = line.own_volume, line.own_revenue
        row["proposal_revenue"] = line.revenue

    def _summary_rows(self) -> list[dict]:
        return [{"account_id": a.id, "account": a.name, "class": self.c.class_labels.get(a.cls, a.cls)}
                for a in self.c.accounts]

    def _visits_rows(self) -> list[dict]:
        c = self.c
        out = []
        for a in c.accounts:
            per_q = c.default_visits.get(a.cls, 0)
            execs = spread_evenly(c.exec_visits_per_year.get(a.cls, 0))
            row = {"account_id": a.id, "account": a.name, "class": c.class_labels.get(a.cls, a.cls),
                   "default_visits": per_q}
            before = c.visit_prefill.get(a.id, {})  # what the salesperson planned last time, if anything
            for q in QUARTERS:
                row[f"rep_visits_q{q}"], row[f"exec_visits_q{q}"] = before.get(q, (per_q, execs[q - 1]))
            out.append(row)
        return out
