"""Write the account review workbook from its layout (XlsxWriter, native charts, no macros)."""
from __future__ import annotations

from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from kamplan.workbooks.kit.layout import Column, Table, quote_sheet
from kamplan.workbooks.review.content import ReviewWorkbookContent
from kamplan.workbooks.review.layout import (
    FMT_INT, IDENTITY, REVIEWER_CELL, RT, ReviewLayout, rt,
)
from kamplan.workbooks.kit.styles import Styles
from kamplan.workbooks.kit.writer import WorkbookWriter

GROUP_FILL = "#D9E1F2"
CLASS_FILLS = {"key": "#C6EFCE", "develop": "#DDEBF7", "watch": "#FFEB9C", "drop": "#E7E6E6"}
LOSS_FONT = "#C00000"


class _Styles(Styles):
    def __init__(self, wb: xlsxwriter.Workbook):
        super().__init__(wb)
        base = self.base
        self.group = wb.add_format({**base, "bold": True, "bg_color": GROUP_FILL, "align": "center", "border": 1})
        self.label_top = wb.add_format({**base, "bold": True, "valign": "top"})
        self.sentence = wb.add_format({**base, "text_wrap": True, "valign": "top", "font_size": 11, "bold": True})
        self.loss = wb.add_format({"font_color": LOSS_FONT})
        self.class_fmt = {c: wb.add_format({"bg_color": fill}) for c, fill in CLASS_FILLS.items()}


def write_review_workbook(path: Path, content: ReviewWorkbookContent) -> Path:
    """Write the workbook atomically to ``path`` (the caller decides about an existing file)."""
    return _Writer.save(path, content, title=rt("title", content.language, year=content.identity.plan_year),
                        styles=_Styles)


class _Writer(WorkbookWriter):
    def write_sheets(self, sheets):
        lay = self.layout
        self.fill(sheets, ("ranking", "scores", "lines", "whale"))
        self._plain(sheets["movement"], lay.movement, self._movement_rows())
        self._plain(sheets["candidates"], lay.candidates, self._candidate_rows())
        self.fill(sheets, ("review", "cover", "charts"))

    # -- common -----------------------------------------------------------------------------------
    def subtitle(self) -> str:
        c = self.c
        return rt("subtitle", self.L, company=c.company, period=c.period_label,
                  measure=rt(f"measure.{c.measure}", self.L))

    # -- Accounts ---------------------------------------------------------------------------------
    def _ranking(self, ws):
        c, lay = self.c, self.layout
        tb = lay.ranking
        yes, no = rt("yes", self.L), rt("no", self.L)
        rows = []
        for a, row in c.accounts.iterrows():
            rows.append({"rank": int(row["rank"]), "account_id": a, "account": row["name"], "rep": row["rep"],
                         "abc": row["abc"], "big": yes if row["big"] > 0 else no, "volume": row["volume"],
                         "revenue": row["revenue"], "gross_margin": row["gross_margin"],
                         "cost_to_serve": row["cost_to_serve"], "profit_rank": int(row["profit_rank"]),
                         "growth": row["growth"], "computed_class": c.class_label(row["computed_class"]),
                         "reason": row["reason"], "previous_class": c.class_label(row["previous_class"]),
                         "change": rt(f"change.{row['change']}", self.L) if isinstance(row["change"], str) else "",
                         "flags": _flags_text(row["flags"], self.L)})
        notes = [rt("truncated", self.L, shown=len(c.accounts), total=c.total_accounts)] if c.truncated else []
        notes += c.notes  # e.g. volume left out where it would add different units
        self.table(ws, tb, rows, freeze=3, notes=notes)
        values = None
        if c.truncated:
            values = {k: c.totals[k] for k in ("volume", "revenue", "gross_margin", "cost_to_serve", "profit")}
        t = tb.total_row + 1
        rev, prof = tb.letter("revenue"), tb.letter("profit")
        extra = {k: f"=SUM({tb.span(k, absolute=False)})" for k in ("volume_share", "revenue_share", "gm_share")}
        extra["profit_margin"] = f'=IF(N({rev}{t})>0,{prof}{t}/{rev}{t},"")'
        if not len(c.accounts):
            extra = {"profit_margin": extra["profit_margin"]}
        self.totals(ws, tb, rt("total", self.L), lay.ranking_sums(), values, extra)
        if tb.n_rows:
            self._highlights(ws, tb)

    def _highlights(self, ws, tb: Table):
        first, last = tb.first_row, tb.last_row
        for key in ("profit", "profit_margin"):
            i = tb.col(key)
            ws.conditional_format(first, i, last, i, {"type": "cell", "criteria": "<", "value": 0,
                                                      "format": self.st.loss})
        i = tb.col("class")
        for cls, label, *_ in self.c.classes:
            ws.conditional_format(first, i, last, i, {"type": "cell", "criteria": "==",
                                                      "value": '"' + label.replace('"', '""') + '"',
                                                      "format": self.st.class_fmt[cls]})

    # -- Scores -----------------------------------------------------------------------------------
    def _scores(self, ws):
        c, lay, st = self.c, self.layout, self.st
        tb = lay.scores
        rows = []
        for a, row in c.accounts.iterrows():
            values = {"account_id": a, "account": row["name"]}
            for ind in lay.indicators:
                values[f"raw_{ind.id}"] = c.raw.at[a, ind.id]
                values[f"norm_{ind.id}"] = c.norm.at[a, ind.id]
            rows.append(values)
        self.table(ws, tb, rows, freeze=2)
        # weights above the normalised columns and the group scores; group names above them
        w = lay.weight_row()
        ws.write_string(w, 0, rt("weights", self.L), st.cell(None, total=True))
        ws.write_string(w - 1, 0, rt("col.group", self.L), st.group)
        gw = dict(lay.rules.group_weights)
        for ind in lay.indicators:
            i = tb.col(f"norm_{ind.id}")
            ws.write_number(w, i, float(ind.weight), st.cell("0.00", total=True))
            ws.write_string(w - 1, i, rt(f"group.{ind.group}", self.L), st.group)
            ws.write_string(w - 1, tb.col(f"raw_{ind.id}"), rt(f"group.{ind.group}", self.L), st.group)
        for g in ("hard", "strength", "capability"):
            i = tb.col(f"score_{g}")
            ws.write_number(w, i, float(gw.get(g, 0.0)), st.cell("0.00", total=True))
        ws.write_string(2, 0, _score_note(lay, self.L), st.subtitle)

    # -- Products ---------------------------------------------------------------------------------
    def _lines(self, ws):
        c, lay = self.c, self.layout
        tb = lay.lines
        names = c.accounts["name"].to_dict()
        rows = [{"account_id": r.account_id, "account": names.get(r.account_id, r.account_id),
                 "product_id": r.product_id, "product": r.product, "volume": r.volume, "revenue": r.revenue,
                 "gross_margin": r.gross_margin, "acct_key": r.acct_key, "acct_lines": int(r.acct_lines),
                 "acct_cts": r.acct_cts, "split": r.split} for r in c.lines.itertuples(index=False)]
        note = {"revenue": ("Each account's cost to serve is split over its products by revenue (evenly when the "
                            "account has no positive revenue).",
                            "客户服务成本按各产品销售额分摊(客户无正销售额时平均分摊)。"),
                "volume": ("Each account's cost to serve is split over its products by volume (evenly when the "
                           "account has no positive volume).",
                           "客户服务成本按各产品销量分摊(客户无正销量时平均分摊)。")}[c.allocation]
        self.table(ws, tb, rows, freeze=4, notes=[note[1] if self.L == "zh-CN" else note[0]])
        self.totals(ws, tb, rt("total", self.L), ["volume", "revenue", "gross_margin", "line_cts", "profit"])
        if tb.n_rows:
            for key in ("profit", "profit_margin"):
                i = tb.col(key)
                ws.conditional_format(tb.first_row, i, tb.last_row, i, {"type": "cell", "criteria": "<", "value": 0,
                                                                       "format": self.st.loss})

    # -- Profit curve -------------------------------------------------------------------------------
    def _whale(self, ws):
        c, lay = self.c, self.layout
        tb = lay.whale
        rows = [{"profit_rank": w["rank_label"], "account_id": w["key"], "account": w["name"],
                 "accounts": int(w["accounts"]), "profit": w["profit"]} for w in c.whale]
        notes = [s for s in c.sentences[-1:]]
        self.table(ws, tb, rows, freeze=3, notes=notes)
        self.totals(ws, tb, rt("total", self.L), ["accounts", "profit"])
        if tb.n_rows:
            i = tb.col("profit")
            ws.conditional_format(tb.first_row, i, tb.last_row, i, {"type": "cell", "criteria": "<", "value": 0,
                                                                   "format": self.st.loss})

    # -- read-only lists --------------------------------------------------------------------------------
    def _plain(self, ws, tb: Table, rows: list[dict]):
        self.table(ws, tb, rows, freeze=2)

    def _movement_rows(self) -> list[dict]:
        c = self.c
        names = c.accounts["name"].to_dict()
        return [{"account_id": r["account_id"], "account": names.get(r["account_id"], r["account_id"]),
                 "previous_class": c.class_label(r["previous_class"]), "class": c.class_label(r["class"]),
                 "change": rt(f"change.{r['change']}", self.L), "reason": r["reason"],
                 "previous_reason": r["previous_reason"]} for r in c.movement.to_dict("records")]

    def _candidate_rows(self) -> list[dict]:
        c = self.c
        acc = c.accounts
        out = []
        for r in c.candidates.itertuples(index=False):
            known = r.account_id in acc.index
            out.append({"account_id": r.account_id, "account": acc.at[r.account_id, "name"] if known else r.account_id,
                        "rep": acc.at[r.account_id, "rep"] if known else "", "measure": r.measure,
                        "previous": r.previous, "growth": r.growth, "profit": r.profit,
                        "years_to_big": r.years_to_big,
                        "class": c.class_label(acc.at[r.account_id, "class"]) if known else ""})
        return out

    # -- Review (input) ---------------------------------------------------------------------------------
    def _review(self, ws):
        c, lay, st = self.c, self.layout, self.st
        tb = lay.review
        rows = []
        for a, row in c.accounts.iterrows():
            ov = c.overrides.get(a)
            values = {"account_id": a, "account": row["name"], "rep": row["rep"],
                      "computed_class": c.class_label(row["computed_class"]), "reason": row["reason"],
                      "previous_class": c.class_label(row["previous_class"])}
            if ov is not None:
                cls, reason, by, at = ov
                when = at.strftime("%Y-%m-%d") if hasattr(at, "strftime") else str(at or "")
                values["in_force"] = f"{c.class_label(cls)} — {by}, {when}".strip(" ,—")
                values["override_class"] = c.class_label(cls)
                values["override_reason"] = reason
            for ind in lay.judged:
                values[f"j_{ind.id}"] = c.judgements.get((a, ind.id))
            rows.append(values)
        self.header(ws, tb)
        r0, c0 = REVIEWER_CELL
        ws.write_string(r0, c0 - 1, rt("reviewer", self.L), st.label)
        ws.write_blank(r0, c0, None, st.input)
        ws.data_validation(r0, c0, r0, c0, {"validate": "length", "criteria": "<=", "value": 120,
                                            "input_title": rt("reviewer", self.L)[:32],
                                            "input_message": rt("reviewer_help", self.L)[:255]})
        ws.write_string(r0 + 1, 0, rt("reviewer_help", self.L) + "  " + _review_note(self.L), st.subtitle)
        self.rows(ws, tb, rows)
        if rows:
            self.validate_inputs(ws, tb)
        self.finish(ws, tb, freeze=2)
        if tb.n_rows:
            i = tb.col("effective_class")
            for cls, label, *_ in c.classes:
                ws.conditional_format(tb.first_row, i, tb.last_row, i, {
                    "type": "cell", "criteria": "==", "value": '"' + label.replace('"', '""') + '"',
                    "format": st.class_fmt[cls]})

    def validate(self, ws, tb: Table, i: int, col: Column):
        title = rt("val.title", self.L)
        opts: dict = {"error_title": title, "error_message": col.help[:255] or None, "error_type": "stop",
                      "input_title": col.header[:32], "input_message": col.help[:255] or None,
                      "ignore_blank": True, "show_error": True, "show_input": bool(col.help)}
        if col.dtype == "integer":
            opts.update(validate="integer", criteria="between", minimum=int(col.minimum), maximum=int(col.maximum))
        elif col.dtype == "choice":
            opts.update(validate="list", source="=" + self.layout.list_name(col.choices))
        else:
            opts.update(validate="length", criteria="<=", value=500)
        opts = {k: v for k, v in opts.items() if v is not None}
        ws.data_validation(tb.first_row, i, tb.last_row, i, opts)

    # -- Read me ---------------------------------------------------------------------------------------
    def _cover(self, ws):
        c, L, st, lay = self.c, self.L, self.st, self.layout
        ident = c.identity
        ws.set_column(0, 0, 26)
        ws.set_column(1, 4, 16)
        ws.set_column(5, 5, 60)
        ws.hide_gridlines(2)
        ws.write_string(0, 0, rt("title", L, year=ident.plan_year), st.title)
        ws.write_string(1, 0, self.subtitle(), st.subtitle)
        row = 3
        for s in c.sentences:
            ws.merge_range(row, 0, row, 5, s, st.sentence)
            ws.set_row(row, 32)
            row += 1
        row += 1
        heads = {"en": ("Class", "Accounts (live)", "Visits / quarter", "Executive visits / year", "Support"),
                 "zh-CN": ("类别", "客户数(实时)", "每季拜访", "每年高层拜访", "可申请支援")}[L if L == "zh-CN" else "en"]
        for i, h in enumerate(heads):
            ws.write_string(row, i, h, st.header)
        ws.set_row(row, 30)
        row += 1
        rk = lay.ranking
        rng = f"{quote_sheet(rk.sheet)}!{rk.span('class')}" if rk.n_rows else None
        self.class_count_cells = {}
        for cls, label, visits, execs, support in c.classes:
            ws.write_string(row, 0, label, self.st.cell(None))
            if rng:
                ws.write_formula(row, 1, f"=SUMPRODUCT(--({rng}={xl_rowcol_to_cell(row, 0)}))", st.cell(FMT_INT))
            else:
                ws.write_number(row, 1, 0, st.cell(FMT_INT))
            self.class_count_cells[cls] = xl_rowcol_to_cell(row, 1)
            ws.write_number(row, 2, visits, st.cell(FMT_INT))
            ws.write_number(row, 3, execs, st.cell(FMT_INT))
            ws.write_string(row, 4, rt("yes" if support else "no", L), st.cell(None))
            row += 1
        row += 1
        facts = {"en": [("Period", c.period_label), ("Ranked by", rt(f"measure.{c.measure}", L)),
                        ("Accounts", f"{c.total_accounts:,}"), ("Classification run", str(ident.run_id)),
                        ("Generated", ident.generated_at.strftime("%Y-%m-%d %H:%M"))],
                 "zh-CN": [("期间", c.period_label), ("排名依据", rt(f"measure.{c.measure}", L)),
                           ("客户数", f"{c.total_accounts:,}"), ("分类批次", str(ident.run_id)),
                           ("生成时间", ident.generated_at.strftime("%Y-%m-%d %H:%M"))]}[L if L == "zh-CN" else "en"]
        for k, v in facts:
            ws.write_string(row, 0, k, st.label)
            ws.write_string(row, 1, v)
            row += 1
        row += 1
        ws.write_string(row, 0, "How to use" if L != "zh-CN" else "使用方法", st.label_top)
        ws.merge_range(row, 1, row, 5, _how_to(L, lay), st.wrap)
        ws.set_row(row, 170)
        row += 2
        ws.write_blank(row, 0, None, st.input)
        ws.write_string(row, 1, "Yellow cells (Review sheet) are yours to fill in; everything else is locked and "
                                "calculated." if L != "zh-CN" else "黄色单元格(评审表)由您填写;其他单元格已锁定或自动计算。",
                        st.subtitle)
        row += 1
        for note in c.notes:
            ws.write_string(row, 1, note, st.subtitle)
            row += 1
        ws.write_string(row, 1, "This workbook has no macros. It works in Excel, WPS and LibreOffice."
                        if L != "zh-CN" else "本工作簿不含宏,可在 Excel、WPS 和 LibreOffice 中使用。", st.subtitle)
        self.protect(ws)
        self.page(ws, None, landscape=False)

    # -- Charts -------------------------------------------------------------------------------------
    def _charts(self, ws):
        c, lay, L = self.c, self.layout, self.L
        ws.hide_gridlines(2)
        ws.write_string(0, 0, rt("sheet.charts", L), self.st.title)
        ws.write_string(1, 0, self.subtitle(), self.st.subtitle)
        rk, wh = lay.ranking, lay.whale
        n = min(rk.n_rows, c.chart_points)
        measure_col, cum_col = lay.measure_column()
        if n:
            first, last = rk.first_row, rk.first_row + n - 1
            sheet = rk.sheet
            bars = self.wb.add_chart({"type": "column"})
            what = rt(f"measure.{c.measure}", L)
            bars.add_series({"name": what, "categories": [sheet, first, rk.col("account"), last, rk.col("account")],
                             "values": [sheet, first, rk.col(measure_col), last, rk.col(measure_col)],
                             "fill": {"color": "#4472C4"}, "gap": 30})
            line = self.wb.add_chart({"type": "line"})
            line.add_series({"name": rt("col." + cum_col, L),
                             "categories": [sheet, first, rk.col("account"), last, rk.col("account")],
                             "values": [sheet, first, rk.col(cum_col), last, rk.col(cum_col)],
                             "y2_axis": True, "line": {"color": "#C00000", "width": 2}})
            bars.combine(line)
            title = ("Pareto: accounts by {w}" if L != "zh-CN" else "帕累托图:按{w}排名").format(w=what)
            if n < rk.n_rows:
                title += f" (top {n})" if L != "zh-CN" else f"(前 {n} 家)"
            bars.set_title({"name": title})
            bars.set_x_axis({"num_font": {"rotation": -60, "size": 9}})  # 9 pt at the sheet's ~95 % print scale: over 8
            bars.set_y_axis({"name": what + (f" ({c.unit})" if c.measure == "volume" and c.unit else
                                              f" ({c.currency})" if c.measure != "volume" else ""),
                             "num_format": "#,##0"})
            line.set_y2_axis({"name": rt("col." + cum_col, L), "num_format": "0%", "min": 0, "max": 1.0})
            bars.set_legend({"position": "bottom"})
            bars.set_size({"width": 960, "height": 420})
            ws.insert_chart(3, 0, bars)
        if wh.n_rows:
            first, last = wh.first_row, wh.last_row
            sheet = wh.sheet
            curve = self.wb.add_chart({"type": "scatter", "subtype": "straight"})
            curve.add_series({"name": rt("col.cum_profit_share", L),
                              "categories": [sheet, first, wh.col("cum_account_share"), last,
                                             wh.col("cum_account_share")],
                              "values": [sheet, first, wh.col("cum_profit_share"), last, wh.col("cum_profit_share")],
                              "line": {"color": "#548235", "width": 2.25}})
            curve.set_title({"name": "Whale curve: cumulative profit" if L != "zh-CN" else "鲸鱼曲线:累计利润"})
            curve.set_x_axis({"name": rt("col.cum_account_share", L), "num_format": "0%", "min": 0, "max": 1})
            curve.set_y_axis({"name": rt("col.cum_profit_share", L), "num_format": "0%", "min": 0,
                              "major_gridlines": {"visible": True}})
            curve.set_legend({"none": True})
            curve.set_size({"width": 960, "height": 420})
            ws.insert_chart(26, 0, curve)
        self.protect(ws)
        self.page(ws, None)

    # -- hidden sheets -------------------------------------------------------------------------------
    def write_lists(self, ws):
        ws.write_string(0, 0, "classes")
        for r, (_, label, *_) in enumerate(self.c.classes, start=1):
            ws.write_string(r, 0, label)
        ws.set_column(0, 0, 24)
        end = len(self.c.classes) + 1
        self.wb.define_name(self.layout.list_name("classes"), f"={quote_sheet(ws.name)}!$A$2:$A${end}")
        ws.hide()
        self.protect(ws)

    def identity(self):
        ident, c = self.c.identity, self.c
        values = [("plan_year", str(ident.plan_year)), ("run_id", str(ident.run_id)), ("basis", ident.basis),
                  ("period_start", ident.period_start), ("period_end", ident.period_end),
                  ("generated_at", ident.stamp), ("workbook_id", ident.workbook_id),
                  ("layout_hash", ident.layout_hash), ("language", c.language), ("currency", c.currency),
                  ("unit", c.unit), ("measure", c.measure), ("allocation", c.allocation),
                  ("scale_min", str(c.score_rules.scale[0])), ("scale_max", str(c.score_rules.scale[1])),
                  ("live_judgements", "1" if c.score_rules.live_judgements else "0")]
        # the accounts in order with the override in force when written; the judgement indicators
        blocks = {"accounts": [(str(a), (c.overrides.get(a) or (None,))[0]) for a in c.accounts.index],
                  "indicators": [(ind.id, ind.name, ind.group, ind.source, repr(float(ind.weight)),
                                  "1" if ind.higher_is_better else "0") for ind in self.layout.indicators],
                  "group_weights": [(g, repr(float(w))) for g, w in c.score_rules.group_weights],
                  "min_coverage": [repr(float(c.score_rules.min_coverage))]}
        return IDENTITY, values, blocks


def _flags_text(flags, language: str) -> str:
    if not isinstance(flags, (list, tuple)):
        return ""
    sep = ";" if language == "zh-CN" else "; "
    return sep.join(rt(f"flag.{f}", language) for f in flags if f"flag.{f}" in RT)


def _score_note(lay: ReviewLayout, language: str) -> str:
    lo, hi = lay.rules.scale
    if language == "zh-CN":
        return (f"各指标按 0-100 标准化;组得分为已知指标的加权平均(已知权重须达到 {lay.rules.min_coverage:.0%});"
                f"评分({lo}-{hi})在评审表中填写,本表实时更新。缺少的评分不计为 0。")
    return (f"Indicators on 0-100; a group's score is the weighted mean of its known indicators (at least "
            f"{lay.rules.min_coverage:.0%} of the group's weight must be known). Judgements ({lo}-{hi}) are typed "
            "in the Review sheet and update this sheet live. A missing judgement never counts as 0.")


def _review_note(language: str) -> str:
    if language == "zh-CN":
        return "填写调整类别和原因,以及各客户的实力和能力评分;然后运行 kamplan accounts collect。"
    return ("Enter an override class with its reason, and judgement scores for strength and capability; then run "
            "kamplan accounts collect.")


def _how_to(language: str, lay: ReviewLayout) -> str:
    lo, hi = lay.rules.scale
    if language == "zh-CN":
        return ("1. 客户排名表:按规模排序,显示销量、销售额和毛利的占比与累计占比,服务成本、利润、各组得分、"
                "规则分类及原因、上年类别和提示。\n"
                "2. 图表:帕累托图和鲸鱼曲线(累计利润可超过 100%,尾部客户在亏损)。\n"
                f"3. 评审表(黄色):如需调整类别,选择类别并写明原因;为各客户的实力和能力指标评分({lo} 弱 - {hi} 强)。"
                "在评审表第 3 行填写您的姓名。\n"
                "4. 保存后运行 kamplan accounts collect 文件名.xlsx:调整和评分存入系统,分类重新计算。"
                "最终类别决定下一年目标工作簿中的默认拜访周期。\n"
                "5. 请勿重命名工作表,勿插入或删除行列。")
    return ("1. Accounts: ranked by size, with shares and cumulative shares of volume, revenue and gross margin, "
            "cost to serve, profit, scores per group, the class by rules and why, last year's class and flags.\n"
            "2. Charts: the Pareto chart and the whale curve (cumulative profit can pass 100% where the tail "
            "loses money).\n"
            f"3. Review (yellow cells): to override a class pick it and say why; judge each account's strength and "
            f"capability from {lo} (weak) to {hi} (strong). Put your name in 'Reviewed by' (row 3).\n"
            "4. Save, then run `kamplan accounts collect FILE.xlsx`: overrides and judgements are stored and the "
            "classes recomputed. The class that applies sets next year's default visit cycle in the target "
            "workbooks.\n"
            "5. Do not rename sheets or insert or delete rows or columns.")
