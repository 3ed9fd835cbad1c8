"""Write the VP's consolidation workbook from its layout (XlsxWriter, native charts, no macros).

The stage builds a ``ConsolidationContent`` (the version shown, its lines with last year's actual and
the salespeople's own figures, who submitted, the carried warnings, every version of the year and
the last top-down instruction) and calls ``write_consolidation_workbook``.  Same content, same bytes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from kamplan.config.schema import CLASS_IDS, PlanConfig
from kamplan.engine.credit import credit_shares, credited, team_frame
from kamplan.engine.topdown import BOUND_SYNTAX
from kamplan.messages import render
from kamplan.model import QUARTERS
from kamplan.workbooks.consolidation.layout import (
    FIGURES_TITLE_ROW, FMT_INT, FMT_PCT, IDENTITY, MEASURE_ORDER, PARAM_COL, PARAM_ROWS,
    PERIODS, WHATS, ConsolidationLayout, block_key,
)
from kamplan.workbooks.consolidation.content import LINE_COLUMNS, ConsolidationContent
from kamplan.messages.versions import version_text
from kamplan.workbooks.kit.layout import FMT_MONEY, Column, Table, quote_sheet
from kamplan.workbooks.kit.printing import runs
from kamplan.workbooks.kit.styles import INPUT_FILL, WARN_FILL, Styles
from kamplan.workbooks.kit.writer import WorkbookWriter, write_book, write_value

RUNRATE_FILL = WARN_FILL
STATE_FILLS = {"submitted": "#C6EFCE", "missing": "#FFEB9C", "rejected": "#F8CBAD"}
BAND_FILL = "#D9E1F2"
def write_consolidation_workbook(path: Path, content: ConsolidationContent) -> Path:
    """Write the workbook atomically to ``path`` (the caller decides about an existing file)."""
    path = Path(path)
    view = _View(content)
    cfg = content.config
    return write_book(path, lambda wb: _Writer(wb, view, path.name),
                      title=view.layout.t("cons.title", year=content.year),
                      company=cfg.company.name.get(content.language), created=content.generated_at,
                      password=cfg.workbook.sheet_password)


# -- what is shown, in order ---------------------------------------------------------------------------------
class _View:
    """The content sorted and named once: rows of every sheet, names in the workbook's language."""

    def __init__(self, c: ConsolidationContent):
        self.c = c
        cfg, lang = c.config, c.language
        self.lang = lang
        lines = c.lines.copy()
        missing = [k for k in LINE_COLUMNS if k not in lines.columns]
        if missing:
            raise ValueError(f"consolidation lines lack {', '.join(missing)}")
        for k in ("rep_id", "region_id", "cls", "account_id", "product_id", "basis"):
            lines[k] = lines[k].astype(str)
        lines["quarter"] = lines["quarter"].astype(int)
        # every account's lines together (ordered by its region and salesperson), so the Accounts sheet's
        # SUMIFS read only the rows of their own account x product
        by_account = lines.groupby("account_id")
        lines["_region"] = by_account["region_id"].transform("min")
        lines["_rep"] = by_account["rep_id"].transform("min")
        self.lines = lines.sort_values(["_region", "_rep", "account_id", "product_id", "quarter", "rep_id"],
                                       kind="mergesort").drop(columns=["_region", "_rep"]).reset_index(drop=True)
        self.rep_names = {s.id: s.name.get(lang) for s in cfg.staff}
        self.region_names = {r.id: r.name.get(lang) for r in cfg.regions}
        self.product_names = {p.id: p.name.get(lang) for p in cfg.products}
        self.account_names = {a.id: a.name.get(lang) for a in cfg.accounts}
        self.class_names = {k: cfg.classes[k].name.get(lang) for k in CLASS_IDS if k in cfg.classes}
        status = c.status.copy() if c.status is not None else pd.DataFrame(columns=["rep_id", "state"])
        status["rep_id"] = status["rep_id"].astype(str)
        self.status = status.reset_index(drop=True)
        self.state = dict(zip(self.status["rep_id"], self.status["state"].astype(str)))
        regions = _ordered([r.id for r in cfg.regions], self.lines["region_id"])
        reps = _ordered([s.id for s in cfg.staff if s.id in set(self.lines["rep_id"]) | set(self.state)],
                        list(self.lines["rep_id"]) + list(self.status["rep_id"]))
        products = _ordered([p.id for p in cfg.products], self.lines["product_id"])
        classes = _ordered([k for k in CLASS_IDS], self.lines["cls"])
        self.regions, self.reps, self.products, self.classes = regions, reps, products, classes
        summary = [("company", "*")] + [("region", r) for r in regions] + [("rep", r) for r in reps] + \
            [("class", k) for k in classes] + [("product", p) for p in products]
        positions = self.lines.reset_index().groupby(["account_id", "product_id"], sort=False)["index"]
        blocks = positions.agg(["min", "max", "count"])
        assert bool(((blocks["max"] - blocks["min"] + 1) == blocks["count"]).all())  # contiguous, by the sort
        self.account_rows = list(blocks.index)
        account_blocks = [(int(a), int(b)) for a, b in zip(blocks["min"], blocks["max"])]
        runrate = self.lines["basis"] == "run-rate"
        self.runrate_pairs = set(self.lines.loc[runrate, ["account_id", "product_id"]].itertuples(index=False,
                                                                                              name=None))
        self.runrate_reps = set(self.lines.loc[runrate, "rep_id"])
        self.layout = ConsolidationLayout(lang, products, regions, summary_rows=summary,
                                          account_rows=self.account_rows, account_blocks=account_blocks,
                                          n_lines=len(self.lines),
                                          currency=cfg.currency)

    def name(self, level: str, ident: str) -> str:
        table = {"region": self.region_names, "rep": self.rep_names, "class": self.class_names,
                 "product": self.product_names, "account": self.account_names}.get(level, {})
        if level == "company":
            return self.layout.t("cons.company_total")
        return table.get(ident, ident)

    def runrate_mark(self, rep_id: str) -> str:
        """What the Basis column says of a salesperson: run-rate (and why), a rejected file whose last
        good figures stand, or nothing when the own workbook counts."""
        state = self.state.get(rep_id, "")
        label = self.layout.t(f"cons.state.{state}") if state in ("missing", "rejected") else ""
        if rep_id in self.runrate_reps:
            return self.layout.t("cons.runrate_mark", state=label) if label else self.layout.runrate_label()
        return label


def _ordered(preferred: list[str], seen) -> list[str]:
    """``preferred`` ids first (in order), then any other id that occurs, sorted: nothing is dropped."""
    extra = sorted({str(s) for s in seen} - set(preferred))
    return list(preferred) + extra


class _Styles(Styles):
    def __init__(self, wb):
        super().__init__(wb)
        base = self.base
        self.band = wb.add_format({**base, "bold": True, "bg_color": BAND_FILL, "align": "center", "border": 1})
        self.label_top = wb.add_format({**base, "bold": True, "valign": "top"})
        self.runrate = wb.add_format({"bg_color": RUNRATE_FILL})
        self.state = {s: wb.add_format({"bg_color": fill}) for s, fill in STATE_FILLS.items()}
        self.swatch = wb.add_format({"bg_color": INPUT_FILL, "border": 1})  # the input colour, locked
        self.section = wb.add_format({**base, "bold": True, "font_size": 12})
        self.help = wb.add_format({**base, "italic": True, "font_color": "#595959", "text_wrap": True,
                                   "valign": "top"})


class _Writer(WorkbookWriter):
    def __init__(self, wb, view: _View, file_name: str):
        super().__init__(wb, _Styles(wb), view.layout, view.c, language=view.lang,
                         password=view.c.config.workbook.sheet_password)
        self.v, self.file_name = view, file_name

    def t(self, key: str, **fmt) -> str:
        return self.layout.t(key, **fmt)

    def tab_order(self):
        names = self.layout.sheet_names
        order = [(key, names[key]) for key in ("cover", "summary", "charts", "topdown", "accounts", "lines",
                                               "status", "warnings", "versions")]
        return order[:5] + [("credit", _credit_label("sheet", self.L))] + order[5:]

    def write_sheets(self, sheets):
        self.fill(sheets, ("lines", "summary", "accounts", "credit", "status", "warnings", "versions", "topdown",
                           "charts", "cover"))

    # -- common -----------------------------------------------------------------------------------------
    def subtitle(self) -> str:
        v, cfg = self.c.version, self.c.config
        kind = str(v.get("kind", ""))
        kind_label = self.t(f"cons.version_kind.{kind}") if kind in _KIND_IDS else kind
        return self.t("cons.subtitle", company=cfg.company.name.get(self.L), version=v.get("id", ""),
                      kind=kind_label, currency=cfg.currency)

    def _widths(self, ws, table: Table, outline_from: int | None = None):
        for i, col in enumerate(table.columns):
            options = {"level": 1} if outline_from is not None and i >= outline_from else None
            ws.set_column(i, i, col.width, None, options)

    def put(self, ws, r: int, c: int, value, fmt):
        # empty text and pandas' missing values (NA, NaT) are written as blank cells
        write_value(ws, r, c, None if _blank(value) or (isinstance(value, str) and not value) else value, fmt)

    def _plain_table(self, ws, table: Table, rows: list[dict], notes=(), freeze: int = 1):
        self.header(ws, table, notes, widths=False)
        self._widths(ws, table)
        for off, values in enumerate(rows):
            self.row(ws, table, table.first_row + off, values)
        ws.freeze_panes(table.first_row, freeze)
        if rows:
            ws.autofilter(table.header_row, 0, table.first_row + len(rows) - 1, len(table.columns) - 1)
        self.protect(ws, autofilter=bool(rows))
        self.page(ws, table)

    # -- Lines ------------------------------------------------------------------------------------------
    def _lines(self, ws):
        v, tb = self.v, self.layout.lines
        basis = {"submitted": self.t("cons.basis.submitted"), "run-rate": self.t("cons.basis.run-rate")}
        rows = []
        for r in v.lines.itertuples(index=False):
            rows.append({"region_id": r.region_id, "rep_id": r.rep_id, "rep": v.name("rep", r.rep_id), "cls": r.cls,
                         "class": v.name("class", r.cls), "account_id": r.account_id,
                         "account": v.name("account", r.account_id), "product_id": r.product_id,
                         "product": v.name("product", r.product_id), "quarter": int(r.quarter),
                         "basis": basis.get(r.basis, r.basis), "volume": r.volume, "price": r.price,
                         "revenue": r.revenue, "ly_volume": r.ly_volume, "ly_revenue": r.ly_revenue,
                         "own_volume": r.own_volume, "own_revenue": r.own_revenue})
        self._plain_table(ws, tb, rows, notes=[self.t("cons.runrate_note")], freeze=0)
        if rows:
            i = tb.col("basis")
            ref = xl_rowcol_to_cell(tb.first_row, i, col_abs=True)
            label = self.layout.runrate_label().replace('"', '""')
            ws.conditional_format(tb.first_row, 0, tb.last_row, len(tb.columns) - 1, {
                "type": "formula", "criteria": f'={ref}="{label}"', "format": self.st.runrate})

    # -- Summary and Accounts: measure blocks ---------------------------------------------------------------
    def _blocks(self, ws, table: Table, rows: list[dict], key_columns: int, notes=()):
        st = self.st
        self.header(ws, table, notes, widths=False)
        first_block = table.col(block_key("y", MEASURE_ORDER[0], WHATS[0]))
        self._widths(ws, table, outline_from=table.col(block_key("q1", MEASURE_ORDER[0], WHATS[0])))
        band = table.header_row - 1
        width = len(MEASURE_ORDER) * len(WHATS)
        for n, p in enumerate(PERIODS):
            a = first_block + n * width
            ws.merge_range(band, a, band, a + width - 1, self.layout.period_label(p), st.band)
        for off, values in enumerate(rows):
            self.row(ws, table, table.first_row + off, values)
        ws.freeze_panes(table.first_row, key_columns)
        if rows:
            ws.autofilter(table.header_row, 0, table.last_row, len(table.columns) - 1)
            basis = xl_rowcol_to_cell(table.first_row, table.col("basis"), col_abs=True)
            ws.conditional_format(table.first_row, 0, table.last_row, len(table.columns) - 1, {
                "type": "formula", "criteria": f'={basis}<>""', "format": st.runrate})
        self.protect(ws, autofilter=bool(rows))
        # printed: the names, then one period per page across (the keys repeated); a group's rows
        # (an account's products, a summary level) kept on one page
        column_breaks = [first_block + n * width for n in range(len(PERIODS))]
        groups = runs(table.first_row, [key[0] for key in table.row_keys])
        self.page(ws, table, wide=True, key_columns=key_columns, column_breaks=column_breaks, row_groups=groups)

    def _summary(self, ws):
        v, tb = self.v, self.layout.summary
        rows = []
        for level, ident in tb.row_keys:
            rows.append({"level": self.t(f"cons.level.{level}"), "id": ident, "name": v.name(level, ident),
                         "basis": v.runrate_mark(ident) if level == "rep" else ""})
        mixed = self._mixed_unit_rows(tb)  # units never mix (issue 12): those rows' volume is left out
        note = self.t("cons.formula_note") + (" " + self.t("units.volume_left_out") if mixed else "")
        self._blocks(ws, tb, rows, key_columns=3, notes=[note, self.t("cons.runrate_note")])
        vol_cols = [tb.col(block_key(p, "volume", w)) for p in PERIODS for w in WHATS]
        for off in mixed:
            for c in vol_cols:
                ws.write_blank(tb.first_row + off, c, None, self.st.cell(tb.columns[c].num_format))

    def _mixed_unit_rows(self, tb: Table) -> list[int]:
        """Summary rows (offsets) whose lines are in different units: a SUMIFS of their volume would add
        them (a formula cannot convert, so even converted units count as different here)."""
        unit_of = {p.id: p.unit for p in self.c.config.products}
        lines = self.v.lines.assign(_unit=self.v.lines["product_id"].map(unit_of))
        column = {"region": "region_id", "rep": "rep_id", "class": "cls", "product": "product_id"}
        units: dict[str, pd.Series] = {}  # level -> units per id, counted once per level (not once per row)
        out = []
        for off, (level, ident) in enumerate(tb.row_keys):
            if level == "company":
                n = lines["_unit"].nunique()
            else:
                if level not in units:
                    units[level] = lines.groupby(lines[column[level]].astype(str))["_unit"].nunique()
                n = units[level].get(str(ident), 0)
            if n > 1:
                out.append(off)
        return out

    def _accounts(self, ws):
        v, tb = self.v, self.layout.accounts
        first = v.lines.drop_duplicates(["account_id", "product_id"]).set_index(["account_id", "product_id"])
        rows = []
        for a, p in tb.row_keys:
            line = first.loc[(a, p)]
            rows.append({"account_id": a, "account": v.name("account", a), "rep": v.name("rep", line["rep_id"]),
                         "region": v.name("region", line["region_id"]), "class": v.name("class", line["cls"]),
                         "product_id": p, "product": v.name("product", p),
                         "basis": v.runrate_mark(line["rep_id"]) if (a, p) in v.runrate_pairs else ""})
        self._blocks(ws, tb, rows, key_columns=2, notes=[self.t("cons.formula_note"), self.t("cons.runrate_note")])

    # -- Status, Warnings, Versions -------------------------------------------------------------------------
    # -- By credit ---------------------------------------------------------------------------------------
    def _credit(self, ws):
        """Revenue per salesperson by credit (account teams share lines; full-credit roles apart): the
        counted rows add up to the company total, which counts each line once."""
        cfg, lang = self.c.config, self.L
        tb = _credit_table(cfg.currency, lang)
        frame = credited_revenue(self.c.lines, cfg)
        rows = []
        for (rep, full), g in frame.groupby(["rep_id", "full_credit"], sort=True):
            by_q = g.groupby("quarter")["revenue"].sum()
            rows.append({"rep_id": rep, "rep": self.v.name("rep", rep),
                         "credit": _credit_label("full" if full else "counted", lang),
                         **{f"revenue_q{q}": float(by_q.get(q, 0.0)) for q in QUARTERS},
                         "revenue_total": float(g["revenue"].sum())})
        tb = _sized(tb, len(rows))
        self._plain_table(ws, tb, rows, notes=[_credit_label("note", lang)])
        counted = frame[~frame["full_credit"]]
        r = tb.first_row + len(rows)
        st = self.st
        ws.write_string(r, 0, _credit_label("total", lang), st.cell(None, total=True))
        for q in QUARTERS:
            ws.write_number(r, tb.col(f"revenue_q{q}"),
                            float(counted.loc[counted["quarter"] == q, "revenue"].sum()),
                            st.cell(FMT_MONEY, total=True))
        ws.write_number(r, tb.col("revenue_total"), float(counted["revenue"].sum()), st.cell(FMT_MONEY, total=True))

    def _status(self, ws):
        v, tb = self.v, self.layout.status
        rows = []
        for r in v.status.to_dict("records"):
            state = str(r.get("state", ""))
            rows.append({"rep_id": r["rep_id"], "rep": v.name("rep", r["rep_id"]),
                         "region": v.name("region", _region_of(self.c.config, r["rep_id"]) or self.t("region.none")),
                         "state": self.t(f"cons.state.{state}") if state in STATE_FILLS else state,
                         "file_name": _text(r.get("file_name")), "at": r.get("at"),
                         "reasons": _reasons(r.get("reasons")), "last_good_file": _text(r.get("last_good_file"))})
        tb = _sized(tb, len(rows))
        self._plain_table(ws, tb, rows)
        for s in STATE_FILLS:
            if rows:
                i = tb.col("state")
                ws.conditional_format(tb.first_row, i, tb.last_row, i, {
                    "type": "cell", "criteria": "==", "value": '"' + self.t(f"cons.state.{s}") + '"',
                    "format": self.st.state[s]})

    def _warnings(self, ws):
        tb = self.layout.warnings
        rows = [{"severity": self.t(f"cons.severity.{p.severity.value}"), "where": _where(p, self.L), "code": p.code,
                 "message": p.message_in(self.L), "fix": p.fix_in(self.L)} for p in self.c.warnings]
        notes = [] if rows else [self.t("cons.no_warnings")]
        self._plain_table(ws, _sized(tb, len(rows)), rows, notes=notes)

    def versions_by_id(self) -> dict[int, dict]:
        versions = self.c.versions if self.c.versions is not None else pd.DataFrame()
        return {int(r["id"]): r for r in versions.to_dict("records") if _is_number(r.get("id"))}

    def _versions(self, ws):
        tb = self.layout.versions
        shown = self.c.version.get("id")
        rows = []
        versions = self.c.versions if self.c.versions is not None else pd.DataFrame()
        one_unit = len({p.unit for p in self.c.config.products}) == 1  # a version's volume adds every unit
        for r in versions.to_dict("records"):
            kind = str(r.get("kind", ""))
            rows.append({"id": r.get("id"), "kind": self.t(f"cons.version_kind.{kind}") if kind in _KIND_IDS else kind,
                         "created_at": r.get("created_at"), "by": _text(r.get("by")),
                         "description": _text(version_text(r, self.L, self.versions_by_id())),
                         "volume": r.get("volume") if one_unit else None,
                         "revenue": r.get("revenue"),
                         "shown": self.t("cons.shown") if _same_id(r.get("id"), shown) else ""})
        tb = _sized(tb, len(rows))
        self._plain_table(ws, tb, rows)
        if rows:
            ref = xl_rowcol_to_cell(tb.first_row, tb.col("shown"), col_abs=True)
            ws.conditional_format(tb.first_row, 0, tb.last_row, len(tb.columns) - 1, {
                "type": "formula", "criteria": f'={ref}<>""', "format": self.st.state["submitted"]})

    # -- Top-down (input) -----------------------------------------------------------------------------------
    def _validate(self, ws, r1, c1, r2, c2, help_text: str, header: str, **rule):
        opts = {"error_title": self.t("cons.val.title"), "error_message": help_text[:255], "error_type": "stop",
                "input_title": header[:32], "input_message": help_text[:255], "ignore_blank": True,
                "show_error": True, "show_input": True, **rule}
        ws.data_validation(r1, c1, r2, c2, opts)

    def _topdown(self, ws):
        """The Top-down sheet: the parameters, the figures table, the holds and the floors and caps."""
        lay, st = self.layout, self.st
        for i, col in enumerate(lay.figures.columns):
            ws.set_column(i, i, col.width)
        ws.write_string(0, 0, self.t("cons.td.title"), st.title)
        ws.write_string(1, 0, self.subtitle(), st.subtitle)
        ws.write_string(2, 0, self.t("cons.td.intro", file=self.file_name), st.label)
        self._parameters(ws)
        self._figures(ws)
        self._holds(ws)
        self._bounds(ws)
        ws.freeze_panes(3, 0)
        self.protect(ws)
        self.page(ws, None, landscape=True)

    def _parameters(self, ws):
        """One row per parameter: label, input cell (pre-filled from the instruction), help."""
        lay, st, spec = self.layout, self.st, self.c.instruction
        measure = spec.measure if spec else "revenue"
        method = spec.method if spec else "proportional"
        params = {"measure": lay.measure_label(measure), "method": lay.method_label(method),
                  "growth": spec.growth if spec and spec.growth is not None else None,
                  "reference": spec.reference_version if spec and spec.reference_version is not None else None,
                  "note": spec.note if spec and spec.note else None}
        c = PARAM_COL
        for key, row in PARAM_ROWS.items():
            label = self.t(f"cons.td.{key}")
            help_text = self.t(f"cons.td.help.{key}")
            ws.write_string(row, 0, label, st.label)
            fmt = {"growth": st.cell(FMT_PCT, input=True), "reference": st.cell(FMT_INT, input=True),
                   "note": st.cell(None, input=True, text=True)}.get(key, st.cell(None, input=True, text=True))
            self.put(ws, row, c, params[key], fmt)
            ws.merge_range(row, c + 1, row, len(lay.figures.columns) - 1, help_text, st.help)
            val = {"growth": "cons.td.val.growth", "reference": "cons.td.val.reference",
                   "note": "cons.td.val.note"}.get(key, "val.pick")
            self._validate(ws, row, c, row, c, self.t(val), label, **self._parameter_rule(key))

    def _parameter_rule(self, key: str) -> dict:
        lay = self.layout
        return {"measure": {"validate": "list", "source": "=" + lay.list_name("measures")},
                "method": {"validate": "list", "source": "=" + lay.list_name("methods")},
                "growth": {"validate": "decimal", "criteria": "between", "minimum": -0.9, "maximum": 5.0},
                "reference": ({"validate": "list", "source": "=" + lay.list_name("versions")}
                              if self._version_ids() else
                              {"validate": "integer", "criteria": ">=", "value": 1}),
                "note": {"validate": "length", "criteria": "<=", "value": 500}}[key]

    def _figures(self, ws):
        """The figure of the company, each product or each region; the instruction's own level filled in."""
        lay, st, spec = self.layout, self.st, self.c.instruction
        fig = lay.figures
        ws.write_string(FIGURES_TITLE_ROW, 0, fig.title, st.section)
        ws.set_row(fig.header_row, 32)
        for i, col in enumerate(fig.columns):
            ws.write_string(fig.header_row, i, col.header, st.header)
        figures = dict(spec.figures) if spec else {}
        for off, (level, ident) in enumerate(lay.figure_rows()):
            r = fig.first_row + off
            value = figures.get(ident) if spec is not None and level == spec.by else None
            values = {"level": self.t(f"cons.level.{level}"), "name": self.v.name(level, ident), "id": ident,
                      "figure": value}
            self.row(ws, fig, r, values)
        i = fig.col("figure")
        col: Column = fig.column("figure")
        self._validate(ws, fig.first_row, i, fig.last_row, i, col.help, col.header, validate="decimal",
                       criteria=">=", value=0)

    def _holds(self, ws):
        lay, st, spec = self.layout, self.st, self.c.instruction
        holds = lay.holds
        ws.write_string(holds.header_row - 1, 0, holds.title, st.section)
        for i, col in enumerate(holds.columns):
            ws.write_string(holds.header_row, i, col.header, st.header)
        held = list(spec.holds) if spec else []
        for off in range(holds.n_rows):
            kind, ident = held[off] if off < len(held) else (None, None)
            self.row(ws, holds, holds.first_row + off,
                     {"kind": lay.hold_label(kind) if kind else None, "id": ident})
        self._validate(ws, holds.first_row, 0, holds.last_row, 0, self.t("val.pick"), holds.columns[0].header,
                       validate="list", source="=" + lay.list_name("hold_kinds"))
        self._validate(ws, holds.first_row, 1, holds.last_row, 1, holds.columns[1].help, holds.columns[1].header,
                       validate="length", criteria="<=", value=100)

    def _bounds(self, ws):
        lay, st, spec = self.layout, self.st, self.c.instruction
        bounds = lay.bounds
        ws.write_string(bounds.header_row - 2, 0, bounds.title, st.section)
        ws.write_string(bounds.header_row - 1, 0, self.t("cons.td.syntax", syntax=BOUND_SYNTAX), st.subtitle)
        for i, col in enumerate(bounds.columns):
            ws.write_string(bounds.header_row, i, col.header, st.header)
        rules = list(spec.bounds) if spec else []
        for off in range(bounds.n_rows):
            b = rules[off] if off < len(rules) else None
            self.row(ws, bounds, bounds.first_row + off,
                     {"side": lay.side_label(b.side) if b else None, "rule": b.text if b else None})
        self._validate(ws, bounds.first_row, 0, bounds.last_row, 0, self.t("val.pick"), bounds.columns[0].header,
                       validate="list", source="=" + lay.list_name("sides"))
        x = xl_rowcol_to_cell(bounds.first_row, 1)
        starts = ",".join(f'LEFT({x},{len(s)})="{s}"' for s in
                          ("all", "account:", "rep:", "region:", "product:", "class:"))
        self._validate(ws, bounds.first_row, 1, bounds.last_row, 1, bounds.columns[1].help, bounds.columns[1].header,
                       validate="custom", value=f'=AND(ISNUMBER(FIND("=",{x})),OR({starts}))')

    def _version_ids(self) -> list[int]:
        versions = self.c.versions
        if versions is None or not len(versions):
            return []
        return [int(x) for x in versions["id"] if not _blank(x)]

    # -- Charts -------------------------------------------------------------------------------------------
    def _charts(self, ws):
        lay, st = self.layout, self.st
        ws.hide_gridlines(2)
        ws.write_string(0, 0, self.t("cons.sheet.charts"), st.title)
        ws.write_string(1, 0, self.subtitle(), st.subtitle)
        sm = lay.summary
        top = 3
        for level, title in (("region", "cons.chart.region"), ("rep", "cons.chart.rep")):
            span = lay.summary_rows_of(level)
            if span is None:
                continue
            a, b = span
            chart = self.wb.add_chart({"type": "column", "subtype": "clustered"})
            for what, color in (("ly", "#A5A5A5"), ("own", "#9DC3E6"), ("cur", "#2F5597")):
                key = block_key("y", "revenue", what)
                chart.add_series({"name": [sm.sheet, sm.header_row, sm.col(key)],
                                  "categories": [sm.sheet, a, sm.col("name"), b, sm.col("name")],
                                  "values": [sm.sheet, a, sm.col(key), b, sm.col(key)],
                                  "fill": {"color": color}, "gap": 60})
            chart.set_title({"name": self.t(title)})
            chart.set_y_axis({"name": f"{self.t('cons.m.revenue')} ({self.c.config.currency})",
                              "num_format": "#,##0", "major_gridlines": {"visible": True}})
            chart.set_x_axis({"num_font": {"rotation": -45 if b - a >= 8 else 0, "size": 8}})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 960, "height": 400})
            ws.insert_chart(top, 0, chart)
            top += 22
        self.protect(ws)
        self.page(ws, None)

    # -- Read me -----------------------------------------------------------------------------------------
    def _cover(self, ws):
        st, c, v = self.st, self.c, self.c.version
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 90)
        ws.hide_gridlines(2)
        ws.write_string(0, 0, self.t("cons.title", year=c.year), st.title)
        ws.write_string(1, 0, self.subtitle(), st.subtitle)
        kind = str(v.get("kind", ""))
        states = self.v.status["state"].astype(str).value_counts() if len(self.v.status) else {}
        counts = {s: int(states.get(s, 0)) for s in ("submitted", "missing", "rejected")}
        n_err = sum(p.is_error for p in c.warnings)
        facts = [("cons.cover.version", str(v.get("id", ""))),
                 ("cons.cover.kind", self.t(f"cons.version_kind.{kind}") if kind in _KIND_IDS else kind),
                 ("cons.cover.created", _when(v.get("created_at"))),
                 ("cons.cover.by", _text(v.get("by"))),
                 ("cons.cover.description", _text(version_text(v, self.L, self.versions_by_id()))),
                 ("cons.cover.generated", _when(c.generated_at)),
                 ("cons.cover.currency", c.config.currency),
                 ("cons.cover.status", self.t("cons.cover.status_counts", **counts)),
                 ("cons.cover.warnings", f"{len(c.warnings) - n_err} / {n_err}" if n_err else str(len(c.warnings)))]
        row = 3
        for key, value in facts:
            ws.write_string(row, 0, self.t(key), st.label)
            ws.write_string(row, 1, value, st.wrap)
            row += 1
        row += 1
        ws.write_string(row, 0, self.t("cons.cover.how"), st.label_top)
        ws.write_string(row, 1, self.t("cons.cover.steps", file=self.file_name), st.wrap)
        ws.set_row(row, 150)
        row += 2
        ws.write_blank(row, 0, None, st.swatch)
        ws.write_string(row, 1, self.t("cons.cover.legend"), st.subtitle)
        ws.write_string(row + 1, 1, self.t("cover.no_macros"), st.subtitle)
        self.protect(ws)
        self.page(ws, None, landscape=False)

    # -- hidden sheets -------------------------------------------------------------------------------------
    def write_lists(self, ws):
        lay = self.layout
        col = 0
        for name, items in lay.choices().items():
            ws.write_string(0, col, name)
            for r, (_, label) in enumerate(items, start=1):
                ws.write_string(r, col, label)
            self.wb.define_name(lay.list_name(name),
                                f"={quote_sheet(ws.name)}!${_col(col)}$2:${_col(col)}${len(items) + 1}")
            col += 1
        ids = self._version_ids()
        ws.write_string(0, col, "versions")
        for r, i in enumerate(ids, start=1):
            ws.write_number(r, col, i)
        if ids:
            self.wb.define_name(lay.list_name("versions"),
                                f"={quote_sheet(ws.name)}!${_col(col)}$2:${_col(col)}${len(ids) + 1}")
        ws.set_column(0, col, 36)
        ws.hide()
        self.protect(ws)

    def identity(self):
        lay, c = self.layout, self.c
        values = [("plan_year", str(c.year)), ("version_id", str(c.version.get("id", ""))),
                  ("version_kind", str(c.version.get("kind", ""))),
                  ("generated_at", c.generated_at.isoformat(timespec="seconds")), ("language", self.L),
                  ("currency", c.config.currency), ("layout_hash", lay.signature()),
                  ("hold_rows", str(lay.hold_rows)), ("bound_rows", str(lay.bound_rows))]
        blocks = {"products": lay.products, "regions": lay.regions,
                  "versions": [str(i) for i in self._version_ids()]}
        return IDENTITY, values, blocks


_KIND_IDS = ("bottom-up", "top-down", "undo", "agreed")


_CREDIT_LABELS = {
    "sheet": ("By credit", "业绩归属"),
    "title": ("Revenue by salesperson, by credit", "按业绩归属的销售额（按销售员）"),
    "credit": ("Credit", "归属"),
    "counted": ("share", "份额"),
    "full": ("full credit (outside the total)", "全额业绩（不计入合计）"),
    "total": ("Company (each line once)", "公司合计（每行只计一次）"),
    "note": ("Account teams share a line's revenue by their credit shares; the owner gets the remainder. "
             "Full-credit roles (overlay) count it in full and are left out of the company total.",
             "客户团队按业绩份额分摊每行销售额,客户负责人得其余部分;全额业绩角色（overlay）计全额,不计入公司合计。"),
}


def _credit_label(key: str, language: str) -> str:
    en, zh = _CREDIT_LABELS[key]
    return zh if language == "zh-CN" else en


def _credit_table(currency: str, language: str) -> Table:
    money = lambda key, head: Column(key, f"{head} ({currency})", "info", "number", 15, FMT_MONEY)  # noqa: E731
    zh = language == "zh-CN"
    cols = (Column("rep_id", "销售员代码" if zh else "Salesperson id", "key", width=12),
            Column("rep", "销售员" if zh else "Salesperson", "info", width=18),
            Column("credit", _credit_label("credit", language), "info", width=26),
            *[money(f"revenue_q{q}", f"Q{q}") for q in QUARTERS],
            money("revenue_total", "全年" if zh else "Year"))
    return Table("credit", _credit_label("sheet", language), cols, 3, title=_credit_label("title", language))


def credited_revenue(lines: pd.DataFrame, config: PlanConfig) -> pd.DataFrame:
    """The plan lines' revenue per credited person: rep_id, quarter, revenue, full_credit
    (``engine.credit``; the owner is the config's rep, else the line's planner)."""
    owners = {str(a): str(r) for a, r in zip(lines["account_id"], lines["rep_id"])}
    owners.update({a.id: a.rep for a in config.accounts})
    frame = lines[["account_id", "product_id", "quarter", "revenue"]].copy()
    frame["revenue"] = pd.to_numeric(frame["revenue"], errors="coerce").fillna(0.0)
    shares = credit_shares(frame, team_frame(config.accounts), owners, config.teams.full_credit_roles)
    out = credited(frame, shares, ["revenue"])
    return out.rename(columns={"salesperson_id": "rep_id"})[["rep_id", "quarter", "revenue", "full_credit"]]


def _where(p, language: str) -> str:
    """A problem's file › sheet › cell, each part in ``language`` (a part may be a catalogue phrase)."""
    return " › ".join(render(part, language) for part in (p.file, p.sheet, p.cell) if part)


def _sized(table: Table, n: int) -> Table:
    """A free list table (Status, Warnings, Versions) with exactly ``n`` rows."""
    return dataclasses.replace(table, row_keys=tuple((i,) for i in range(n)))


def _col(i: int) -> str:
    return xl_col_to_name(i)


def _region_of(config: PlanConfig, rep_id: str) -> str:
    return next((s.region for s in config.staff if s.id == rep_id), "")


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, (list, tuple, dict, str)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(value) -> str:
    return "" if _blank(value) else str(value)


def _reasons(value) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(x) for x in value)
    return _text(value)


def _when(value) -> str:
    if _blank(value):
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _same_id(a, b) -> bool:
    if _blank(a) or _blank(b):
        return False
    return str(a).strip() == str(b).strip() or (
        _is_number(a) and _is_number(b) and float(a) == float(b))


def _is_number(x) -> bool:
    try:
        float(x)
        return True
    except (TypeError, ValueError):
        return False
