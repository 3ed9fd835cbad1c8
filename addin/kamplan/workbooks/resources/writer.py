"""Write the resource plan workbook from its layout (XlsxWriter, native charts, no macros)."""
from __future__ import annotations

from pathlib import Path

from kamplan.workbooks.kit.layout import Table
from kamplan.workbooks.resources.content import ResourceWorkbookContent
from kamplan.workbooks.resources.layout import (
    CLASSES, IDENTITY, KINDS, QUARTERS, YEAR, list_ref, rt,
)
from kamplan.workbooks.kit.writer import WorkbookWriter, write_value


def write_resource_workbook(path: Path, content: ResourceWorkbookContent) -> Path:
    """Write atomically to ``path`` (the caller picks a new name; nothing is overwritten here)."""
    layout = content.layout()
    content.identity.layout_hash = layout.signature()
    return _Writer.save(path, content, title=rt("title", content.language, year=content.identity.plan_year),
                        layout=layout)


class _Writer(WorkbookWriter):
    def write_sheets(self, sheets):
        lay = self.layout
        c = self.c
        self.table(sheets["schedule"], lay.schedule, c.schedule, freeze=3)
        self.table(sheets["requests"], lay.requests, c.requests, freeze=2)
        self.table(sheets["accounts"], lay.accounts, c.accounts, freeze=2)
        self.table(sheets["classes"], lay.classes,
                    [{"class_id": k, "class": c.class_labels.get(k, k)} for k in CLASSES], freeze=2,
                    autofilter=False)
        self.table(sheets["unmet"], lay.unmet, c.unmet, freeze=2)
        self.table(sheets["people"], lay.people, c.people, freeze=2)
        pool_rows = []
        for kind, q in lay.pools.row_keys:
            info = c.pools.get((kind, q), {})
            pool_rows.append({"pool_id": kind, "quarter": q if q != YEAR else rt("q.year", self.L),
                              "pool": lay.kind_label(kind), "unit": c.units.get(kind, ""),
                              "mv": info.get("mv"), "resolve_gain": info.get("resolve_gain")})
        self.table(sheets["pools"], lay.pools, pool_rows, freeze=3, autofilter=False)
        self._inputs(sheets["choices"], lay.choices,
                     [{**r, "in_force": lay.choice_label(r.get("in_force")),
                       "choice": lay.choice_label(r.get("in_force"))} for r in c.choices])
        self._inputs(sheets["capacity"], lay.capacity, c.capacity)
        self._cover(sheets["cover"])
        self._charts(sheets["charts"])

    # -- common ------------------------------------------------------------------------------------------
    def subtitle(self) -> str:
        return rt("subtitle", self.L, company=self.c.company, run=self.c.identity.run_id, source=self.c.source)

    def table_title(self, table: Table) -> str:
        return table.title

    def put(self, ws, r: int, c: int, value, fmt):
        # a yes/no fact of the plan reads as its word (True/False), not as an Excel boolean
        write_value(ws, r, c, str(value) if isinstance(value, bool) else value, fmt)

    def _inputs(self, ws, tb: Table, rows: list[dict]):
        note = {"choices": ("Force a request in or out; the next `kamplan resources allocate` honours it. "
                            "Empty = the optimiser decides.",
                            "可强制纳入或排除某项申请;下次运行 kamplan resources allocate 时生效。留空由优化器决定。"),
                "capacity": ("Change a person's capacity for a quarter (e.g. leave, a new hire's start); empty = "
                             "as configured.", "调整某人某季度的能力(如休假);留空表示按配置。")}[tb.key]
        self.header(ws, tb, [note[1] if self.L == "zh-CN" else note[0]])
        self.rows(ws, tb, rows)
        if rows:
            self.validate_inputs(ws, tb)
        self.finish(ws, tb, freeze=1)

    def validate(self, ws, tb: Table, i: int, col):
        opts = {"error_title": rt("val.title", self.L), "error_message": col.help[:255], "error_type": "stop",
                "input_title": col.header[:32], "input_message": col.help[:255], "ignore_blank": True,
                "show_error": True, "show_input": True}
        if col.dtype == "choice":
            opts.update(validate="list", source="=" + self.layout.list_name(col.choices))
        else:
            opts.update(validate="decimal", criteria="between", minimum=float(col.minimum),
                        maximum=float(col.maximum))
        ws.data_validation(tb.first_row, i, tb.last_row, i, opts)

    # -- Read me ---------------------------------------------------------------------------------------
    def _cover(self, ws):
        c, L, st, lay = self.c, self.L, self.st, self.layout
        zh = L == "zh-CN"
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 18)
        ws.set_column(2, 2, 18)
        ws.set_column(3, 3, 80)
        ws.hide_gridlines(2)
        ws.write_string(0, 0, rt("title", L, year=c.identity.plan_year), st.title)
        ws.write_string(1, 0, self.subtitle(), st.subtitle)
        f = c.figures
        labels = [("objective", "Value of the allocation ({cur})", "分配方案的价值({cur})", "#,##0"),
                  ("bound", "Proven upper bound ({cur})", "已证明的上界({cur})", "#,##0"),
                  ("gap", "Gap to the bound", "与上界的差距", "0.000%"),
                  ("greedy_objective", "Greedy (marginal analysis) value ({cur})", "贪心法(边际分析)价值({cur})",
                   "#,##0"),
                  ("status", "Status", "状态", None), ("method", "Method", "方法", None),
                  ("seconds", "Seconds", "用时(秒)", "0.0"), ("requests", "Requests", "申请数", "0"),
                  ("unmet", "Not (fully) met", "未(完全)满足", "0")]
        row = 3
        for key, en, zhl, fmt in labels:
            ws.write_string(row, 0, (zhl if zh else en).format(cur=c.currency), st.label)
            self.put(ws, row, 1, f.get(key), st.cell(fmt))
            row += 1
        sc = lay.schedule
        for kind, budget in c.budgets:
            label = lay.kind_label(kind)
            ws.write_string(row, 0, (f"{label} 预算 / 已用({c.currency})" if zh else
                                     f"{label} budget / spent ({c.currency})"), st.label)
            ws.write_number(row, 1, float(budget), st.cell("#,##0"))
            ws.write_formula(row, 2, f'=SUMIFS({sc.qualified_span("cost")},{sc.qualified_span("pool")},'
                                      f'"{label}")', st.cell("#,##0"))
            row += 1
        row += 1
        for p in c.problems:
            ws.write_string(row, 0, p, st.subtitle)
            row += 1
        ws.write_string(row, 0, "使用说明" if zh else "How to use it", st.label)
        ws.merge_range(row + 1, 0, row + 1, 3, _how_to(L), st.wrap)
        ws.set_row(row + 1, 260)
        ws.write_string(row + 3, 0, ("本工作簿不含宏,可在 Excel、WPS 和 LibreOffice 中使用。" if zh else
                                     "This workbook has no macros. It works in Excel, WPS and LibreOffice."),
                        st.subtitle)
        self.protect(ws)
        self.page(ws, None)

    # -- Charts ----------------------------------------------------------------------------------------
    def _charts(self, ws):
        lay, L = self.layout, self.L
        zh = L == "zh-CN"
        ws.write_string(0, 0, lay.sheet_names["charts"], self.st.title)
        ws.write_string(1, 0, self.subtitle(), self.st.subtitle)
        pe = lay.people
        if self.c.people:
            ch = self.wb.add_chart({"type": "bar"})
            first, last = pe.first_row, pe.last_row
            for key, colour in (("cap_year", "#BDD7EE"), ("used_year", "#2F5597")):
                ch.add_series({"name": [pe.sheet, pe.header_row, pe.col(key)],
                               "categories": [pe.sheet, first, pe.col("person"), last, pe.col("person")],
                               "values": [pe.sheet, first, pe.col(key), last, pe.col(key)],
                               "fill": {"color": colour}, "gap": 40})
            ch.set_title({"name": "每人全年能力与已用" if zh else "Capacity and use per person (year)"})
            ch.set_y_axis({"reverse": True})
            ch.set_legend({"position": "bottom"})
            ch.set_size({"width": 760, "height": max(300, 26 * len(self.c.people) + 120)})
            ws.insert_chart(3, 0, ch)
        po = lay.pools
        ch = self.wb.add_chart({"type": "column"})
        for n, kind in enumerate(KINDS):
            a = po.first_row + n * len(QUARTERS)
            ch.add_series({"name": lay.kind_label(kind),
                           "categories": [po.sheet, a, po.col("quarter"), a + 3, po.col("quarter")],
                           "values": [po.sheet, a, po.col("utilisation"), a + 3, po.col("utilisation")],
                           "fill": {"color": ("#2F5597", "#70AD47", "#ED7D31")[n]}})
        ch.set_title({"name": "各资源池各季度利用率" if zh else "Utilisation per pool and quarter"})
        ch.set_y_axis({"num_format": "0%", "min": 0})
        ch.set_legend({"position": "bottom"})
        ch.set_size({"width": 620, "height": 320})
        ws.insert_chart(3, 13, ch)
        cl = lay.classes
        ch = self.wb.add_chart({"type": "column"})
        for n, kind in enumerate(KINDS):
            for what, shade in (("asked", 0.45), ("given", 1.0)):
                key = f"{what}_{kind}"
                colour = ("#2F5597", "#70AD47", "#ED7D31")[n]
                ch.add_series({"name": [cl.sheet, cl.header_row, cl.col(key)],
                               "categories": [cl.sheet, cl.first_row, cl.col("class"), cl.last_row, cl.col("class")],
                               "values": [cl.sheet, cl.first_row, cl.col(key), cl.last_row, cl.col(key)],
                               "fill": {"color": colour, "transparency": int((1 - shade) * 100)},
                               "border": {"color": colour}})
        ch.set_title({"name": "按类别:申请与分配" if zh else "Asked vs given by class"})
        ch.set_legend({"position": "bottom"})
        ch.set_size({"width": 620, "height": 360})
        ws.insert_chart(21, 13, ch)
        self.protect(ws)
        self.page(ws, None)

    # -- hidden sheets -------------------------------------------------------------------------------------
    def write_lists(self, ws):
        ws.write_string(0, 0, "choices")
        labels = [self.layout.choice_label("in"), self.layout.choice_label("out")]
        for r, label in enumerate(labels, start=1):
            ws.write_string(r, 0, label)
        ws.set_column(0, 0, 20)
        self.wb.define_name(self.layout.list_name("choices"), list_ref(ws.name, len(labels)))
        ws.hide()
        self.protect(ws)

    def identity(self):
        ident, c = self.c.identity, self.c
        values = [("plan_year", str(ident.plan_year)), ("run_id", str(ident.run_id)),
                  ("generated_at", ident.stamp), ("workbook_id", ident.workbook_id),
                  ("layout_hash", ident.layout_hash), ("language", c.language), ("currency", c.currency)]
        blocks = {"choices": [(str(q["request_id"]), str(q["account_id"]), str(q["kind_id"]), q.get("in_force") or None)
                              for q in c.choices],
                  "capacity": [(str(p["person_id"]), *(None if p.get(f"new_q{q}") is None
                                                       else repr(float(p[f"new_q{q}"])) for q in QUARTERS))
                               for p in c.capacity]}
        return IDENTITY, values, blocks


def _how_to(language: str) -> str:
    if language == "zh-CN":
        return ("1. 人员日程:每人每季度去哪个客户、目的、具体任务、时间限制、天数或次数及费用。\n"
                "2. 申请与分配:每项申请的申请量和分配量(分配量由人员日程实时汇总)。客户和按类别两表按资源类型汇总。\n"
                "3. 未满足:未(完全)满足的申请、原因以及如何才能满足。\n"
                "4. 人员利用率和资源池:能力、已用和利用率;“增加一单位的价值”是该季度多一天(或一次拜访)能增加的价值,"
                "用于判断该在哪里增加人手。\n"
                "5. 分配方案的价值、已证明的上界和差距:差距为 0 表示方案已被证明最优。\n"
                "6. 强制选择(黄色):对某项申请选择“强制纳入”或“强制排除”;能力调整(黄色):修改某人某季度的能力。"
                "保存后再次运行 kamplan resources allocate:默认读取 reports/ 中最新的资源方案工作簿"
                "(或用 --choices 文件名 指定),选择存入系统并在新方案中生效。\n"
                "7. 请勿重命名工作表,勿插入或删除行列。")
    return ("1. Schedule: per person and quarter, which account, the purpose, the concrete task, the deadline, the "
            "days or visits and the cost.\n"
            "2. Requests: what each request asked and what it was given (summed live from the Schedule). Accounts "
            "and By class add them up per kind of support.\n"
            "3. Unmet: every request not (fully) met, why, and what would make it fit.\n"
            "4. People and Pools: capacity, use and utilisation; 'value of one more unit' is what one more day "
            "(or visit) in that quarter would add: where more people would pay.\n"
            "5. Value, proven bound and gap: a gap of 0 means the plan is proven optimal.\n"
            "6. Choices (yellow): force a request in or out; Capacity (yellow): change a person's capacity in a "
            "quarter. Save, then run `kamplan resources allocate` again: it reads the newest resource plan in "
            "reports/ (or the file given with --choices), stores your choices and honours them in the new plan.\n"
            "7. Do not rename sheets or insert or delete rows or columns.")
