"""Write an evaluation workbook from its layout (XlsxWriter, native charts, no macros)."""
from __future__ import annotations

from pathlib import Path


from kamplan.workbooks.evaluation.layout import (
    IDENTITY, PERIODS, REVIEWER_CELL, SERVICE_STATUSES, EvaluationLayout, et,
)
from kamplan.workbooks.evaluation.content import EvaluationContent
from kamplan.workbooks.kit.layout import Table, quote_sheet
from kamplan.workbooks.kit.styles import Styles
from kamplan.workbooks.kit.writer import WorkbookWriter, write_book

LOSS_FONT = "#C00000"
OVERLAY_FILL = "#DDEBF7"  # lines of full-credit (overlay) roles


def write_evaluation_workbook(path: Path, content: EvaluationContent) -> Path:
    """Write the workbook atomically to ``path`` (the caller picks a new name)."""
    i = content.identity
    title = et(f"title.{i.evaluation}", content.language, year=i.year, quarter=i.quarter)
    return write_book(path, lambda wb: _Writer(wb, Styles(wb), content.layout(), content, title), title=title,
                      company=content.company, created=i.generated_at, password=content.sheet_password)


class _Writer(WorkbookWriter):
    def __init__(self, wb, st: Styles, layout: EvaluationLayout, c: EvaluationContent, title: str):
        super().__init__(wb, st, layout, c)
        self.title = title
        self.loss = wb.add_format({"font_color": LOSS_FONT})

    def write_sheets(self, sheets):
        lay = self.layout
        self.fill(sheets, ("results", "accounts", "activities", "services", "scorecard", "reps", "quarters"))
        if lay.is_vp:
            self._plain(sheets["warnings"], lay.warnings, self.c.warnings.to_dict("records"))
            self._plain(sheets["classes"], lay.classes, self.c.classes.to_dict("records"))
        if lay.wallet is not None:
            self._wallet(sheets["wallet"])
        if lay.history is not None:
            self._history(sheets["history"])
        self._cover(sheets["cover"])
        self._charts(sheets["charts"])

    # -- common ------------------------------------------------------------------------------------------
    def table_title(self, table: Table) -> str:
        return self.title + " · " + table.title

    def subtitle(self) -> str:
        i = self.c.identity
        who = self.c.rep_names.get(i.rep_id, i.rep_id) if i.audience == "rep" else et("who.vp", self.L)
        return et("subtitle", self.L, company=self.c.company, who=who, quarter=i.quarter)

    def _ratio_totals(self, table: Table, pairs: dict[str, tuple[str, str]]) -> dict:
        return {k: (lambda a, b: lambda r: f'=IF(N({b}{r + 1})>0,{a}{r + 1}/{b}{r + 1},"")')(
            table.letter(a), table.letter(b)) for k, (a, b) in pairs.items()}

    def _named_rows(self, frame, product: bool = False) -> list[dict]:
        """The frame's rows as dicts, each with its account's (and product's) name as the workbook shows it."""
        c = self.c
        rows = frame.to_dict("records")
        for r in rows:
            r["account"] = c.account_names.get(r["account_id"], r["account_id"])
            if product:
                r["product"] = c.product_names.get(r["product_id"], r["product_id"])
        return rows

    def _plain(self, ws, table: Table, rows: list[dict]):
        self.table(ws, table, rows, freeze=2)

    # -- sheets --------------------------------------------------------------------------------------------
    def _results(self, ws):
        c, tb = self.c, self.layout.results
        rows = self._named_rows(c.lines, product=True)
        full = [i for i, r in enumerate(rows) if bool(r.get("full_credit"))]
        self.table(ws, tb, rows, freeze=5, notes=[et("overlay.note", self.L)] if full else [])
        self._mark_full_credit(ws, tb, full)
        pairs = {}
        for per in PERIODS:
            k = per + "_"
            pairs.update({k + "volume_att": (k + "actual_volume", k + "target_volume"),
                          k + "revenue_att": (k + "actual_revenue", k + "target_revenue"),
                          k + "gm_att": (k + "actual_gm", k + "target_gm")})
        self.totals(ws, tb, et("total", self.L), self.layout.result_sums(),
                    extra={**self._ratio_totals(tb, pairs), **self.layout.money_variances(tb)})
        self._losses(ws, tb, [p + "_revenue_var" for p in PERIODS] + [p + "_gm_var" for p in PERIODS])

    def _mark_full_credit(self, ws, tb: Table, rows: list[int]) -> None:
        """Shade the lines of full-credit roles (an overlay: credited in full, outside the 100%), so that no one
        adds them to the company's figure; a conditional format keeps each cell's own format and protection."""
        shade = self.wb.add_format({"bg_color": OVERLAY_FILL, "italic": True})
        for i in rows:
            r = tb.first_row + i
            ws.conditional_format(r, 0, r, len(tb.columns) - 1, {"type": "formula", "criteria": "=TRUE",
                                                                 "format": shade})

    def _losses(self, ws, tb: Table, keys: list[str]):
        if not tb.n_rows:
            return
        for key in keys:
            i = tb.col(key)
            ws.conditional_format(tb.first_row, i, tb.last_row, i, {"type": "cell", "criteria": "<", "value": 0,
                                                                   "format": self.loss})

    def _accounts(self, ws):
        c, tb = self.c, self.layout.accounts
        rows = self._named_rows(c.accounts)
        for r in rows:
            r["method"] = et(f"method.{r['method']}", self.L) if isinstance(r.get("method"), str) else ""
        note = ("Price + volume + mix effect = revenue variance, to the cent. Mix: selling more of the dearer or "
                "cheaper products. Forecast: the year so far divided by the share those quarters brought in "
                "earlier years.") if self.L != "zh-CN" else (
                "价格影响 + 销量影响 + 结构影响 = 销售额差异(精确到分)。结构影响:高价或低价产品的销售比重变化。"
                "全年预测:年初至今销售额除以往年同期占全年的比例。")
        self.table(ws, tb, rows, freeze=3, notes=[note])
        pairs = {p + "_revenue_att": (p + "_actual_revenue", p + "_target_revenue") for p in PERIODS}
        self.totals(ws, tb, et("total", self.L), self.layout.account_sums(),
                    extra={**self._ratio_totals(tb, pairs), **self.layout.money_variances(tb, ("revenue",))})
        self._losses(ws, tb, [p + "_revenue_var" for p in PERIODS] + ["gap"])

    def _activities(self, ws):
        c, tb = self.c, self.layout.activities
        rows = self._named_rows(c.activity)
        self.table(ws, tb, rows, freeze=3)
        pairs = {p + "_visit_att": (p + "_rep_made", p + "_rep_planned") for p in PERIODS}
        pairs["ytd_training_att"] = ("ytd_trainings_held", "ytd_trainings_planned")
        self.totals(ws, tb, et("total", self.L), self.layout.activity_sums(), extra=self._ratio_totals(tb, pairs))

    def _services(self, ws):
        c, tb = self.c, self.layout.services
        rows = self._named_rows(c.services)
        for r in rows:
            r["no"] = str(r["no"])
            r["status"] = et(f"status.{r['status']}", self.L) if isinstance(r.get("status"), str) else None
        self.table(ws, tb, rows, freeze=4)
        if self.layout.is_vp and tb.n_rows:
            i = tb.col("status")
            ws.data_validation(tb.first_row, i, tb.last_row, i, {
                "validate": "list", "source": "=" + self.layout.list_name("statuses"),
                "input_title": et("val.title", self.L), "input_message": tb.column("status").help,
                "error_title": et("val.title", self.L), "error_message": tb.column("status").help})

    def _scorecard(self, ws):
        c, lay, tb = self.c, self.layout, self.layout.scorecard
        goals = {g.id: g for g in lay.goals}
        rows = []
        for rep, goal in tb.row_keys:
            g = goals[goal]
            rating, comment = c.ratings.get((rep, goal), (None, None))
            rows.append({"rep_id": rep, "goal": goal, "rep": c.rep_names.get(rep, rep), "goal_name": g.name,
                         "kind": et(f"kind.{g.kind}", self.L), "weight": g.weight, "rating": rating,
                         "comment": comment})
        lo, hi = lay.scale
        note = (f"Number goals score 100 x attainment (at most {100 * lay.cap:.0f}); judgement goals score the VP's "
                f"rating from {lo} (0) to {hi} (100). The total is the weighted mean of the goals with a score.") \
            if self.L != "zh-CN" else (f"数据类指标得分 = 100 × 达成率(最高 {100 * lay.cap:.0f});评价类指标按副总评分 "
                                       f"{lo}(0 分)到 {hi}(100 分)计。总分为有得分指标的加权平均。")
        self.table(ws, tb, rows, freeze=4, notes=[note])
        self._visit_goal_formats(ws, tb, goals)
        if lay.is_vp:
            ws.write_string(REVIEWER_CELL[0], 0, et("reviewer", self.L), self.st.label)
            ws.write(REVIEWER_CELL[0], REVIEWER_CELL[1], c.reviewer or "", self.st.input)
            if tb.n_rows:
                i = tb.col("rating")
                msg = tb.column("rating").help
                ws.data_validation(tb.first_row, i, tb.last_row, i, {
                    "validate": "integer", "criteria": "between", "minimum": lo, "maximum": hi,
                    "input_title": et("val.title", self.L), "input_message": msg,
                    "error_title": et("val.title", self.L), "error_message": msg})

    def _visit_goal_formats(self, ws, tb, goals) -> None:
        """The visit-report goals (satisfaction 1-5, complaints per report) are no money: two decimals."""
        fmt = self.st.cell("0.00")
        for i, (_, goal) in enumerate(tb.row_keys):
            if goals[goal].values or goals[goal].lower_is_better or goal == "satisfaction":
                for key in ("target", "result"):
                    r = tb.first_row + i
                    ws.write_formula(r, tb.col(key), tb.column(key).formula(r), fmt)

    def _reps(self, ws):
        c, tb = self.c, self.layout.reps
        rows = [{"rep_id": r, "rep": c.rep_names.get(r, r)} for r in c.reps]
        self.table(ws, tb, rows, freeze=2)
        self.totals(ws, tb, et("total", self.L), ["ytd_target_revenue", "ytd_actual_revenue", "forecast",
                                                  "annual_target", "gap"],
                    extra=self._ratio_totals(tb, {"ytd_revenue_att": ("ytd_actual_revenue", "ytd_target_revenue")}))

    def _quarters(self, ws):
        c, tb = self.c, self.layout.quarters
        q = c.quarters.set_index("quarter")
        rows = [{"quarter": f"Q{n}", "target_revenue": q.at[n, "target_revenue"] if n in q.index else 0.0,
                 "actual_revenue": q.at[n, "actual_revenue"] if n in q.index else None} for n in (1, 2, 3, 4)]
        self.table(ws, tb, rows, freeze=1)
        self.totals(ws, tb, et("total", self.L), ["target_revenue", "actual_revenue"])

    def _wallet(self, ws):
        rows = self._named_rows(self.c.wallet, product=True)
        for r in rows:
            r["rep"] = self.c.rep_names.get(r["rep_id"], r["rep_id"])
        self.table(ws, self.layout.wallet, rows, freeze=3, notes=[et("w.note", self.L)])

    def _history(self, ws):
        c, tb = self.c, self.layout.history
        goals = {g.id: g for g in self.layout.goals}
        rows = []
        for rep, goal in tb.row_keys:
            row = {"rep_id": rep, "goal": goal, "goal_name": goals[goal].name}
            for q in (1, 2, 3, 4):
                rating, score, comment = c.history.get((rep, goal, q), (None, None, None))
                row.update({f"q{q}_rating": rating, f"q{q}_score": score, f"q{q}_comment": comment})
            rows.append(row)
        self.table(ws, tb, rows, freeze=3)

    def _cover(self, ws):
        st, lay = self.st, self.layout
        ws.set_column(0, 0, 110)
        ws.write_string(0, 0, self.title, st.title)
        ws.write_string(1, 0, self.subtitle(), st.subtitle)
        ws.write_string(3, 0, _how_to(self.L, lay), st.wrap)
        ws.set_row(3, 260)
        self.protect(ws)
        self.page(ws, None)

    def _charts(self, ws):
        lay, L = self.layout, self.L
        ws.write_string(0, 0, self.title, self.st.title)
        ws.write_string(1, 0, self.subtitle(), self.st.subtitle)
        rp, qt = lay.reps, lay.quarters
        row = 3
        if rp.n_rows:
            bars = self.wb.add_chart({"type": "bar"})
            bars.add_series({"name": rp.column("ytd_revenue_att").header,
                             "categories": [rp.sheet, rp.first_row, rp.col("rep"), rp.last_row, rp.col("rep")],
                             "values": [rp.sheet, rp.first_row, rp.col("ytd_revenue_att"), rp.last_row,
                                        rp.col("ytd_revenue_att")],
                             "fill": {"color": "#4472C4"}, "data_labels": {"value": True, "num_format": "0%"}})
            bars.set_title({"name": "Revenue attainment by salesperson" if L != "zh-CN" else "各销售人员销售额达成率"})
            bars.set_x_axis({"num_format": "0%", "min": 0})
            bars.set_legend({"none": True})
            bars.set_size({"width": 820, "height": max(260, 28 * rp.n_rows + 120)})
            ws.insert_chart(row, 0, bars)
            row += max(14, (28 * rp.n_rows + 120) // 20 + 2)
        cols = self.wb.add_chart({"type": "column"})
        for key, colour in (("target_revenue", "#A5A5A5"), ("actual_revenue", "#4472C4")):
            cols.add_series({"name": qt.column(key).header,
                             "categories": [qt.sheet, qt.first_row, qt.col("quarter"), qt.last_row, qt.col("quarter")],
                             "values": [qt.sheet, qt.first_row, qt.col(key), qt.last_row, qt.col(key)],
                             "fill": {"color": colour}})
        cols.set_title({"name": "Target and actual revenue by quarter" if L != "zh-CN" else "各季度目标与实际销售额"})
        cols.set_y_axis({"num_format": "#,##0", "name": self.c.currency})
        cols.set_legend({"position": "bottom"})
        cols.set_size({"width": 820, "height": 360})
        ws.insert_chart(row, 0, cols)
        self.protect(ws)
        self.page(ws, None)

    # -- hidden sheets ------------------------------------------------------------------------------------------
    def write_lists(self, ws):
        ws.write_string(0, 0, "statuses")
        for r, s in enumerate(SERVICE_STATUSES, start=1):
            ws.write_string(r, 0, et(f"status.{s}", self.L))
        self.wb.define_name(self.layout.list_name("statuses"),
                            f"={quote_sheet(ws.name)}!$A$2:$A${len(SERVICE_STATUSES) + 1}")
        ws.hide()
        self.protect(ws)

    def identity(self):
        i, c, lay = self.c.identity, self.c, self.layout
        values = [("year", str(i.year)), ("quarter", str(i.quarter)), ("evaluation", i.evaluation),
                  ("audience", i.audience), ("rep_id", i.rep_id), ("generated_at", i.stamp),
                  ("workbook_id", i.workbook_id), ("layout_hash", i.layout_hash), ("language", c.language),
                  ("currency", c.currency), ("unit", c.unit), ("scale_min", str(c.scale[0])),
                  ("scale_max", str(c.scale[1])), ("cap", repr(float(c.cap))),
                  ("with_allocation", "1" if c.with_allocation else "0"), ("n_warnings", str(len(c.warnings))),
                  ("n_classes", str(len(c.classes))), ("ratings_seen", str(c.entries_seen[0])),
                  ("statuses_seen", str(c.entries_seen[1]))]
        if c.wallet is not None:  # a Share of wallet sheet: its rows (no row: the key is left out, read as 0)
            values.append(("n_wallet", str(len(c.wallet))))
        blocks = {"lines": lay.results.row_keys, "accounts": lay.accounts.row_keys,
                  "reps": lay.reps.row_keys, "services": lay.services.row_keys,
                  "goals": [(g.id, g.name, g.kind, repr(float(g.weight))) for g in lay.goals],
                  # what the VP's cells showed when written: a re-collected older file cannot undo later entries
                  "shown": [(r, g, "" if v[0] is None else repr(float(v[0])), v[1] or "")
                            for (r, g), v in sorted(c.ratings.items()) if v != (None, None)],
                  "shown_services": [(r, a, str(n), st or "", nt or "") for r, a, n, st, nt in zip(
                      c.services["rep_id"], c.services["account_id"], c.services["no"], c.services["status"],
                      c.services["note"]) if isinstance(st, str) or isinstance(nt, str)]}
        return IDENTITY, values, {name: [tuple(map(str, row)) for row in rows] for name, rows in blocks.items()}


def _how_to(language: str, lay: EvaluationLayout) -> str:
    lo, hi = lay.scale
    if language == "zh-CN":
        text = ("1. 目标与成果:每个客户 × 产品的本季度和年初至今目标与实际(销量、单价、销售额、毛利),差异和达成率为实时公式;"
                "销售额差异分解为价格影响和销量影响。\n"
                "2. 客户汇总:每个客户的销售额差异分解为价格、销量和结构影响(三者之和等于差异),以及全年预测与目标的差距。\n"
                "3. 活动对比:拜访次数对比拜访周期(销售人员和公司高层),培训、支持和投诉。\n"
                "4. 考核评分:各考核指标的权重、目标、成果、达成率和得分;总分见销售人员表。\n")
        if lay.is_vp:
            text += (f"5. 副总:在考核评分表中为每个指标填写评分({lo}-{hi})和评语,在服务承诺表中选择状态,"
                     "在第 3 行填写您的姓名;保存后运行 kamplan evaluate collect 文件名.xlsx。\n"
                     "6. 流失预警:按风险销售额排序的客户,每条预警附有数据依据。\n")
        return text + "请勿重命名工作表,勿插入或删除行列。"
    text = ("1. Goal vs result: per account x product, the quarter and the year to date, target and actual volume, "
            "price, revenue and gross margin; variances and attainment are live formulas; the revenue variance is "
            "split into a price and a volume effect.\n"
            "2. Accounts: each account's revenue variance split into price, volume and mix effects (they add up to "
            "the variance), and the year-end forecast with its gap to the annual target.\n"
            "3. Activities: visits against the visit cycle (salesperson and executives), trainings, support, "
            "complaints.\n"
            "4. Scorecard: weight, target, result, attainment and score of each goal; the total per salesperson is "
            "on the Salespeople sheet.\n")
    if lay.is_vp:
        text += (f"5. VP: rate each goal ({lo}-{hi}) and comment on the Scorecard sheet, set the status of each "
                 "service commitment on the Services sheet, and put your name in 'Evaluated by' (row 3). Save, then "
                 "run `kamplan evaluate collect FILE.xlsx`.\n"
                 "6. Early warnings: accounts ranked by revenue at risk, each flag with its numbers.\n")
    return text + "Do not rename sheets or insert or delete rows or columns."
